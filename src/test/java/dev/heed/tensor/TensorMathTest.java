package dev.heed.tensor;

import static dev.heed.tensor.TensorTesting.assertExact;
import static dev.heed.tensor.TensorTesting.count;
import static dev.heed.tensor.TensorTesting.flat;
import static dev.heed.tensor.TensorTesting.forEachIndex;
import static dev.heed.tensor.TensorTesting.layout;
import static dev.heed.tensor.TensorTesting.random;
import static dev.heed.tensor.TensorTesting.values;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.TensorTesting.Layout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Elementwise arithmetic with NumPy broadcasting, unary maps and {@code allClose}, against naive loops. */
class TensorMathTest {

    /** Pairs of shapes that broadcast, including rank 0 and size 0. */
    static final int[][][] PAIRS = {
        {{}, {}},
        {{}, {3}},
        {{3}, {}},
        {{7}, {7}},
        {{1}, {13}},
        {{13}, {1}},
        {{0}, {1}},
        {{0}, {}},
        {{}, {0, 4}},
        {{3, 1}, {1, 4}},
        {{2, 3, 4}, {4}},
        {{2, 3, 4}, {3, 1}},
        {{65, 1}, {1, 64}},
        {{1, 257}, {7, 1}},
        {{2, 1, 3}, {5, 1}},
        {{0, 3}, {1, 3}},
        {{2, 0, 1}, {3}},
        {{4, 1, 1, 5}, {3, 5}},
        {{1}, {1, 1, 1}},
        {{3, 7}, {3, 7}},
    };

    /** NumPy's broadcast of two shapes, written independently of {@link Shapes}. */
    static int[] broadcast(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int k = 0; k < rank; k++) {
            int da = k - (rank - a.length) >= 0 ? a[k - (rank - a.length)] : 1;
            int db = k - (rank - b.length) >= 0 ? b[k - (rank - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new AssertionError("test bug: " + Arrays.toString(a) + " vs " + Arrays.toString(b));
            }
            out[k] = da == 1 ? db : da;
        }
        return out;
    }

    /** The index into an operand of {@code shape} that output index {@code idx} reads. */
    static int[] source(int[] shape, int[] idx) {
        int[] s = new int[shape.length];
        int lead = idx.length - shape.length;
        for (int k = 0; k < shape.length; k++) {
            s[k] = shape[k] == 1 ? 0 : idx[lead + k];
        }
        return s;
    }

    /** The naive result of {@code f} over {@code a} and {@code b} broadcast together, row-major. */
    static double[] naive(double[] a, int[] as, double[] b, int[] bs, DoubleBinaryOperator f) {
        int[] out = broadcast(as, bs);
        double[] r = new double[count(out)];
        forEachIndex(
                out,
                idx -> r[flat(out, idx)] = f.applyAsDouble(a[flat(as, source(as, idx))], b[flat(bs, source(bs, idx))]));
        return r;
    }

    record Op(String name, BiFunction<Tensor, Tensor, Tensor> method, DoubleBinaryOperator reference) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Op> OPS = List.of(
            new Op("add", Tensor::add, (x, y) -> x + y),
            new Op("sub", Tensor::sub, (x, y) -> x - y),
            new Op("mul", Tensor::mul, (x, y) -> x * y),
            new Op("div", Tensor::div, (x, y) -> x / y),
            new Op("zip(hypot)", (a, b) -> a.zip(b, Math::hypot), Math::hypot),
            new Op("zip(first)", (a, b) -> a.zip(b, (x, y) -> x), (x, y) -> x));

