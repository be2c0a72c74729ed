package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.TOL;
import static dev.heed.attention.AttentionChecks.random;
import static dev.heed.attention.BackwardChecks.gradOutput;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.attention.BackwardChecks.NamedMask;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import dev.heed.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ChunkedAttention's backward (FlashAttention-2's, recomputing each tile) against the full
 * kernel's (from the materialised weights) over odd sizes and odd tiles; both bitwise the same for
 * any thread count, also when the chunked kernel's dQ shares arrive out of order and are held or
 * wait; FlashAttention-2's flop count; the chunked backward's memory linear in the sequence; and
 * the lazy weights of a chunked result immune to later writes into the inputs.
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
    void packedScoreProductsGiveTheBitsOfOperandsReadInPlace() {
        // With a packed product (and key tiles of whole slivers) S and dP run on Q and dO in
        // panels and Kᵀ, Vᵀ in slivers; a support without one reads them in place. Same bits:
        // odd sizes, partial panels, every mask kind, dropout and a soft cap, one and two threads.
        KernelSupport support = VectorizationProvider.support();
        for (int[] s : new int[][] {{100, 131, 13, 5}, {64, 64, 64, 64}, {131, 96, 7, 3}, {97, 80, 16, 8}}) {
            Tensor q = random(s[0] + 1L, 2, s[0], s[2]);
            Tensor k = random(s[1] + 2L, 2, s[1], s[2]);
            Tensor v = random(s[1] + 3L, 2, s[1], s[3]);
            Tensor dO = gradOutput(s[0] + 4L, 2, s[0], s[3]);
            for (NamedMask m : BackwardChecks.masks(s[0], s[1])) {
                for (int[] t : new int[][] {{64, 64}, {48, 32}, {65, 24}, {16, 8}}) {
                    for (int threads : new int[] {1, 2}) {
                        ChunkedAttention c = new ChunkedAttention(t[0], t[1]).withParallelism(threads);
                        List<ChunkedAttention> variants = m.name().equals("causal")
                                ? List.of(c, c.withDropout(0.25, 9), c.withSoftCap(3.0))
                                : List.of(c);
                        for (ChunkedAttention a : variants) {
                            String ctx = java.util.Arrays.toString(s) + " " + m.name() + " " + a + " tiles " + t[0]
                                    + "," + t[1] + " on " + threads;
                            ChunkedAttention inPlace = a.withSupport(new SlidingWindowTest.CountingSupport(support));
                            AttentionResult r = a.apply(q, k, v, m.mask());
                            BackwardChecks.assertBitwise(
                                    ctx,
                                    inPlace.backward(q, k, v, m.mask(), r, dO),
                                    a.backward(q, k, v, m.mask(), r, dO));
                        }
                    }
                }
            }
        }
    }

    @Test
    void panelsPackedForOneCallAreNotReusedForAnother() {
        // Same shapes and thread, other queries or upstream gradient: each call packs its own.
        ChunkedAttention c = new ChunkedAttention(64, 32).withParallelism(1);
        ScaledDotProductAttention full = new ScaledDotProductAttention();
        Tensor k = random(80, 2, 96, 8);
        Tensor v = random(81, 2, 96, 4);
        Tensor[] qs = {random(82, 2, 80, 8), random(83, 2, 80, 8), random(84, 1, 80, 8)};
        Tensor[] dOs = {gradOutput(85, 2, 80, 4), gradOutput(86, 2, 80, 4)};
        for (int round = 0; round < 2; round++) {
            for (Tensor q : qs) {
                for (Tensor dO : dOs) {
                    AttentionGradients expected = full.backward(q, k, v, Mask.none(), full.apply(q, k, v), dO);
                    BackwardChecks.assertSame(
                            "round " + round, expected, c.backward(q, k, v, Mask.none(), c.apply(q, k, v), dO), TOL);
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

    @Test
    void dQIsSummedInOneOrderWhateverIsHeldOrAwaitedAndHoweverManyThreads() throws Exception {
        // 29 key tiles of 7 keys per batch element and query tiles of 5 rows: far more tasks than
        // threads, several racing over the same query tiles. Early dQ shares held: none (every one
        // waits its turn), one, the default, unbounded; on 1, 2 and 3 threads of a pool of four.
        // Every mask kind. All bitwise the same, and equal to the full kernel's to 1e-12.
        int L = 150;
        int S = 201;
        Tensor q = random(40, 2, L, 9);
        Tensor k = random(41, 2, S, 9);
        Tensor v = random(42, 2, S, 6);
        Tensor dO = gradOutput(43, 2, L, 6);
        ForkJoinPool pool = new ForkJoinPool(4);
        try {
            for (NamedMask m : BackwardChecks.masks(L, S)) {
                Mask mask = m.mask();
                ChunkedAttention chunked = new ChunkedAttention(5, 7);
                AttentionResult forward = chunked.apply(q, k, v, mask);
                AttentionGradients one = chunked.withParallelism(1).backward(q, k, v, mask, forward, dO);
                ScaledDotProductAttention full = new ScaledDotProductAttention();
                BackwardChecks.assertSame(
                        m.name() + " vs full", full.backward(q, k, v, mask, full.apply(q, k, v, mask), dO), one, TOL);
                for (int threads : new int[] {1, 2, 3}) {
                    for (int held : new int[] {0, 1, -1, Integer.MAX_VALUE}) {
                        AttentionDriver driver = AttentionDriver.of(VectorizationProvider.support(), threads);
                        AttentionGradients g = pool.submit(() -> AttentionBackward.chunked(
                                        driver,
                                        AttentionInputs.of(q, k, v, mask, Double.NaN),
                                        5,
                                        7,
                                        q,
                                        k,
                                        v,
                                        forward,
                                        dO,
                                        held))
                                .get();
                        BackwardChecks.assertBitwise(m.name() + " on " + threads + " threads holding " + held, one, g);
                    }
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void dQSharesSkippedAnywhereStillSumInOrder() throws Exception {
        // A sliding window skips a prefix of each query tile's key tiles, a document mask from
        // Mask.where leaves holes, ALiBi and a soft cap ride along: the dQ sum must expect exactly
        // the key tiles that visit each query tile (waiting for one that never comes would hang),
        // and stay bitwise the same on any thread count, whatever is held, and equal the full kernel.
        int L = 150;
        int S = 201;
        Tensor q = random(70, 2, L, 9);
        Tensor k = random(71, 2, S, 9);
        Tensor v = random(72, 2, S, 6);
        Tensor dO = gradOutput(73, 2, L, 6);
        Mask documents = Mask.where((b, h, i, j) -> (i + S - L) / 37 == j / 37);
        List<Mask> masks = List.of(
                Mask.slidingWindow(16, 0),
                Mask.slidingWindow(9, 30).and(Mask.alibi(0.5, 0.25)),
                documents,
                documents.and(Mask.causal()).and(Mask.keyPadding(190, 120)),
                Mask.where((b, h, i, j) -> j % 50 < 9));
        ForkJoinPool pool = new ForkJoinPool(4);
        try {
            for (Mask mask : masks) {
                for (double cap : new double[] {0, 2.5}) {
                    String name = mask + (cap == 0 ? "" : " capped at " + cap);
                    ChunkedAttention chunked = new ChunkedAttention(5, 7);
                    ScaledDotProductAttention full = new ScaledDotProductAttention();
                    if (cap != 0) {
                        chunked = chunked.withSoftCap(cap);
                        full = full.withSoftCap(cap);
                    }
                    AttentionResult forward = chunked.apply(q, k, v, mask);
                    AttentionGradients one = chunked.withParallelism(1).backward(q, k, v, mask, forward, dO);
                    BackwardChecks.assertSame(
                            name + " vs full", full.backward(q, k, v, mask, full.apply(q, k, v, mask), dO), one, TOL);
                    for (int threads : new int[] {2, 3}) {
                        for (int held : new int[] {0, -1}) {
                            AttentionDriver driver = AttentionDriver.of(VectorizationProvider.support(), threads);
                            AttentionGradients g = pool.submit(() -> AttentionBackward.chunked(
                                            driver,
                                            AttentionInputs.of(q, k, v, mask, Double.NaN, cap),
                                            5,
                                            7,
                                            q,
                                            k,
                                            v,
                                            forward,
                                            dO,
                                            held))
                                    .get(60, java.util.concurrent.TimeUnit.SECONDS);
                            BackwardChecks.assertBitwise(name + " on " + threads + " threads holding " + held, one, g);
                        }
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTaskThatFailsWakesTheTasksWaitingForItsShares() throws Exception {
        // Every early share waits (0 held), and one task throws midway: the call must end, with
        // that failure as the cause, instead of leaving the others waiting for its shares.
        KernelSupport base = VectorizationProvider.support();
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        KernelSupport failing = (KernelSupport) Proxy.newProxyInstance(
                KernelSupport.class.getClassLoader(), new Class<?>[] {KernelSupport.class}, (proxy, method, args) -> {
                    if (method.getName().equals("attentionTiles")) {
                        return proxy;
                    }
                    if (method.getName().equals("gemm") && calls.incrementAndGet() == 300) {
                        throw new ArithmeticException("injected failure");
                    }
                    try {
                        return method.invoke(base, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Tensor q = random(60, 2, 150, 9);
        Tensor k = random(61, 2, 201, 9);
        Tensor v = random(62, 2, 201, 6);
        Tensor dO = gradOutput(63, 2, 150, 6);
        AttentionResult forward = new ChunkedAttention(5, 7).apply(q, k, v, Mask.none());
        ForkJoinPool pool = new ForkJoinPool(4);
        try {
            java.util.concurrent.Future<AttentionGradients> call = pool.submit(() -> AttentionBackward.chunked(
                    AttentionDriver.of(failing, 3),
                    AttentionInputs.of(q, k, v, Mask.none(), Double.NaN),
                    5,
                    7,
                    q,
                    k,
                    v,
                    forward,
                    dO,
                    0));
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                    () -> call.get(60, java.util.concurrent.TimeUnit.SECONDS));
            assertThat(thrown).isInstanceOf(java.util.concurrent.ExecutionException.class);
            Throwable root = thrown;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            assertThat(root).isInstanceOf(ArithmeticException.class).hasMessage("injected failure");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fiveMatrixProductsPerTilePairAndOneExponentialPerPair() {
        // FlashAttention-2's count, 10·L·S·d flops with dv = d, where computing dQ in a second pass
        // would take 14; under a causal mask only the tiles on and below the diagonal.
        int d = 8;
        long[] flops = new long[1];
        long[] exponentials = new long[1];
        KernelSupport base = VectorizationProvider.support();
        KernelSupport counting = (KernelSupport) Proxy.newProxyInstance(
                KernelSupport.class.getClassLoader(), new Class<?>[] {KernelSupport.class}, (proxy, method, args) -> {
                    if (method.getName().equals("attentionTiles")) {
                        return proxy; // every product through the counting support
                    }
                    if (method.getName().equals("gemm")) {
                        flops[0] += 2L * (int) args[0] * (int) args[1] * (int) args[2];
                    } else if (method.getName().equals("expSubtractMultiply")) {
                        exponentials[0] += (int) args[2];
                    }
                    try {
                        return method.invoke(base, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Object[][] cases = {
            // L, S, query chunk, key chunk, mask, tile pairs' (query, key) pairs visited
            {65, 130, 16, 32, Mask.none(), 65L * 130},
            {128, 128, 16, 16, Mask.causal(), 36L * 16 * 16}, // 8·9/2 tiles on and below the diagonal
            {64, 100, 16, 25, Mask.keyPadding(50), 64L * 50}
        }; // keys 50..99: two key tiles skipped
        for (Object[] c : cases) {
            int L = (int) c[0];
            int S = (int) c[1];
            Mask mask = (Mask) c[4];
            Tensor q = random(50, 1, L, d);
            Tensor k = random(51, 1, S, d);
            Tensor v = random(52, 1, S, d);
            Tensor dO = gradOutput(53, 1, L, d);
            ChunkedAttention chunked = new ChunkedAttention((int) c[2], (int) c[3]);
            AttentionResult forward = chunked.apply(q, k, v, mask);
            flops[0] = 0;
            exponentials[0] = 0;
            AttentionGradients g =
                    chunked.withSupport(counting).withParallelism(1).backward(q, k, v, mask, forward, dO);
            long pairs = (long) c[5];
            assertThat(flops[0]).as("flops, L=%d S=%d %s", L, S, mask).isEqualTo(10L * d * pairs);
            assertThat(exponentials[0])
                    .as("exponentials, L=%d S=%d %s", L, S, mask)
                    .isEqualTo(pairs);
            ScaledDotProductAttention full = new ScaledDotProductAttention();
            BackwardChecks.assertSame(
                    "L=" + L + " " + mask, full.backward(q, k, v, mask, full.apply(q, k, v, mask), dO), g, TOL);
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
        long inputBytes = 8L * tokens * depth;
        long scoreBytes = 8L * tokens * tokens;
        // Warm up: scratch, class loading, and C2 — until it compiles the vector tiles, the Vector
        // API boxes every intermediate vector on the heap (hundreds of MB in the first calls). On a
        // busy machine C2's queue can take more than six calls (a CI run measured 1.3 GB in the
        // seventh), so the steady state is the first call after six that stays under the bound,
        // within forty: an allocation the kernels really make would be there in every call.
        for (int i = 0; i < 6; i++) {
            backward(chunked, q, k, v, Mask.causal(), dO);
        }
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long allocated = Long.MAX_VALUE;
        AttentionGradients g = null;
        for (int call = 0; call < 40 && allocated >= 10 * inputBytes; call++) {
            long before = threads.getThreadAllocatedBytes(id);
            g = backward(chunked, q, k, v, Mask.causal(), dO);
            allocated = threads.getThreadAllocatedBytes(id) - before;
        }
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

    /**
     * The lazy weights' private copies of query and key cover every row: on several threads, with
     * uneven tiles and a key block shared by broadcast (copied once, read by three batch elements),
     * with queries whose blocks follow one another from an offset (copied as one range) or lie
     * apart (copied block by block), and with no query at all.
     */
    @Test
    void lazyWeightsOfAParallelForwardSurviveWritesIntoItsInputs() {
        Tensor[] queries = {
            random(40, 3, 200, 16),
            random(45, 5, 200, 16).slice(0, 1, 4),
            random(46, 3, 260, 16).slice(1, 30, 230)
        };
        for (int threads = 1; threads <= 3; threads++) {
            // 3 × 200 queries in tiles of 64 (the last of 8), 190 keys shared by the 3 elements:
            // 4·16·200·190·3 = 7.3 MFLOP, above Parallel's threshold, so the tasks fork.
            Tensor q = queries[threads - 1];
            Tensor k = random(41, 1, 190, 16);
            Tensor v = random(42, 3, 190, 5);
            AttentionResult expected =
                    new ScaledDotProductAttention().apply(q.copy(), k.copy(), v.copy(), Mask.causal());
            AttentionResult lazy =
                    new ChunkedAttention(64, 48).withParallelism(threads).apply(q, k, v, Mask.causal());
            java.util.Arrays.fill(q.data(), 7.0);
            java.util.Arrays.fill(k.data(), -2.0);
            AttentionChecks.assertBitwise(
                    threads + " threads: weights after the inputs changed", expected.weights(), lazy.weights());
        }
        Tensor noQuery = Tensor.zeros(2, 0, 4);
        AttentionResult empty = new ChunkedAttention(4, 3).apply(noQuery, random(43, 2, 5, 4), random(44, 2, 5, 3));
        assertThat(empty.weights().shape()).containsExactly(2, 0, 5);
    }
}
