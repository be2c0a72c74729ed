package dev.heed.benchmarks;

import dev.heed.attention.Attention;
import dev.heed.attention.AttentionGradients;
import dev.heed.attention.AttentionResult;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.tensor.Tensor;
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
 * The backward of self-attention over {@code [batchHeads, tokens, depth]} tensors, the forward
 * done once in the setup: {@link ScaledDotProductAttention#backward} ({@code full*}: from the
 * materialised weights, {@code dS} materialised too) and {@link ChunkedAttention#backward}
 * ({@code chunked*}: FlashAttention-2's backward, recomputing each score tile from the saved
 * log-sum-exp), each on Heed's scalar kernels ({@code *Scalar}) and its Vector API kernels
 * ({@code *Vector}, forks started with {@code --add-modules=jdk.incubator.vector}). Results are the
 * average time of one call, in milliseconds; compare with {@link AttentionBenchmark}'s forward at
 * the same parameters.
 *
 * <p>Parameters are {@link AttentionBenchmark}'s: {@code tokens} (default 1024), {@code depth}
 * (64), {@code mask} ({@code none}, {@code causal}, {@code padding}), {@code batchHeads} (8),
 * {@code threads} (1, 2), {@code queryChunk} and {@code keyChunk} (0 = the library defaults).
 *
 * <p>Flop count: the full backward does four matrix products per (batch, head) — {@code dO Vᵀ},
 * {@code dS K}, {@code Pᵀ dO}, {@code dSᵀ Q} — so {@code 8·d·P} flops with {@code P} the allowed
 * (query, key) pairs ({@link AttentionBenchmark#flops} × 2). The chunked backward recomputes the
 * scores and {@code dO Vᵀ} in its query pass, seven products, {@code 14·d·P}; FlashAttention-2's
 * count is {@code 10·d·P} (2.5× the forward), as its dQ is summed with atomic adds in no fixed order.
 *
 * <p>Checks, once per trial, before anything is measured; any failure throws:
 * <ol>
 *   <li>the fork runs the kernel path the method's name claims;</li>
 *   <li>{@code dQ} of sampled rows of the first, a middle and the last batch element (rows 0, 1,
 *       L/2, L−1 and a few seeded random ones) matches a direct double loop to {@value #TOLERANCE};</li>
 *   <li>up to {@value AttentionBenchmark#CROSS_CHECK_MAX_TOKENS} tokens: all three gradients match
 *       the other kernel's to {@value #TOLERANCE}, and, when {@code threads > 1}, are bitwise equal to
 *       the measured kernel's on one thread.</li>
 * </ol>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AttentionBackwardBenchmark {
    /** Largest absolute difference allowed against the reference and between the kernels. */
    static final double TOLERANCE = 1e-9;
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
    private Tensor gradOutput;
    private Mask attentionMask;
    private int[] lengths;
    private ScaledDotProductAttention full;
    private ChunkedAttention chunked;
    private AttentionResult fullForward;
    private AttentionResult chunkedForward;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        Checks.requireKernelPath(params.getBenchmark());
        if (tokens < 1 || depth < 1 || batchHeads < 1 || threads < 1) {
            throw new IllegalArgumentException("tokens, depth, batchHeads and threads must be positive");
        }
        query = Tensor.random(1).normal(batchHeads, tokens, depth);
        key = Tensor.random(2).normal(batchHeads, tokens, depth);
        value = Tensor.random(3).normal(batchHeads, tokens, depth);
        gradOutput = Tensor.random(4).normal(batchHeads, tokens, depth);
        lengths = AttentionBenchmark.keyLengths(mask, batchHeads, tokens);
        attentionMask = AttentionBenchmark.mask(mask, batchHeads, tokens);
        full = new ScaledDotProductAttention().withParallelism(threads);
        ChunkedAttention tiles = queryChunk > 0 || keyChunk > 0
                ? new ChunkedAttention(
                        queryChunk > 0 ? queryChunk : ChunkedAttention.DEFAULT_QUERY_CHUNK,
                        keyChunk > 0 ? keyChunk : ChunkedAttention.DEFAULT_KEY_CHUNK)
                : new ChunkedAttention();
        chunked = tiles.withParallelism(threads);

        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        boolean isFull = method.startsWith("full");
        if (isFull || tokens <= AttentionBenchmark.CROSS_CHECK_MAX_TOKENS) {
            fullForward = full.apply(query, key, value, attentionMask);
        }
        chunkedForward = chunked.apply(query, key, value, attentionMask);
        AttentionGradients actual = isFull ? fullFromForward() : chunkedFromForward();
        checkAgainstReference(method, actual.query().toArray());
        if (tokens <= AttentionBenchmark.CROSS_CHECK_MAX_TOKENS) {
            AttentionGradients other = isFull ? chunkedFromForward() : fullFromForward();
            compare(method + " vs " + (isFull ? "chunked" : "full"), other, actual, TOLERANCE);
            if (threads > 1) {
                Attention single = isFull ? full.withParallelism(1) : chunked.withParallelism(1);
                AttentionGradients one = single.backward(
                        query, key, value, attentionMask, isFull ? fullForward : chunkedForward, gradOutput);
                compare(method + " on " + threads + " threads vs 1 thread (bitwise)", one, actual, 0);
            }
        }
        if (!isFull) {
            fullForward = null; // the chunked methods need not keep the weights alive
        }
    }

    private AttentionGradients fullFromForward() {
        return full.backward(query, key, value, attentionMask, fullForward, gradOutput);
    }

    private AttentionGradients chunkedFromForward() {
        return chunked.backward(query, key, value, attentionMask, chunkedForward, gradOutput);
    }

    /** From the materialised weights, scalar kernels: {@code dS} {@code [batchHeads, L, S]} is allocated. */
    @Benchmark
    public AttentionGradients fullScalar() {
        return fullFromForward();
    }

    /** From the materialised weights, Vector API kernels. */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public AttentionGradients fullVector() {
        return fullFromForward();
    }

    /** FlashAttention-2's backward, scalar kernels; O(L + S) extra memory. */
    @Benchmark
    public AttentionGradients chunkedScalar() {
        return chunkedFromForward();
    }

    /** FlashAttention-2's backward, Vector API kernels. */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public AttentionGradients chunkedVector() {
        return chunkedFromForward();
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

    /** dQ of sampled rows against {@code scale Σ_j p_j (dO·v_j − Σ_l p_l dO·v_l) k_j}, computed directly. */
    private void checkAgainstReference(String method, double[] dq) {
        double[] q = query.toArray();
        double[] k = key.toArray();
        double[] v = value.toArray();
        double[] dO = gradOutput.toArray();
        double scale = 1 / Math.sqrt(depth);
        java.util.Random random = new java.util.Random(42);
        for (int b : new int[] {0, batchHeads / 2, batchHeads - 1}) {
            int[] rows = new int[4 + RANDOM_ROWS];
            rows[1] = Math.min(1, tokens - 1);
            rows[2] = tokens / 2;
            rows[3] = tokens - 1;
            for (int r = 4; r < rows.length; r++) {
                rows[r] = random.nextInt(tokens);
            }
            for (int i : rows) {
                int end = keyEnd(b, i);
                int qi = (b * tokens + i) * depth;
                double[] p = new double[end];
                double[] dp = new double[end];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < end; j++) {
                    int kj = (b * tokens + j) * depth;
                    for (int c = 0; c < depth; c++) {
                        p[j] += q[qi + c] * k[kj + c];
                        dp[j] += dO[qi + c] * v[kj + c];
                    }
                    p[j] *= scale;
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j < end; j++) {
                    p[j] = Math.exp(p[j] - max);
                    sum += p[j];
                }
                double delta = 0;
                for (int j = 0; j < end; j++) {
                    p[j] /= sum;
                    delta += p[j] * dp[j];
                }
                double[] expected = new double[depth];
                for (int j = 0; j < end; j++) {
                    int kj = (b * tokens + j) * depth;
                    double ds = scale * p[j] * (dp[j] - delta);
                    for (int c = 0; c < depth; c++) {
                        expected[c] += ds * k[kj + c];
                    }
                }
                double diff = Checks.maxDifference(expected, dq, qi);
                if (!(diff <= TOLERANCE)) {
                    throw new IllegalStateException(method + " is wrong: dQ of row " + i + " of batch element " + b
                            + " differs from the direct computation by " + diff + " (tolerance " + TOLERANCE
                            + ") for " + describe());
                }
            }
        }
    }

    private void compare(String what, AttentionGradients expected, AttentionGradients actual, double tolerance) {
        compare(what + ", dQ", expected.query().toArray(), actual.query().toArray(), tolerance);
        compare(what + ", dK", expected.key().toArray(), actual.key().toArray(), tolerance);
        compare(what + ", dV", expected.value().toArray(), actual.value().toArray(), tolerance);
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
                throw new IllegalStateException(what + ": gradients differ at flat index " + i + " (" + expected[i]
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
