package dev.heed.benchmarks;

import dev.heed.attention.Attention;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Self-attention over {@code [batchHeads, tokens, depth]} tensors: {@link ScaledDotProductAttention}
 * ({@code full*}: the {@code L × S} weights are materialised) and {@link ChunkedAttention}
 * ({@code chunked*}: tiles with the online softmax, O(L + S) extra memory), each on Heed's scalar
 * kernels ({@code *Scalar}, a plain JVM) and on its Vector API kernels ({@code *Vector}, forks
 * started with {@code --add-modules=jdk.incubator.vector}), so one run covers both paths. Results
 * are the average time of one call, in milliseconds.
 *
 * <p>Parameters (override with {@code -p name=v1,v2,...}; the defaults keep a plain run to about
 * four minutes):
 * <ul>
 *   <li>{@code tokens} L = S: default 1024; the sweep is
 *       {@code -p tokens=128,256,512,1024,2048,4096,8192}. {@code full*} keeps
 *       {@code 8·batchHeads·L²} bytes of weights: 4.3 GB at 8192, so give its forks
 *       {@code -jvmArgsAppend -Xmx12g} there or leave it out.</li>
 *   <li>{@code depth} d = dv: default 64; also 128.</li>
 *   <li>{@code mask}: {@code none}; {@code causal} ({@link Mask#causal()}, query i sees keys
 *       j ≤ i); {@code padding} ({@link Mask#keyPadding(int...)}: the first half of the
 *       {@code batchHeads} sequences see keys {@code j < 3L/4}, the second half {@code j < L/2}).</li>
 *   <li>{@code batchHeads} B·H, the leading axis: default 8.</li>
 *   <li>{@code threads}: {@code withParallelism(threads)} on both kernels; default 1 and 2.</li>
 *   <li>{@code queryChunk}, {@code keyChunk}: ChunkedAttention's tiles; 0 (default) = the
 *       library's defaults. For tuning: {@code -p queryChunk=32,64,128 -p keyChunk=64,128}.</li>
 * </ul>
 *
 * <p>Flop count. One attention call is two matrix products per (batch, head): {@code q kᵀ} and
 * {@code weights · v}, each one multiply-add per allowed (query, key) pair and depth element. With
 * {@code dv = d} that is {@code 4·d·P} flops, where {@code P} is the number of allowed (query, key)
 * pairs summed over {@code batchHeads}; the {@code P} exponentials are not counted
 * (FlashAttention's convention). So:
 * <ul>
 *   <li>{@code none}: {@code P = B·H·L·S}, the issue's {@code 4·B·H·L·S·d};</li>
 *   <li>{@code causal}: {@code P = B·H·L(L+1)/2}, about half — only the allowed half is counted, so
 *       causal and unmasked rates are comparable (FlashAttention reports causal this way);</li>
 *   <li>{@code padding}: {@code P = L · Σ_b lengths[b]} = {@code 5/8 · B·H·L²} for the lengths
 *       above.</li>
 * </ul>
 * GFLOP/s = {@code 4·d·P / (ms · 1e6)}. {@link #flops} computes it; {@code numpy_peer.py} uses the
 * same count for NumPy, which computes every pair regardless, so its rate under a mask is the
 * useful work it does per second.
 *
 * <p>Checks, once per trial, before anything is measured ({@link #setup}); any failure throws, and
 * with {@code -foe true} the run exits non-zero:
 * <ol>
 *   <li>the fork runs the kernel path the method's name claims (scalar or vector);</li>
 *   <li>the benchmarked kernel's output, sampled rows of the first, a middle and the last batch
 *       element (rows 0, 1, L/2, L−1 and a few seeded random ones), matches a direct double-loop
 *       softmax to {@value #TOLERANCE};</li>
 *   <li>up to {@value #CROSS_CHECK_MAX_TOKENS} tokens: its whole output matches the other kernel's
 *       (full vs chunked) to {@value #TOLERANCE}, and, when {@code threads > 1}, is bitwise equal to
 *       its own output on one thread.</li>
 * </ol>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AttentionBenchmark {
    /** Largest absolute difference allowed against the reference and between the kernels. */
    static final double TOLERANCE = 1e-9;
    /** Above this many tokens only the sampled reference rows are checked (the rest is O(L²) memory or slow). */
    static final int CROSS_CHECK_MAX_TOKENS = 2048;
    /** Seeded random query rows checked per sampled batch element, besides 0, 1, L/2 and L−1. */
    private static final int RANDOM_ROWS = 4;

    /** Sequence length: L = S. */
    @Param({"1024"})
    public int tokens;

    /** Query, key and value depth: d = dv. */
    @Param({"64"})
    public int depth;

    /** {@code none}, {@code causal} or {@code padding}. */
    @Param({"none", "causal", "padding"})
    public String mask;

    /** Batch × heads, the leading axis of every tensor. */
    @Param({"8"})
    public int batchHeads;

    /** Threads each kernel may use ({@code withParallelism}). */
    @Param({"1", "2"})
    public int threads;

    /** ChunkedAttention's query tile; 0 = the library default. */
    @Param({"0"})
    public int queryChunk;

    /** ChunkedAttention's key tile; 0 = the library default. */
    @Param({"0"})
    public int keyChunk;

    private Tensor query;
    private Tensor key;
    private Tensor value;
    private Mask attentionMask;
    private int[] lengths;
    private ScaledDotProductAttention full;
    private ChunkedAttention chunked;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        Checks.requireKernelPath(params.getBenchmark());
        if (tokens < 1 || depth < 1 || batchHeads < 1 || threads < 1) {
            throw new IllegalArgumentException("tokens, depth, batchHeads and threads must be positive");
        }
        query = Tensor.random(1).normal(batchHeads, tokens, depth);
        key = Tensor.random(2).normal(batchHeads, tokens, depth);
        value = Tensor.random(3).normal(batchHeads, tokens, depth);
        lengths = keyLengths(mask, batchHeads, tokens);
        attentionMask = mask(mask, batchHeads, tokens);
        full = new ScaledDotProductAttention().withParallelism(threads);
        ChunkedAttention tiles = queryChunk > 0 || keyChunk > 0
                ? new ChunkedAttention(
                        queryChunk > 0 ? queryChunk : ChunkedAttention.DEFAULT_QUERY_CHUNK,
                        keyChunk > 0 ? keyChunk : ChunkedAttention.DEFAULT_KEY_CHUNK)
                : new ChunkedAttention();
        chunked = tiles.withParallelism(threads);

        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        boolean isFull = method.startsWith("full");
        Attention measured = isFull ? full : chunked;
        Attention other = isFull ? chunked : full;
        double[] actual =
                measured.apply(query, key, value, attentionMask).output().toArray();
        checkAgainstReference(method, actual);
        if (tokens <= CROSS_CHECK_MAX_TOKENS) {
            double[] expected =
                    other.apply(query, key, value, attentionMask).output().toArray();
            compare(method + " vs " + (isFull ? "chunked" : "full"), expected, actual, TOLERANCE);
            if (threads > 1) {
                Attention single = isFull ? full.withParallelism(1) : chunked.withParallelism(1);
                double[] one =
                        single.apply(query, key, value, attentionMask).output().toArray();
                compare(method + " on " + threads + " threads vs 1 thread (bitwise)", one, actual, 0);
            }
        }
    }

    /** Scores materialised, scalar kernels: {@code [batchHeads, L, S]} weights are allocated and kept. */
    @Benchmark
    public Tensor fullScalar() {
        return full.apply(query, key, value, attentionMask).output();
    }

    /** Scores materialised, Vector API kernels. */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public Tensor fullVector() {
        return full.apply(query, key, value, attentionMask).output();
    }

    /** Tiled with the online softmax, scalar kernels; O(L + S) extra memory. */
    @Benchmark
    public Tensor chunkedScalar() {
        return chunked.apply(query, key, value, attentionMask).output();
    }

    /** Tiled with the online softmax, Vector API kernels. */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public Tensor chunkedVector() {
        return chunked.apply(query, key, value, attentionMask).output();
    }

    /** The mask named by the {@code mask} parameter for {@code batchHeads} sequences of {@code tokens}. */
    static Mask mask(String name, int batchHeads, int tokens) {
        switch (name) {
            case "none":
                return Mask.none();
            case "causal":
                return Mask.causal();
            case "padding":
                return Mask.keyPadding(keyLengths(name, batchHeads, tokens));
            default:
                throw new IllegalArgumentException("mask must be none, causal or padding, got " + name);
        }
    }

    /**
     * Keys each batch element may see under {@code padding}: {@code 3L/4} for the first half of the
     * batch, {@code L/2} for the rest (at least 1); {@code null} for the other masks.
     */
    static int[] keyLengths(String name, int batchHeads, int tokens) {
        if (!name.equals("padding")) {
            return null;
        }
        int[] lengths = new int[batchHeads];
        for (int b = 0; b < batchHeads; b++) {
            lengths[b] = Math.max(1, b < (batchHeads + 1) / 2 ? 3 * tokens / 4 : tokens / 2);
        }
        return lengths;
    }

    /**
     * Floating-point operations of one call by the convention above: {@code 4·d·P}, P the allowed
     * (query, key) pairs.
     */
    static double flops(String mask, int batchHeads, int tokens, int depth) {
        double pairs;
        switch (mask) {
            case "none":
                pairs = (double) batchHeads * tokens * tokens;
                break;
            case "causal":
                pairs = (double) batchHeads * tokens * (tokens + 1) / 2;
                break;
            case "padding":
                pairs = (double) tokens
                        * Arrays.stream(keyLengths(mask, batchHeads, tokens))
                                .asLongStream()
                                .sum();
                break;
            default:
                throw new IllegalArgumentException("mask must be none, causal or padding, got " + mask);
        }
        return 4.0 * depth * pairs;
    }

    /** Keys query {@code i} of batch element {@code b} may see. */
    private int keyEnd(int b, int i) {
        switch (mask) {
            case "causal":
                return Math.min(tokens, i + 1);
            case "padding":
                return lengths[b];
            default:
                return tokens;
        }
    }

    private void checkAgainstReference(String method, double[] actual) {
        double[] q = query.toArray();
        double[] k = key.toArray();
        double[] v = value.toArray();
        double scale = 1 / Math.sqrt(depth);
        java.util.Random random = new java.util.Random(42);
        int[] batches = {0, batchHeads / 2, batchHeads - 1};
        for (int b : batches) {
            int[] rows = new int[4 + RANDOM_ROWS];
            rows[0] = 0;
            rows[1] = Math.min(1, tokens - 1);
            rows[2] = tokens / 2;
            rows[3] = tokens - 1;
            for (int r = 4; r < rows.length; r++) {
                rows[r] = random.nextInt(tokens);
            }
            for (int i : rows) {
                double[] expected =
                        Checks.referenceRow(q, k, v, b, i, tokens, tokens, depth, depth, keyEnd(b, i), scale);
                double diff = Checks.maxDifference(expected, actual, (b * tokens + i) * depth);
                if (!(diff <= TOLERANCE)) {
                    throw new IllegalStateException(method + " is wrong: row " + i + " of batch element " + b
                            + " differs from the direct computation by " + diff + " (tolerance " + TOLERANCE
                            + ") for " + describe());
                }
            }
        }
    }

    private void compare(String what, double[] expected, double[] actual, double tolerance) {
        if (expected.length != actual.length) {
            throw new IllegalStateException(what + ": " + actual.length + " elements, expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(expected[i] - actual[i]);
            boolean bad = tolerance == 0
                    ? Double.doubleToLongBits(expected[i]) != Double.doubleToLongBits(actual[i])
                    : !(diff <= tolerance);
            if (bad) {
                throw new IllegalStateException(what + ": outputs differ at flat index " + i + " (" + expected[i]
                        + " vs " + actual[i] + ", tolerance " + tolerance + ") for " + describe());
            }
        }
    }

    private String describe() {
        return "tokens=" + tokens + ", depth=" + depth + ", mask=" + mask + ", batchHeads=" + batchHeads
                + ", threads=" + threads + ", queryChunk=" + queryChunk + ", keyChunk=" + keyChunk
                + ", kernels=" + Checks.kernels();
    }
}
