package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.assertBitwise;
import static dev.heed.attention.AttentionChecks.assertClose;
import static dev.heed.attention.AttentionChecks.assertWellFormed;
import static dev.heed.attention.AttentionChecks.bits;
import static dev.heed.attention.AttentionChecks.checkAgainstNaive;
import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.attention.NaiveAttention.Spec;
import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ChunkedAttention equals ScaledDotProductAttention (and the naive reference) for every tiling,
 * mask and shape, and its lazily recomputed weights equal the materialised ones.
 */
class ChunkedAttentionTest {
    private static final int[][] TILINGS = {
        {1, 1}, {1, 7}, {3, 5}, {7, 2}, {64, 64}, {1000, 1000}, {2, 1000}, {1000, 3}, {64, 256}
    };

    private static Spec[] masks(long seed, int L, int S) {
        return new Spec[] {
            Spec.none(),
            Spec.causal(),
            Spec.keyPadding(S, S / 2, 0),
            Spec.causal().and(Spec.keyPadding(S / 3 + 1)),
            Spec.allow(bits(seed, 0.6, 3, L, S)),
            Spec.block(bits(seed + 1, 0.5, 1, S)),
            Spec.bias(random(seed + 2, L, S).map(x -> 4 * x)),
            Spec.bias(bits(seed + 3, 0.5, 3, 1, S).map(x -> x == 1 ? Double.NEGATIVE_INFINITY : 0.0))
                    .and(Spec.causal()),
            Spec.causal().and(Spec.bias(random(seed + 4, S))).and(Spec.block(bits(seed + 5, 0.2, L, S))),
        };
    }

    static Stream<Arguments> shapes() {
        // L, S, d, dv: equal, L < S, L > S, tiny, not multiples of any tile
        return Stream.of(
                Arguments.of(13, 13, 3, 5),
                Arguments.of(7, 65, 8, 1),
                Arguments.of(65, 7, 1, 3),
                Arguments.of(1, 1, 13, 2),
                Arguments.of(64, 64, 8, 8),
                Arguments.of(3, 257, 4, 2),
                Arguments.of(257, 13, 2, 3));
    }

    @ParameterizedTest(name = "L={0} S={1} d={2} dv={3}")
    @MethodSource("shapes")
    void equalsFullAttentionForEveryTilingAndMask(int L, int S, int d, int dv) {
        Tensor q = random(L * 31L + S, 3, L, d);
        Tensor k = random(S * 17L + d, 3, S, d);
        Tensor v = random(dv * 7L + 1, 3, S, dv);
        Spec[] specs = masks(L + S, L, S);
        ScaledDotProductAttention full = new ScaledDotProductAttention();
        for (int m = 0; m < specs.length; m++) {
            Mask mask = specs[m].toMask();
            AttentionResult expected = full.apply(q, k, v, mask);
            NaiveAttention.Result naive = NaiveAttention.attend(q, k, v, specs[m], Double.NaN);
            AttentionChecks.assertSame("full, mask#" + m, naive, expected);
            for (int[] t : TILINGS) {
                String ctx = "ChunkedAttention(" + t[0] + "," + t[1] + ") mask#" + m;
                AttentionResult r = new ChunkedAttention(t[0], t[1]).apply(q, k, v, mask);
                assertClose(
                        ctx + " output",
                        expected.output().toArray(),
                        expected.output().shape(),
                        r.output());
                assertClose(
                        ctx + " logSumExp",
                        expected.logSumExp().toArray(),
                        expected.logSumExp().shape(),
                        r.logSumExp());
                assertClose(
                        ctx + " weights",
                        expected.weights().toArray(),
                        expected.weights().shape(),
                        r.weights());
                AttentionChecks.assertSame(ctx + " vs naive", naive, r);
                assertWellFormed(ctx, r);
            }
        }
    }

