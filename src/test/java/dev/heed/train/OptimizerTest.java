package dev.heed.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.autograd.Variable;
import dev.heed.layers.TrainableLinear;
import dev.heed.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SGD and AdamW against their update rules worked by hand. The tiny problem throughout: one
 * parameter p, loss p², so the gradient is 2p at the current p.
 */
class OptimizerTest {

    private static Variable scalarParameter(double value) {
        return Variable.parameter(Tensor.of(new double[] {value}, 1));
    }

    /** Three steps of {@code opt} on loss p², returning p after each. */
    private static double[] threeSteps(Variable p, Optimizer opt) {
        double[] after = new double[3];
        for (int s = 0; s < 3; s++) {
            opt.zeroGrad();
            p.mul(p).sum().backward();
            opt.step();
            after[s] = p.value().get(0);
        }
        return after;
    }

    @Test
    void sgdWithMomentumByHand() {
        // lr 0.1, momentum 0.9, p0 = 1:
        //   g=2      b=2                    p = 1    - 0.1·2    = 0.8
        //   g=1.6    b=0.9·2    + 1.6 = 3.4  p = 0.8  - 0.1·3.4  = 0.46
        //   g=0.92   b=0.9·3.4  + 0.92 = 3.98 p = 0.46 - 0.1·3.98 = 0.062
        Variable p = scalarParameter(1);
        double[] after = threeSteps(
                p, Sgd.builder(List.of(p)).learningRate(0.1).momentum(0.9).build());
        assertThat(after[0]).isCloseTo(0.8, within(1e-15));
        assertThat(after[1]).isCloseTo(0.46, within(1e-15));
        assertThat(after[2]).isCloseTo(0.062, within(1e-15));
    }

    @Test
    void sgdWithNesterovByHand() {
        // lr 0.1, momentum 0.9, Nesterov (d = g + 0.9·b), p0 = 1:
        //   g=2       b=2                         d=2+1.8=3.8            p=1-0.38=0.62
        //   g=1.24    b=1.8+1.24=3.04             d=1.24+2.736=3.976     p=0.62-0.3976=0.2224
        //   g=0.4448  b=2.736+0.4448=3.1808       d=0.4448+2.86272=3.30752 p=0.2224-0.330752=-0.108352
        Variable p = scalarParameter(1);
        double[] after = threeSteps(
                p,
                Sgd.builder(List.of(p))
                        .learningRate(0.1)
                        .momentum(0.9)
                        .nesterov(true)
                        .build());
        assertThat(after[0]).isCloseTo(0.62, within(1e-15));
        assertThat(after[1]).isCloseTo(0.2224, within(1e-15));
        assertThat(after[2]).isCloseTo(-0.108352, within(1e-15));
    }

    @Test
    void sgdWithWeightDecayAndDampeningByHand() {
        // lr 0.1, momentum 0.9, dampening 0.5, weight decay 0.1 (g ← 2p + 0.1p), p0 = 1:
        //   g=2.1       b=2.1 (no dampening on the first step)      p=1-0.21=0.79
        //   g=1.659     b=0.9·2.1+0.5·1.659=2.7195                  p=0.79-0.27195=0.51805
        //   g=1.087905  b=0.9·2.7195+0.5·1.087905=2.9915025         p=0.51805-0.29915025=0.21889975
        Variable p = scalarParameter(1);
        double[] after = threeSteps(
                p,
                Sgd.builder(List.of(p))
                        .learningRate(0.1)
                        .momentum(0.9)
                        .dampening(0.5)
                        .weightDecay(0.1)
                        .build());
        assertThat(after[0]).isCloseTo(0.79, within(1e-15));
        assertThat(after[1]).isCloseTo(0.51805, within(1e-15));
        assertThat(after[2]).isCloseTo(0.21889975, within(1e-15));
    }

