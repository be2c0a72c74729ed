package dev.heed.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InitTest {

    private static double variance(Tensor t) {
        double[] d = t.toArray();
        double mean = t.mean();
        double s = 0;
        for (double x : d) {
            s += (x - mean) * (x - mean);
        }
        return s / d.length;
    }

    @Test
    void fansFollowPyTorch() {
        assertThat(Init.fanIn(3, 5)).isEqualTo(5);
        assertThat(Init.fanOut(3, 5)).isEqualTo(3);
        assertThat(Init.fanIn(4, 3, 2, 5)).isEqualTo(30);
        assertThat(Init.fanOut(4, 3, 2, 5)).isEqualTo(40);
        assertThatThrownBy(() -> Init.fanIn(7))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[7]");
    }

    @Test
    void xavierUniformHasItsBoundAndVariance() {
        Tensor w = Init.xavierUniform(new Random(1), 2.0, 300, 500);
        double bound = 2.0 * Math.sqrt(6.0 / 800);
        assertThat(w.shape()).containsExactly(300, 500);
        assertThat(w.max()).isLessThanOrEqualTo(bound).isGreaterThan(0.99 * bound);
        assertThat(w.neg().max()).isLessThanOrEqualTo(bound).isGreaterThan(0.99 * bound);
        assertThat(variance(w)).isCloseTo(bound * bound / 3, within(0.01 * bound * bound / 3));
        Tensor n = Init.xavierNormal(new Random(2), 1.0, 300, 500);
        assertThat(variance(n)).isCloseTo(2.0 / 800, within(0.01 * 2.0 / 800));
    }

    @Test
    void kaimingWithSqrtFiveIsLinearsDefault() {
        // torch.nn.Linear initialises its weight with kaiming_uniform_(a=√5): ±1/√in
        Tensor k = Init.kaimingUniform(new Random(7), Math.sqrt(5), 4, 9);
        Tensor l = Linear.seeded(9, 4, false, 7).weight();
        double[] a = k.toArray();
        double[] b = l.toArray();
        for (int i = 0; i < a.length; i++) {
            assertThat(a[i]).isCloseTo(b[i], within(1e-15 * Math.abs(b[i]))); // the bounds differ in rounding only
        }
    }

    @Test
    void kaimingForReluHasVarianceTwoOverFanIn() {
        Tensor u = Init.kaimingUniform(new Random(3), 0, 200, 400);
        assertThat(variance(u)).isCloseTo(2.0 / 400, within(0.01 * 2.0 / 400));
        assertThat(u.max()).isLessThanOrEqualTo(Math.sqrt(6.0 / 400));
        Tensor n = Init.kaimingNormal(new Random(4), 0, 200, 400);
        assertThat(variance(n)).isCloseTo(2.0 / 400, within(0.01 * 2.0 / 400));
    }

    @Test
    void uniformAndNormal() {
        Tensor u = Init.uniform(new Random(5), -1, 3, 10_000);
        assertThat(u.max()).isLessThan(3);
        assertThat(u.neg().max()).isLessThanOrEqualTo(1);
        assertThat(u.mean()).isCloseTo(1, within(0.05));
        // the same formula as Tensor.random(seed).uniform
        assertThat(Init.uniform(new Random(9), -1, 3, 5).toArray())
                .containsExactly(Tensor.random(9).uniform(-1, 3, 5).toArray());
        Tensor n = Init.normal(new Random(6), 2, 0.5, 10_000);
        assertThat(n.mean()).isCloseTo(2, within(0.02));
        assertThat(variance(n)).isCloseTo(0.25, within(0.01));
        assertThat(Init.normal(new Random(9), 0, 1, 4, 2).toArray())
                .containsExactly(Tensor.random(9).normal(4, 2).toArray());
    }

    @Test
    void sameSeedSameTensorAndOneRandomForSeveral() {
        assertThat(Init.xavierUniform(new Random(11), 1, 3, 4).toArray())
                .containsExactly(Init.xavierUniform(new Random(11), 1, 3, 4).toArray());
        Random shared = new Random(11);
        Tensor first = Init.xavierUniform(shared, 1, 3, 4);
        Tensor second = Init.xavierUniform(shared, 1, 3, 4);
        assertThat(second.toArray()).isNotEqualTo(first.toArray());
    }

    @Test
    void badArgumentsAreRefused() {
        Random r = new Random(1);
        assertThatThrownBy(() -> Init.uniform(r, 2, 1, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Init.normal(r, 0, -1, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Init.xavierUniform(r, -1, 3, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Init.kaimingUniform(r, Double.NaN, 3, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Init.kaimingUniform(r, 0, 3, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 0]");
        assertThatThrownBy(() -> Init.xavierNormal(null, 1, 3, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Init.kaimingNormal(r, 0, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[5]");
    }
}
