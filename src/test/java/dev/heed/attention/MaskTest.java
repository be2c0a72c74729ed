package dev.heed.attention;

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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every mask kind, shape and combination against {@link NaiveAttention}, through every kernel;
 * plus hand-checked patterns for the semantics users trip over: polarity, bottom-right causal,
 * fully blocked rows, NaN and infinities, and masks owning their tensors.
 */
class MaskTest {
    private static final int B = 2;
    private static final int H = 3;
    private static final int L = 5;
    private static final int S = 7;
    private static final double NEG_INF = Double.NEGATIVE_INFINITY;

    private static final Tensor Q = random(1, B, H, L, 4);
    private static final Tensor K = random(2, B, H, S, 4);
    private static final Tensor V = random(3, B, H, S, 3);

    /** Mask tensor shapes that broadcast against scores [B, H, L, S]. */
    private static final int[][] SHAPES = {
        {L, S}, {S}, {1, S}, {B, 1, L, S}, {B, 1, 1, S}, {B, H, L, S}, {H, 1, 1}, {1, 1, L, 1}, {H, L, S},
    };

    static Stream<Arguments> singleMasks() {
        List<Arguments> out = new ArrayList<>();
        out.add(Arguments.of("none", Spec.none()));
        out.add(Arguments.of("causal", Spec.causal()));
        out.add(Arguments.of("keyPadding(7, 3)", Spec.keyPadding(7, 3)));
        out.add(Arguments.of("keyPadding(4)", Spec.keyPadding(4)));
        out.add(Arguments.of("keyPadding(0, 7)", Spec.keyPadding(0, 7)));
        int seed = 10;
        for (int[] shape : SHAPES) {
            String s = java.util.Arrays.toString(shape);
            out.add(Arguments.of("allow" + s, Spec.allow(bits(seed++, 0.6, shape))));
            out.add(Arguments.of("block" + s, Spec.block(bits(seed++, 0.4, shape))));
            out.add(Arguments.of("bias" + s, Spec.bias(random(seed++, shape).map(x -> 3 * x))));
            Tensor infBias = bits(seed++, 0.3, shape).map(x -> x == 1 ? NEG_INF : 0.0);
            out.add(Arguments.of("bias -inf" + s, Spec.bias(infBias)));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("singleMasks")
    void everyKindAndShapeMatchesNaive(String name, Spec mask) {
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionResult r = checkAgainstNaive(kernel + " " + name, kernel.attention(), Q, K, V, mask, Double.NaN);
            assertWellFormed(kernel + " " + name, r);
        }
    }

    static Stream<Arguments> combinations() {
        Spec causal = Spec.causal();
        Spec padding = Spec.keyPadding(5, 2);
        Spec allow = Spec.allow(bits(20, 0.7, B, 1, L, S));
        Spec block = Spec.block(bits(21, 0.3, S));
        Spec bias = Spec.bias(random(22, L, S));
        Spec bias2 = Spec.bias(random(23, B, H, 1, S));
        Spec infBias = Spec.bias(bits(24, 0.2, H, L, S).map(x -> x == 1 ? NEG_INF : 0.0));
        return Stream.of(
                Arguments.of("causal & keyPadding", causal.and(padding)),
                Arguments.of("keyPadding & causal", padding.and(causal)),
                Arguments.of("allow & block", allow.and(block)),
                Arguments.of("bias & bias (add)", bias.and(bias2)),
                Arguments.of("causal & bias & block", causal.and(bias).and(block)),
                Arguments.of("keyPadding & allow", padding.and(allow)),
                Arguments.of("block & bias", block.and(bias)),
                Arguments.of("bias & block", bias.and(block)),
                Arguments.of("-inf bias & causal & bias", infBias.and(causal).and(bias2)),
                Arguments.of(
                        "all kinds",
                        causal.and(padding).and(allow).and(block).and(bias).and(bias2)),
                Arguments.of("none & causal & none", Spec.none().and(causal).and(Spec.none())),
                Arguments.of("causal & causal", causal.and(causal)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("combinations")
    void combinationsMatchNaive(String name, Spec mask) {
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionResult r = checkAgainstNaive(kernel + " " + name, kernel.attention(), Q, K, V, mask, Double.NaN);
            assertWellFormed(kernel + " " + name, r);
        }
    }

    @Test
    void andIsAssociativeAndNoneIsItsIdentity() {
        Mask a = Mask.causal();
        Mask b = Mask.bias(random(30, L, S));
        Mask c = Mask.keyPadding(6, 4);
        assertThat(Mask.none().and(a)).isSameAs(a);
        assertThat(a.and(Mask.none())).isSameAs(a);
        assertThat(Mask.none().isNone()).isTrue();
        assertThat(a.isNone()).isFalse();
        for (Kernel kernel : AttentionChecks.kernels()) {
            Attention at = kernel.attention();
            AttentionResult left = at.apply(Q, K, V, a.and(b).and(c));
            AttentionResult right = at.apply(Q, K, V, a.and(b.and(c)));
            assertBitwise(kernel + " (a&b)&c vs a&(b&c)", left.output(), right.output());
            assertBitwise(kernel + " (a&b)&c vs a&(b&c) weights", left.weights(), right.weights());
        }
    }

    // ------------------------------------------------------------------ polarity

    @Test
    void polarityIsInTheName() {
        Tensor pattern = bits(40, 0.5, L, S);
        Tensor inverse = pattern.map(x -> 1 - x);
        Tensor minusInf = pattern.map(x -> x == 0 ? NEG_INF : 0.0);
        for (Kernel kernel : AttentionChecks.kernels()) {
            Attention a = kernel.attention();
            AttentionResult allowed = a.apply(Q, K, V, Mask.allow(pattern));
            AttentionResult blocked = a.apply(Q, K, V, Mask.block(inverse));
            AttentionResult biased = a.apply(Q, K, V, Mask.bias(minusInf));
            assertBitwise(kernel + " allow(x) = block(1 - x)", allowed.output(), blocked.output());
            assertBitwise(kernel + " allow(x) = bias(x == 0 ? -inf : 0)", allowed.output(), biased.output());
            assertBitwise(kernel + " weights", allowed.weights(), blocked.weights());
            // where the pattern is 0, the weight is exactly 0
            double[] w = allowed.weights().toArray();
            double[] p = pattern.broadcastTo(B, H, L, S).toArray();
            for (int i = 0; i < w.length; i++) {
                if (p[i] == 0) {
                    assertThat(w[i]).as("%s weight %d under allow=0", kernel, i).isEqualTo(0.0);
                }
            }
            // allow of all ones and block of all zeros are no mask at all
            AttentionResult none = a.apply(Q, K, V, Mask.none());
            assertBitwise(
                    kernel + " allow(1)",
                    none.output(),
                    a.apply(Q, K, V, Mask.allow(Tensor.ones(S))).output());
            assertBitwise(
                    kernel + " block(0)",
                    none.output(),
                    a.apply(Q, K, V, Mask.block(Tensor.zeros(L, S))).output());
            assertBitwise(
                    kernel + " bias(0)",
                    none.output(),
                    a.apply(Q, K, V, Mask.bias(Tensor.zeros(1, S))).output());
        }
    }

    @Test
    void anyNonzeroCountsIncludingNegativeAndNaN() {
        Tensor odd = Tensor.of(new double[] {0, -1, 0.5, Double.NaN, 1e-300, 0, 2}, S);
        Tensor asBits = Tensor.of(new double[] {0, 1, 1, 1, 1, 0, 1}, S);
        for (Kernel kernel : AttentionChecks.kernels()) {
            Attention a = kernel.attention();
            assertBitwise(
                    kernel + " allow",
                    a.apply(Q, K, V, Mask.allow(asBits)).output(),
                    a.apply(Q, K, V, Mask.allow(odd)).output());
            assertBitwise(
                    kernel + " block",
                    a.apply(Q, K, V, Mask.block(asBits)).output(),
                    a.apply(Q, K, V, Mask.block(odd)).output());
            checkAgainstNaive(kernel + " allow", a, Q, K, V, Spec.allow(odd), Double.NaN);
        }
    }

    // ------------------------------------------------------------------ causal

    @Test
    void causalIsBottomRightAligned() {
        // L < S (decoding with a cache): query i sees keys 0 .. i + (S - L)
        // L > S: the first L - S queries see nothing
        int[][] sizes = {{3, 5}, {5, 3}, {4, 4}, {1, 6}, {6, 1}};
        for (int[] ls : sizes) {
            int l = ls[0];
            int s = ls[1];
            Tensor q = random(50, 2, l, 3);
            Tensor k = random(51, 2, s, 3);
            Tensor v = random(52, 2, s, 2);
            for (Kernel kernel : AttentionChecks.kernels()) {
                String ctx = kernel + " L=" + l + " S=" + s;
                AttentionResult r = checkAgainstNaive(ctx, kernel.attention(), q, k, v, Spec.causal(), Double.NaN);
                assertWellFormed(ctx, r);
                for (int b = 0; b < 2; b++) {
                    for (int i = 0; i < l; i++) {
                        for (int j = 0; j < s; j++) {
                            double w = r.weights().get(b, i, j);
                            if (j <= i + (s - l)) {
                                assertThat(w)
                                        .as("%s weight (%d, %d) visible", ctx, i, j)
                                        .isGreaterThan(0.0);
                            } else {
                                assertThat(w)
                                        .as("%s weight (%d, %d) hidden", ctx, i, j)
                                        .isEqualTo(0.0);
                            }
                        }
                        boolean empty = i + (s - l) < 0;
                        assertThat(r.logSumExp().get(b, i) == NEG_INF)
                                .as("%s row %d empty", ctx, i)
                                .isEqualTo(empty);
                    }
                }
            }
        }
    }

    @Test
    void causalWithEqualLengthsIsTheLowerTriangle() {
        Tensor tril = Tensor.zeros(L, L);
        for (int i = 0; i < L; i++) {
            for (int j = 0; j <= i; j++) {
                tril.set(1, i, j);
            }
        }
        Tensor k = random(60, B, H, L, 4);
        Tensor v = random(61, B, H, L, 3);
        for (Kernel kernel : AttentionChecks.kernels()) {
            assertBitwise(
                    kernel.name(),
                    kernel.attention().apply(Q, k, v, Mask.allow(tril)).output(),
                    kernel.attention().apply(Q, k, v, Mask.causal()).output());
        }
    }

    // ------------------------------------------------------------------ key padding

    @Test
    void keyPaddingFollowsTheLeadingAxis() {
        // rank-5 scores [2, 3, 2, L, S]: lengths index the first axis only
        Tensor q = random(70, 2, 3, 2, 4, 5);
        Tensor k = random(71, 2, 3, 2, 6, 5);
        Tensor v = random(72, 2, 3, 2, 6, 2);
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionResult r =
                    checkAgainstNaive(kernel.name(), kernel.attention(), q, k, v, Spec.keyPadding(2, 5), Double.NaN);
            assertWellFormed(kernel.name(), r);
            for (int b = 0; b < 2; b++) {
                int len = b == 0 ? 2 : 5;
                Tensor w = r.weights().select(0, b);
                for (int j = 0; j < 6; j++) {
                    Tensor col = w.select(-1, j);
                    if (j < len) {
                        assertThat(java.util.Arrays.stream(col.toArray()).allMatch(x -> x > 0))
                                .as("%s b=%d key %d visible", kernel, b, j)
                                .isTrue();
                    } else {
                        assertThat(col.toArray())
                                .as("%s b=%d key %d", kernel, b, j)
                                .containsOnly(0.0);
                    }
                }
            }
            // one length applies to every element
            assertBitwise(
                    kernel.name(),
                    kernel.attention().apply(q, k, v, Mask.keyPadding(3, 3)).output(),
                    kernel.attention().apply(q, k, v, Mask.keyPadding(3)).output());
        }
    }

    @Test
    void keyPaddingEqualsABlockMaskOnTheKeys() {
        Tensor block = Tensor.zeros(B, 1, 1, S);
        for (int j = 4; j < S; j++) {
            block.set(1, 0, 0, 0, j);
        }
        for (int j = 1; j < S; j++) {
            block.set(1, 1, 0, 0, j);
        }
        for (Kernel kernel : AttentionChecks.kernels()) {
            assertBitwise(
                    kernel.name(),
                    kernel.attention().apply(Q, K, V, Mask.block(block)).output(),
                    kernel.attention().apply(Q, K, V, Mask.keyPadding(4, 1)).output());
        }
    }

    @Test
    void keyPaddingCopiesItsLengths() {
        int[] lengths = {3, 6};
        Mask m = Mask.keyPadding(lengths);
        lengths[0] = 0;
        lengths[1] = 0;
        for (Kernel kernel : AttentionChecks.kernels()) {
            checkAgainstNaive(kernel.name(), kernel.attention(), Q, K, V, Spec.keyPadding(3, 6), Double.NaN);
            AttentionChecks.assertSame(
                    kernel.name(),
                    NaiveAttention.attend(Q, K, V, Spec.keyPadding(3, 6), Double.NaN),
                    kernel.attention().apply(Q, K, V, m));
        }
    }

    // ------------------------------------------------------------------ rows with nothing to attend to

    static Stream<Arguments> fullyBlocked() {
        Tensor allowNone = Tensor.ones(L, S);
        for (int j = 0; j < S; j++) {
            allowNone.set(0, 2, j); // row 2 may attend to nothing
        }
        Tensor blockAll = Tensor.zeros(B, 1, L, S);
        for (int j = 0; j < S; j++) {
            blockAll.set(1, 1, 0, 4, j); // batch 1, row 4
        }
        Tensor infRow = Tensor.zeros(H, L, S);
        for (int j = 0; j < S; j++) {
            infRow.set(NEG_INF, 1, 0, j); // head 1, row 0
        }
        return Stream.of(
                Arguments.of("causal L > S", Spec.causal(), 9),
                Arguments.of("keyPadding 0", Spec.keyPadding(0, 4), 5),
                Arguments.of("allow of all zeros", Spec.allow(Tensor.zeros(S)), 5),
                Arguments.of("allow row of zeros", Spec.allow(allowNone), 5),
                Arguments.of("block row of ones", Spec.block(blockAll), 5),
                Arguments.of("bias of -inf", Spec.bias(Tensor.full(NEG_INF, 1, S)), 5),
                Arguments.of("bias row of -inf", Spec.bias(infRow), 5),
                Arguments.of("causal L > S and keyPadding", Spec.causal().and(Spec.keyPadding(3, 1)), 9),
                Arguments.of(
                        "allow & block disjoint",
                        Spec.allow(Tensor.of(new double[] {1, 1, 0, 0, 0, 0, 0}, S))
                                .and(Spec.block(Tensor.of(new double[] {1, 1, 0, 0, 0, 1, 1}, S))),
                        5));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fullyBlocked")
    void rowsWithNothingToAttendGiveZerosNotNaN(String name, Spec mask, int queries) {
        Tensor q = random(80, B, H, queries, 4);
        int blockedRows = 0;
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionResult r = checkAgainstNaive(kernel + " " + name, kernel.attention(), q, K, V, mask, Double.NaN);
            assertWellFormed(kernel + " " + name, r);
            blockedRows = 0;
            for (double x : r.logSumExp().toArray()) {
                blockedRows += x == NEG_INF ? 1 : 0;
            }
        }
        assertThat(blockedRows).as("%s blocks at least one row", name).isPositive();
    }

    // ------------------------------------------------------------------ NaN and infinities

    @Test
    void nanInABiasMakesItsRowNaNAndOnlyThatRow() {
        Tensor bias = random(90, B, H, L, S);
        bias.set(Double.NaN, 1, 2, 3, 4);
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionResult r =
                    checkAgainstNaive(kernel.name(), kernel.attention(), Q, K, V, Spec.bias(bias), Double.NaN);
            assertThat(r.output().select(0, 1).select(0, 2).select(0, 3).toArray())
                    .containsOnly(Double.NaN);
            assertThat(r.logSumExp().get(1, 2, 3)).isNaN();
            double[] lse = r.logSumExp().toArray();
            int nan = 0;
            for (double x : lse) {
                nan += Double.isNaN(x) ? 1 : 0;
            }
            assertThat(nan).as(kernel.name()).isEqualTo(1);
        }
    }

    @Test
    void aBlockedKeyStaysBlockedWhateverBiasIsAddedToIt() {
        // NaN and +inf biases on keys that another part of the mask blocks change nothing
        Tensor bias = random(91, L, S);
        bias.set(Double.NaN, 1, 2);
        bias.set(Double.POSITIVE_INFINITY, 3, 2);
        bias.set(Double.NaN, 0, 6); // blocked by causal (L=5, S=7: row 0 sees keys 0..2)
        Tensor block = Tensor.zeros(S);
        block.set(1, 2);
        Tensor allow = Tensor.ones(S);
        allow.set(0, 2);
        Mask finite = Mask.bias(bias.map(x -> Double.isFinite(x) ? x : 0));
        for (Kernel kernel : AttentionChecks.kernels()) {
            Attention a = kernel.attention();
            AttentionResult expected =
                    a.apply(Q, K, V, Mask.block(block).and(finite).and(Mask.causal()));
            for (Spec spec : new Spec[] {
                Spec.block(block).and(Spec.bias(bias)).and(Spec.causal()),
                Spec.bias(bias).and(Spec.block(block)).and(Spec.causal()),
                Spec.allow(allow).and(Spec.bias(bias)).and(Spec.causal()),
                Spec.causal().and(Spec.bias(bias)).and(Spec.allow(allow))
            }) {
                AttentionResult r = checkAgainstNaive(kernel.name(), a, Q, K, V, spec, Double.NaN);
                assertWellFormed(kernel.name(), r);
                AttentionChecks.assertSame(
                        kernel + " vs finite bias",
                        NaiveAttention.attend(
                                Q,
                                K,
                                V,
                                Spec.block(block)
                                        .and(Spec.bias(bias.map(x -> Double.isFinite(x) ? x : 0)))
                                        .and(Spec.causal()),
                                Double.NaN),
                        r);
                assertBitwise(kernel.name(), expected.output(), r.output());
            }
        }
    }

    static Stream<Arguments> blockingMasks() {
        // each blocks key 6 for every query (S = 7), by a different mechanism
        Tensor onlyLast = Tensor.zeros(S);
        onlyLast.set(1, 6);
        Tensor allButLast = Tensor.ones(S);
        allButLast.set(0, 6);
        return Stream.of(
                Arguments.of("keyPadding", Spec.keyPadding(6)),
                Arguments.of("block", Spec.block(onlyLast)),
                Arguments.of("allow", Spec.allow(allButLast)),
                Arguments.of("bias -inf", Spec.bias(onlyLast.map(x -> x == 1 ? NEG_INF : 0))),
                Arguments.of("causal & block", Spec.causal().and(Spec.block(onlyLast))),
                Arguments.of("block & bias", Spec.block(onlyLast).and(Spec.bias(random(92, L, S)))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("blockingMasks")
    void infinitiesInABlockedKeysValueDoNotLeak(String name, Spec mask) {
        for (double bad : new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN}) {
            Tensor v = V.copy();
            Tensor k = K.copy();
            for (int b = 0; b < B; b++) {
                for (int h = 0; h < H; h++) {
                    v.set(bad, b, h, 6, 0);
                    v.set(bad, b, h, 6, 2);
                }
            }
            for (Kernel kernel : AttentionChecks.kernels()) {
                String ctx = kernel + " " + name + " value " + bad;
                AttentionResult r = checkAgainstNaive(ctx, kernel.attention(), Q, k, v, mask, Double.NaN);
                assertWellFormed(ctx, r);
                assertThat(java.util.Arrays.stream(r.output().toArray()).allMatch(Double::isFinite))
                        .as(ctx)
                        .isTrue();
            }
        }
    }

    @Test
    void infinitiesInABlockedKeyDoNotLeak() {
        // the key vector itself: its score is never used
        Tensor k = K.copy();
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                k.set(Double.POSITIVE_INFINITY, b, h, 6, 1);
            }
        }
        for (Kernel kernel : AttentionChecks.kernels()) {
            for (Spec mask : new Spec[] {
                Spec.keyPadding(6),
                Spec.block(Tensor.of(new double[] {0, 0, 0, 0, 0, 0, 1}, S)),
                Spec.allow(Tensor.of(new double[] {1, 1, 1, 1, 1, 1, 0}, S))
            }) {
                AttentionResult r = checkAgainstNaive(kernel.name(), kernel.attention(), Q, k, V, mask, Double.NaN);
                assertWellFormed(kernel.name(), r);
            }
        }
    }

    // ------------------------------------------------------------------ masks own their tensors

    @Test
    void masksCopyTheirTensor() {
        for (String kind : new String[] {"allow", "block", "bias"}) {
            Tensor t = bits(100, 0.5, L, S);
            Spec spec = switch (kind) {
                case "allow" -> Spec.allow(t);
                case "block" -> Spec.block(t);
                default -> Spec.bias(t);
            };
            Mask mask = switch (kind) {
                case "allow" -> Mask.allow(t);
                case "block" -> Mask.block(t);
                default -> Mask.bias(t);
            };
            // the caller overwrites its tensor (and its backing array) after building the mask
            t.set(Double.NaN, 0, 0);
            java.util.Arrays.fill(t.data(), 1, t.data().length, 7.0);
            for (Kernel kernel : AttentionChecks.kernels()) {
                AttentionChecks.assertSame(
                        kernel + " " + kind,
                        NaiveAttention.attend(Q, K, V, spec, Double.NaN),
                        kernel.attention().apply(Q, K, V, mask));
            }
        }
    }

    @Test
    void masksOfViewsCopyTheViewedElements() {
        Tensor base = random(101, S, L);
        Tensor view = base.transpose(0, 1); // [L, S], non-contiguous
        Mask mask = Mask.bias(view);
        Spec spec = Spec.bias(view);
        java.util.Arrays.fill(base.data(), 0.0);
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionChecks.assertSame(
                    kernel.name(),
                    NaiveAttention.attend(Q, K, V, spec, Double.NaN),
                    kernel.attention().apply(Q, K, V, mask));
        }
    }

