package dev.heed.benchmarks;

import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
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
 * A sliding window against plain causal attention, both by {@link ChunkedAttention}: one head of
 * {@code tokens} (default 16,384) with {@link Mask#slidingWindow(int, int) slidingWindow(window − 1, 0)}
 * (each token sees itself and the {@code window − 1} before it; default 256, Mistral's shape at a
 * smaller scale) versus {@link Mask#causal()}. The kernels skip every key tile outside a query
 * tile's windows, so the window should cost about {@code (window + tile) / (tokens / 2)} of causal
 * attention — about 1/25 with the defaults and tiles of 64 — in the forward ({@code window*},
 * {@code causal*}) and in forward + backward ({@code *Backward*}).
 *
 * <p>Methods come as {@code *Scalar} (a plain JVM) and {@code *Vector} (forks with
 * {@code --add-modules=jdk.incubator.vector}); average time of one call in milliseconds.
 * Parameters: {@code tokens}, {@code depth} (64), {@code window} (256), {@code threads} (1).
 *
 * <p>Checked once per trial before measuring: the fork runs the kernel path its name claims, and
 * sampled rows of the windowed output (first, last, a few in between) equal a direct double loop
 * over the window's keys to {@value #TOLERANCE}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class WindowBenchmark {
    static final double TOLERANCE = 1e-9;

    @Param({"16384"})
    public int tokens;

    @Param({"64"})
    public int depth;

    /** Tokens each query sees, itself included: {@code slidingWindow(window - 1, 0)}. */
    @Param({"256"})
    public int window;

    @Param({"1"})
    public int threads;

    private Tensor query;
    private Tensor key;
    private Tensor value;
    private Tensor gradOutput;
    private Mask windowMask;
    private ChunkedAttention attention;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        Checks.requireKernelPath(params.getBenchmark());
        if (tokens < 1 || depth < 1 || window < 1 || threads < 1) {
            throw new IllegalArgumentException("tokens, depth, window and threads must be positive");
        }
        query = Tensor.random(1).normal(1, tokens, depth);
        key = Tensor.random(2).normal(1, tokens, depth);
        value = Tensor.random(3).normal(1, tokens, depth);
        gradOutput = Tensor.random(4).normal(1, tokens, depth);
        windowMask = Mask.slidingWindow(window - 1, 0);
        attention = new ChunkedAttention().withParallelism(threads);
        double[] out = attention.apply(query, key, value, windowMask).output().toArray();
        double[] q = query.toArray();
        double[] k = key.toArray();
        double[] v = value.toArray();
        for (int i : new int[] {0, 1, window - 1, window, tokens / 2, tokens - 1}) {
            if (i < 0 || i >= tokens) {
                continue;
            }
            double[] expected = windowRow(q, k, v, i);
            double worst = Checks.maxDifference(expected, out, i * depth);
            if (!(worst <= TOLERANCE)) {
                throw new IllegalStateException("window row " + i + " differs from the direct loop by " + worst);
            }
        }
    }

    /** Row {@code i} of windowed attention, directly: keys {@code max(0, i - window + 1) .. i}. */
    private double[] windowRow(double[] q, double[] k, double[] v, int i) {
        int j0 = Math.max(0, i - window + 1);
        double scale = 1 / Math.sqrt(depth);
        double[] s = new double[i - j0 + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = j0; j <= i; j++) {
            double dot = 0;
            for (int c = 0; c < depth; c++) {
                dot += q[i * depth + c] * k[j * depth + c];
            }
            s[j - j0] = scale * dot;
            max = Math.max(max, s[j - j0]);
        }
        double sum = 0;
        double[] out = new double[depth];
        for (int j = j0; j <= i; j++) {
            double p = Math.exp(s[j - j0] - max);
            sum += p;
            for (int c = 0; c < depth; c++) {
                out[c] += p * v[j * depth + c];
            }
        }
        for (int c = 0; c < depth; c++) {
            out[c] /= sum;
        }
        return out;
    }

    @Benchmark
    public Tensor windowScalar() {
        return attention.apply(query, key, value, windowMask).output();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public Tensor windowVector() {
        return attention.apply(query, key, value, windowMask).output();
    }

    @Benchmark
    public Tensor causalScalar() {
        return attention.apply(query, key, value, Mask.causal()).output();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public Tensor causalVector() {
        return attention.apply(query, key, value, Mask.causal()).output();
    }

    /** Forward and backward under the window, Vector API kernels. */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public Tensor windowBackwardVector() {
        return attention
                .backward(query, key, value, windowMask, attention.apply(query, key, value, windowMask), gradOutput)
                .key();
    }

    /** Forward and backward under causal, Vector API kernels. */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public Tensor causalBackwardVector() {
        return attention
                .backward(
                        query, key, value, Mask.causal(), attention.apply(query, key, value, Mask.causal()), gradOutput)
                .key();
    }
}