    @Test
    void plainSgdUsesPyTorchsDefaultLearningRate() {
        Variable p = scalarParameter(1);
        Sgd sgd = Sgd.builder(List.of(p)).build();
        p.sum().backward(); // gradient 1
        sgd.step();
        assertThat(p.value().get(0)).isEqualTo(1 - 1e-3);
        assertThat(sgd.learningRate()).isEqualTo(1e-3);
        sgd.setLearningRate(0.5);
        sgd.step(); // the same gradient again (not zeroed)
        assertThat(p.value().get(0)).isEqualTo(1 - 1e-3 - 0.5);
        assertThat(sgd.toString()).contains("lr=0.5");
    }

    @Test
    void adamWFirstStepByHand() {
        // lr 0.1, defaults otherwise (β 0.9/0.999, ε 1e-8, weight decay 0.01), p0 = 1, g = 2:
        //   p ← 1·(1 − 0.1·0.01) = 0.999
        //   m = 0.1·2 = 0.2, v = 0.001·4 = 0.004, m̂ = 0.2/0.1 = 2, v̂ = 0.004/0.001 = 4
        //   p ← 0.999 − 0.1·2/(√4 + 1e-8) = 0.999 − 0.2/2.00000001 = 0.8990000004999999975
        Variable p = scalarParameter(1);
        AdamW adam = AdamW.builder(List.of(p)).learningRate(0.1).build();
        p.mul(p).sum().backward();
        adam.step();
        assertThat(p.value().get(0)).isCloseTo(0.8990000005, within(2e-16));
    }

    /** The textbook form of AdamW (bias-corrected moments), written independently of the implementation. */
    private static double[] textbookAdamW(
            double p, double lr, double b1, double b2, double eps, double wd, boolean amsgrad) {
        double m = 0;
        double v = 0;
        double vMax = 0;
        double[] after = new double[3];
        for (int t = 1; t <= 3; t++) {
            double g = 2 * p;
            p = p - lr * wd * p;
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            vMax = Math.max(vMax, v);
            double mHat = m / (1 - Math.pow(b1, t));
            double vHat = (amsgrad ? vMax : v) / (1 - Math.pow(b2, t));
            // PyTorch adds ε to √v / √(1 − β₂ᵗ), i.e. to √v̂
            p = p - lr * mHat / (Math.sqrt(vHat) + eps);
            after[t - 1] = p;
        }
        return after;
    }

    @Test
    void adamWThreeStepsFollowTheUpdateRule() {
        double[][] settings = {
            {0.1, 0.9, 0.999, 1e-8, 0.01},
            {0.05, 0.5, 0.9, 1e-3, 0.2},
            {1e-3, 0.9, 0.999, 1e-8, 0}
        };
        for (double[] s : settings) {
            for (boolean ams : new boolean[] {false, true}) {
                Variable p = scalarParameter(1);
                AdamW adam = AdamW.builder(List.of(p))
                        .learningRate(s[0])
                        .betas(s[1], s[2])
                        .eps(s[3])
                        .weightDecay(s[4])
                        .amsgrad(ams)
                        .build();
                double[] after = threeSteps(p, adam);
                double[] expected = textbookAdamW(1, s[0], s[1], s[2], s[3], s[4], ams);
                for (int t = 0; t < 3; t++) {
                    assertThat(after[t])
                            .as("%s amsgrad=%s step %d", java.util.Arrays.toString(s), ams, t + 1)
                            .isCloseTo(expected[t], within(1e-15));
                }
            }
        }
    }

    @Test
    void amsgradDiffersWhenTheSecondMomentFalls() {
        // A gradient that shrinks makes v fall; AMSGrad keeps its maximum and steps less.
        Variable a = scalarParameter(1);
        Variable b = scalarParameter(1);
        AdamW plain =
                AdamW.builder(List.of(a)).learningRate(0.1).betas(0.5, 0.5).build();
        AdamW ams = AdamW.builder(List.of(b))
                .learningRate(0.1)
                .betas(0.5, 0.5)
                .amsgrad(true)
                .build();
        threeSteps(a, plain);
        threeSteps(b, ams);
        assertThat(b.value().get(0)).isGreaterThan(a.value().get(0));
    }