    static Stream<Arguments> pairsAndLayouts() {
        List<Arguments> out = new ArrayList<>();
        Layout[] ls = Layout.values();
        for (int p = 0; p < PAIRS.length; p++) {
            for (int l = 0; l < ls.length; l++) {
                out.add(Arguments.of(PAIRS[p][0], PAIRS[p][1], ls[l], ls[(l + 3 + p) % ls.length]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} with {1}, {2}/{3}")
    @MethodSource("pairsAndLayouts")
    void binaryOperationsBroadcastLikeNumPy(int[] as, int[] bs, Layout la, Layout lb) {
        double[] a = random(count(as) + 31, count(as));
        double[] b = random(count(bs) + 77, count(bs));
        Tensor ta = layout(la, a, as);
        Tensor tb = layout(lb, b, bs);
        int[] out = broadcast(as, bs);
        for (Op op : OPS) {
            Tensor r = op.method().apply(ta, tb);
            assertExact(
                    r,
                    out,
                    naive(a, as, b, bs, op.reference()),
                    op + " " + Arrays.toString(as) + " " + Arrays.toString(bs));
            assertThat(r.isContiguous()).isTrue();
            assertThat(r.offset()).isZero();
            assertThat(r.data()).isNotSameAs(ta.data()).isNotSameAs(tb.data());
            Tensor swapped = op.method().apply(tb, ta);
            assertExact(swapped, out, naive(b, bs, a, as, op.reference()), op + " swapped");
        }
        // Operands are left unmodified.
        assertThat(values(ta)).containsExactly(a);
        assertThat(values(tb)).containsExactly(b);
    }

    @Test
    void explicitlyBroadcastOperandsWithStrideZero() {
        double[] row = random(3, 65);
        double[] col = random(4, 7);
        Tensor r = Tensor.of(row, 65).broadcastTo(7, 65);
        Tensor c = Tensor.of(col, 7, 1).broadcastTo(7, 65);
        Tensor full = layout(Layout.NEGATIVE, random(5, 7 * 65), 7, 65);
        double[] f = values(full);
        double[] expected = new double[7 * 65];
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 65; j++) {
                expected[i * 65 + j] = (row[j] - col[i]) * f[i * 65 + j];
            }
        }
        assertExact(r.sub(c).mul(full), new int[] {7, 65}, expected, "(row - col) * full");
        Tensor both = Tensor.scalar(2).broadcastTo(3, 4).add(Tensor.scalar(3).broadcastTo(4));
        assertExact(both, new int[] {3, 4}, filled(12, 5), "stride-0 both sides");
    }

    @Test
    void ieeeSpecialsFlowThrough() {
        double inf = Double.POSITIVE_INFINITY;
        double nan = Double.NaN;
        double[] x = {1, -1, 0, -0.0, inf, -inf, nan, 5};
        double[] y = {0, 0, 0, 0, inf, inf, 1, -0.0};
        Tensor a = Tensor.of(x, 8);
        Tensor b = Tensor.of(y, 8);
        for (Op op : OPS) {
            double[] expected = new double[8];
            for (int i = 0; i < 8; i++) {
                expected[i] = op.reference().applyAsDouble(x[i], y[i]);
            }
            assertExact(op.method().apply(a, b), new int[] {8}, expected, op.name());
        }
        assertThat(a.div(b).toArray()).containsExactly(inf, -inf, nan, nan, nan, nan, nan, -inf);
        assertThat(1 / a.sub(a.scale(1)).neg().get(3)).isEqualTo(Double.NEGATIVE_INFINITY); // -(−0 − −0) = −0
    }

    private static double[] filled(int n, double v) {
        double[] out = new double[n];
        Arrays.fill(out, v);
        return out;
    }

    record Unary(String name, Function<Tensor, Tensor> method, DoubleUnaryOperator reference) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Unary> UNARY = List.of(
            new Unary("exp", Tensor::exp, Math::exp),
            new Unary("log", Tensor::log, Math::log),
            new Unary("tanh", Tensor::tanh, Math::tanh),
            new Unary("neg", Tensor::neg, x -> -x),
            new Unary("scale(-2.5)", t -> t.scale(-2.5), x -> x * -2.5),
            new Unary("scale(0)", t -> t.scale(0), x -> x * 0),
            new Unary("add(0.75)", t -> t.add(0.75), x -> x + 0.75),
            new Unary("map(cube)", t -> t.map(x -> x * x * x), x -> x * x * x));

    static Stream<Arguments> unaryCases() {
        int[][] shapes = {{}, {0}, {1}, {7}, {257}, {3, 0}, {13, 7}, {2, 3, 5}, {64, 65}};
        List<Arguments> out = new ArrayList<>();
        for (int[] s : shapes) {
            for (Layout l : Layout.values()) {
                out.add(Arguments.of(s, l));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("unaryCases")
    void unaryOperationsApplyToEveryElement(int[] shape, Layout l) {
        double[] v = random(count(shape) + 5, count(shape));
        if (v.length > 3) {
            v[0] = Double.NaN;
            v[1] = Double.NEGATIVE_INFINITY;
            v[2] = -0.0;
            v[3] = 800; // exp overflows
        }
        Tensor t = layout(l, v, shape);
        for (Unary u : UNARY) {
            double[] expected = Arrays.stream(v).map(u.reference()).toArray();
            Tensor r = u.method().apply(t);
            assertExact(r, shape, expected, u + " " + l);
            assertThat(r.isContiguous()).isTrue();
            assertThat(r.data()).isNotSameAs(t.data());
        }
        assertThat(values(t)).containsExactly(v);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void mapVisitsElementsInRowMajorOrder(Layout l) {
        int[] shape = {3, 4, 5};
        double[] v = random(8, 60);
        Tensor t = layout(l, v, shape);
        List<Double> seen = new ArrayList<>();
        t.map(x -> {
            seen.add(x);
            return x;
        });
        assertThat(seen).containsExactly(Arrays.stream(v).boxed().toArray(Double[]::new));
    }

    @Test
    void logAndExpEdges() {
        Tensor t = Tensor.of(new double[] {0, -0.0, -1, 1, Double.POSITIVE_INFINITY}, 5);
        assertThat(t.log().toArray())
                .containsExactly(
                        Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 0, Double.POSITIVE_INFINITY);
        assertThat(t.neg().exp().toArray()).containsExactly(1, 1, Math.E, Math.exp(-1), 0);
        assertThat(Tensor.of(new double[] {-1e6, 1e6}, 2).tanh().toArray()).containsExactly(-1, 1);
    }

    // ------------------------------------------------------------------ allClose

    @Test
    void allCloseUsesNumPysAsymmetricFormula() {
        Tensor one = Tensor.scalar(1);
        // |a - b| <= atol + rtol·|b| with rtol = 1e-5, atol = 1e-8 by default
        assertThat(Tensor.scalar(1 + 1e-5).allClose(one)).isTrue();
        assertThat(Tensor.scalar(1 + 1.2e-5).allClose(one)).isFalse();
        assertThat(Tensor.scalar(1e-8).allClose(Tensor.scalar(0))).isTrue();
        assertThat(Tensor.scalar(2e-8).allClose(Tensor.scalar(0))).isFalse();
        assertThat(Tensor.scalar(0).allClose(Tensor.scalar(1e-8))).isTrue();
        // Asymmetric: the tolerance scales with the second argument.
        Tensor a = Tensor.scalar(10);
        Tensor b = Tensor.scalar(11);
        assertThat(a.allClose(b, 0.095, 0)).isTrue(); // 1 <= 0.095 · 11 = 1.045
        assertThat(b.allClose(a, 0.095, 0)).isFalse(); // 1 > 0.095 · 10 = 0.95
        assertThat(a.allClose(b, 0, 1)).isTrue();
        assertThat(a.allClose(b, 0, 0.999)).isFalse();
    }

    @Test
    void allCloseNeverCallsNaNCloseAndMatchesEqualInfinities() {
        double inf = Double.POSITIVE_INFINITY;
        assertThat(Tensor.scalar(Double.NaN).allClose(Tensor.scalar(Double.NaN)))
                .isFalse();
        assertThat(Tensor.scalar(Double.NaN).allClose(Tensor.scalar(1), 1e300, 1e300))
                .isFalse();
        assertThat(Tensor.scalar(1).allClose(Tensor.scalar(Double.NaN), 1e300, 1e300))
                .isFalse();
        assertThat(Tensor.scalar(inf).allClose(Tensor.scalar(inf))).isTrue();
        assertThat(Tensor.scalar(-inf).allClose(Tensor.scalar(-inf), 0, 0)).isTrue();
        assertThat(Tensor.scalar(inf).allClose(Tensor.scalar(-inf), 1e300, 1e300))
                .isFalse();
        // np.isclose(1, inf) and np.isclose(inf, 1) are both False, whatever the tolerance.
        assertThat(Tensor.scalar(1).allClose(Tensor.scalar(inf))).isFalse();
        assertThat(Tensor.scalar(1).allClose(Tensor.scalar(inf), 1, 0)).isFalse();
        assertThat(Tensor.scalar(inf).allClose(Tensor.scalar(1e308), 1e300, 1e300))
                .isFalse();
        Tensor withNaN = Tensor.of(new double[] {1, Double.NaN, 3}, 3);
        assertThat(withNaN.allClose(withNaN.copy())).isFalse();
        assertThat(Tensor.of(new double[] {inf, -inf, 0}, 3).allClose(Tensor.of(new double[] {inf, -inf, -0.0}, 3)))
                .isTrue();
    }

    @ParameterizedTest(name = "{0} with {1}, {2}/{3}")
    @MethodSource("pairsAndLayouts")
    void allCloseBroadcastsAndComparesEveryPair(int[] as, int[] bs, Layout la, Layout lb) {
        double[] a = random(count(as) + 1, count(as));
        double[] b = random(count(bs) + 2, count(bs));
        Tensor ta = layout(la, a, as);
        Tensor tb = layout(lb, b, bs);
        double[] close = naive(a, as, b, bs, (x, y) -> Math.abs(x - y) <= 0.3 + 0.1 * Math.abs(y) ? 1 : 0);
        boolean expected = Arrays.stream(close).allMatch(c -> c == 1);
        assertThat(ta.allClose(tb, 0.1, 0.3)).isEqualTo(expected);
        // Every tensor is close to itself broadcast against anything of its own shape.
        boolean hasNaN = Arrays.stream(a).anyMatch(Double::isNaN);
        assertThat(ta.allClose(ta.copy(), 0, 0)).isEqualTo(!hasNaN);
    }

    @Test
    void allCloseChecksEveryElementOfLargeTensors() {
        double[] v = random(9, 257 * 65);
        Tensor a = layout(Layout.STEPPED, v, 257, 65);
        double[] w = v.clone();
        assertThat(a.allClose(Tensor.of(w.clone(), 257, 65), 0, 0)).isTrue();
        for (int p : new int[] {0, 64, 65, 257 * 65 - 1, 4000}) {
            double[] x = v.clone();
            x[p] += 1e-3;
            assertThat(a.allClose(Tensor.of(x, 257, 65)))
                    .as("perturbed at %d", p)
                    .isFalse();
            assertThat(a.allClose(Tensor.of(x, 257, 65), 0, 1.1e-3)).isTrue();
        }
        Tensor row = Tensor.of(new double[] {1, 2, 3}, 3);
        Tensor rows = Tensor.of(new double[] {1, 2, 3, 1, 2, 3.1}, 2, 3);
        assertThat(row.allClose(rows)).isFalse();
        assertThat(row.allClose(rows, 0, 0.11)).isTrue();
        assertThat(Tensor.zeros(0).allClose(Tensor.zeros(3, 0))).isTrue();
        assertThat(Tensor.zeros(0).allClose(Tensor.scalar(Double.NaN))).isTrue();
    }
}
