package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.Layout;
import static dev.heed.attention.AttentionChecks.assertBitwise;
import static dev.heed.attention.AttentionChecks.assertWellFormed;
import static dev.heed.attention.AttentionChecks.bits;
import static dev.heed.attention.AttentionChecks.checkAgainstNaive;
import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.attention.AttentionChecks.Kernel;
import dev.heed.attention.NaiveAttention.Spec;
import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ScaledDotProductAttention and ChunkedAttention against {@link NaiveAttention}: odd sizes, ranks
 * 2 to 5, broadcast batch axes, non-contiguous inputs, custom scales, extreme and non-finite
 * values, empty axes, and bitwise determinism under parallelism.
 */
class AttentionKernelTest {
    private static final int[] SIZES = {1, 3, 7, 13, 64, 65};
    private static final int[] DEPTHS = {1, 3, 8, 13};

    static Stream<Arguments> oddSizes() {
        List<Arguments> out = new ArrayList<>();
        for (int L : SIZES) {
            for (int S : SIZES) {
                for (int d : DEPTHS) {
                    out.add(Arguments.of(L, S, d, d % 5 + 2)); // dv != d for every d here
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "L={0} S={1} d={2} dv={3}")
    @MethodSource("oddSizes")
    void matchesNaiveOverOddSizes(int L, int S, int d, int dv) {
        long seed = 1000L * L + 100L * S + d;
        Tensor q = random(seed, 2, L, d);
        Tensor k = random(seed + 1, 2, S, d);
        Tensor v = random(seed + 2, 2, S, dv);
        Spec[] masks = {
            Spec.none(), Spec.causal(), Spec.block(bits(seed + 3, 0.3, 2, 1, S)).and(Spec.bias(random(seed + 4, L, S))),
        };
        for (Kernel kernel : AttentionChecks.fewKernels()) {
            for (int m = 0; m < masks.length; m++) {
                String ctx = kernel + " L=" + L + " S=" + S + " d=" + d + " dv=" + dv + " mask#" + m;
                AttentionResult r = checkAgainstNaive(ctx, kernel.attention(), q, k, v, masks[m], Double.NaN);
                assertWellFormed(ctx, r);
            }
        }
    }

    /** A random problem: rank, sizes (0 included), broadcasting, layouts, mask terms and scale from the seed. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomisedProblemsMatchNaive(long seed) {
        java.util.Random rnd = new java.util.Random(seed);
        int batchRank = rnd.nextInt(4);
        int[] batch = new int[batchRank];
        for (int k = 0; k < batchRank; k++) {
            batch[k] = 1 + rnd.nextInt(3);
        }
        int L = rnd.nextInt(12);
        int S = rnd.nextInt(12);
        int d = 1 + rnd.nextInt(9);
        int dv = 1 + rnd.nextInt(9);
        Tensor q = random(seed, randomLayout(rnd), NaiveAttention.append(thin(batch, rnd), L, d));
        Tensor k = random(seed + 1, randomLayout(rnd), NaiveAttention.append(thin(batch, rnd), S, d));
        Tensor v = random(seed + 2, randomLayout(rnd), NaiveAttention.append(thin(batch, rnd), S, dv));
        int[] scores = NaiveAttention.append(
                NaiveAttention.broadcast(NaiveAttention.broadcast(lead(q), lead(k)), lead(v)), L, S);
        Spec mask = Spec.none();
        int terms = rnd.nextInt(4);
        for (int t = 0; t < terms; t++) {
            int[] shape = thin(scores, rnd);
            Spec term = switch (rnd.nextInt(5)) {
                case 0 -> Spec.causal();
                case 1 -> Spec.allow(bits(seed + 10 + t, 0.7, shape));
                case 2 -> Spec.block(bits(seed + 10 + t, 0.3, shape));
                case 3 ->
                    Spec.bias(random(seed + 10 + t, shape)
                            .map(x -> rnd.nextBoolean() ? 5 * x : x < -1 ? Double.NEGATIVE_INFINITY : x));
                default -> {
                    int n = scores.length > 2 && rnd.nextBoolean() ? scores[0] : 1;
                    int[] lengths = new int[n];
                    for (int i = 0; i < n; i++) {
                        lengths[i] = rnd.nextInt(S + 1);
                    }
                    yield Spec.keyPadding(lengths);
                }
            };
            mask = mask.and(term);
        }
        double scale = rnd.nextInt(3) == 0 ? rnd.nextGaussian() : Double.NaN;
        for (Kernel kernel : AttentionChecks.kernels(scale)) {
            String ctx = kernel + " seed " + seed + " scores " + java.util.Arrays.toString(scores);
            AttentionResult r = checkAgainstNaive(ctx, kernel.attention(), q, k, v, mask, scale);
            assertWellFormed(ctx, r);
        }
    }

    static Stream<Long> seeds() {
        return java.util.stream.LongStream.range(0, 120).boxed();
    }

    /** {@code shape} with trailing alignment kept, some axes set to 1 and some leading axes dropped (rank >= 1). */
    private static int[] thin(int[] shape, java.util.Random rnd) {
        int drop = rnd.nextInt(shape.length + 1);
        int[] out = java.util.Arrays.copyOfRange(shape, Math.min(drop, Math.max(0, shape.length - 1)), shape.length);
        for (int k = 0; k < out.length; k++) {
            if (rnd.nextInt(3) == 0) {
                out[k] = 1;
            }
        }
        return out;
    }

    private static int[] lead(Tensor t) {
        return java.util.Arrays.copyOf(t.shape(), t.rank() - 2);
    }

    private static Layout randomLayout(java.util.Random rnd) {
        return Layout.values()[rnd.nextInt(Layout.values().length)];
    }

    static Stream<Arguments> largeSizes() {
        return Stream.of(
                Arguments.of(257, 257, 13, 7),
                Arguments.of(257, 1, 3, 2),
                Arguments.of(1, 257, 8, 5),
                Arguments.of(257, 65, 8, 3),
                Arguments.of(65, 257, 1, 4));
    }

    @ParameterizedTest(name = "L={0} S={1} d={2} dv={3}")
    @MethodSource("largeSizes")
    void matchesNaiveOnLargerOddSizes(int L, int S, int d, int dv) {
        Tensor q = random(L, L, d);
        Tensor k = random(S + 7, S, d);
        Tensor v = random(dv + 11, S, dv);
        Spec[] masks = {Spec.none(), Spec.causal().and(Spec.bias(random(5, L, S)))};
        for (Kernel kernel : AttentionChecks.fewKernels()) {
            for (Spec mask : masks) {
                AttentionResult r =
                        checkAgainstNaive(kernel + " " + L + "x" + S, kernel.attention(), q, k, v, mask, Double.NaN);
                assertWellFormed(kernel.name(), r);
            }
        }
    }

    static Stream<Arguments> ranks() {
        // query shape, key shape, value shape (batch axes broadcast), and a mask that fits
        return Stream.of(
                Arguments.of(new int[] {5, 4}, new int[] {6, 4}, new int[] {6, 3}),
                Arguments.of(new int[] {3, 5, 4}, new int[] {3, 6, 4}, new int[] {3, 6, 3}),
                Arguments.of(new int[] {2, 3, 5, 4}, new int[] {2, 3, 6, 4}, new int[] {2, 3, 6, 3}),
                Arguments.of(new int[] {2, 1, 3, 5, 4}, new int[] {2, 2, 3, 6, 4}, new int[] {2, 2, 3, 6, 3}),
                // leading axes missing on one side, size-1 on another
                Arguments.of(new int[] {2, 3, 5, 4}, new int[] {6, 4}, new int[] {3, 6, 3}),
                Arguments.of(new int[] {5, 4}, new int[] {2, 3, 6, 4}, new int[] {1, 3, 6, 3}),
                Arguments.of(new int[] {1, 3, 1, 5, 4}, new int[] {2, 1, 1, 6, 4}, new int[] {4, 6, 3}));
    }

    @ParameterizedTest(name = "q{0} k{1} v{2}")
    @MethodSource("ranks")
    void matchesNaiveForEveryRank(int[] qs, int[] ks, int[] vs) {
        Tensor q = random(1, qs);
        Tensor k = random(2, ks);
        Tensor v = random(3, vs);
        Spec[] masks = {
            Spec.none(),
            Spec.causal(),
            Spec.keyPadding(4),
            Spec.allow(bits(4, 0.7, 5, 6)),
            Spec.bias(random(5, 6)).and(Spec.causal())
        };
        for (Kernel kernel : AttentionChecks.kernels()) {
            for (int m = 0; m < masks.length; m++) {
                AttentionResult r =
                        checkAgainstNaive(kernel + " mask#" + m, kernel.attention(), q, k, v, masks[m], Double.NaN);
                assertWellFormed(kernel.name(), r);
            }
        }
    }

    /**
     * Below {@link AttentionDriver#FEW_QUERIES} queries the materialised kernel computes each row's
     * scores from K as it is, with no transposed copy: every row must be bitwise the row computed
     * among many queries (the transposed path), for every mask kind, broadcast keys, a strided
     * query and key lengths around the vector width.
     */
    @Test
    void fewQueriesGiveTheRowsOfManyQueriesBitForBit() {
        int few = AttentionDriver.FEW_QUERIES - 1;
        int many = AttentionDriver.FEW_QUERIES + 9;
        for (int keys : new int[] {1, 7, 13, 64, 65}) {
            Tensor manyQ = random(60 + keys, Layout.TRANSPOSED, 3, many, 13);
            Tensor k = random(61 + keys, 1, keys, 13); // one key block shared by three batch elements
            Tensor v = random(62 + keys, 3, keys, 5);
            Tensor fewQ = manyQ.slice(1, many - few, many); // the last rows: causal masks see all keys
            Tensor allowed = bits(63 + keys, 0.6, many, keys);
            Mask[] masks = {Mask.none(), Mask.causal(), Mask.allow(allowed.slice(0, many - few, many))};
            Mask[] manyMasks = {Mask.none(), Mask.causal(), Mask.allow(allowed)};
            for (int m = 0; m < masks.length; m++) {
                AttentionResult expected = new ScaledDotProductAttention().apply(manyQ, k, v, manyMasks[m]);
                AttentionResult actual = new ScaledDotProductAttention().apply(fewQ, k, v, masks[m]);
                String context = keys + " keys, mask " + m;
                assertBitwise(context + ": weights", expected.weights().slice(1, many - few, many), actual.weights());
                assertBitwise(context + ": output", expected.output().slice(1, many - few, many), actual.output());
            }
        }
    }

    @Test
    void keyAndValueSharedAcrossHeadsBroadcast() {
        int B = 2;
        int H = 3;
        Tensor q = random(1, B, H, 7, 5);
        Tensor kShared = random(2, B, 1, 9, 5);
        Tensor vShared = random(3, B, 1, 9, 4);
        // the same problem three ways: size-1 head axis, stride-0 views, and materialised copies
        Tensor kView = kShared.broadcastTo(B, H, 9, 5);
        Tensor vView = vShared.broadcastTo(B, H, 9, 4);
        assertThat(kView.strides()[1]).isZero();
        Tensor kCopy = kView.copy();
        Tensor vCopy = vView.copy();
        Spec mask = Spec.causal().and(Spec.keyPadding(9, 6));
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionResult a =
                    checkAgainstNaive(kernel + " size-1", kernel.attention(), q, kShared, vShared, mask, Double.NaN);
            AttentionResult b =
                    checkAgainstNaive(kernel + " stride-0", kernel.attention(), q, kView, vView, mask, Double.NaN);
            AttentionResult c = kernel.attention().apply(q, kCopy, vCopy, mask.toMask());
            assertBitwise(kernel + " stride-0 vs size-1", a.output(), b.output());
            assertBitwise(kernel + " copy vs size-1", a.output(), c.output());
            assertBitwise(kernel + " copy vs size-1 weights", a.weights(), c.weights());
            assertThat(a.output().shape()).containsExactly(B, H, 7, 4);
        }
    }

    @Test
    void queryBroadcastAgainstBatchedKeys() {
        // one query set [L, d] attending into many key sets: the output takes the batch shape
        Tensor q = random(1, 4, 3);
        Tensor k = random(2, 5, 6, 3);
        Tensor v = random(3, 5, 6, 2);
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionResult r = checkAgainstNaive(
                    kernel.name(), kernel.attention(), q, k, v, Spec.keyPadding(6, 1, 0, 3, 5), Double.NaN);
            assertThat(r.output().shape()).containsExactly(5, 4, 2);
            assertThat(r.logSumExp().shape()).containsExactly(5, 4);
        }
    }

    static Stream<Arguments> layouts() {
        List<Arguments> out = new ArrayList<>();
        for (Layout lq : Layout.values()) {
            for (Layout lk : Layout.values()) {
                out.add(Arguments.of(
                        lq, lk, Layout.values()[(lq.ordinal() + 2 * lk.ordinal()) % Layout.values().length]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "q {0}, k {1}, v {2}")
    @MethodSource("layouts")
    void nonContiguousInputsGiveTheSameResult(Layout lq, Layout lk, Layout lv) {
        int[] qs = {2, 3, 7, 5};
        int[] ks = {2, 3, 9, 5};
        int[] vs = {2, 3, 9, 4};
        Tensor q = random(11, lq, qs);
        Tensor k = random(12, lk, ks);
        Tensor v = random(13, lv, vs);
        Tensor qc = Tensor.of(q.toArray(), qs);
        Tensor kc = Tensor.of(k.toArray(), ks);
        Tensor vc = Tensor.of(v.toArray(), vs);
        Spec mask = Spec.causal().and(Spec.bias(random(14, 2, 1, 7, 9)));
        for (Kernel kernel : AttentionChecks.kernels()) {
            String ctx = kernel + " " + lq + "/" + lk + "/" + lv;
            AttentionResult r = checkAgainstNaive(ctx, kernel.attention(), q, k, v, mask, Double.NaN);
            AttentionResult contiguous = kernel.attention().apply(qc, kc, vc, mask.toMask());
            assertBitwise(ctx + " output vs contiguous", contiguous.output(), r.output());
            assertBitwise(ctx + " weights vs contiguous", contiguous.weights(), r.weights());
            assertBitwise(ctx + " logSumExp vs contiguous", contiguous.logSumExp(), r.logSumExp());
        }
    }

    @Test
    void slicedAlongTheBatchAxisWithAStep() {
        Tensor q = random(1, 7, 2, 5, 3).slice(0, 1, 7, 3); // batch [2] at stride 3·…
        Tensor k = random(2, 2, 4, 6, 3).slice(1, 0, 4, 2); // [2, 2, 6, 3]
        Tensor v = random(3, 2, 2, 6, 8).slice(-1, 1, 8, 3); // [2, 2, 6, 3], column step
        for (Kernel kernel : AttentionChecks.kernels()) {
            checkAgainstNaive(kernel.name(), kernel.attention(), q, k, v, Spec.causal(), Double.NaN);
        }
    }

    @Test
    void customScale() {
        Tensor q = random(1, 2, 6, 5);
        Tensor k = random(2, 2, 8, 5);
        Tensor v = random(3, 2, 8, 3);
        for (double scale : new double[] {0.37, 1.0, 3.0, -2.0, 0.0, 1e-300}) {
            for (Kernel kernel : AttentionChecks.kernels(scale)) {
                AttentionResult r = checkAgainstNaive(
                        kernel + " scale=" + scale, kernel.attention(), q, k, v, Spec.causal(), scale);
                assertWellFormed(kernel.name(), r);
            }
        }
        // scale 0: uniform weights over the allowed keys
        AttentionResult r = new ScaledDotProductAttention().withScale(0).apply(q, k, v);
        for (double w : r.weights().toArray()) {
            assertThat(w).isEqualTo(1.0 / 8);
        }
    }

    @Test
    void defaultScaleIsOneOverSqrtD() {
        Tensor q = random(1, 4, 9);
        Tensor k = random(2, 5, 9);
        Tensor v = random(3, 5, 2);
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionResult byDefault = kernel.attention().apply(q, k, v);
            NaiveAttention.Result third = NaiveAttention.attend(q, k, v, Spec.none(), 1.0 / 3);
            AttentionChecks.assertSame(kernel.name(), third, byDefault);
        }
    }

    @Test
    void extremeLogitsAreExactAndFinite() {
        // d = 1, scale 1: scores q·k of exactly ±1e6 and ties at 1e6
        Tensor q = Tensor.of(new double[] {1e3, -1e3, 1e3}, 3, 1);
        Tensor k = Tensor.of(new double[] {1e3, -1e3, 1e3, 0}, 4, 1);
        Tensor v = Tensor.of(new double[] {1, 10, 2, 20, 3, 30, 4, 40}, 4, 2);
        for (Kernel kernel : AttentionChecks.kernels(1.0)) {
            String ctx = kernel.name();
            Spec mask = Spec.bias(
                    Tensor.of(new double[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Double.NEGATIVE_INFINITY, 0}, 3, 4));
            AttentionResult r = checkAgainstNaive(ctx, kernel.attention(), q, k, v, mask, 1.0);
            assertWellFormed(ctx, r);
            // row 0: keys 0 and 2 tie at 1e6, key 1 at -1e6, key 3 at 0
            assertThat(r.weights().toArray()).as(ctx).startsWith(0.5, 0.0, 0.5, 0.0);
            assertThat(r.output().toArray()).as(ctx).startsWith(2.0, 20.0);
            assertThat(r.logSumExp().get(0)).as(ctx).isEqualTo(1e6 + Math.log(2));
            // row 1: only key 1 (score 1e6)
            assertThat(r.weights().select(0, 1).toArray()).as(ctx).containsExactly(0.0, 1.0, 0.0, 0.0);
            assertThat(r.output().select(0, 1).toArray()).as(ctx).containsExactly(2.0, 20.0);
            assertThat(r.logSumExp().get(1)).as(ctx).isEqualTo(1e6);
            // row 2: key 2 blocked, key 0 alone at 1e6
            assertThat(r.weights().select(0, 2).toArray()).as(ctx).containsExactly(1.0, 0.0, 0.0, 0.0);
            assertThat(r.output().select(0, 2).toArray()).as(ctx).containsExactly(1.0, 10.0);
        }
    }

    @Test
    void largeBiasesStayExact() {
        Tensor q = random(1, 2, 3, 4);
        Tensor k = random(2, 2, 5, 4);
        Tensor v = random(3, 2, 5, 3);
        Tensor bias = Tensor.of(new double[] {1e6, -1e6, 1e6 - 1, 0, -1e6}, 5);
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionResult r =
                    checkAgainstNaive(kernel.name(), kernel.attention(), q, k, v, Spec.bias(bias), Double.NaN);
            assertWellFormed(kernel.name(), r);
        }
    }

    @Test
    void noKeysGivesZeroOutputAndMinusInfinity() {
        Tensor q = random(1, 2, 3, 4);
        Tensor k = Tensor.zeros(2, 0, 4);
        Tensor v = Tensor.zeros(2, 0, 5);
        for (Kernel kernel : AttentionChecks.kernels()) {
            for (Spec mask :
                    new Spec[] {Spec.none(), Spec.causal(), Spec.keyPadding(0), Spec.allow(Tensor.zeros(3, 0))}) {
                AttentionResult r = checkAgainstNaive(kernel.name(), kernel.attention(), q, k, v, mask, Double.NaN);
                assertThat(r.output().shape()).containsExactly(2, 3, 5);
                assertThat(r.output().toArray()).containsOnly(0.0);
                assertThat(r.weights().shape()).containsExactly(2, 3, 0);
                assertThat(r.logSumExp().toArray()).containsOnly(Double.NEGATIVE_INFINITY);
            }
        }
    }

    @Test
    void noQueriesGivesEmptyResults() {
        Tensor q = Tensor.zeros(2, 0, 4);
        Tensor k = random(2, 2, 3, 4);
        Tensor v = random(3, 2, 3, 5);
        for (Kernel kernel : AttentionChecks.kernels()) {
            for (Spec mask : new Spec[] {Spec.none(), Spec.causal(), Spec.keyPadding(2, 3)}) {
                AttentionResult r = checkAgainstNaive(kernel.name(), kernel.attention(), q, k, v, mask, Double.NaN);
                assertThat(r.output().shape()).containsExactly(2, 0, 5);
                assertThat(r.weights().shape()).containsExactly(2, 0, 3);
                assertThat(r.logSumExp().shape()).containsExactly(2, 0);
            }
            AttentionResult none =
                    kernel.attention().apply(Tensor.zeros(0, 0, 4), Tensor.zeros(0, 0, 4), Tensor.zeros(0, 0, 1));
            assertThat(none.output().shape()).containsExactly(0, 0, 1);
            AttentionResult emptyBatch =
                    kernel.attention().apply(Tensor.zeros(0, 3, 4), random(1, 5, 4), random(2, 5, 2), Mask.causal());
            assertThat(emptyBatch.output().shape()).containsExactly(0, 3, 2);
            assertThat(emptyBatch.weights().shape()).containsExactly(0, 3, 5);
        }
    }

    @Test
    void zeroDepthGivesZeroScores() {
        // d = 0: every score is an empty dot product, 0; the weights are uniform over allowed keys
        Tensor q = Tensor.zeros(2, 3, 0);
        Tensor k = Tensor.zeros(2, 4, 0);
        Tensor v = random(1, 2, 4, 3);
        for (Kernel kernel : AttentionChecks.kernels(1.0)) {
            checkAgainstNaive(kernel.name(), kernel.attention(), q, k, v, Spec.causal(), 1.0);
        }
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionResult r = kernel.attention().apply(q, k, v, Mask.causal());
            assertWellFormed(kernel.name(), r);
            AttentionChecks.assertSame(
                    kernel + " default scale, d = 0", NaiveAttention.attend(q, k, v, Spec.causal(), 1.0), r);
        }
    }

    @Test
    void nanInAQueryRowStaysInThatRow() {
        Tensor q = random(1, 2, 5, 4);
        Tensor k = random(2, 2, 6, 4);
        Tensor v = random(3, 2, 6, 3);
        q.set(Double.NaN, 1, 2, 3);
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionResult r = checkAgainstNaive(kernel.name(), kernel.attention(), q, k, v, Spec.none(), Double.NaN);
            assertThat(r.output().select(0, 1).select(0, 2).toArray())
                    .as(kernel.name())
                    .containsOnly(Double.NaN);
            assertThat(r.logSumExp().get(1, 2)).isNaN();
            // every other row is a number
            double[] out = r.output().toArray();
            for (int i = 0; i < out.length; i++) {
                int row = i / 3;
                assertThat(Double.isNaN(out[i]))
                        .as("%s output element %d", kernel, i)
                        .isEqualTo(row == 5 + 2);
            }
        }
    }

    @Test
    void infiniteValueOfAnAllowedKeyGivesInfinityOrNaNOnlyWhereItIsUsed() {
        Tensor q = random(1, 3, 4);
        Tensor k = random(2, 5, 4);
        Tensor v = random(3, 5, 2);
        v.set(Double.POSITIVE_INFINITY, 4, 0);
        for (Kernel kernel : AttentionChecks.kernels()) {
            // causal with L=3, S=5: only query 2 sees key 4
            AttentionResult r =
                    checkAgainstNaive(kernel.name(), kernel.attention(), q, k, v, Spec.causal(), Double.NaN);
            assertThat(r.output().get(2, 0)).isEqualTo(Double.POSITIVE_INFINITY);
            assertThat(r.output().select(0, 0).toArray()).doesNotContain(Double.NaN, Double.POSITIVE_INFINITY);
            assertThat(r.output().select(0, 1).toArray()).doesNotContain(Double.NaN, Double.POSITIVE_INFINITY);
        }
    }

    @Test
    void inputsAreNotModified() {
        Tensor q = random(1, Layout.TRANSPOSED, 2, 7, 5);
        Tensor k = random(2, Layout.STEP_SLICED, 2, 9, 5);
        Tensor v = random(3, Layout.OFFSET, 2, 9, 3);
        double[] qd = q.data().clone();
        double[] kd = k.data().clone();
        double[] vd = v.data().clone();
        Tensor biasTensor = random(4, 7, 9);
        double[] bd = biasTensor.data().clone();
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionResult r =
                    kernel.attention().apply(q, k, v, Mask.bias(biasTensor).and(Mask.causal()));
            r.weights();
            // writing into the result does not write into the inputs
            r.output().set(42, 0, 0, 0);
            r.weights().set(42, 0, 0, 0);
        }
        assertThat(q.data()).isEqualTo(qd);
        assertThat(k.data()).isEqualTo(kd);
        assertThat(v.data()).isEqualTo(vd);
        assertThat(biasTensor.data()).isEqualTo(bd);
    }