    @Test
    void tilingDoesNotChangeTheResultBeyondRounding() {
        // the same problem over every tiling gives outputs within 1e-12 of each other, and
        // a tile as large as the problem gives the same bits as any larger tile
        Tensor q = random(1, 2, 2, 29, 6);
        Tensor k = random(2, 2, 1, 31, 6);
        Tensor v = random(3, 2, 2, 31, 5);
        Mask mask = Mask.causal().and(Mask.bias(random(4, 29, 31)));
        AttentionResult one = new ChunkedAttention(29, 31).apply(q, k, v, mask);
        assertBitwise(
                "(29,31) vs (1000,1000)",
                one.output(),
                new ChunkedAttention(1000, 1000).apply(q, k, v, mask).output());
        for (int qc = 1; qc <= 30; qc += 4) {
            for (int kc = 1; kc <= 33; kc += 5) {
                AttentionResult r = new ChunkedAttention(qc, kc).apply(q, k, v, mask);
                assertClose(
                        "(" + qc + "," + kc + ")",
                        one.output().toArray(),
                        one.output().shape(),
                        r.output());
                if (kc >= 31) {
                    assertBitwise("(" + qc + "," + kc + ") one key tile", one.output(), r.output());
                }
            }
        }
    }

    @Test
    void weightsAreRecomputedOnceAndEqualTheFullWeights() {
        Tensor q = random(10, 3, 11, 4);
        Tensor k = random(11, 3, 17, 4);
        Tensor v = random(12, 3, 17, 2);
        for (Spec spec : masks(13, 11, 17)) {
            Mask mask = spec.toMask();
            AttentionResult full = new ScaledDotProductAttention().apply(q, k, v, mask);
            AttentionResult chunked = new ChunkedAttention(4, 5).apply(q, k, v, mask);
            Tensor w = chunked.weights();
            assertThat(chunked.weights()).as("computed once, then kept").isSameAs(w);
            assertThat(w.shape()).containsExactly(3, 11, 17);
            assertBitwise("lazy weights", full.weights(), w);
        }
    }

