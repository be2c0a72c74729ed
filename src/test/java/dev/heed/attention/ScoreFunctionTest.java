package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.TOL;
import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Score functions ({@link ScoreFunction}, FlexAttention's {@code score_mod}) in both kernels: against the naive
 * reference (forward, backward and the table's gradient) at odd sizes, with every mask kind, grouped heads, a soft cap
 * and strided inputs and tables; full against chunked at odd tiles; finite differences for q, k, v and the table;
 * bitwise the same for 1, 2 and 3 threads; scalar against vector; equal to the built-in soft cap and ALiBi when written
 * as functions; tile skipping; values that block, and values that are refused.
 */
class ScoreFunctionTest {
    private static final int[][] CHUNKS = {{1, 1}, {3, 7}, {7, 3}, {64, 64}, {1000, 1000}};

    /** A score function under test and the naive reference's view of it. */
    record Case(String name, ScoreFunction fn, NaiveAttention.Score naive, int tableSize) {}

    /** T5's bias on a table Hugging Face lays out [buckets, heads], read through the transposed view. */
    static Case t5(Tensor hfTable, boolean bidirectional, int numBuckets, int maxDistance, int L, int S) {
        Tensor table = hfTable.transpose(0, 1); // [heads, buckets], not contiguous
        int heads = table.shape(0);
        ScoreFunction fn = ScoreFunction.relativePositionBias(table, bidirectional, numBuckets, maxDistance);
        NaiveAttention.Score naive = new NaiveAttention.Score() {
            @Override
            public double value(int batch, int head, int query, int key, double s) {
                int bucket = bucket(query, key);
                return s + table.get(heads == 1 ? 0 : head, bucket);
            }

            @Override
            public double slope(int batch, int head, int query, int key, double s) {
                return 1;
            }

            @Override
            public int tableIndex(int batch, int head, int query, int key) {
                return (heads == 1 ? 0 : head) * numBuckets + bucket(query, key);
            }

            private int bucket(int query, int key) {
                return ScoreFunction.relativePositionBucket(
                        key - (query + S - L), bidirectional, numBuckets, maxDistance);
            }
        };
        return new Case(
                "t5(" + bidirectional + "," + numBuckets + "," + maxDistance + ",heads=" + heads + ")",
                fn,
                naive,
                table.size());
    }

    /** A learned bias looked up by an index of every coordinate. */
    static Case indexed(Tensor table) {
        int n = table.size();
        ScoreFunction.Index index = (b, h, i, j) -> (3 * i + 5 * j + 2 * h + b) % n;
        NaiveAttention.Score naive = new NaiveAttention.Score() {
            @Override
            public double value(int batch, int head, int query, int key, double s) {
                return s + table.get(index.at(batch, head, query, key));
            }

            @Override
            public double slope(int batch, int head, int query, int key, double s) {
                return 1;
            }

            @Override
            public int tableIndex(int batch, int head, int query, int key) {
                return index.at(batch, head, query, key);
            }
        };
        return new Case("bias[" + n + "]", ScoreFunction.bias(table, index), naive, n);
    }

    /** A function without parameters: a tanh cap whose width depends on the head, plus a position term. */
    static Case plain() {
        ScoreFunction.Modifier f = (b, h, i, j, s) -> (h + 1) * Math.tanh(s / (h + 1)) - 0.01 * (i - j) * (b + 1);
        ScoreFunction.Modifier df = (b, h, i, j, s) -> {
            double t = Math.tanh(s / (h + 1));
            return 1 - t * t;
        };
        NaiveAttention.Score naive = new NaiveAttention.Score() {
            @Override
            public double value(int batch, int head, int query, int key, double s) {
                return f.apply(batch, head, query, key, s);
            }

            @Override
            public double slope(int batch, int head, int query, int key, double s) {
                return df.apply(batch, head, query, key, s);
            }
        };
        return new Case("plain", ScoreFunction.of(f, df), naive, 0);
    }

    private static List<Case> functions(int L, int S) {
        return List.of(
                t5(random(40, 8, 4), true, 8, 10, L, S),
                t5(random(41, 6, 1), false, 6, 5, L, S),
                indexed(random(42, 11)),
                plain());
    }

    private static List<NaiveAttention.Spec> masks(int S) {
        return List.of(
                NaiveAttention.Spec.none(),
                NaiveAttention.Spec.causal(),
                NaiveAttention.Spec.causal().and(NaiveAttention.Spec.alibi(Mask.alibiSlopes(4))),
                NaiveAttention.Spec.slidingWindow(3, 1).and(NaiveAttention.Spec.keyPadding(S, Math.max(0, S - 2))),
                NaiveAttention.Spec.where((b, h, i, j) -> (i + 2 * j + h) % 4 != 1));
    }

    private static List<Attention> kernels(ScoreFunction fn, double cap) {
        List<Attention> out = new ArrayList<>();
        ScaledDotProductAttention full = new ScaledDotProductAttention().withScoreFunction(fn);
        out.add(cap == 0 ? full : full.withSoftCap(cap));
        for (int[] c : CHUNKS) {
            ChunkedAttention a = new ChunkedAttention(c[0], c[1]).withScoreFunction(fn);
            out.add(cap == 0 ? a : a.withSoftCap(cap));
        }
        return out;
    }

    private static void assertTable(String ctx, double[] expected, AttentionGradients g, double tol) {
        if (expected.length == 0) {
            assertThat(g.scoreParameters()).as(ctx).isEmpty();
            return;
        }
        assertThat(g.scoreParameters()).as(ctx).hasSize(1);
        Tensor actual = g.scoreParameters().get(0);
        AttentionChecks.assertClose(ctx + " table", expected, actual.shape(), actual, tol);
    }

    @ParameterizedTest(name = "L={0} S={1} cap={2}")
    @CsvSource({"1, 1, 0", "3, 7, 0", "7, 3, 1.5", "13, 13, 0", "13, 13, 0.75", "65, 64, 0", "23, 41, 2"})
    void forwardBackwardAndTableGradientEqualTheNaiveReference(int L, int S, double cap) {
        // grouped heads (4 query heads over 2 key/value heads) and strided inputs
        Tensor q = random(1, AttentionChecks.Layout.TRANSPOSED, 2, 4, L, 5).map(x -> 2 * x);
        Tensor k = random(2, AttentionChecks.Layout.STEP_SLICED, 2, 2, S, 5);
        Tensor v = random(3, 2, 2, S, 3);
        Tensor dO = BackwardChecks.gradOutput(4, 2, 4, L, 3);
        for (Case fn : functions(L, S)) {
            for (NaiveAttention.Spec spec : masks(S)) {
                Mask mask = spec.toMask();
                NaiveAttention.Result expected = NaiveAttention.attend(q, k, v, spec, Double.NaN, cap, fn.naive());
                double[] table = new double[fn.tableSize()];
                NaiveBackward.Gradients expectedGrad =
                        NaiveBackward.backward(q, k, v, spec, Double.NaN, cap, fn.naive(), table, dO);
                for (Attention a : kernels(fn.fn(), cap)) {
                    String ctx = fn.name() + " " + a + " " + mask + " L=" + L + " S=" + S;
                    AttentionResult r = a.apply(q, k, v, mask);
                    AttentionChecks.assertSame(ctx, expected, r);
                    AttentionGradients g = a.backward(q, k, v, mask, r, dO);
                    BackwardChecks.assertSame(ctx, expectedGrad, g, TOL);
                    assertTable(ctx, table, g, TOL);
                }
            }
        }
    }

    @Test
    void chunkedEqualsFullAtOddTiles() {
        int L = 70;
        int S = 75;
        Tensor q = random(5, 1, 3, L, 6).map(x -> 3 * x);
        Tensor k = random(6, 1, 3, S, 6);
        Tensor v = random(7, 1, 3, S, 4);
        Tensor dO = BackwardChecks.gradOutput(8, 1, 3, L, 4);
        ScoreFunction fn = ScoreFunction.relativePositionBias(random(9, 3, 32), false, 32, 40);
        for (Mask mask : List.of(Mask.causal(), Mask.slidingWindow(9, 0), Mask.none())) {
            ScaledDotProductAttention full =
                    new ScaledDotProductAttention().withSoftCap(2).withScoreFunction(fn);
            AttentionResult expected = full.apply(q, k, v, mask);
            AttentionGradients expectedGrad = full.backward(q, k, v, mask, expected, dO);
            for (int qc : new int[] {1, 3, 7, 64}) {
                for (int kc : new int[] {1, 3, 7, 64}) {
                    ChunkedAttention c =
                            new ChunkedAttention(qc, kc).withSoftCap(2).withScoreFunction(fn);
                    AttentionResult r = c.apply(q, k, v, mask);
                    String ctx = mask + " chunks " + qc + "x" + kc;
                    AttentionChecks.assertClose(
                            ctx, expected.output().toArray(), expected.output().shape(), r.output(), TOL);
                    AttentionChecks.assertBitwise(ctx + " lazy weights", expected.weights(), r.weights());
                    AttentionGradients g = c.backward(q, k, v, mask, r, dO);
                    BackwardChecks.assertSame(ctx, expectedGrad, g, TOL);
                    Tensor t = expectedGrad.scoreParameters().get(0);
                    AttentionChecks.assertClose(
                            ctx + " table",
                            t.toArray(),
                            t.shape(),
                            g.scoreParameters().get(0),
                            TOL);
                }
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesForQueryKeyValueAndTable() {
        Tensor q = random(9, 1, 2, 6, 3).map(x -> 2 * x);
        Tensor k = random(10, 1, 2, 7, 3);
        Tensor v = random(11, 1, 2, 7, 2);
        Tensor table = random(12, 2, 6);
        Tensor dO = BackwardChecks.gradOutput(13, 1, 2, 6, 2);
        Mask mask = Mask.slidingWindow(4, 1);
        List<Function<ScoreFunction, Attention>> kernels = List.of(
                fn -> new ScaledDotProductAttention().withSoftCap(1.2).withScoreFunction(fn),
                fn -> new ChunkedAttention(2, 3).withSoftCap(1.2).withScoreFunction(fn));
        for (Function<ScoreFunction, Attention> kernel : kernels) {
            Attention a = kernel.apply(ScoreFunction.relativePositionBias(table, true, 6, 3));
            AttentionGradients g = a.backward(q, k, v, mask, a.apply(q, k, v, mask), dO);
            FiniteDifferences.ScalarFunction f = in -> FiniteDifferences.dot(
                    kernel.apply(ScoreFunction.relativePositionBias(in[3], true, 6, 3))
                            .apply(in[0], in[1], in[2], mask)
                            .output(),
                    dO);
            FiniteDifferences.assertGradient(a + " dQ", g.query(), f, 0, q, k, v, table);
            FiniteDifferences.assertGradient(a + " dK", g.key(), f, 1, q, k, v, table);
            FiniteDifferences.assertGradient(a + " dV", g.value(), f, 2, q, k, v, table);
            FiniteDifferences.assertGradient(a + " dTable", g.scoreParameters().get(0), f, 3, q, k, v, table);
            // and a function without parameters, through its derivative
            Attention p = kernel.apply(plain().fn());
            AttentionGradients gp = p.backward(q, k, v, mask, p.apply(q, k, v, mask), dO);
            FiniteDifferences.ScalarFunction fp = in ->
                    FiniteDifferences.dot(p.apply(in[0], in[1], in[2], mask).output(), dO);
            FiniteDifferences.assertGradient(p + " dQ", gp.query(), fp, 0, q, k, v);
            FiniteDifferences.assertGradient(p + " dK", gp.key(), fp, 1, q, k, v);
        }
    }

    @Test
    void resultsAndTableGradientsAreBitwiseTheSameForAnyThreadCount() {
        Tensor q = random(14, 2, 3, 130, 8);
        Tensor k = random(15, 2, 3, 130, 8);
        Tensor v = random(16, 2, 3, 130, 5);
        Tensor dO = BackwardChecks.gradOutput(17, 2, 3, 130, 5);
        ScoreFunction fn = ScoreFunction.relativePositionBias(random(18, 3, 32), true, 32, 128);
        for (Mask mask : List.of(Mask.causal(), Mask.none())) {
            List<List<Attention>> byKernel = List.of(
                    List.of(
                            new ScaledDotProductAttention().withParallelism(1).withScoreFunction(fn),
                            new ScaledDotProductAttention().withParallelism(2).withScoreFunction(fn),
                            new ScaledDotProductAttention().withParallelism(3).withScoreFunction(fn)),
                    List.of(
                            new ChunkedAttention(7, 5).withParallelism(1).withScoreFunction(fn),
                            new ChunkedAttention(7, 5).withParallelism(2).withScoreFunction(fn),
                            new ChunkedAttention(7, 5).withParallelism(3).withScoreFunction(fn)));
            for (List<Attention> same : byKernel) {
                Attention one = same.get(0);
                AttentionResult r1 = one.apply(q, k, v, mask);
                AttentionGradients g1 = one.backward(q, k, v, mask, r1, dO);
                for (Attention a : same.subList(1, same.size())) {
                    AttentionResult r = a.apply(q, k, v, mask);
                    AttentionGradients g = a.backward(q, k, v, mask, r, dO);
                    AttentionChecks.assertBitwise(a + " output", r1.output(), r.output());
                    BackwardChecks.assertBitwise(a.toString(), g1, g);
                    AttentionChecks.assertBitwise(
                            a + " table",
                            g1.scoreParameters().get(0),
                            g.scoreParameters().get(0));
                }
            }
        }
    }

    @Test
    void vectorAndScalarKernelsAgree() {
        KernelSupport vector = VectorizationProvider.vector().orElse(null);
        Assumptions.assumeTrue(vector != null, "the Vector API is not enabled in this JVM");
        KernelSupport scalar = VectorizationProvider.scalar();
        Tensor q = random(19, 2, 65, 13);
        Tensor k = random(20, 2, 64, 13);
        Tensor v = random(21, 2, 64, 7);
        Tensor dO = BackwardChecks.gradOutput(22, 2, 65, 7);
        ScoreFunction fn = ScoreFunction.relativePositionBias(random(23, 2, 16), false, 16, 20);
        Attention[][] pairs = {
            {
                new ScaledDotProductAttention().withSupport(vector).withScoreFunction(fn),
                new ScaledDotProductAttention().withSupport(scalar).withScoreFunction(fn)
            },
            {
                new ChunkedAttention(7, 5).withSupport(vector).withScoreFunction(fn),
                new ChunkedAttention(7, 5).withSupport(scalar).withScoreFunction(fn)
            }
        };
        for (Mask mask : List.of(Mask.causal(), Mask.slidingWindow(10, 3))) {
            for (Attention[] pair : pairs) {
                AttentionResult fast = pair[0].apply(q, k, v, mask);
                AttentionResult slow = pair[1].apply(q, k, v, mask);
                String ctx = pair[0] + " " + mask;
                AttentionChecks.assertClose(
                        ctx, slow.output().toArray(), slow.output().shape(), fast.output(), TOL);
                AttentionGradients gf = pair[0].backward(q, k, v, mask, fast, dO);
                AttentionGradients gs = pair[1].backward(q, k, v, mask, slow, dO);
                BackwardChecks.assertSame(ctx, gs, gf, TOL);
                Tensor t = gs.scoreParameters().get(0);
                AttentionChecks.assertClose(
                        ctx + " table",
                        t.toArray(),
                        t.shape(),
                        gf.scoreParameters().get(0),
                        TOL);
            }
        }
    }

    @Test
    void softCapAndAlibiWrittenAsFunctionsEqualTheBuiltIns() {
        int L = 9;
        int S = 12;
        Tensor q = random(24, 2, 4, L, 6).map(x -> 4 * x);
        Tensor k = random(25, 2, 4, S, 6);
        Tensor v = random(26, 2, 4, S, 3);
        Tensor dO = BackwardChecks.gradOutput(27, 2, 4, L, 3);
        double cap = 1.7;
        ScoreFunction softCap = ScoreFunction.of((b, h, i, j, s) -> cap * StrictMath.tanh(s / cap), (b, h, i, j, s) -> {
            double t = StrictMath.tanh(s / cap);
            return (1 - t) * (1 + t);
        });
        double[] slopes = Mask.alibiSlopes(4);
        ScoreFunction alibi = ScoreFunction.of(
                (b, h, i, j, s) -> s + -slopes[h] * Math.abs((long) i + (S - L) - j), (b, h, i, j, s) -> 1);
        List<Attention[]> pairs = new ArrayList<>();
        pairs.add(new Attention[] {
            new ScaledDotProductAttention().withScoreFunction(softCap), new ScaledDotProductAttention().withSoftCap(cap)
        });
        pairs.add(new Attention[] {
            new ChunkedAttention(3, 5).withScoreFunction(softCap), new ChunkedAttention(3, 5).withSoftCap(cap)
        });
        for (Attention[] pair : pairs) {
            for (Mask mask : List.of(Mask.none(), Mask.causal())) {
                AttentionResult mine = pair[0].apply(q, k, v, mask);
                AttentionResult builtIn = pair[1].apply(q, k, v, mask);
                // the same operations on the same numbers: bitwise
                AttentionChecks.assertBitwise(pair[0] + " output", builtIn.output(), mine.output());
                AttentionChecks.assertBitwise(pair[0] + " lse", builtIn.logSumExp(), mine.logSumExp());
                BackwardChecks.assertSame(
                        pair[0].toString(),
                        pair[1].backward(q, k, v, mask, builtIn, dO),
                        pair[0].backward(q, k, v, mask, mine, dO),
                        TOL);
            }
        }
        for (Attention[] pair : List.of(
                new Attention[] {
                    new ScaledDotProductAttention().withScoreFunction(alibi), new ScaledDotProductAttention()
                },
                new Attention[] {new ChunkedAttention(4, 3).withScoreFunction(alibi), new ChunkedAttention(4, 3)})) {
            Mask causal = Mask.causal();
            AttentionResult mine = pair[0].apply(q, k, v, causal);
            Mask withAlibi = causal.and(Mask.alibi(slopes));
            AttentionResult builtIn = pair[1].apply(q, k, v, withAlibi);
            AttentionChecks.assertBitwise(pair[0] + " output", builtIn.output(), mine.output());
            BackwardChecks.assertSame(
                    pair[0].toString(),
                    pair[1].backward(q, k, v, withAlibi, builtIn, dO),
                    pair[0].backward(q, k, v, causal, mine, dO),
                    TOL);
        }
    }

    @Test
    void aMaskedPairStaysMaskedWhateverTheFunctionReturns() {
        Tensor q = random(28, 2, 10, 4);
        Tensor k = random(29, 2, 10, 4);
        Tensor v = random(30, 2, 10, 3);
        Tensor dO = BackwardChecks.gradOutput(31, 2, 10, 3);
        // a huge score exactly where the causal mask blocks, nothing elsewhere
        ScoreFunction lure = ScoreFunction.of((b, h, i, j, s) -> j > i ? s + 1e6 : s, (b, h, i, j, s) -> 1);
        for (Attention[] pair : List.of(
                new Attention[] {
                    new ScaledDotProductAttention().withScoreFunction(lure), new ScaledDotProductAttention()
                },
                new Attention[] {new ChunkedAttention(3, 4).withScoreFunction(lure), new ChunkedAttention(3, 4)})) {
            AttentionResult r = pair[0].apply(q, k, v, Mask.causal());
            AttentionResult plain = pair[1].apply(q, k, v, Mask.causal());
            AttentionChecks.assertBitwise(pair[0] + " output", plain.output(), r.output());
            AttentionChecks.assertBitwise(pair[0] + " weights", plain.weights(), r.weights());
            BackwardChecks.assertBitwise(
                    pair[0].toString(),
                    pair[1].backward(q, k, v, Mask.causal(), plain, dO),
                    pair[0].backward(q, k, v, Mask.causal(), r, dO));
        }
    }

    @Test
    void minusInfinityBlocksAndAnEmptiedRowGivesZeros() {
        Tensor q = random(32, 1, 2, 6, 4);
        Tensor k = random(33, 1, 2, 8, 4);
        Tensor v = random(34, 1, 2, 8, 3);
        Tensor dO = BackwardChecks.gradOutput(35, 1, 2, 6, 3);
        Tensor table = random(36, 5);
        // row 2 loses every key, the others lose the keys divisible by 3; a table bias elsewhere
        ScoreFunction block = ScoreFunction.bias(table, (b, h, i, j) -> (i + j) % 5);
        ScoreFunction fn = new ScoreFunction() {
            @Override
            public double apply(int batch, int head, int query, int key, double score) {
                return query == 2 || key % 3 == 0
                        ? Double.NEGATIVE_INFINITY
                        : block.apply(batch, head, query, key, score);
            }

            @Override
            public double derivative(int batch, int head, int query, int key, double score) {
                return 1;
            }

            @Override
            public List<Tensor> parameters() {
                return block.parameters();
            }

            @Override
            public void backward(
                    int batch, int head, int query, int key, double score, double gradient, GradientSink sink) {
                block.backward(batch, head, query, key, score, gradient, sink);
            }
        };
        Mask same = Mask.where((b, h, i, j) -> i != 2 && j % 3 != 0);
        for (Attention[] pair : List.of(
                new Attention[] {
                    new ScaledDotProductAttention().withScoreFunction(fn),
                    new ScaledDotProductAttention().withScoreFunction(block)
                },
                new Attention[] {
                    new ChunkedAttention(2, 3).withScoreFunction(fn),
                    new ChunkedAttention(2, 3).withScoreFunction(block)
                })) {
            AttentionResult r = pair[0].apply(q, k, v, Mask.none());
            AttentionResult expected = pair[1].apply(q, k, v, same);
            AttentionChecks.assertClose(
                    pair[0].toString(),
                    expected.output().toArray(),
                    expected.output().shape(),
                    r.output(),
                    TOL);
            for (int h = 0; h < 2; h++) {
                assertThat(r.logSumExp().get(0, h, 2)).isEqualTo(Double.NEGATIVE_INFINITY);
                for (int c = 0; c < 3; c++) {
                    assertThat(r.output().get(0, h, 2, c)).isEqualTo(0.0);
                }
            }
            AttentionGradients g = pair[0].backward(q, k, v, Mask.none(), r, dO);
            AttentionGradients eg = pair[1].backward(q, k, v, same, expected, dO);
            BackwardChecks.assertSame(pair[0].toString(), eg, g, TOL);
            Tensor t = eg.scoreParameters().get(0);
            AttentionChecks.assertClose(
                    pair[0] + " table",
                    t.toArray(),
                    t.shape(),
                    g.scoreParameters().get(0),
                    TOL);
            for (int h = 0; h < 2; h++) {
                for (int c = 0; c < 4; c++) {
                    assertThat(g.query().get(0, h, 2, c)).isEqualTo(0.0);
                }
            }
        }
    }

    @Test
    void nonFiniteInputsTakeTheExactPathWithTheFunction() {
        // an infinite value at a padded key sends both backwards down the row-by-row path
        Tensor q = random(37, 2, 5, 3);
        Tensor k = random(38, 2, 6, 3);
        Tensor finite = random(39, 2, 6, 2);
        Tensor v = finite.copy();
        v.set(Double.POSITIVE_INFINITY, 1, 5, 1);
        Tensor dO = BackwardChecks.gradOutput(40, 2, 5, 2);
        ScoreFunction fn = ScoreFunction.relativePositionBias(random(41, 2, 8), true, 8, 6);
        Mask mask = Mask.keyPadding(5);
        for (Attention a : List.of(
                new ScaledDotProductAttention().withSoftCap(0.9).withScoreFunction(fn),
                new ChunkedAttention(2, 2).withSoftCap(0.9).withScoreFunction(fn))) {
            AttentionResult r = a.apply(q, k, v, mask);
            AttentionResult rf = a.apply(q, k, finite, mask);
            AttentionChecks.assertClose(
                    a.toString(), rf.output().toArray(), rf.output().shape(), r.output(), TOL);
            AttentionGradients expected = a.backward(q, k, finite, mask, rf, dO);
            AttentionGradients g = a.backward(q, k, v, mask, r, dO);
            BackwardChecks.assertSame(a.toString(), expected, g, TOL);
            Tensor t = expected.scoreParameters().get(0);
            AttentionChecks.assertClose(
                    a + " table", t.toArray(), t.shape(), g.scoreParameters().get(0), TOL);
        }
    }

    @Test
    void tilesTheMaskBlocksAreStillSkipped() {
        AtomicLong calls = new AtomicLong();
        ScoreFunction counting = ScoreFunction.of(
                (b, h, i, j, s) -> {
                    calls.incrementAndGet();
                    return s;
                },
                (b, h, i, j, s) -> 1);
        Tensor q = random(42, 64, 4);
        Tensor k = random(43, 64, 4);
        Tensor v = random(44, 64, 2);
        new ChunkedAttention(8, 8).withScoreFunction(counting).apply(q, k, v, Mask.causal());
        // 8 query tiles of 8 rows; tile t scores key tiles 0..t only: 64 · (1 + 2 + … + 8) pairs, not 64²
        assertThat(calls.get()).isEqualTo(64L * 36);
        // a block mask from Mask.where: four 64 × 64 diagonal blocks of 256 × 256
        calls.set(0);
        Tensor q2 = random(45, 256, 4);
        Tensor k2 = random(46, 256, 4);
        Tensor v2 = random(47, 256, 2);
        Mask blocks = Mask.where((b, h, i, j) -> i / 64 == j / 64);
        new ChunkedAttention(64, 64).withScoreFunction(counting).apply(q2, k2, v2, blocks);
        assertThat(calls.get()).isEqualTo(4L * 64 * 64);
    }

    @Test
    void decodingWithFewerQueriesAlignsPositionsBottomRight() {
        // the last query of a full causal pass equals a one-query step over the same keys, as with a cache
        Tensor x = random(48, 2, 9, 4);
        Tensor table = random(49, 2, 16);
        ScoreFunction fn = ScoreFunction.relativePositionBias(table, false, 16, 12);
        for (Attention a : List.of(
                new ScaledDotProductAttention().withScoreFunction(fn),
                new ChunkedAttention(3, 2).withScoreFunction(fn))) {
            Tensor all = a.apply(x, x, x, Mask.causal()).output();
            Tensor last = a.apply(x.slice(1, 8, 9), x, x, Mask.causal()).output();
            AttentionChecks.assertClose(a.toString(), all.slice(1, 8, 9).toArray(), last.shape(), last, TOL);
        }
    }

    @Test
    void aT5DecoderWithACacheEqualsItsCausalForward() {
        // multi-head attention over a cache: each step's queries sit at the end of the keys, as T5's decoder's do
        ScoreFunction fn = ScoreFunction.relativePositionBias(random(63, 4, 16), false, 16, 12);
        for (Attention kernel : List.<Attention>of(
                new ScaledDotProductAttention().withScoreFunction(fn),
                new ChunkedAttention(3, 2).withScoreFunction(fn))) {
            MultiHeadAttention mha =
                    MultiHeadAttention.builder(16, 4).seed(64).kernel(kernel).build();
            KeyValueCacheTest.decodeAndCheck(kernel.toString(), mha, random(65, 2, 23, 16), 1, 4, 2, 7);
        }
    }

    @Test
    void bucketsFollowHuggingFace() {
        // T5's defaults: 16 buckets a side, 8 exact, then logarithmic up to 128
        assertThat(ScoreFunction.relativePositionBucket(0, true, 32, 128)).isEqualTo(0);
        assertThat(ScoreFunction.relativePositionBucket(-1, true, 32, 128)).isEqualTo(1);
        assertThat(ScoreFunction.relativePositionBucket(1, true, 32, 128)).isEqualTo(17);
        assertThat(ScoreFunction.relativePositionBucket(-7, true, 32, 128)).isEqualTo(7);
        assertThat(ScoreFunction.relativePositionBucket(-8, true, 32, 128)).isEqualTo(8);
        assertThat(ScoreFunction.relativePositionBucket(-127, true, 32, 128)).isEqualTo(15);
        assertThat(ScoreFunction.relativePositionBucket(Integer.MIN_VALUE, true, 32, 128))
                .isEqualTo(15);
        assertThat(ScoreFunction.relativePositionBucket(Integer.MAX_VALUE, true, 32, 128))
                .isEqualTo(31);
        assertThat(ScoreFunction.relativePositionBucket(5, false, 32, 128)).isEqualTo(0);
        assertThat(ScoreFunction.relativePositionBucket(-5000, false, 32, 128)).isEqualTo(31);
    }

    @Test
    void builtInsCalledDirectly() {
        Tensor table = random(60, 2, 8);
        ScoreFunction fn = ScoreFunction.relativePositionBias(table, true, 8, 5);
        // unbound: L == S, the relative position is key - query
        int b3 = ScoreFunction.relativePositionBucket(3, true, 8, 5);
        assertThat(fn.apply(0, 1, 2, 5, 0.5)).isEqualTo(0.5 + table.get(1, b3));
        // bound to 3 queries over 7 keys: query i sits at position i + 4
        ScoreFunction bound = fn.bind(new int[] {1, 2, 3, 7});
        int b2 = ScoreFunction.relativePositionBucket(2, true, 8, 5);
        assertThat(bound.apply(0, 1, 0, 6, 0.5)).isEqualTo(0.5 + table.get(1, b2));
        assertThat(bound.derivative(0, 1, 0, 6, 0.5)).isEqualTo(1.0);
        assertThat(bound.parameters()).containsExactly(table);
        assertThat(bound.toString()).contains("relativePositionBias");
        double[] got = new double[16];
        bound.backward(0, 1, 0, 6, 0.5, 2.0, (param, index, value) -> got[index] += value);
        assertThat(got[8 + b2]).isEqualTo(2.0);
        ScoreFunction bias = ScoreFunction.bias(table, (bb, h, i, j) -> h * 8 + j);
        assertThat(bias.apply(0, 1, 0, 3, 1.0)).isEqualTo(1.0 + table.get(1, 3));
        assertThat(bias.derivative(0, 1, 0, 3, 1.0)).isEqualTo(1.0);
        assertThat(bias.bind(new int[] {4, 4})).isSameAs(bias);
        assertThat(bias.toString()).contains("bias");
        ScoreFunction plain = ScoreFunction.of((bb, h, i, j, s) -> 2 * s, (bb, h, i, j, s) -> 2);
        assertThat(plain.parameters()).isEmpty();
        assertThat(plain.toString()).startsWith("ScoreFunction.of");
    }

    @Test
    void aGradientOutsideTheParametersIsRefused() {
        Tensor table = Tensor.zeros(3);
        ScoreFunction wrong = new ScoreFunction() {
            @Override
            public double apply(int batch, int head, int query, int key, double score) {
                return score + table.get(key % 3);
            }

            @Override
            public double derivative(int batch, int head, int query, int key, double score) {
                return 1;
            }

            @Override
            public List<Tensor> parameters() {
                return List.of(table);
            }

            @Override
            public void backward(
                    int batch, int head, int query, int key, double score, double gradient, GradientSink sink) {
                sink.add(0, key + 3, gradient); // past the table's end
            }
        };
        Tensor q = random(61, 3, 2);
        Tensor dO = BackwardChecks.gradOutput(62, 3, 2);
        for (Attention a : List.of(
                new ScaledDotProductAttention().withScoreFunction(wrong),
                new ChunkedAttention(2, 2).withScoreFunction(wrong))) {
            AttentionResult r = a.apply(q, q, q, Mask.none());
            assertThatThrownBy(() -> a.backward(q, q, q, Mask.none(), r, dO))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("of parameter 0")
                    .hasMessageContaining("3 element(s)");
        }
    }

    @Test
    void badFunctionsAndTablesAreRefused() {
        Tensor q = random(50, 2, 4, 3);
        Tensor v = random(51, 2, 4, 3);
        ScoreFunction nan =
                ScoreFunction.of((b, h, i, j, s) -> i == 1 && j == 2 ? Double.NaN : s, (b, h, i, j, s) -> 1);
        ScoreFunction inf = ScoreFunction.of((b, h, i, j, s) -> Double.POSITIVE_INFINITY, (b, h, i, j, s) -> 1);
        ScoreFunction badSlope = ScoreFunction.of((b, h, i, j, s) -> s, (b, h, i, j, s) -> Double.NaN);
        for (Function<ScoreFunction, Attention> kernel : List.<Function<ScoreFunction, Attention>>of(
                fn -> new ScaledDotProductAttention().withScoreFunction(fn),
                fn -> new ChunkedAttention(2, 3).withScoreFunction(fn))) {
            assertThatThrownBy(() -> kernel.apply(nan).apply(q, q, v, Mask.none()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("returned NaN")
                    .hasMessageContaining("query 1, key 2");
            assertThatThrownBy(() -> kernel.apply(inf).apply(q, q, v, Mask.none()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("returned Infinity");
            Attention a = kernel.apply(badSlope);
            AttentionResult r = a.apply(q, q, v, Mask.none());
            assertThatThrownBy(() -> a.backward(q, q, v, Mask.none(), r, v))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("derivative NaN");
            // a table for 3 heads against scores with 2
            ScoreFunction threeHeads = ScoreFunction.relativePositionBias(Tensor.zeros(3, 8), true, 8, 5);
            assertThatThrownBy(() -> kernel.apply(threeHeads).apply(q, q, v, Mask.none()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[3, 8]")
                    .hasMessageContaining("[2, 4, 4]");
            Tensor nanTable = Tensor.zeros(2, 8);
            nanTable.set(Double.NaN, 1, 0);
            ScoreFunction nanBias = ScoreFunction.relativePositionBias(nanTable, true, 8, 5);
            assertThatThrownBy(() -> kernel.apply(nanBias).apply(q, q, v, Mask.none()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("NaN at [1, 0]");
            ScoreFunction outside = ScoreFunction.bias(Tensor.zeros(4), (b, h, i, j) -> i + j);
            assertThatThrownBy(() -> kernel.apply(outside).apply(q, q, v, Mask.none()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("reads element 4")
                    .hasMessageContaining("[4]");
        }
        assertThatThrownBy(() -> ScoreFunction.relativePositionBias(Tensor.zeros(2, 7), true, 8, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 7]");
        assertThatThrownBy(() -> ScoreFunction.relativePositionBias(Tensor.zeros(2, 2), true, 2, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("numBuckets=2");
        assertThatThrownBy(() -> ScoreFunction.relativePositionBucket(3, false, 8, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxDistance=4");
        assertThatThrownBy(() -> ScoreFunction.of(null, (b, h, i, j, s) -> 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ScoreFunction.bias(null, (b, h, i, j) -> 0))
                .isInstanceOf(IllegalArgumentException.class);
        ScoreFunction fn = ScoreFunction.relativePositionBias(Tensor.zeros(2, 8), true, 8, 5);
        assertThat(new ChunkedAttention().withScoreFunction(fn).toString()).contains("relativePositionBias");
        assertThat(new ScaledDotProductAttention().withScoreFunction(fn).scoreFunction())
                .isSameAs(fn);
        assertThat(new ChunkedAttention()
                        .withScoreFunction(fn)
                        .withScoreFunction(null)
                        .scoreFunction())
                .isNull();
    }
}
