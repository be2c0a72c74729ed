package dev.heed.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

    /** A parameter whose gradient is {@code grad}. */
    private static Variable withGradient(double... grad) {
        Variable p = Variable.parameter(Tensor.zeros(grad.length));
        p.backward(Tensor.of(grad.clone(), grad.length));
        return p;
    }

    @Test
    void clipsToTheGlobalNormAndReturnsTheNormBefore() {
        // gradients (3, 4) and (12): global norm √(9 + 16 + 144) = 13
        Variable a = withGradient(3, 4);
        Variable b = withGradient(12);
        double norm = GradientClipping.clipNorm(List.of(a, b), 6.5);
        assertThat(norm).isEqualTo(13);
        double c = 6.5 / (13 + 1e-6);
        assertThat(a.grad().toArray()).containsExactly(3 * c, 4 * c);
        assertThat(b.grad().toArray()).containsExactly(12 * c);
        assertThat(GradientClipping.norm(List.of(a, b))).isCloseTo(6.5, within(1e-6));
    }

    @Test
    void leavesSmallGradientsExactlyAlone() {
        Variable a = withGradient(3, 4);
        Tensor before = a.grad().copy();
        assertThat(GradientClipping.clipNorm(List.of(a), 5 + 1e-6)).isEqualTo(5);
        assertThat(a.grad().toArray()).containsExactly(before.toArray());
        assertThat(GradientClipping.clipNorm(List.of(a), Double.POSITIVE_INFINITY))
                .isEqualTo(5);
        assertThat(a.grad().toArray()).containsExactly(before.toArray());
    }

    @Test
    void maxNormZeroZeroesTheGradients() {
        Variable a = withGradient(3, -4);
        GradientClipping.clipNorm(List.of(a), 0);
        assertThat(a.grad().toArray()).containsExactly(0, -0.0);
    }

    @Test
    void skipsMissingGradientsAndCountsTiedParametersOnce() {
        Variable a = withGradient(3, 4);
        Variable none = Variable.parameter(Tensor.zeros(2));
        assertThat(GradientClipping.clipNorm(List.of(a, none, a), 100)).isEqualTo(5);
        assertThat(none.grad()).isNull();
        assertThat(GradientClipping.clipNorm(List.of(none), 1)).isEqualTo(0);
    }

    @Test
    void hugeAndTinyGradientsDoNotOverflowOrUnderflow() {
        Variable big = withGradient(3e200, 4e200);
        assertThat(GradientClipping.clipNorm(List.of(big), 1)).isCloseTo(5e200, within(1e186));
        assertThat(big.grad().toArray()[0]).isCloseTo(0.6, within(1e-12));
        Variable small = withGradient(3e-200, 4e-200);
        assertThat(GradientClipping.norm(List.of(small))).isCloseTo(5e-200, within(1e-214));
    }

    @Test
    void nonFiniteNormsFollowPyTorchOrThrow() {
        Variable a = withGradient(Double.NaN, 1);
        assertThatThrownBy(() -> GradientClipping.clipNorm(List.of(a), 1, true))
                .isInstanceOf(ArithmeticException.class)
                .hasMessageContaining("NaN");
        assertThat(a.grad().toArray()[1]).isEqualTo(1);
        assertThat(GradientClipping.clipNorm(List.of(a), 1)).isNaN();
        assertThat(a.grad().toArray()[1]).isNaN();
        Variable inf = withGradient(Double.POSITIVE_INFINITY, 1);
        assertThat(GradientClipping.clipNorm(List.of(inf), 1)).isInfinite();
        assertThat(inf.grad().toArray()[1]).isEqualTo(0); // scaled by 1/(∞ + 1e-6) = 0, as PyTorch
    }

    @Test
    void clipValueClamps() {
        Variable a = withGradient(-3, 0.5, 7, Double.NaN);
        GradientClipping.clipValue(List.of(a), 1);
        assertThat(a.grad().toArray()).containsExactly(-1, 0.5, 1, Double.NaN);
    }

    @Test
    void badArgumentsAreRefused() {
        Variable a = withGradient(1);
        assertThatThrownBy(() -> GradientClipping.clipNorm(List.of(a), -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> GradientClipping.clipNorm(List.of(a), Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GradientClipping.clipNorm(null, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GradientClipping.clipValue(List.of(a), -1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
