package dev.heed.attention;

import static dev.heed.testing.ReferenceAssertions.assertMatches;
import static dev.heed.testing.ReferenceAssertions.assertNoNaN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.GradientFixtures.AttentionCase;
import dev.heed.attention.NaiveAttention.Spec;
import dev.heed.attention.NaiveAttentionGradients.Gradients;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import dev.heed.testing.Fixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves the references that the backward kernels are held to: the naive backward
 * ({@link NaiveAttentionGradients}) equals PyTorch autograd's gradients ({@code grad_sdpa.txt},
 * {@code grad_simple.txt}) to 1e-10 in every case, and equals central finite differences of the
 * naive forward over odd sizes, every mask kind, broadcast and transposed inputs.
 */
class NaiveAttentionGradientsTest {

    private static final double TOL = 1e-10;

    // ------------------------------------------------------------------ against the torch fixtures

    static Stream<Arguments> sdpaCases() {
        return GradientFixtures.sdpa().stream().map(c -> Arguments.of(Named.of(c.toString(), c)));
    }

    static Stream<Arguments> simpleCases() {
        return GradientFixtures.simple().stream().map(c -> Arguments.of(Named.of(c.toString(), c)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sdpaCases")
    void naiveBackwardMatchesTorchAutograd(AttentionCase c) {
        checkAgainstFixture(c, true);
    }

    @ParameterizedTest(name = "SimpleAttention {0}")
    @MethodSource("simpleCases")
    void naiveBackwardMatchesTorchAutogradForSimpleAttention(AttentionCase c) {
        checkAgainstFixture(c, false);
    }

    private static void checkAgainstFixture(AttentionCase c, boolean hasLse) {
        Fixtures.Case f = c.fixture();
        String context = c.toString();
        Tensor q = c.query();
        Gradients g = NaiveAttentionGradients.backward(q, c.key(), c.value(), c.spec(), c.scaleOrNaN(), c.gradOutput());

        assertMatches(context + " dq", f.tensor("dq"), g.query(), TOL, TOL);
        assertMatches(context + " dk", f.tensor("dk"), g.key(), TOL, TOL);
        assertMatches(context + " dv", f.tensor("dv"), g.value(), TOL, TOL);
        assertNoNaN(context + " dq", g.query());
        assertNoNaN(context + " dk", g.key());
        assertNoNaN(context + " dv", g.value());

        // the forward the gradients belong to
        Tensor q2 = q.rank() == 1 ? q.unsqueeze(0) : q;
        NaiveAttention.Result r = NaiveAttention.attend(q2, c.key(), c.value(), c.spec(), c.scaleOrNaN());
        double[] out = r.output();
        double[] weights = r.weights();
        assertMatches(
                context + " out",
                f.tensor("out").data(),
                f.tensor("out").shape(),
                Tensor.of(out, f.tensor("out").shape()),
                TOL,
                TOL);
        assertMatches(
                context + " weights",
                f.tensor("weights").data(),
                f.tensor("weights").shape(),
                Tensor.of(weights, f.tensor("weights").shape()),
                TOL,
                TOL);
        if (hasLse) {
            assertMatches(context + " lse", f.tensor("lse"), Tensor.of(r.logSumExp(), r.logSumExpShape()), TOL, TOL);
        }

        // a row that may attend to nothing passes exactly zero gradient to its query row
        int S = r.weightsShape()[r.weightsShape().length - 1];
        int d = q.shape(-1);
        int[] batch = Arrays.copyOf(r.weightsShape(), r.weightsShape().length - 2);
        boolean queryNotBroadcast = Arrays.equals(Arrays.copyOf(q2.shape(), q2.rank() - 2), batch);
        double[] dq = g.query().toArray();
        for (int row = 0; row < weights.length / Math.max(1, S); row++) {
            boolean empty = true;
            for (int j = 0; j < S; j++) {
                empty &= weights[row * S + j] == 0;
            }
            if (empty && S > 0 && queryNotBroadcast) {
                for (int c2 = 0; c2 < d; c2++) {
                    assertThat(dq[row * d + c2])
                            .as("%s: dq of empty row %d", context, row)
                            .isZero();
                }
            }
        }
    }

    // ------------------------------------------------------------------ against finite differences

    /** A mask kind, built for scores {@code [batch..., L, S]} from a seeded generator. */
    record MaskKind(String name, BiFunction<Random, int[], Spec> build) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<MaskKind> maskKinds() {
        return List.of(
                new MaskKind("none", (r, s) -> Spec.none()),
                new MaskKind("causal", (r, s) -> Spec.causal()),
                new MaskKind("allow [L,S] with an empty row", (r, s) -> {
                    Tensor m = bernoulli(r, 0.6, s[s.length - 2], s[s.length - 1]);
                    clearRow(m, 0, 0.0);
                    return Spec.allow(m);
                }),
                new MaskKind("block [B,1,S]", (r, s) -> Spec.block(bernoulli(r, 0.3, s[0], 1, s[s.length - 1]))),
                new MaskKind("bias with -inf and an empty row", (r, s) -> {
                    int L = s[s.length - 2];
                    int S = s[s.length - 1];
                    Tensor m = gaussian(r, L, S);
                    for (int i = 0; i < L; i++) {
                        for (int j = 0; j < S; j++) {
                            if (r.nextDouble() < 0.25) {
                                m.set(Double.NEGATIVE_INFINITY, i, j);
                            }
                        }
                    }
                    clearRow(m, L - 1, Double.NEGATIVE_INFINITY);
                    return Spec.bias(m);
                }),
                new MaskKind("keyPadding with a 0", (r, s) -> {
                    int[] lengths = new int[s[0]];
                    for (int b = 0; b < lengths.length; b++) {
                        lengths[b] = b == 1 ? 0 : r.nextInt(s[s.length - 1] + 1);
                    }
                    return Spec.keyPadding(lengths);
                }),
                new MaskKind("causal and keyPadding and bias", (r, s) -> {
                    int[] lengths = new int[s[0]];
                    Arrays.fill(lengths, Math.max(1, s[s.length - 1] - 1));
                    return Spec.causal()
                            .and(Spec.keyPadding(lengths))
                            .and(Spec.bias(gaussian(r, s[s.length - 2], s[s.length - 1])));
                }));
    }

    private static final int[][] SIZES = {{1, 1}, {1, 13}, {13, 1}, {3, 7}, {7, 3}, {13, 13}};

    static Stream<Arguments> finiteDifferenceCases() {
        List<Arguments> args = new ArrayList<>();
        for (MaskKind kind : maskKinds()) {
            for (int[] ls : SIZES) {
                args.add(Arguments.of(kind, ls[0], ls[1]));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0}, L={1}, S={2}")
    @MethodSource("finiteDifferenceCases")
    void naiveBackwardEqualsFiniteDifferences(MaskKind kind, int L, int S) {
        Random r = new Random(31L * L + 7L * S + kind.name().hashCode());
        int d = 3;
        int dv = 2;
        Tensor q = gaussian(r, 2, L, d);
        Tensor k = gaussian(r, 2, S, d);
        Tensor v = gaussian(r, 2, S, dv);
        Spec spec = kind.build().apply(r, new int[] {2, L, S});
        Tensor gOut = gaussian(r, 2, L, dv);
        checkFiniteDifferences(kind + " L=" + L + " S=" + S, q, k, v, spec, Double.NaN, gOut);
    }

    @Test
    void finiteDifferencesWithBroadcastRank4AndCustomScale() {
        Random r = new Random(5);
        // q [2, 3, 7, 4]; k [3, 13, 4] (one rank fewer); v [2, 1, 13, 3] (head axis broadcast)
        Tensor q = gaussian(r, 2, 3, 7, 4);
        Tensor k = gaussian(r, 3, 13, 4);
        Tensor v = gaussian(r, 2, 1, 13, 3);
        Tensor gOut = gaussian(r, 2, 3, 7, 3);
        checkFiniteDifferences(
                "rank 4, broadcast k and v, causal, scale 0.37",
                q,
                k,
                v,
                Spec.causal().and(Spec.keyPadding(13, 4)),
                0.37,
                gOut);
        // query broadcast against key and value
        Tensor q1 = gaussian(r, 1, 3, 4);
        Tensor k2 = gaussian(r, 2, 7, 4);
        Tensor v2 = gaussian(r, 2, 7, 3);
        checkFiniteDifferences(
                "query batch 1 against 2, block",
                q1,
                k2,
                v2,
                Spec.block(bernoulli(r, 0.3, 3, 7)),
                Double.NaN,
                gaussian(r, 2, 3, 3));
    }

    @Test
    void finiteDifferencesForASingleQueryAndRank2() {
        Random r = new Random(11);
        Tensor q = gaussian(r, 5);
        Tensor k = gaussian(r, 7, 5);
        Tensor v = gaussian(r, 7, 3);
        checkFiniteDifferences("q [d], scale 1", q, k, v, Spec.none(), 1.0, gaussian(r, 3));
        checkFiniteDifferences(
                "rank 2, causal L>S",
                gaussian(r, 13, 2),
                gaussian(r, 7, 2),
                gaussian(r, 7, 1),
                Spec.causal(),
                Double.NaN,
                gaussian(r, 13, 1));
    }

    private static void checkFiniteDifferences(
            String context, Tensor q, Tensor k, Tensor v, Spec spec, double scale, Tensor gOut) {
        Gradients g = NaiveAttentionGradients.backward(q, k, v, spec, scale, gOut);
        FiniteDifferences.ScalarFunction f = in -> {
            Tensor qq = in[0].rank() == 1 ? in[0].unsqueeze(0) : in[0];
            NaiveAttention.Result res = NaiveAttention.attend(qq, in[1], in[2], spec, scale);
            return FiniteDifferences.dot(Tensor.of(res.output(), gOut.shape()), gOut);
        };
        FiniteDifferences.assertGradient(context + ": dq", g.query(), f, 0, q, k, v);
        FiniteDifferences.assertGradient(context + ": dk", g.key(), f, 1, q, k, v);
        FiniteDifferences.assertGradient(context + ": dv", g.value(), f, 2, q, k, v);
    }

    // ------------------------------------------------------------------ structure

    @Test
    void broadcastGradientsAreSumsOverTheBatchElementsServed() {
        Random r = new Random(3);
        Tensor q = gaussian(r, 3, 7, 4);
        Tensor k = gaussian(r, 1, 5, 4);
        Tensor v = gaussian(r, 5, 2); // rank 2 against rank 3
        Tensor gOut = gaussian(r, 3, 7, 2);
        Spec spec = Spec.keyPadding(5, 0, 3);
        Gradients g = NaiveAttentionGradients.backward(q, k, v, spec, Double.NaN, gOut);
        Gradients full = NaiveAttentionGradients.backward(
                q, k.broadcastTo(3, 5, 4).copy(), v.broadcastTo(3, 5, 2).copy(), spec, Double.NaN, gOut);

        assertThat(g.key().shape()).containsExactly(1, 5, 4);
        assertThat(g.value().shape()).containsExactly(5, 2);
        assertThat(g.query().toArray()).containsExactly(full.query().toArray());
        double[] dk = full.key().toArray();
        double[] dv = full.value().toArray();
        double[] sumK = new double[20];
        double[] sumV = new double[10];
        for (int b = 0; b < 3; b++) {
            for (int i = 0; i < 20; i++) {
                sumK[i] += dk[b * 20 + i];
            }
            for (int i = 0; i < 10; i++) {
                sumV[i] += dv[b * 10 + i];
            }
        }
        // the same sums, added in another order
        assertMatches("dk", sumK, new int[] {1, 5, 4}, g.key(), 1e-15, 1e-14);
        assertMatches("dv", sumV, new int[] {5, 2}, g.value(), 1e-15, 1e-14);
        // batch element 1 (length 0) contributes nothing: its query rows have zero gradient
        assertThat(Arrays.copyOfRange(g.query().toArray(), 28, 56)).containsOnly(0.0);
    }

    @Test
    void viewsGiveTheGradientsOfTheirContiguousCopies() {
        Random r = new Random(4);
        Tensor qT = gaussian(r, 2, 3, 7); // [B, d, L], viewed as [B, L, d]
        Tensor k = gaussian(r, 2, 5, 3);
        Tensor v = gaussian(r, 2, 5, 2);
        Tensor gOut = gaussian(r, 2, 7, 2);
        Spec spec = Spec.causal();
        Gradients view = NaiveAttentionGradients.backward(qT.transpose(-2, -1), k, v, spec, Double.NaN, gOut);
        Gradients copy = NaiveAttentionGradients.backward(qT.transpose(-2, -1).copy(), k, v, spec, Double.NaN, gOut);
        assertThat(view.query().shape()).containsExactly(2, 7, 3);
        assertThat(view.query().toArray()).containsExactly(copy.query().toArray());
        assertThat(view.key().toArray()).containsExactly(copy.key().toArray());
        assertThat(view.value().toArray()).containsExactly(copy.value().toArray());
    }

    @Test
    void anInfiniteValueBehindABlockedKeyLeavesTheGradientsFinite() {
        Tensor q = Tensor.of(new double[] {0.5, -1.0, 2.0, 0.25}, 2, 2);
        Tensor k = Tensor.of(new double[] {1.0, 0.0, 0.0, 1.0, 1.0, 1.0}, 3, 2);
        Tensor v = Tensor.of(new double[] {1.0, 2.0, Double.POSITIVE_INFINITY}, 3, 1);
        Tensor gOut = Tensor.of(new double[] {1.0, -1.0}, 2, 1);
        Spec spec = Spec.keyPadding(2);
        Gradients g = NaiveAttentionGradients.backward(q, k, v, spec, Double.NaN, gOut);
        assertNoNaN("dq", g.query());
        assertNoNaN("dk", g.key());
        assertThat(g.value().toArray()[2]).isZero();
        assertThat(Arrays.copyOfRange(g.key().toArray(), 4, 6)).containsOnly(0.0);
    }

    @Test
    void rejectsAGradOutputOfTheWrongShape() {
        Tensor q = Tensor.zeros(2, 3, 4);
        Tensor k = Tensor.zeros(2, 5, 4);
        Tensor v = Tensor.zeros(2, 5, 2);
        assertThatThrownBy(
                        () -> NaiveAttentionGradients.backward(q, k, v, Spec.none(), Double.NaN, Tensor.zeros(2, 3, 4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3, 2]");
    }

    @Test
    void finiteDifferencesCatchAWrongGradient() {
        Tensor x = Tensor.of(new double[] {0.3, -1.2, 2.5}, 3);
        FiniteDifferences.ScalarFunction f = in -> {
            double[] a = in[0].toArray();
            return Math.sin(a[0]) * a[1] + a[2] * a[2] * a[2];
        };
        Tensor exact = Tensor.of(new double[] {Math.cos(0.3) * -1.2, Math.sin(0.3), 3 * 2.5 * 2.5}, 3);
        FiniteDifferences.assertGradient("exact", exact, f, 0, x);
        Tensor numeric = FiniteDifferences.gradient(f, 0, x);
        double[] n = numeric.toArray();
        double[] e = exact.toArray();
        for (int i = 0; i < 3; i++) {
            assertThat(Math.abs(n[i] - e[i]))
                    .as("element %d", i)
                    .isLessThanOrEqualTo(1e-9 * Math.max(1, Math.abs(e[i])));
        }
        Tensor wrong = Tensor.of(new double[] {e[0], e[1] * (1 + 1e-3), e[2]}, 3);
        assertThatThrownBy(() -> FiniteDifferences.assertGradient("wrong", wrong, f, 0, x))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 of 3");
    }

    // ------------------------------------------------------------------ the fixture files

    @Test
    void gradientFixturesLoadAndCoverEveryMaskKind() {
        List<AttentionCase> sdpa = GradientFixtures.sdpa();
        assertThat(sdpa).hasSizeGreaterThanOrEqualTo(35);
        Set<String> kinds = new HashSet<>();
        boolean causalLessQueries = false;
        boolean causalSquare = false;
        boolean causalMoreQueries = false;
        boolean zeroLength = false;
        boolean negInfBias = false;
        boolean emptyRow = false;
        boolean broadcast = false;
        boolean rank3 = false;
        boolean rank4 = false;
        boolean customScale = false;
        Set<Integer> sizes = new HashSet<>();
        for (AttentionCase c : sdpa) {
            Fixtures.Case f = c.fixture();
            String mask = f.string("mask");
            int L = c.query().shape(-2);
            int S = c.key().shape(-2);
            sizes.add(L);
            sizes.add(S);
            for (String term : mask.split("&")) {
                kinds.add(term.contains(":") ? term.substring(0, term.indexOf(':')) : term);
                if (term.startsWith("keyPadding:")) {
                    zeroLength |= Arrays.stream(f.ints(term.substring(11))).anyMatch(n -> n == 0);
                }
                if (term.startsWith("bias:")) {
                    negInfBias |= Arrays.stream(f.tensor(term.substring(5)).data())
                            .anyMatch(x -> x == Double.NEGATIVE_INFINITY);
                }
            }
            if (mask.contains("&")) {
                kinds.add("and");
            }
            if (mask.equals("causal")) {
                causalLessQueries |= L < S;
                causalSquare |= L == S;
                causalMoreQueries |= L > S;
            }
            emptyRow |= Arrays.stream(f.tensor("lse").data()).anyMatch(x -> x == Double.NEGATIVE_INFINITY);
            broadcast |= !Arrays.equals(
                    Arrays.copyOf(c.key().shape(), c.key().rank() - 2),
                    Arrays.copyOf(c.query().shape(), c.query().rank() - 2));
            rank3 |= c.query().rank() == 3;
            rank4 |= c.query().rank() == 4;
            customScale |= c.customScale().isPresent();

            // shapes: each gradient like its input's logical shape, grad_out like the output
            assertThat(f.tensor("dq").shape())
                    .as(c.name())
                    .containsExactly(c.query().shape());
            assertThat(f.tensor("dk").shape())
                    .as(c.name())
                    .containsExactly(c.key().shape());
            assertThat(f.tensor("dv").shape())
                    .as(c.name())
                    .containsExactly(c.value().shape());
            assertThat(f.tensor("grad_out").shape())
                    .as(c.name())
                    .containsExactly(f.tensor("out").shape());
            for (String name : List.of("out", "weights", "dq", "dk", "dv")) {
                assertThat(f.tensor(name).data()).as("%s %s", c.name(), name).doesNotContain(Double.NaN);
            }
        }
        assertThat(kinds).contains("none", "causal", "allow", "block", "bias", "keyPadding", "and");
        assertThat(causalLessQueries && causalSquare && causalMoreQueries)
                .as("causal L<S, L=S, L>S")
                .isTrue();
        assertThat(zeroLength && negInfBias && emptyRow && broadcast && rank3 && rank4 && customScale)
                .isTrue();
        assertThat(sizes).contains(1, 3, 7, 13);

        List<AttentionCase> simple = GradientFixtures.simple();
        assertThat(simple)
                .anyMatch(c -> c.query().rank() == 1)
                .anyMatch(c -> c.query().rank() == 2);

        for (String file : List.of("grad_mha.txt", "grad_layers.txt", "grad_loss.txt")) {
            assertThat(Fixtures.load(file)).as(file).isNotEmpty();
        }
        for (Fixtures.Case c : Fixtures.load("grad_mha.txt")) {
            for (String p : c.string("params").split(",")) {
                assertThat(c.tensor("grad." + p).shape())
                        .as("%s grad.%s", c.name(), p)
                        .containsExactly(c.tensor(p).shape());
            }
            assertThat(c.tensor("dquery").shape())
                    .containsExactly(c.tensor("query").shape());
        }
    }

    // ------------------------------------------------------------------ helpers

    static Tensor gaussian(Random r, int... shape) {
        Tensor t = Tensor.zeros(shape);
        double[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = r.nextGaussian();
        }
        return t;
    }

    private static Tensor bernoulli(Random r, double p, int... shape) {
        Tensor t = Tensor.zeros(shape);
        double[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = r.nextDouble() < p ? 1.0 : 0.0;
        }
        return t;
    }

    private static void clearRow(Tensor m, int row, double value) {
        int S = m.shape(-1);
        for (int j = 0; j < S; j++) {
            m.set(value, row, j);
        }
    }
}