    @Test
    void weightsRequestedFromManyThreadsAtOnceAreOneTensor() throws Exception {
        Tensor q = random(20, 4, 40, 8);
        Tensor k = random(21, 4, 50, 8);
        Tensor v = random(22, 4, 50, 8);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 5; round++) {
                AttentionResult r = new ChunkedAttention(8, 16).apply(q, k, v, Mask.causal());
                List<Future<Tensor>> futures = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    futures.add(pool.submit(r::weights));
                }
                Tensor first = futures.get(0).get();
                for (Future<Tensor> f : futures) {
                    assertThat(f.get()).isSameAs(first);
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void weightsOfTiedExtremeLogitsAreExact() {
        // scores 1e6, 1e6, -1e6: weights exactly 1/2, 1/2, 0 — also when recomputed lazily
        Tensor q = Tensor.of(new double[] {1e3}, 1, 1);
        Tensor k = Tensor.of(new double[] {1e3, 1e3, -1e3}, 3, 1);
        Tensor v = Tensor.of(new double[] {1, 3, 5}, 3, 1);
        for (int[] t : TILINGS) {
            AttentionResult r = new ChunkedAttention(t[0], t[1]).withScale(1).apply(q, k, v);
            assertThat(r.weights().toArray()).as("tiling %d,%d", t[0], t[1]).containsExactly(0.5, 0.5, 0.0);
            assertThat(r.output().toArray()).containsExactly(2.0);
            assertThat(r.logSumExp().item()).isEqualTo(1e6 + Math.log(2));
        }
        // three-way ties at 1e6 with a bias of 1e-6 on one key
        Tensor k3 = Tensor.of(new double[] {1e3, 1e3, 1e3}, 3, 1);
        Mask bias = Mask.bias(Tensor.of(new double[] {0, 1e-6, 0}, 3));
        AttentionResult full = new ScaledDotProductAttention().withScale(1).apply(q, k3, v, bias);
        for (int[] t : TILINGS) {
            AttentionResult r = new ChunkedAttention(t[0], t[1]).withScale(1).apply(q, k3, v, bias);
            assertClose(
                    "three-way tie " + t[0] + "," + t[1],
                    full.weights().toArray(),
                    full.weights().shape(),
                    r.weights());
            assertClose(
                    "three-way tie output",
                    full.output().toArray(),
                    full.output().shape(),
                    r.output());
        }
    }

    @Test
    void causalTileSkippingIsExact() {
        // tiles that straddle the diagonal, L < S and L > S, with a key padding that ends mid-tile
        for (int[] ls : new int[][] {{10, 30}, {30, 10}, {17, 17}, {5, 64}, {64, 5}}) {
            Tensor q = random(40, 2, ls[0], 3);
            Tensor k = random(41, 2, ls[1], 3);
            Tensor v = random(42, 2, ls[1], 2);
            Spec spec = Spec.causal().and(Spec.keyPadding(ls[1], Math.max(0, ls[1] - 7)));
            for (int[] t : TILINGS) {
                String ctx = "L=" + ls[0] + " S=" + ls[1] + " tiles " + t[0] + "," + t[1];
                AttentionResult r = checkAgainstNaive(ctx, new ChunkedAttention(t[0], t[1]), q, k, v, spec, Double.NaN);
                assertWellFormed(ctx, r);
            }
        }
    }

    @Test
    void scalingInsideTheExponentialGivesTheScaledTilesBits() {
        // Plain scaled scores keep each tile as raw dot products and scale them in the exponential;
        // a zero bias (elementwise, so the tile is scaled first as before) must give the same bits.
        for (int[] s : new int[][] {{13, 13, 3}, {7, 65, 8}, {65, 7, 1}, {64, 64, 64}, {3, 257, 13}}) {
            Tensor q = random(s[0] * 5L + s[2], 2, s[0], s[2]).map(x -> 40 * x);
            Tensor k = random(s[1] * 3L + 1, 2, s[1], s[2]);
            Tensor v = random(s[1] * 7L + 2, 2, s[1], 3);
            Tensor zero = Tensor.zeros(s[0], s[1]);
            for (double scale : new double[] {0.37, 1.0, 1e-3, 7.5, 1e300}) {
                for (Mask plain : new Mask[] {Mask.none(), Mask.causal(), Mask.keyPadding(s[1] / 2 + 1, s[1])}) {
                    for (int[] t : new int[][] {{64, 64}, {3, 5}, {7, 2}}) {
                        String ctx = java.util.Arrays.toString(s) + " scale " + scale + " tiles " + t[0] + "," + t[1];
                        ChunkedAttention c = new ChunkedAttention(t[0], t[1]).withScale(scale);
                        AttentionResult raw = c.apply(q, k, v, plain);
                        AttentionResult scaledFirst = c.apply(q, k, v, plain.and(Mask.bias(zero)));
                        assertBitwise(ctx + " output", scaledFirst.output(), raw.output());
                        assertBitwise(ctx + " logSumExp", scaledFirst.logSumExp(), raw.logSumExp());
                    }
                }
            }
        }
    }

    @Test
    void keysInPanelsGiveTheBitsOfKeysReadInPlace() {
        // From 64 queries (and key tiles of two micro-tile panels or more) the score product runs
        // on K packed in panels and Qᵀ in slivers; a support without a packed product reads every
        // operand in place. Same tiles, same bits: odd sizes, partial panels and key tiles, every
        // mask kind (windows whose start is not a tile boundary included), one and two threads.
        dev.heed.internal.vector.KernelSupport support = dev.heed.internal.vector.VectorizationProvider.support();
        for (int[] s : new int[][] {{100, 131, 13, 5}, {64, 64, 64, 64}, {65, 257, 7, 3}, {70, 3, 2, 1}}) {
            Tensor q = random(s[0] + 1L, 3, s[0], s[2]);
            Tensor k = random(s[1] + 2L, 3, s[1], s[2]);
            Tensor v = random(s[1] + 3L, 3, s[1], s[3]);
            List<Mask> masks = new ArrayList<>(
                    List.of(Mask.none(), Mask.causal(), Mask.slidingWindow(5, 0), Mask.slidingWindow(40, 3)));
            if (s[1] == 131) {
                masks.add(Mask.keyPadding(131, 70, 1));
                masks.add(Mask.slidingWindow(40, 3).and(Mask.keyPadding(131, 100, 2)));
                masks.add(Mask.bias(random(63, s[0], s[1])));
            }
            for (Mask mask : masks) {
                for (int[] t : new int[][] {{64, 64}, {64, 13}, {65, 17}, {100, 48}, {64, 7}}) {
                    for (int threads : new int[] {1, 2}) {
                        String ctx = java.util.Arrays.toString(s) + " " + mask + " tiles " + t[0] + "," + t[1] + " on "
                                + threads;
                        ChunkedAttention c = new ChunkedAttention(t[0], t[1]).withParallelism(threads);
                        AttentionResult packed = c.apply(q, k, v, mask);
                        AttentionResult inPlace = c.withSupport(new SlidingWindowTest.CountingSupport(support))
                                .apply(q, k, v, mask);
                        assertBitwise(ctx + " output", inPlace.output(), packed.output());
                        assertBitwise(ctx + " logSumExp", inPlace.logSumExp(), packed.logSumExp());
                    }
                }
            }
        }
    }

    @Test
    void longAndShortCallsGiveTheSameBits() {
        // From 64 queries the tiles read the keys in panels (kept per thread and call); with fewer
        // they read K in place. Each query column of a tile is its own FMA chains and online
        // softmax, so the first rows of a long call equal a short call of those rows, bit for bit
        // (masks that do not depend on the number of queries: causal and windows align to the end).
        Tensor k = random(60, 3, 131, 13);
        Tensor v = random(61, 3, 131, 5);
        Tensor q = random(62, 3, 100, 13);
        Tensor head = q.slice(1, 0, 10).contiguous();
        for (Mask mask : new Mask[] {Mask.none(), Mask.keyPadding(131, 70, 1)}) {
            for (int threads : new int[] {1, 2}) {
                ChunkedAttention c = new ChunkedAttention(64, 64).withParallelism(threads);
                Tensor all = c.apply(q, k, v, mask).output();
                Tensor first = c.apply(head, k, v, mask).output();
                assertBitwise(
                        mask + " on " + threads, first, all.slice(1, 0, 10).contiguous());
            }
        }
    }

    @Test
    void keysPackedForOneCallAreNotReusedForAnother() {
        // Same shapes, other keys, same thread: each result must be its own.
        ChunkedAttention c = new ChunkedAttention(64, 32).withParallelism(1);
        Tensor q = random(70, 2, 96, 8);
        Tensor v = random(71, 2, 80, 4);
        Tensor k1 = random(72, 2, 80, 8);
        Tensor k2 = random(73, 2, 80, 8);
        Tensor shared = random(74, 1, 80, 8); // broadcast over the batch: one key slice for both
        ScaledDotProductAttention full = new ScaledDotProductAttention();
        for (int round = 0; round < 3; round++) {
            for (Tensor k : new Tensor[] {k1, k2, shared}) {
                assertClose(
                        "round " + round,
                        full.apply(q, k, v).output().toArray(),
                        new int[] {2, 96, 4},
                        c.apply(q, k, v).output());
            }
        }
    }

    @Test
    void negativeAndZeroScalesAreNotScaledInsideTheExponential() {
        // scale <= 0 is not monotone-increasing: the maximum must be taken after scaling.
        Tensor q = random(50, 2, 9, 4);
        Tensor k = random(51, 2, 11, 4);
        Tensor v = random(52, 2, 11, 3);
        for (double scale : new double[] {-0.5, -3.0, 0.0}) {
            for (int[] t : new int[][] {{64, 64}, {2, 3}}) {
                String ctx = "scale " + scale + " tiles " + t[0] + "," + t[1];
                AttentionResult r = checkAgainstNaive(
                        ctx, new ChunkedAttention(t[0], t[1]).withScale(scale), q, k, v, Spec.causal(), scale);
                assertWellFormed(ctx, r);
            }
        }
    }

    @Test
    void nonFiniteInputsBehaveAsInFullAttention() {
        Tensor q = random(50, 2, 6, 3);
        Tensor k = random(51, 2, 9, 3);
        Tensor v = random(52, 2, 9, 2);
        q.set(Double.NaN, 0, 4, 1);
        Tensor bias = random(53, 6, 9);
        bias.set(Double.NaN, 2, 5);
        Spec spec = Spec.bias(bias);
        AttentionResult full = new ScaledDotProductAttention().apply(q, k, v, spec.toMask());
        for (int[] t : TILINGS) {
            AttentionResult r = checkAgainstNaive(
                    "tiles " + t[0] + "," + t[1], new ChunkedAttention(t[0], t[1]), q, k, v, spec, Double.NaN);
            assertClose("vs full", full.output().toArray(), full.output().shape(), r.output());
            assertClose(
                    "vs full lse", full.logSumExp().toArray(), full.logSumExp().shape(), r.logSumExp());
        }
    }

    @Test
    void chunksLargerThanAnyProblemAreOneTile() {
        // Integer.MAX_VALUE must neither allocate a tile of that size nor overflow the tile arithmetic
        Tensor q = random(70, 2, 9, 3);
        Tensor k = random(71, 2, 11, 3);
        Tensor v = random(72, 2, 11, 2);
        int max = Integer.MAX_VALUE;
        for (int[] t : new int[][] {{max, max}, {max, 3}, {2, max}, {max - 1, max - 2}}) {
            ChunkedAttention a = new ChunkedAttention(t[0], t[1]);
            for (Spec spec : new Spec[] {Spec.none(), Spec.causal(), Spec.keyPadding(11, 4)}) {
                AttentionResult r = checkAgainstNaive(a.toString(), a, q, k, v, spec, Double.NaN);
                assertWellFormed(a.toString(), r);
            }
        }
    }

    @Test
    void accessorsScaleAndDefaults() {
        ChunkedAttention a = new ChunkedAttention();
        assertThat(a.queryChunk())
                .isEqualTo(ChunkedAttention.DEFAULT_QUERY_CHUNK)
                .isPositive();
        assertThat(a.keyChunk()).isEqualTo(ChunkedAttention.DEFAULT_KEY_CHUNK).isPositive();
        ChunkedAttention b = new ChunkedAttention(3, 5).withScale(0.25);
        assertThat(b.queryChunk()).isEqualTo(3);
        assertThat(b.keyChunk()).isEqualTo(5);
        assertThat(b.toString()).contains("3", "5", "0.25");
        Tensor q = random(1, 4, 6);
        Tensor k = random(2, 7, 6);
        Tensor v = random(3, 7, 2);
        checkAgainstNaive("withScale(0.25)", b, q, k, v, Spec.causal(), 0.25);
        AttentionChecks.assertSame(
                "withScale(0.25) = full",
                NaiveAttention.attend(q, k, v, Spec.none(), 0.25),
                new ScaledDotProductAttention().withScale(0.25).apply(q, k, v));
    }

    @Test
    void longSequencesWithoutMaterialisingScores() {
        // 3000 × 3000 scores would be 72 MB; chunked attention holds one tile at a time
        int n = 3000;
        Tensor q = random(60, n, 2);
        Tensor k = random(61, n, 2);
        Tensor v = random(62, n, 1);
        AttentionResult r = new ChunkedAttention(128, 512).apply(q, k, v, Mask.causal());
        assertThat(r.output().shape()).containsExactly(n, 1);
        // spot-check some rows against the naive reference on the prefix they see
        for (int i : new int[] {0, 1, 1234, n - 1}) {
            Tensor qi = q.slice(0, i, i + 1);
            NaiveAttention.Result e =
                    NaiveAttention.attend(qi, k.slice(0, 0, i + 1), v.slice(0, 0, i + 1), Spec.none(), Double.NaN);
            assertThat(r.output().get(i, 0))
                    .as("row %d", i)
                    .isCloseTo(e.output()[0], org.assertj.core.data.Offset.offset(1e-12));
            assertThat(r.logSumExp().get(i))
                    .as("lse row %d", i)
                    .isCloseTo(
                            e.logSumExp()[0],
                            org.assertj.core.data.Offset.offset(1e-12 * (1 + Math.abs(e.logSumExp()[0]))));
        }
    }
}