    @Test
    void resultsAreNewTensorsNotViewsOfInputs() {
        Tensor q = random(1, 1, 1);
        Tensor k = random(2, 1, 1);
        Tensor v = random(3, 1, 1);
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionResult r = kernel.attention().apply(q, k, v);
            assertThat(r.output().data()).isNotSameAs(v.data()).isNotSameAs(q.data());
            assertThat(r.output().toArray()).containsExactly(v.get(0, 0));
            assertThat(r.weights().toArray()).containsExactly(1.0);
        }
    }

    // ------------------------------------------------------------------ determinism and threads

    @Test
    void parallelRunsAreBitwiseEqualToSingleThreadedRuns() throws Exception {
        // 4·4 batch elements of 96×96, d = dv = 16: 9.4 Mflop, above the parallel threshold
        Tensor q = random(1, 4, 4, 96, 16);
        Tensor k = random(2, 4, 1, 96, 16);
        Tensor v = random(3, 4, 4, 96, 16);
        Mask mask = Mask.causal().and(Mask.bias(random(4, 4, 1, 96, 96)));
        List<Attention> kernels = List.of(
                new ScaledDotProductAttention(),
                new ChunkedAttention(),
                new ChunkedAttention(16, 32),
                new ChunkedAttention(5, 7));
        assertThat(2.0 * 16 * 96 * 96 * (16 + 16))
                .isGreaterThanOrEqualTo(dev.heed.internal.Parallel.MIN_PARALLEL_FLOPS);
        ForkJoinPool single = new ForkJoinPool(1);
        try {
            for (Attention a : kernels) {
                AttentionResult parallel = a.apply(q, k, v, mask);
                AttentionResult again = a.apply(q, k, v, mask);
                AttentionResult serial = single.submit(() -> {
                            AttentionResult r = a.apply(q, k, v, mask);
                            r.weights(); // computed (lazily, for chunked) on the single thread too
                            return r;
                        })
                        .get();
                String ctx = a.toString();
                assertBitwise(ctx + " output, run twice", parallel.output(), again.output());
                assertBitwise(ctx + " output, one thread", parallel.output(), serial.output());
                assertBitwise(ctx + " logSumExp, one thread", parallel.logSumExp(), serial.logSumExp());
                assertBitwise(ctx + " weights, one thread", parallel.weights(), serial.weights());
            }
        } finally {
            single.shutdown();
        }
        // and the big problem is still right
        NaiveAttention.Result expected =
                NaiveAttention.attend(q, k, v, Spec.causal().and(Spec.bias(random(4, 4, 1, 96, 96))), Double.NaN);
        for (Kernel kernel : AttentionChecks.fewKernels()) {
            AttentionChecks.assertSame(
                    kernel.name(), expected, kernel.attention().apply(q, k, v, mask));
        }
    }

    @Test
    void kernelsAreSafeToShareBetweenThreads() throws Exception {
        Attention[] kernels = {new ScaledDotProductAttention(), new ChunkedAttention(8, 8)};
        Tensor q = random(1, 3, 20, 6);
        Tensor k = random(2, 3, 30, 6);
        Tensor v = random(3, 3, 30, 4);
        Mask mask = Mask.keyPadding(30, 11, 0).and(Mask.causal());
        for (Attention a : kernels) {
            AttentionResult expected = a.apply(q, k, v, mask);
            AttentionResult shared = a.apply(q, k, v, mask); // weights() raced below, computed once
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    try {
                        for (int n = 0; n < 5; n++) {
                            AttentionResult r = a.apply(q, k, v, mask);
                            assertBitwise("threaded output", expected.output(), r.output());
                            assertBitwise("threaded weights", expected.weights(), shared.weights());
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            assertThat(errors).isEmpty();
        }
    }

    @Test
    void resultShapesForEveryRank() {
        for (Kernel kernel : AttentionChecks.fewKernels()) {
            AttentionResult r = kernel.attention().apply(random(1, 2, 3, 1, 4, 5), random(2, 6, 5), random(3, 6, 7));
            assertThat(r.output().shape()).containsExactly(2, 3, 1, 4, 7);
            assertThat(r.weights().shape()).containsExactly(2, 3, 1, 4, 6);
            assertThat(r.logSumExp().shape()).containsExactly(2, 3, 1, 4);
        }
    }
}