    @Test
    void adamWNormalisesEachCoordinate() {
        // The first step moves every coordinate by about lr, whatever the gradient's scale.
        Variable p = Variable.parameter(Tensor.of(new double[] {1, 1, 1}, 3));
        AdamW adam = AdamW.builder(List.of(p)).learningRate(0.01).weightDecay(0).build();
        p.mul(Variable.constant(Tensor.of(new double[] {1e-4, 1, -1e4}, 3)))
                .sum()
                .backward();
        adam.step();
        assertThat(p.value().get(0)).isCloseTo(0.99, within(1e-6));
        assertThat(p.value().get(1)).isCloseTo(0.99, within(1e-9));
        assertThat(p.value().get(2)).isCloseTo(1.01, within(1e-9));
    }

    @Test
    void parametersWithoutGradientsAreSkippedAndKeepTheirState() {
        Variable p = scalarParameter(1);
        Variable q = scalarParameter(1);
        AdamW adam = AdamW.builder(List.of(p, q)).learningRate(0.1).build();
        p.mul(p).sum().backward();
        adam.step();
        assertThat(q.value().get(0)).isEqualTo(1);
        // q's first real step is a first step (bias correction at t = 1), not a third
        Variable fresh = scalarParameter(1);
        AdamW reference = AdamW.builder(List.of(fresh)).learningRate(0.1).build();
        fresh.mul(fresh).sum().backward();
        reference.step();
        adam.zeroGrad();
        p.mul(p).sum().backward();
        adam.step();
        adam.zeroGrad();
        q.mul(q).sum().backward();
        adam.step();
        assertThat(q.value().get(0)).isEqualTo(fresh.value().get(0));
    }

    @Test
    void repeatedParametersAreUpdatedOnce() {
        Variable p = scalarParameter(1);
        Sgd sgd = Sgd.builder(List.of(p, p)).learningRate(0.1).build();
        assertThat(sgd.parameters()).containsExactly(p);
        p.sum().backward();
        sgd.step();
        assertThat(p.value().get(0)).isEqualTo(0.9);
    }

    @Test
    void optimisersTakeModules() {
        TrainableLinear layer = TrainableLinear.seeded(3, 2, true, 1);
        AdamW adam = AdamW.builder(layer).build();
        assertThat(adam.parameters()).containsExactly(layer.weight(), layer.bias());
        assertThat(adam.learningRate()).isEqualTo(1e-3);
        assertThat(adam.toString())
                .contains("betas=(0.9, 0.999)")
                .contains("eps=1.0E-8")
                .contains("weightDecay=0.01");
        Sgd sgd = Sgd.builder(layer).build();
        assertThat(sgd.parameters()).hasSize(2);
        assertThatThrownBy(() -> adam.parameters().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aStepInvalidatesTheGraphItFollows() {
        Variable p = scalarParameter(1);
        Sgd sgd = Sgd.builder(List.of(p)).learningRate(0.1).build();
        Variable loss = p.mul(p).sum();
        loss.backward();
        sgd.step();
        assertThatThrownBy(loss::backward).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void badSettingsAreRefused() {
        Variable p = scalarParameter(1);
        List<Variable> ps = List.of(p);
        assertThatThrownBy(() -> Sgd.builder(ps).learningRate(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> Sgd.builder(ps).learningRate(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Sgd.builder(ps).momentum(-0.1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Sgd.builder(ps).nesterov(true).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("momentum");
        assertThatThrownBy(() -> Sgd.builder(ps)
                        .momentum(0.9)
                        .dampening(0.1)
                        .nesterov(true)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dampening");
        assertThatThrownBy(() -> AdamW.builder(ps).betas(1, 0.9))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(1.0, 0.9)");
        assertThatThrownBy(() -> AdamW.builder(ps).betas(0.9, -0.1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdamW.builder(ps).eps(-1e-8)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdamW.builder(ps).weightDecay(Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdamW.builder(ps).build().setLearningRate(-0.1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AdamW.builder((Iterable<Variable>) null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Sgd.builder(java.util.Arrays.asList(p, null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("parameter 1");
    }
}
