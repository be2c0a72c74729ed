package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.assertBitwise;
import static dev.heed.attention.AttentionChecks.assertWellFormed;
import static dev.heed.attention.AttentionChecks.checkAgainstNaive;
import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.heed.attention.NaiveAttention.Spec;
import dev.heed.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * SimpleAttention: the tutorial's first example by hand, a single query {@code [d]}, many queries
 * {@code [L, d]}, and the unscaled scores.
 */
class SimpleAttentionTest {
    private static final Tensor QUERY = Tensor.of(new double[] {0.1, 0.2, 0.3}, 3);
    private static final Tensor KEYS = Tensor.of(new double[][] {{0.4, 0.5, 0.6}, {0.7, 0.8, 0.9}});
    private static final Tensor VALUES = Tensor.of(new double[][] {{1.0, 1.1}, {1.2, 1.3}});

    @Test
    void tutorialExampleByHand() {
        AttentionResult r = new SimpleAttention().apply(QUERY, KEYS, VALUES);

        // scores q·k, unscaled: 0.04 + 0.10 + 0.18 = 0.32 and 0.07 + 0.16 + 0.27 = 0.50
        double s0 = 0.1 * 0.4 + 0.2 * 0.5 + 0.3 * 0.6;
        double s1 = 0.1 * 0.7 + 0.2 * 0.8 + 0.3 * 0.9;
        double w0 = 1 / (1 + Math.exp(s1 - s0));
        double w1 = 1 / (1 + Math.exp(s0 - s1));
        assertThat(r.weights().shape()).containsExactly(2);
        assertThat(r.weights().get(0)).isCloseTo(w0, within(1e-15)).isCloseTo(0.45512110762641994, within(1e-15));
        assertThat(r.weights().get(1)).isCloseTo(w1, within(1e-15)).isCloseTo(0.5448788923735801, within(1e-15));

        assertThat(r.output().shape()).containsExactly(2);
        assertThat(r.output().get(0))
                .isCloseTo(w0 * 1.0 + w1 * 1.2, within(1e-15))
                .isCloseTo(1.108975778474716, within(1e-15));
        assertThat(r.output().get(1))
                .isCloseTo(w0 * 1.1 + w1 * 1.3, within(1e-15))
                .isCloseTo(1.2089757784747162, within(1e-15));

        assertThat(r.logSumExp().rank()).isZero();
        assertThat(r.logSumExp().item())
                .isCloseTo(Math.log(Math.exp(s0) + Math.exp(s1)), within(1e-15))
                .isCloseTo(1.1071917248407819, within(1e-15));
    }

    @Test
    void singleQueryEqualsTheFirstRowOfManyQueries() {
        Tensor many = Tensor.of(new double[] {0.1, 0.2, 0.3, -1, 0, 2}, 2, 3);
        AttentionResult one = new SimpleAttention().apply(QUERY, KEYS, VALUES);
        AttentionResult both = new SimpleAttention().apply(many, KEYS, VALUES);
        assertThat(both.output().shape()).containsExactly(2, 2);
        assertThat(both.weights().shape()).containsExactly(2, 2);
        assertThat(both.logSumExp().shape()).containsExactly(2);
        assertBitwise("output", both.output().select(0, 0), one.output());
        assertBitwise("weights", both.weights().select(0, 0), one.weights());
        assertThat(both.logSumExp().get(0)).isEqualTo(one.logSumExp().item());
    }

    @Test
    void isUnscaledAttention() {
        Tensor q = random(1, 2, 5, 9);
        Tensor k = random(2, 2, 6, 9);
        Tensor v = random(3, 2, 6, 4);
        for (Spec mask : new Spec[] {Spec.none(), Spec.causal(), Spec.keyPadding(6, 2), Spec.bias(random(4, 5, 6))}) {
            AttentionResult r = checkAgainstNaive("simple", new SimpleAttention(), q, k, v, mask, 1.0);
            assertWellFormed("simple", r);
            assertBitwise(
                    "simple = sdpa.withScale(1)",
                    new ScaledDotProductAttention()
                            .withScale(1)
                            .apply(q, k, v, mask.toMask())
                            .output(),
                    r.output());
        }
    }