    @Test
    void masksOfBroadcastViews() {
        // a stride-0 view as the mask tensor: the mask keeps the elements the view shows
        Tensor row = bits(103, 0.5, 1, S);
        row.set(1, 0, 0); // at least one key allowed
        Tensor view = row.broadcastTo(L, S);
        Mask mask = Mask.allow(view);
        Spec spec = Spec.allow(view);
        row.set(0, 0, 0);
        for (Kernel kernel : AttentionChecks.kernels()) {
            AttentionChecks.assertSame(
                    kernel.name(),
                    NaiveAttention.attend(Q, K, V, spec, Double.NaN),
                    kernel.attention().apply(Q, K, V, mask));
        }
    }

    @Test
    void aMaskCanBeReusedForDifferentShapes() {
        Mask m = Mask.causal().and(Mask.bias(random(102, S)));
        for (Kernel kernel : AttentionChecks.kernels()) {
            checkAgainstNaive(
                    kernel.name(),
                    kernel.attention(),
                    Q,
                    K,
                    V,
                    Spec.causal().and(Spec.bias(random(102, S))),
                    Double.NaN);
            AttentionResult small = kernel.attention().apply(random(1, 3, 2), random(2, S, 2), random(3, S, 1), m);
            assertThat(small.output().shape()).containsExactly(3, 1);
        }
    }

    @Test
    void toStringNamesTheKind() {
        assertThat(Mask.none()).hasToString("Mask.none()");
        assertThat(Mask.causal()).hasToString("Mask.causal()");
        assertThat(Mask.keyPadding(3, 4).toString()).contains("keyPadding", "3", "4");
        assertThat(Mask.allow(Tensor.ones(2, 3)).toString()).contains("allow", "[2, 3]");
        assertThat(Mask.block(Tensor.ones(3)).and(Mask.causal()).toString()).contains("block", "causal");
    }
}
