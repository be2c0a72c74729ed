package dev.heed.attention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.Tensor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link AttentionResult#toString()}: shapes always, values when small, and never a lazy computation. */
class AttentionResultTest {

    @Test
    void aSmallResultShowsEveryTensorWithItsValues() {
        AttentionResult r = new ScaledDotProductAttention()
                .apply(
                        Tensor.random(1).normal(2, 3),
                        Tensor.random(2).normal(4, 3),
                        Tensor.random(3).normal(4, 2),
                        Mask.causal());
        String s = r.toString();
        assertThat(s)
                .startsWith("AttentionResult\n  output [2, 2]:\n    "
                        + r.output().toString().replace("\n", "\n    "));
        assertThat(s)
                .contains("\n  weights [2, 4]:\n    " + r.weights().toString().replace("\n", "\n    "));
        assertThat(s).endsWith("\n  logSumExp [2]:\n    " + r.logSumExp());
        // Blank lines between the blocks of a 3-d tensor stay blank, with no trailing spaces.
        AttentionResult batched = new ScaledDotProductAttention()
                .apply(
                        Tensor.random(4).normal(2, 2, 3),
                        Tensor.random(5).normal(2, 3, 3),
                        Tensor.random(6).normal(2, 3, 2),
                        Mask.none());
        assertThat(batched.toString()).contains("]]\n\n     [[").doesNotContain(" \n");
    }

    @Test
    void lazyWeightsAreNeverComputedByPrinting() {
        AtomicInteger computed = new AtomicInteger();
        Tensor weights = Tensor.full(0.5, 1, 2);
        AttentionResult r = AttentionResult.withLazyWeights(
                Tensor.ones(1, 3),
                () -> {
                    computed.incrementAndGet();
                    return weights;
                },
                Tensor.zeros(1));
        assertThat(r.toString()).contains("output [1, 3]:", "\n  weights: lazy, not computed\n", "logSumExp [1]:");
        assertThat(computed).hasValue(0);
        r.weights();
        assertThat(r.toString()).contains("weights [1, 2]:\n    [[0.5 0.5]]");
        assertThat(computed).hasValue(1);
        // ChunkedAttention's lazy weights likewise.
        AttentionResult chunked =
                new ChunkedAttention(2, 2).apply(Tensor.ones(3, 4), Tensor.ones(5, 4), Tensor.ones(5, 2), Mask.none());
        assertThat(chunked.toString()).contains("weights: lazy, not computed");
    }

    @Test
    void aLargeResultShowsShapesOnOneLine() {
        AttentionResult r = new ScaledDotProductAttention()
                .apply(Tensor.zeros(2, 64, 8), Tensor.zeros(2, 80, 8), Tensor.zeros(2, 80, 16), Mask.none());
        assertThat(r.toString())
                .isEqualTo("AttentionResult{output [2, 64, 16], weights [2, 64, 80], logSumExp [2, 64]}");
        AttentionResult lazy = new ChunkedAttention()
                .apply(Tensor.zeros(2, 400, 8), Tensor.zeros(2, 80, 8), Tensor.zeros(2, 80, 16), Mask.none());
        assertThat(lazy.toString())
                .isEqualTo("AttentionResult{output [2, 400, 16], weights lazy, not computed, logSumExp [2, 400]}");
    }
}
