package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.TOL;
import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Mask#where}: any mask as a predicate (batch, head, query, key), kept as a block mask of
 * empty/full/partial tiles. Against the naive reference (which calls the predicate directly) in
 * every kernel and tiling, forward and backward, over sizes that straddle the 64-wide tiles; the
 * batch and head numbering; combinations; finite differences; equal to the built-in masks it
 * can express; and proof that empty tiles are skipped.
 */
class WhereMaskTest {
    /** Document ids of packed sequences: tokens [0, 5) doc 0, [5, 70) doc 1, [70, ...) doc 2. */
    private static int doc(int position) {
        return position < 5 ? 0 : position < 70 ? 1 : 2;
    }

    private static List<NaiveAttention.Spec> masks(int L, int S) {
        List<NaiveAttention.Spec> out = new ArrayList<>();
        int shift = S - L;
        out.add(NaiveAttention.Spec.where((b, h, i, j) -> doc(i + shift) == doc(j) && j <= i + shift));
        out.add(NaiveAttention.Spec.where((b, h, i, j) -> j < 3 || j <= i + shift)); // prefix-LM
        out.add(NaiveAttention.Spec.where((b, h, i, j) -> ((i * 31 + j * 17 + h * 7 + b * 3) % 5) != 0)); // scattered
        out.add(NaiveAttention.Spec.where(
                (b, h, i, j) -> (h + b) % 3 != 2 && (j - i) % 2 == 0)); // some heads see nothing
        out.add(NaiveAttention.Spec.where((b, h, i, j) -> true));
        out.add(NaiveAttention.Spec.where((b, h, i, j) -> j >= 64)
                .and(NaiveAttention.Spec.alibi(Mask.alibiSlopes(3)))
                .and(NaiveAttention.Spec.slidingWindow(40, 2)));
        return out;
    }

    @ParameterizedTest(name = "L={0} S={1}")
    @CsvSource({"1, 1", "3, 7", "7, 3", "13, 13", "64, 65", "65, 64", "130, 129"})
    void forwardEqualsTheNaiveReferenceInEveryKernel(int L, int S) {
        Tensor q = random(1, 2, 3, L, 4);
        Tensor k = random(2, 2, 3, S, 4);
        Tensor v = random(3, 2, 3, S, 3);
        for (NaiveAttention.Spec mask : masks(L, S)) {
            for (AttentionChecks.Kernel kernel : L > 64 ? AttentionChecks.fewKernels() : AttentionChecks.kernels()) {
                AttentionChecks.checkAgainstNaive(
                        "where L=" + L + " S=" + S + " " + kernel, kernel.attention(), q, k, v, mask, Double.NaN);
            }
        }
    }

    @ParameterizedTest(name = "L={0} S={1}")
    @CsvSource({"1, 1", "3, 7", "13, 13", "65, 70"})
    void backwardEqualsTheNaiveReference(int L, int S) {
        Tensor q = random(4, 2, 3, L, 4);
        Tensor k = random(5, 2, 3, S, 4);
        Tensor v = random(6, 2, 3, S, 3);
        Tensor dO = BackwardChecks.gradOutput(7, 2, 3, L, 3);
        for (NaiveAttention.Spec mask : masks(L, S)) {
            for (BackwardChecks.Kernel kernel : BackwardChecks.kernels(Double.NaN)) {
                BackwardChecks.checkAgainstNaive("where L=" + L + " S=" + S, kernel, q, k, v, mask, dO, TOL);
            }
        }
    }

    @Test
    void batchIsFlatOverTheAxesBeforeTheHeadAxis() {
        // Scores [2, 3, 4, 5, 6]: batch = 3·a + c over the first two axes, head on axis -3.
        Tensor q = random(8, 2, 3, 4, 5, 2);
        Tensor k = random(9, 1, 3, 1, 6, 2);
        Tensor v = random(10, 6, 2);
        Mask.Predicate byBatchAndHead = (b, h, i, j) -> j <= b % 6 && j >= h;
        AttentionChecks.checkAgainstNaive(
                "rank 5", new ChunkedAttention(2, 4), q, k, v, NaiveAttention.Spec.where(byBatchAndHead), Double.NaN);
        AttentionResult r = new ScaledDotProductAttention().apply(q, k, v, Mask.where(byBatchAndHead));
        // batch element (1, 2) is flat batch 5, head 3: keys 3, 4, 5
        for (int j = 0; j < 6; j++) {
            assertThat(r.weights().get(1, 2, 3, 0, j) > 0).as("key %d", j).isEqualTo(j >= 3);
        }
        // rank 3 [H, L, S]: batch 0; rank 2: batch 0 and head 0
        Mask.Predicate record = (b, h, i, j) -> b == 0 && (h == 0 || j == h);
        AttentionChecks.checkAgainstNaive(
                "rank 3",
                new ScaledDotProductAttention(),
                random(11, 4, 3, 2),
                random(12, 4, 5, 2),
                random(13, 4, 5, 2),
                NaiveAttention.Spec.where(record),
                Double.NaN);
        AttentionChecks.checkAgainstNaive(
                "rank 2",
                new ChunkedAttention(1, 2),
                random(14, 3, 2),
                random(15, 5, 2),
                random(16, 5, 2),
                NaiveAttention.Spec.where((b, h, i, j) -> b == 0 && h == 0 && j != i),
                Double.NaN);
    }

