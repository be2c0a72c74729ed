package dev.heed.encoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RotaryEncoding against naive loops over every element, over odd sizes, both layouts, partial
 * rotary, far positions and non-contiguous inputs; its inverse and backward (finite differences);
 * the relative-position property; the cache; bad input.
 */
class RotaryEncodingTest {

    // ------------------------------------------------------------------ naive references

    /**
     * The rotation written element by element through {@code get} on the (possibly strided) input:
     * pair i is (i, i + dim/2) or (2i, 2i + 1); a' = a cos θ − b sin θ, b' = a sin θ + b cos θ with
     * θ = (start + t) · invFreq[i]. With the encoding's own frequencies and StrictMath this is the
     * same arithmetic, so it must agree bit for bit.
     */
    private static double[] naive(
            Tensor x, int dim, boolean interleaved, double[] invFreq, int start, boolean strictMath) {
        int[] shape = x.shape();
        int rank = shape.length;
        double[] out = new double[x.size()];
        int[] index = new int[rank];
        int half = dim / 2;
        for (int flat = 0; flat < out.length; flat++) {
            int rem = flat;
            for (int k = rank - 1; k >= 0; k--) {
                index[k] = rem % shape[k];
                rem /= shape[k];
            }
            int t = index[rank - 2];
            int f = index[rank - 1];
            double value = x.get(index);
            if (f >= dim) {
                out[flat] = value;
                continue;
            }
            int pair = interleaved ? f / 2 : f % half;
            boolean first = interleaved ? f % 2 == 0 : f < half;
            int partner = interleaved ? (first ? f + 1 : f - 1) : (first ? f + half : f - half);
            int[] other = index.clone();
            other[rank - 1] = partner;
            double otherValue = x.get(other);
            double theta = ((double) start + t) * invFreq[pair];
            double c = strictMath ? StrictMath.cos(theta) : Math.cos(theta);
            double s = strictMath ? StrictMath.sin(theta) : Math.sin(theta);
            out[flat] = first ? value * c - otherValue * s : otherValue * s + value * c;
        }
        return out;
    }

    /** Frequencies from the formula with Math.pow: independent of the class (within an ulp). */
    private static double[] mathPowFrequencies(int dim, double base) {
        double[] f = new double[dim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1.0 / Math.pow(base, 2.0 * i / dim);
        }
        return f;
    }

    static Stream<Arguments> shapes() {
        List<Arguments> cases = new ArrayList<>();
        int[][] shapes = {
            {1, 2}, {3, 6}, {7, 8}, {13, 11}, {2, 1, 64}, {3, 7, 9}, {2, 2, 13, 6}, {1, 3, 65, 8}, {2, 64, 4}, {257, 2}
        };
        int[] dims = {2, 6, 8, 8, 64, 8, 6, 8, 4, 2};
        for (int n = 0; n < shapes.length; n++) {
            for (int start : new int[] {0, 5, 1_000_003}) {
                for (boolean interleaved : new boolean[] {false, true}) {
                    cases.add(Arguments.of(shapes[n], dims[n], start, interleaved));
                }
            }
        }
        return cases.stream();
    }

    private static RotaryEncoding encoding(int dim, boolean interleaved) {
        RotaryEncoding r = RotaryEncoding.of(dim);
        return interleaved ? r.interleaved() : r;
    }

    @ParameterizedTest(name = "{0} dim={1} start={2} interleaved={3}")
    @MethodSource("shapes")
    void equalsTheNaiveLoopBitForBit(int[] shape, int dim, int start, boolean interleaved) {
        RotaryEncoding rope = encoding(dim, interleaved);
        Tensor x = Tensor.random(shape.length * 100L + dim).normal(shape);
        double[] before = x.toArray();
        Tensor y = rope.apply(x, start);
        assertThat(y.shape()).containsExactly(shape);
        assertThat(y.isContiguous()).isTrue();
        assertThat(y.toArray()).containsExactly(naive(x, dim, interleaved, rope.inverseFrequencies(), start, true));
        assertThat(x.toArray()).as("input not modified").containsExactly(before);
    }