    @Test
    void singleQueryWithBatchedKeys() {
        Tensor q = random(1, 4);
        Tensor k = random(2, 3, 5, 4);
        Tensor v = random(3, 3, 5, 2);
        AttentionResult r = new SimpleAttention().apply(q, k, v, Mask.keyPadding(5, 1, 3));
        assertThat(r.output().shape()).containsExactly(3, 2);
        assertThat(r.weights().shape()).containsExactly(3, 5);
        assertThat(r.logSumExp().shape()).containsExactly(3);
        NaiveAttention.Result e = NaiveAttention.attend(q.unsqueeze(0), k, v, Spec.keyPadding(5, 1, 3), 1.0);
        AttentionChecks.assertClose("output", e.output(), new int[] {3, 2}, r.output());
        AttentionChecks.assertClose("weights", e.weights(), new int[] {3, 5}, r.weights());
        AttentionChecks.assertClose("lse", e.logSumExp(), new int[] {3}, r.logSumExp());
    }

    @Test
    void singleQueryWithMasks() {
        Tensor allow = Tensor.of(new double[] {0, 1}, 2);
        AttentionResult r = new SimpleAttention().apply(QUERY, KEYS, VALUES, Mask.allow(allow));
        assertThat(r.weights().toArray()).containsExactly(0.0, 1.0);
        assertThat(r.output().toArray()).containsExactly(1.2, 1.3);
        assertThat(r.logSumExp().item()).isCloseTo(0.5, within(1e-15));

        Tensor bias = Tensor.of(new double[] {0.18, 0}, 2); // makes the two scores equal
        AttentionResult tie = new SimpleAttention().apply(QUERY, KEYS, VALUES, Mask.bias(bias));
        assertThat(tie.weights().get(0)).isCloseTo(0.5, within(1e-15));
        assertThat(tie.weights().get(1)).isCloseTo(0.5, within(1e-15));

        // a single query behaves as scores [1, S]: causal lets it see every key
        AttentionResult causal = new SimpleAttention().apply(QUERY, KEYS, VALUES, Mask.causal());
        assertBitwise(
                "causal single query",
                new SimpleAttention().apply(QUERY, KEYS, VALUES).output(),
                causal.output());

        AttentionResult nothing = new SimpleAttention().apply(QUERY, KEYS, VALUES, Mask.keyPadding(0));
        assertThat(nothing.output().toArray()).containsExactly(0.0, 0.0);
        assertThat(nothing.weights().toArray()).containsExactly(0.0, 0.0);
        assertThat(nothing.logSumExp().item()).isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @Test
    void largeVectorsSaturateButStayFinite() {
        // unscaled scores grow with d: 1e3·1e3 = 1e6 — the softmax saturates exactly, no NaN
        Tensor q = Tensor.full(100, 100);
        Tensor k = Tensor.of(new double[][] {
            Tensor.full(100, 100).toArray(), Tensor.full(-100, 100).toArray()
        });
        AttentionResult r = new SimpleAttention().apply(q, k, VALUES);
        assertThat(r.weights().toArray()).containsExactly(1.0, 0.0);
        assertThat(r.output().toArray()).containsExactly(1.0, 1.1);
        assertThat(r.logSumExp().item()).isEqualTo(1e6);
    }

    @Test
    void inputsAreNotModified() {
        double[] q = QUERY.toArray();
        double[] k = KEYS.toArray();
        double[] v = VALUES.toArray();
        AttentionResult r = new SimpleAttention().apply(QUERY, KEYS, VALUES);
        r.output().set(9, 0);
        r.weights().set(9, 0);
        assertThat(QUERY.toArray()).containsExactly(q);
        assertThat(KEYS.toArray()).containsExactly(k);
        assertThat(VALUES.toArray()).containsExactly(v);
        assertThat(new SimpleAttention().toString()).contains("SimpleAttention");
    }
}
