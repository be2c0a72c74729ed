package dev.heed.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.autograd.GradCheck;
import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LossesTest {

    private static Variable logits(double[][] rows) {
        return Variable.parameter(Tensor.of(rows));
    }

    @Test
    void crossEntropyByHand() {
        Variable x = logits(new double[][] {{1, 2, 3}, {1, 1, 1}});
        Variable loss = Losses.crossEntropy(x, new int[] {2, 0});
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        double expected = ((Math.log(z) - 3) + Math.log(3)) / 2;
        assertThat(loss.shape()).isEmpty();
        assertThat(loss.item()).isCloseTo(expected, within(1e-15));
        loss.backward();
        double[] g = x.grad().toArray();
        double[] hand = {
            Math.exp(1) / z / 2, Math.exp(2) / z / 2, (Math.exp(3) / z - 1) / 2,
            (1.0 / 3 - 1) / 2, 1.0 / 3 / 2, 1.0 / 3 / 2
        };
        for (int i = 0; i < 6; i++) {
            assertThat(g[i]).as("element %d", i).isCloseTo(hand[i], within(1e-16));
        }
    }

    @Test
    void crossEntropyGradientsMatchFiniteDifferences() {
        Tensor x = GradCheck.normal(1, 7, 5).scale(3);
        int[] targets = {4, 0, -100, 2, 2, 1, 3};
        for (Reduction r : Reduction.values()) {
            GradCheck.check(
                    "crossEntropy " + r,
                    List.of(x),
                    v -> Losses.crossEntropy(v.get(0), targets, Losses.DEFAULT_IGNORE_INDEX, r));
        }
        // strided logits: a transposed view
        GradCheck.check(
                "crossEntropy of a transpose",
                List.of(GradCheck.normal(2, 4, 3)),
                v -> Losses.crossEntropy(v.get(0).transpose(0, 1), new int[] {3, 0, 1}));
        GradCheck.check(
                "one class", List.of(GradCheck.normal(3, 2, 1)), v -> Losses.crossEntropy(v.get(0), new int[] {0, 0}));
    }

    @Test
    void crossEntropyEqualsTheComposedForm() {
        Tensor x = GradCheck.normal(4, 5, 6);
        int[] targets = {5, 1, 1, 0, 3};
        Variable fused = Losses.crossEntropy(Variable.constant(x), targets, -1, Reduction.NONE);
        Variable logp = Variable.constant(x).logSoftmax(-1);
        for (int i = 0; i < 5; i++) {
            assertThat(fused.value().get(i)).isCloseTo(-logp.value().get(i, targets[i]), within(1e-15));
        }
    }

    @Test
    void crossEntropyIsExactAtHugeLogits() {
        Variable x = logits(new double[][] {{1e6, -1e6}, {1e6, -1e6}, {-1e6, 1e6}});
        Variable none = Losses.crossEntropy(x, new int[] {0, 1, 1}, -100, Reduction.NONE);
        assertThat(none.value().toArray()).containsExactly(0, 2e6, 0);
        Variable mean = Losses.crossEntropy(x, new int[] {0, 1, 1});
        assertThat(mean.item()).isEqualTo(2e6 / 3);
        mean.backward();
        assertThat(x.grad().toArray()).containsExactly(0, 0, 1.0 / 3, -1.0 / 3, 0, 0);
    }

    @Test
    void ignoredRowsCountForNothing() {
        Variable x = logits(new double[][] {{1, 2}, {5, -5}, {0, 3}});
        Variable loss = Losses.crossEntropy(x, new int[] {1, -100, 0});
        Variable kept = logits(new double[][] {{1, 2}, {0, 3}});
        Variable reference = Losses.crossEntropy(kept, new int[] {1, 0});
        assertThat(loss.item()).isEqualTo(reference.item());
        loss.backward();
        reference.backward();
        assertThat(x.grad().select(0, 1).toArray()).containsExactly(0, 0);
        assertThat(x.grad().select(0, 0).toArray())
                .containsExactly(kept.grad().select(0, 0).toArray());
        // another ignore index, and -100 then becomes an error
        assertThat(Losses.crossEntropy(x, new int[] {1, 7, 0}, 7).item()).isEqualTo(reference.item());
        assertThatThrownBy(() -> Losses.crossEntropy(x, new int[] {1, -100, 0}, 7))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("target -100")
                .hasMessageContaining("position 1");
        // SUM and NONE
        assertThat(Losses.crossEntropy(x, new int[] {1, -100, 0}, -100, Reduction.SUM)
                        .item())
                .isCloseTo(2 * reference.item(), within(1e-15));
        assertThat(Losses.crossEntropy(x, new int[] {1, -100, 0}, -100, Reduction.NONE)
                        .value()
                        .get(1))
                .isEqualTo(0);
    }

    @Test
    void everyRowIgnoredGivesNaNAndZeroGradients() {
        Variable x = logits(new double[][] {{1, 2}, {3, 4}});
        Variable loss = Losses.crossEntropy(x, new int[] {-100, -100});
        assertThat(loss.item()).isNaN();
        loss.backward();
        assertThat(x.grad().toArray()).containsOnly(0.0);
    }

    @Test
    void crossEntropyRejectsBadInput() {
        Variable x = logits(new double[][] {{1, 2, 3}, {1, 1, 1}});
        assertThatThrownBy(() -> Losses.crossEntropy(x, new int[] {0}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 targets")
                .hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> Losses.crossEntropy(x, new int[] {0, 3}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("target 3")
                .hasMessageContaining("3 classes");
        assertThatThrownBy(() -> Losses.crossEntropy(x, new int[] {-1, 0}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("target -1");
        assertThatThrownBy(() -> Losses.crossEntropy(Variable.parameter(Tensor.zeros(3)), new int[] {0}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3]");
        assertThatThrownBy(() -> Losses.crossEntropy(Variable.parameter(Tensor.zeros(2, 0)), new int[] {0, 0}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 0]");
        assertThatThrownBy(() -> Losses.crossEntropy(null, new int[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Losses.crossEntropy(x, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Losses.crossEntropy(x, new int[] {0, 0}, -100, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void crossEntropyCopiesItsTargets() {
        Variable x = logits(new double[][] {{1, 2}, {3, 4}});
        int[] targets = {0, 1};
        Variable loss = Losses.crossEntropy(x, targets);
        targets[0] = 1;
        loss.backward();
        assertThat(x.grad().get(0, 0)).isNegative();
    }

    @Test
    void meanSquaredErrorByHand() {
        Variable p = Variable.parameter(Tensor.of(new double[] {1, 2, 4}, 3));
        Tensor t = Tensor.of(new double[] {0, 2, 1}, 3);
        Variable loss = Losses.meanSquaredError(p, t);
        assertThat(loss.item()).isEqualTo((1 + 0 + 9) / 3.0);
        loss.backward();
        assertThat(p.grad().toArray()).containsExactly(2.0 / 3, 0, 2.0);
        assertThat(Losses.meanSquaredError(p, t, Reduction.SUM).item()).isEqualTo(10);
        assertThat(Losses.meanSquaredError(p, t, Reduction.NONE).value().toArray())
                .containsExactly(1, 0, 9);
        Variable q = Variable.parameter(t);
        p.zeroGrad();
        Losses.meanSquaredError(p, q).backward();
        assertThat(q.grad().toArray()).containsExactly(-2.0 / 3, -0.0, -2.0);
        GradCheck.check(
                "mse",
                List.of(GradCheck.normal(5, 3, 4), GradCheck.normal(6, 4, 3)),
                v -> Losses.meanSquaredError(v.get(0), v.get(1).transpose(0, 1)));
    }

    @Test
    void meanSquaredErrorRefusesToBroadcast() {
        Variable p = Variable.parameter(Tensor.zeros(3, 1));
        assertThatThrownBy(() -> Losses.meanSquaredError(p, Tensor.zeros(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 1]")
                .hasMessageContaining("[3]");
        assertThatThrownBy(() -> Losses.meanSquaredError(p, (Tensor) null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Arrays.asList(Reduction.values())).hasSize(3);
    }
}