    @ParameterizedTest(name = "{0} dim={1} start={2} interleaved={3}")
    @MethodSource("shapes")
    void agreesWithAnIndependentFormula(int[] shape, int dim, int start, boolean interleaved) {
        // Math.pow and Math.sin/cos: each within an ulp, so the angle may move by p·2^-52.
        RotaryEncoding rope = encoding(dim, interleaved);
        Tensor x = Tensor.random(7).normal(shape);
        double[] expected = naive(x, dim, interleaved, mathPowFrequencies(dim, 10000.0), start, false);
        double[] actual = rope.apply(x, start).toArray();
        double tolerance = 1e-14 + 4 * (start + shape[shape.length - 2]) * Math.ulp(1.0) * 8;
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("element %d", i).isCloseTo(expected[i], within(tolerance));
        }
    }

    @Test
    void frequenciesArePyTorchsFormula() {
        RotaryEncoding rope = RotaryEncoding.of(8);
        assertThat(rope.inverseFrequencies()).containsExactly(1.0, 1.0 / 10.0, 1.0 / 100.0, 1.0 / 1000.0);
        double[] llama3 = RotaryEncoding.of(128).withBase(500000).inverseFrequencies();
        double[] approx = mathPowFrequencies(128, 500000);
        for (int i = 0; i < llama3.length; i++) {
            assertThat(Math.abs(llama3[i] - approx[i])).as("pair %d", i).isLessThanOrEqualTo(Math.ulp(approx[i]));
        }
        assertThat(llama3[0]).isEqualTo(1.0);
        assertThat(llama3[63]).isCloseTo(Math.pow(500000, -126.0 / 128), within(1e-20));
    }

    @Test
    void anglesAreOuterProductOfPositionsAndFrequencies() {
        RotaryEncoding rope = RotaryEncoding.of(6).withBase(500000);
        double[] f = rope.inverseFrequencies();
        Tensor angles = rope.angles(1_000_000, 3);
        assertThat(angles.shape()).containsExactly(3, 3);
        for (int t = 0; t < 3; t++) {
            for (int i = 0; i < 3; i++) {
                assertThat(angles.get(t, i)).isEqualTo((1_000_000.0 + t) * f[i]);
            }
        }
        assertThat(rope.angles(0, 0).shape()).containsExactly(0, 3);
    }

    // ------------------------------------------------------------------ layouts and views

    @Test
    void interleavedIsRotateHalfOnPermutedFeatures() {
        // Feature 2i of the interleaved layout plays feature i of rotate-half, 2i+1 plays i + dim/2.
        int dim = 8;
        int d = 10;
        Tensor x = Tensor.random(3).normal(2, 5, d);
        int[] order = {0, 4, 1, 5, 2, 6, 3, 7, 8, 9}; // half-layout feature of each interleaved feature
        Tensor permuted = permuteFeatures(x, order);
        Tensor viaHalf = RotaryEncoding.of(dim).apply(permuted, 9);
        Tensor viaInterleaved = RotaryEncoding.of(dim).interleaved().apply(x, 9);
        assertThat(permuteFeatures(viaInterleaved, order).toArray()).containsExactly(viaHalf.toArray());
    }

    /** y[..., j] = x[..., k] where order[k] = j. */
    private static Tensor permuteFeatures(Tensor x, int[] order) {
        double[] in = x.toArray();
        double[] out = new double[in.length];
        int d = order.length;
        for (int r = 0; r < in.length / d; r++) {
            for (int k = 0; k < d; k++) {
                out[r * d + order[k]] = in[r * d + k];
            }
        }
        return Tensor.of(out, x.shape());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void viewsGiveTheSameBitsAsTheirCopies(boolean interleaved) {
        RotaryEncoding rope = encoding(6, interleaved);
        // transposed: stored [2, 7, 5] (features, tokens swapped)
        Tensor stored = Tensor.random(11).normal(2, 7, 5);
        Tensor transposed = stored.transpose(-2, -1); // [2, 5, 7]
        assertThat(transposed.isContiguous()).isFalse();
        assertThat(rope.apply(transposed, 3).toArray())
                .containsExactly(rope.apply(transposed.copy(), 3).toArray());
        // strided: every other token and a feature slice
        Tensor strided = Tensor.random(12).normal(3, 13, 9).slice(1, 0, 13, 2).slice(2, 1, 9);
        assertThat(rope.apply(strided, 0).toArray())
                .containsExactly(rope.apply(strided.copy(), 0).toArray());
        // broadcast: one sequence seen by 4 heads (stride 0)
        Tensor broadcast = Tensor.random(13).normal(1, 7, 6).broadcastTo(4, 7, 6);
        Tensor y = rope.apply(broadcast, 2);
        assertThat(y.toArray()).containsExactly(rope.apply(broadcast.copy(), 2).toArray());
        assertThat(y.isContiguous()).isTrue();
        assertThat(y.select(0, 3).toArray()).containsExactly(y.select(0, 0).toArray());
        // backward and inverse take views too
        assertThat(rope.backward(transposed, 3).toArray())
                .containsExactly(rope.backward(transposed.copy(), 3).toArray());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void partialRotaryPassesTheOtherFeaturesThrough(boolean interleaved) {
        Tensor x = Tensor.random(14).normal(2, 7, 11);
        Tensor y = encoding(4, interleaved).apply(x, 17);
        assertThat(y.slice(-1, 4, 11).toArray())
                .containsExactly(x.slice(-1, 4, 11).toArray());
        assertThat(y.slice(-1, 0, 4).toArray()).isNotEqualTo(x.slice(-1, 0, 4).toArray());
        // the rotated part is the full rotary of those features
        assertThat(y.slice(-1, 0, 4).toArray())
                .containsExactly(
                        encoding(4, interleaved).apply(x.slice(-1, 0, 4), 17).toArray());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void positionZeroIsTheIdentityAndNormsArePreserved(boolean interleaved) {
        RotaryEncoding rope = encoding(8, interleaved);
        Tensor x = Tensor.random(15).normal(5, 8);
        Tensor y = rope.apply(x, 0);
        assertThat(y.select(0, 0).toArray()).containsExactly(x.select(0, 0).toArray());
        for (int t = 0; t < 5; t++) {
            for (int i = 0; i < 4; i++) {
                int a = interleaved ? 2 * i : i;
                int b = interleaved ? 2 * i + 1 : i + 4;
                double before = Math.hypot(x.get(t, a), x.get(t, b));
                assertThat(Math.hypot(y.get(t, a), y.get(t, b))).isCloseTo(before, within(1e-15 * (1 + before)));
            }
        }
    }

    @Test
    void aLaterStartIsTheSameRowsShifted() {
        // Row t at start s is position s + t, whatever the call: decoding token by token gives
        // the bits of the whole sequence.
        RotaryEncoding rope = RotaryEncoding.of(6);
        Tensor x = Tensor.random(16).normal(3, 9, 6);
        Tensor whole = rope.apply(x, 100);
        for (int t = 0; t < 9; t++) {
            Tensor one = RotaryEncoding.of(6).apply(x.slice(1, t, t + 1), 100 + t);
            assertThat(one.toArray()).containsExactly(whole.slice(1, t, t + 1).toArray());
        }
        Tensor tail = rope.apply(x.slice(1, 4, 9), 104); // served from the cached table of the first call
        assertThat(tail.toArray()).containsExactly(whole.slice(1, 4, 9).toArray());
    }

    @Test
    void positionsPastTheIntRangeAreExact() {
        RotaryEncoding rope = RotaryEncoding.of(4);
        Tensor x = Tensor.random(17).normal(6, 4);
        double[] y = rope.apply(x, Integer.MAX_VALUE - 2).toArray();
        assertThat(y).containsExactly(naive(x, 4, false, rope.inverseFrequencies(), Integer.MAX_VALUE - 2, true));
        // the naive loop's positions are doubles: Integer.MAX_VALUE - 2 + 5 > 2^31 - 1 is not wrapped
        assertThat(y).doesNotContain(Double.NaN);
    }

    // ------------------------------------------------------------------ inverse and backward

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void inverseUndoesTheRotation(boolean interleaved) {
        RotaryEncoding rope = encoding(8, interleaved).withBase(500000);
        Tensor x = Tensor.random(18).normal(2, 13, 10);
        for (int start : new int[] {0, 5, 1_000_003}) {
            Tensor back = rope.applyInverse(rope.apply(x, start), start);
            assertThat(back.allClose(x, 0, 1e-14)).as("start %d", start).isTrue();
            Tensor forth = rope.apply(rope.applyInverse(x, start), start);
            assertThat(forth.allClose(x, 0, 1e-14)).as("start %d", start).isTrue();
        }
        // the inverse at start s is the forward rotation by -θ: not the forward rotation itself
        assertThat(rope.applyInverse(x, 5).allClose(rope.apply(x, 5), 0, 1e-3)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void backwardIsTheInverseAndMatchesFiniteDifferences(boolean interleaved) {
        RotaryEncoding rope = encoding(6, interleaved).withBase(10);
        Tensor x = Tensor.random(19).normal(2, 3, 7, 8);
        Tensor w = Tensor.random(20).normal(2, 3, 7, 8);
        int start = 11;
        // loss = sum(w ∘ tanh(apply(x))): dL/dy = w ∘ (1 − tanh²(y))
        Tensor y = rope.apply(x, start);
        Tensor gradOutput = w.mul(y.tanh().mul(y.tanh()).neg().add(1.0));
        Tensor dx = rope.backward(gradOutput, start);
        assertThat(dx.toArray())
                .containsExactly(rope.applyInverse(gradOutput, start).toArray());
        FiniteDifferences.assertGradient(
                "rotary backward",
                dx,
                in -> rope.apply(in[0], start).tanh().mul(w).sum(),
                0,
                x);
        // a broadcast gradient (stride 0) is read through its view
        Tensor broadcast = Tensor.random(21).normal(1, 1, 7, 8).broadcastTo(2, 3, 7, 8);
        assertThat(rope.backward(broadcast, start).toArray())
                .containsExactly(rope.backward(broadcast.copy(), start).toArray());
    }

    // ------------------------------------------------------------------ the relative-position property

    /** ⟨R_p q, R_s k⟩ over all features, for single rows q and k. */
    private static double score(RotaryEncoding rope, Tensor q, Tensor k, int p, int s) {
        return rope.apply(q, p).mul(rope.apply(k, s)).sum();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void scoresDependOnlyOnTheOffset(boolean interleaved) {
        RotaryEncoding rope = encoding(16, interleaved);
        Tensor q = Tensor.random(22).normal(1, 20); // partial: 4 features pass through
        Tensor k = Tensor.random(23).normal(1, 20);
        for (int offset : new int[] {0, 1, 3, 7, 13, 200}) {
            double reference = score(rope, q, k, offset, 0);
            for (int s : new int[] {1, 5, 64, 1000}) {
                assertThat(score(rope, q, k, s + offset, s))
                        .as("offset %d at s=%d", offset, s)
                        .isCloseTo(reference, within(1e-12));
            }
            // far positions: the angles themselves are only known to p·2^-53
            assertThat(score(rope, q, k, 1_000_003 + offset, 1_000_003))
                    .as("offset %d far", offset)
                    .isCloseTo(reference, within(1e-9));
        }
        // ... and does depend on the offset
        assertThat(score(rope, q, k, 4, 0)).isNotCloseTo(score(rope, q, k, 3, 0), within(1e-3));
        // q = k gives back |q|² at offset 0
        assertThat(score(rope, q, q, 77, 77)).isCloseTo(q.mul(q).sum(), within(1e-12));
    }

    // ------------------------------------------------------------------ cache and threads

    @Test
    void theCacheNeverChangesAResult() {
        Tensor x = Tensor.random(24).normal(3, 5, 8);
        RotaryEncoding fresh = RotaryEncoding.of(8);
        double[] cold = fresh.apply(x, 40).toArray();
        RotaryEncoding warmed = RotaryEncoding.of(8);
        warmed.apply(Tensor.zeros(100, 8), 0); // caches positions 0..99
        assertThat(warmed.apply(x, 40).toArray()).containsExactly(cold); // served from inside that table
        assertThat(warmed.apply(x, 40).toArray()).containsExactly(cold); // now from its own table
        // a table too large to cache still gives the same rows
        int long_ = RotaryEncoding.MAX_CACHED_ANGLES / 4 + 1;
        Tensor big = RotaryEncoding.of(8).apply(Tensor.ones(long_, 8), 0);
        Tensor small = RotaryEncoding.of(8).apply(Tensor.ones(3, 8), long_ - 3);
        assertThat(big.slice(0, long_ - 3, long_).toArray()).containsExactly(small.toArray());
    }

    @Test
    void oneInstanceIsSafeToShareAcrossThreads() throws Exception {
        RotaryEncoding shared = RotaryEncoding.of(8).interleaved();
        Tensor x = Tensor.random(25).normal(2, 9, 8);
        int[] starts = {0, 3, 50, 1_000_003, 7, 0, 200, 3};
        double[][] expected = new double[starts.length][];
        for (int i = 0; i < starts.length; i++) {
            expected[i] = RotaryEncoding.of(8).interleaved().apply(x, starts[i]).toArray();
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int round = 0; round < 50; round++) {
                for (int i = 0; i < starts.length; i++) {
                    int n = i;
                    results.add(pool.submit(
                            () -> Arrays.equals(shared.apply(x, starts[n]).toArray(), expected[n])));
                }
            }
            for (Future<Boolean> r : results) {
                assertThat(r.get()).isTrue();
            }
        } finally {
            pool.shutdown();
        }
    }

    // ------------------------------------------------------------------ configuration and errors

    @Test
    void configurationIsImmutable() {
        RotaryEncoding half = RotaryEncoding.of(64);
        RotaryEncoding llama3 = half.withBase(500000);
        RotaryEncoding gptj = half.interleaved();
        assertThat(half.dim()).isEqualTo(64);
        assertThat(half.base()).isEqualTo(10000.0);
        assertThat(half.isInterleaved()).isFalse();
        assertThat(llama3.base()).isEqualTo(500000.0);
        assertThat(llama3.isInterleaved()).isFalse();
        assertThat(gptj.isInterleaved()).isTrue();
        assertThat(gptj.withBase(1e6).isInterleaved()).isTrue();
        assertThat(gptj.interleaved()).isEqualTo(gptj).hasSameHashCodeAs(gptj);
        assertThat(half).isNotEqualTo(gptj).isNotEqualTo(llama3).isEqualTo(RotaryEncoding.of(64));
        assertThat(half.toString()).isEqualTo("RotaryEncoding[dim=64, base=10000.0, rotate-half]");
        assertThat(gptj.toString()).contains("interleaved");
        double[] f = half.inverseFrequencies();
        f[1] = 42;
        assertThat(half.inverseFrequencies()[1]).isNotEqualTo(42);
    }

    @Test
    void emptyInputsGiveEmptyResults() {
        RotaryEncoding rope = RotaryEncoding.of(4);
        assertThat(rope.apply(Tensor.zeros(0, 4), 3).shape()).containsExactly(0, 4);
        assertThat(rope.apply(Tensor.zeros(2, 0, 6), 0).shape()).containsExactly(2, 0, 6);
        assertThat(rope.backward(Tensor.zeros(0, 3, 4), 0).shape()).containsExactly(0, 3, 4);
    }

    @Test
    void badConfigurationIsRefusedByName() {
        for (int dim : new int[] {3, 1, 0, -2}) {
            assertThatThrownBy(() -> RotaryEncoding.of(dim))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dim=" + dim);
        }
        RotaryEncoding rope = RotaryEncoding.of(4);
        for (double base : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            assertThatThrownBy(() -> rope.withBase(base))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("base=" + base);
        }
        assertThatThrownBy(() -> RotaryEncoding.of(64).withBase(Double.MIN_VALUE)) // 1/base^(62/64) > MAX_VALUE
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("overflows");
        assertThat(RotaryEncoding.of(2).withBase(Double.MIN_VALUE).inverseFrequencies())
                .containsExactly(1.0);
    }

    @Test
    void badInputIsRefusedByShapeAndValue() {
        RotaryEncoding rope = RotaryEncoding.of(8);
        assertThatThrownBy(() -> rope.apply(null, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
        assertThatThrownBy(() -> rope.apply(Tensor.zeros(8), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[8]")
                .hasMessageContaining("[..., L, d]");
        assertThatThrownBy(() -> rope.apply(Tensor.zeros(2, 3, 6), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3, 6]")
                .hasMessageContaining("d >= 8");
        assertThatThrownBy(() -> rope.apply(Tensor.zeros(3, 8), -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("startPosition")
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> rope.backward(Tensor.zeros(3, 7), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("backward")
                .hasMessageContaining("[3, 7]");
        assertThatThrownBy(() -> rope.applyInverse(Tensor.zeros(3, 8), Integer.MIN_VALUE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("applyInverse");
        assertThatThrownBy(() -> rope.angles(-1, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("startPosition=-1");
        assertThatThrownBy(() -> rope.angles(0, -3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length=-3");
    }
}
