package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.TOL;
import static dev.heed.attention.AttentionChecks.random;
import static dev.heed.attention.BackwardChecks.gradOutput;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.attention.BackwardChecks.NamedMask;
import dev.heed.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ChunkedAttention's backward (FlashAttention-2's, recomputing each tile) against the full
 * kernel's (from the materialised weights) over odd sizes and odd tiles; both bitwise the same for
 * any thread count; the chunked backward's memory linear in the sequence; and the lazy weights of
 * a chunked result immune to later writes into the inputs.
 */
class ChunkedBackwardTest {
    private static final int[] CHUNKS = {1, 3, 7, 64};

    @ParameterizedTest(name = "L={0} S={1}")
    @CsvSource({"1, 1", "1, 65", "3, 7", "7, 3", "13, 13", "64, 65", "65, 64", "65, 1"})
    void chunkedEqualsFullForEveryTiling(int L, int S) {
        Tensor q = random(1, 2, L, 5);
        Tensor k = random(2, 2, S, 5);
        Tensor v = random(3, 2, S, 3);
        Tensor dO = gradOutput(4, 2, L, 3);
        ScaledDotProductAttention full = new ScaledDotProductAttention();
        List<NamedMask> all = BackwardChecks.masks(L, S);
        for (NamedMask m : List.of(all.get(0), all.get(1), all.get(4), all.get(6))) {
            Mask mask = m.mask();
            AttentionGradients expected = full.backward(q, k, v, mask, full.apply(q, k, v, mask), dO);
            for (int qc : CHUNKS) {
                for (int kc : CHUNKS) {
                    ChunkedAttention chunked = new ChunkedAttention(qc, kc);
                    AttentionGradients actual = chunked.backward(q, k, v, mask, chunked.apply(q, k, v, mask), dO);
                    BackwardChecks.assertSame(
                            m.name() + " L=" + L + " S=" + S + " chunks " + qc + "x" + kc, expected, actual, TOL);
                }
            }
        }
    }

    @Test
    void bitwiseTheSameOnOneTwoOrThreeThreads() throws Exception {
        // Large enough (about 5e6 flops per pass) for the loops to split; run inside a pool of
        // four so that forked tasks really run on other threads, even on a one-core machine.
        Tensor q = random(10, 3, 130, 24);
        Tensor k = random(11, 1, 131, 24); // broadcast: its gradient is a sum over the batch
        Tensor v = random(12, 3, 131, 24);
        Tensor dO = gradOutput(13, 3, 130, 24);
        ForkJoinPool pool = new ForkJoinPool(4);
        try {
            for (Mask mask : List.of(Mask.none(), Mask.causal(), Mask.bias(random(14, 130, 131)))) {
                for (Attention base :
                        List.of(new ScaledDotProductAttention(), new ChunkedAttention(), new ChunkedAttention(7, 3))) {
                    AttentionGradients one = pool.submit(() -> backward(parallel(base, 1), q, k, v, mask, dO))
                            .get();
                    for (int threads : new int[] {2, 3}) {
                        AttentionGradients many = pool.submit(
                                        () -> backward(parallel(base, threads), q, k, v, mask, dO))
                                .get();
                        BackwardChecks.assertBitwise(base + " " + mask + " on " + threads + " threads", one, many);
                    }
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    private static Attention parallel(Attention a, int threads) {
        return a instanceof ChunkedAttention
                ? ((ChunkedAttention) a).withParallelism(threads)
                : ((ScaledDotProductAttention) a).withParallelism(threads);
    }

    private static AttentionGradients backward(Attention a, Tensor q, Tensor k, Tensor v, Mask mask, Tensor dO) {
        return a.backward(q, k, v, mask, a.apply(q, k, v, mask), dO);
    }

    @Test
    void forwardAndBackwardNeverHoldTheScores() {
        // 2,048 causal tokens: the scores would be 32 MiB. On one thread every allocation of the
        // forward and the backward happens on this thread, and it stays a small multiple of the
        // inputs (64 KiB each per 256 tokens).
        int tokens = 2048;
        int depth = 32;
        Tensor q = random(20, 1, tokens, depth);
        Tensor k = random(21, 1, tokens, depth);
        Tensor v = random(22, 1, tokens, depth);
        Tensor dO = gradOutput(23, 1, tokens, depth);
        ChunkedAttention chunked = new ChunkedAttention().withParallelism(1);
        backward(chunked, q, k, v, Mask.causal(), dO); // warm up: scratch and class loading
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(id);
        AttentionGradients g = backward(chunked, q, k, v, Mask.causal(), dO);
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        long inputBytes = 8L * tokens * depth;
        long scoreBytes = 8L * tokens * tokens;
        // Output, log-sum-exp, the lazy weights' copies of q and k, three gradients, D, key ends: ~7 inputs.
        assertThat(allocated)
                .as("bytes allocated by forward + backward")
                .isLessThan(10 * inputBytes)
                .isLessThan(scoreBytes / 4);
        ScaledDotProductAttention full = new ScaledDotProductAttention();
        BackwardChecks.assertSame("2048 causal tokens", backward(full, q, k, v, Mask.causal(), dO), g, TOL);
    }

    @Test
    void lazyWeightsDoNotChangeWhenTheInputsDo() {
        Object[][] layouts = {
            {"contiguous", random(30, 2, 9, 4), random(31, 2, 11, 4)},
            {
                "transposed",
                random(30, AttentionChecks.Layout.TRANSPOSED, 2, 9, 4),
                random(31, AttentionChecks.Layout.TRANSPOSED, 2, 11, 4)
            },
            {"broadcast key", random(30, 2, 9, 4), random(31, 1, 11, 4)},
            {
                "offset views",
                random(30, AttentionChecks.Layout.OFFSET, 2, 9, 4),
                random(31, AttentionChecks.Layout.OFFSET, 2, 11, 4)
            }
        };
        for (Object[] c : layouts) {
            Tensor q = (Tensor) c[1];
            Tensor k = (Tensor) c[2];
            Tensor v = random(32, 2, 11, 3);
            Tensor maskTensor = AttentionChecks.bits(33, 0.7, 9, 11);
            Mask mask = Mask.allow(maskTensor).and(Mask.causal());
            AttentionResult expected = new ScaledDotProductAttention().apply(q.copy(), k.copy(), v.copy(), mask);
            AttentionResult lazy = new ChunkedAttention(4, 3).apply(q, k, v, mask);
            // Overwrite every input, and the mask's tensor, before the weights are first asked for.
            java.util.Arrays.fill(q.data(), 100.0);
            java.util.Arrays.fill(k.data(), -3.0);
            java.util.Arrays.fill(v.data(), Double.NaN);
            java.util.Arrays.fill(maskTensor.data(), 0.0);
            AttentionChecks.assertBitwise(
                    c[0] + ": weights after the inputs changed", expected.weights(), lazy.weights());
        }
    }
}