    @Test
    void equalsTheBuiltInMasksItCanExpress() {
        Tensor q = random(17, 2, 2, 70, 8);
        Tensor k = random(18, 2, 2, 75, 8);
        Tensor v = random(19, 2, 2, 75, 8);
        int shift = 75 - 70;
        for (Attention a : List.of(new ScaledDotProductAttention(), new ChunkedAttention(16, 16))) {
            AttentionChecks.assertClose(
                    a + " causal",
                    a.apply(q, k, v, Mask.causal()).output().toArray(),
                    new int[] {2, 2, 70, 8},
                    a.apply(q, k, v, Mask.where((b, h, i, j) -> j <= i + shift)).output(),
                    TOL);
            AttentionChecks.assertClose(
                    a + " window",
                    a.apply(q, k, v, Mask.slidingWindow(9, 0)).output().toArray(),
                    new int[] {2, 2, 70, 8},
                    a.apply(q, k, v, Mask.where((b, h, i, j) -> j <= i + shift && j >= i + shift - 9))
                            .output(),
                    TOL);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Tensor q = random(20, 1, 2, 6, 3);
        Tensor k = random(21, 1, 2, 7, 3);
        Tensor v = random(22, 1, 2, 7, 2);
        Tensor dO = BackwardChecks.gradOutput(23, 1, 2, 6, 2);
        Mask mask = Mask.where((b, h, i, j) -> (i + j + h) % 3 != 0);
        for (Attention a : List.of(new ScaledDotProductAttention(), new ChunkedAttention(2, 3))) {
            AttentionGradients g = a.backward(q, k, v, mask, a.apply(q, k, v, mask), dO);
            FiniteDifferences.ScalarFunction f = in ->
                    FiniteDifferences.dot(a.apply(in[0], in[1], in[2], mask).output(), dO);
            FiniteDifferences.assertGradient(a + " dQ", g.query(), f, 0, q, k, v);
            FiniteDifferences.assertGradient(a + " dK", g.key(), f, 1, q, k, v);
            FiniteDifferences.assertGradient(a + " dV", g.value(), f, 2, q, k, v);
        }
    }

    @Test
    void emptyTilesAreSkippedAndThePredicateIsAskedOncePerPair() {
        // 512 tokens in four documents of 128: block-diagonal causal. Causal multiplies the 36 tiles
        // (of 64×64) on or below the diagonal; the documents only 3 per document, 12: a third.
        int n = 512;
        Tensor q = random(24, 1, n, 8);
        Tensor k = random(25, 1, n, 8);
        Tensor v = random(26, 1, n, 8);
        Tensor dO = BackwardChecks.gradOutput(27, 1, n, 8);
        AtomicLong calls = new AtomicLong();
        Mask documents = Mask.where((b, h, i, j) -> {
            calls.incrementAndGet();
            return i / 128 == j / 128 && j <= i;
        });
        SlidingWindowTest.CountingSupport causal = new SlidingWindowTest.CountingSupport();
        SlidingWindowTest.CountingSupport docs = new SlidingWindowTest.CountingSupport();
        for (SlidingWindowTest.CountingSupport s : List.of(causal, docs)) {
            Mask m = s == causal ? Mask.causal() : documents;
            ChunkedAttention a = new ChunkedAttention(64, 64).withParallelism(1).withSupport(s);
            AttentionResult r = a.apply(q, k, v, m);
            a.backward(q, k, v, m, r, dO);
        }
        assertThat(docs.multiplyAdds).isLessThanOrEqualTo(causal.multiplyAdds / 3);
        assertThat(calls.get()).as("two binds: forward and backward").isEqualTo(2L * n * n);
    }

    @Test
    void nullAndThrowingPredicates() {
        assertThatThrownBy(() -> Mask.where(null)).isInstanceOf(IllegalArgumentException.class);
        Tensor q = random(28, 3, 2);
        Mask bad = Mask.where((b, h, i, j) -> {
            throw new IllegalStateException("predicate failed at " + i + "," + j);
        });
        assertThatThrownBy(() -> new ChunkedAttention().apply(q, q, q, bad)).hasMessageContaining("predicate failed");
    }
}
