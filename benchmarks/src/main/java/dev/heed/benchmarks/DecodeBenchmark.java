package dev.heed.benchmarks;

import dev.heed.attention.Attention;
import dev.heed.attention.AttentionResult;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.KeyValueCache;
import dev.heed.attention.MultiHeadAttention;
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
 * Decoding throughput with a {@link KeyValueCache}: one call is one step of
 * {@link MultiHeadAttention#forward(Tensor, KeyValueCache)} for a single new token ({@code [B, 1, E]})
 * over {@code cached} tokens already in the cache, so the score is <b>tokens per second</b> (per
 * sequence of the batch; multiply by {@code batch} for the batch's rate). Every {@code rollback} calls
 * the cache is cropped back to {@code cached} tokens ({@link KeyValueCache#crop}), so the calls see
 * {@code cached} to {@code cached + rollback − 1} tokens: {@code rollback = 1} measures one length
 * exactly, larger values the usual generation, which only appends (the first step after a crop moves
 * a {@link ChunkedAttention} cache's keys to a new array, since the lazy weights of the steps before
 * read them in place; appending copies nothing). The module runs {@link ScaledDotProductAttention} ({@code full*}) or
 * {@link ChunkedAttention} ({@code chunked*}), on Heed's scalar kernels ({@code *Scalar}) or its Vector
 * API kernels ({@code *Vector}, forks started with {@code --add-modules=jdk.incubator.vector}).
 *
 * <p>A step costs the four projections of one token, {@code 8·E²} flops ({@code 2·E²} each), and the
 * attention of one query per head over {@code cached + 1} keys, {@code 4·E·(cached + 1)} flops (summed
 * over the heads); at {@code E = 512} the attention dominates from about 1,000 cached tokens on. It
 * reads the whole cache once, {@code 16·E·(cached + 1)} bytes (64 MiB at 8,192 tokens), so decoding
 * is bound by memory bandwidth rather than by the FMA units: a kernel cannot beat
 * {@code bandwidth / (16·E·cached)} tokens per second.
 *
 * <p>Parameters (override with {@code -p name=v1,v2,...}):
 * <ul>
 *   <li>{@code cached}: tokens in the cache before the step; 1024 and 8192.</li>
 *   <li>{@code embedDim} E = 512 and {@code heads} H = 8 (head size 64); {@code batch} B = 1.</li>
 *   <li>{@code rollback}: calls between crops back to {@code cached} tokens; 1 and 64.</li>
 *   <li>{@code threads}: {@code withParallelism(threads)} on the kernel; default 1. The projections
 *       use {@code Tensor.matmul}'s own parallelism ({@code -Ddev.heed.parallelism}).</li>
 * </ul>
 *
 * <p>The setup fills the cache with a seeded prompt of {@code cached} tokens through the measured
 * module, {@value #PREFILL_CHUNK} tokens per step (tens of seconds at 8,192 tokens on the scalar
 * kernels). Checks, once per trial, before anything is measured; any failure throws:
 * <ol>
 *   <li>the fork runs the kernel path the method's name claims (scalar or vector);</li>
 *   <li>the decoded token's output matches a direct computation from the module's weights (project
 *       every token, one softmax per head over all {@code cached + 1} keys, merge, output projection:
 *       double loops that share no code with the module) to {@value #TOLERANCE};</li>
 *   <li>the cache holds {@code cached} tokens again after the first {@code rollback} calls.</li>
 * </ol>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DecodeBenchmark {
    /** Largest absolute difference allowed against the direct computation. */
    static final double TOLERANCE = 1e-9;
    /** Tokens per step while the setup fills the cache. */
    static final int PREFILL_CHUNK = 256;

    /** Tokens in the cache before each measured step (the first after a crop). */
    @Param({"1024", "8192"})
    public int cached;

    /** Embedding size E. */
    @Param({"512"})
    public int embedDim;

    /** Heads H; E/H is the head size. */
    @Param({"8"})
    public int heads;

    /** Sequences decoded together. */
    @Param({"1"})
    public int batch;

    /** Calls between crops back to {@code cached} tokens. */
    @Param({"1", "64"})
    public int rollback;

    /** Threads the attention kernel may use ({@code withParallelism}). */
    @Param({"1"})
    public int threads;

    private MultiHeadAttention module;
    private KeyValueCache cache;
    private Tensor token;
    private int sinceCrop;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        Checks.requireKernelPath(params.getBenchmark());
        if (cached < 0
                || embedDim < 1
                || heads < 1
                || embedDim % heads != 0
                || batch < 1
                || threads < 1
                || rollback < 1) {
            throw new IllegalArgumentException(
                    "need cached >= 0, heads dividing embedDim, batch, rollback and threads >= 1; got " + describe());
        }
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        Attention kernel = method.startsWith("full")
                ? new ScaledDotProductAttention().withParallelism(threads)
                : new ChunkedAttention().withParallelism(threads);
        int e = embedDim;
        module = MultiHeadAttention.builder(e, heads)
                .seed(7)
                .kernel(kernel)
                .biases(
                        Tensor.random(1).normal(e).scale(0.1),
                                Tensor.random(2).normal(e).scale(0.1),
                        Tensor.random(3).normal(e).scale(0.1),
                                Tensor.random(4).normal(e).scale(0.1))
                .build();
        Tensor prompt = Tensor.random(5).normal(batch, cached + 1, e);
        cache = module.newCache().reserve(cached + rollback);
        for (int n = 0; n < cached; n += PREFILL_CHUNK) {
            module.forward(prompt.slice(1, n, Math.min(cached, n + PREFILL_CHUNK)), cache);
        }
        token = prompt.slice(1, cached, cached + 1).copy();

        double[] actual = decode().toArray();
        for (int call = 1; call < rollback; call++) {
            decode();
        }
        if (cache.length() != cached) {
            throw new IllegalStateException(method + ": the cache holds " + cache.length() + " tokens after " + rollback
                    + " steps, not " + cached + " (" + describe() + ")");
        }
        for (int b = 0; b < batch; b += Math.max(1, batch - 1)) {
            double[] expected = reference(prompt, b);
            double diff = Checks.maxDifference(expected, actual, b * e);
            if (!(diff <= TOLERANCE)) {
                throw new IllegalStateException(method + " is wrong: the decoded token of sequence " + b
                        + " differs from the direct computation by " + diff + " (tolerance " + TOLERANCE + ") for "
                        + describe());
            }
        }
    }

    /** One token over {@code cached} cached ones, materialised attention, scalar kernels. */
    @Benchmark
    public Tensor fullScalar() {
        return decode();
    }

    /** One token over {@code cached} cached ones, materialised attention, Vector API kernels. */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public Tensor fullVector() {
        return decode();
    }

    /** One token over {@code cached} cached ones, online softmax, scalar kernels. */
    @Benchmark
    public Tensor chunkedScalar() {
        return decode();
    }

    /** One token over {@code cached} cached ones, online softmax, Vector API kernels. */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public Tensor chunkedVector() {
        return decode();
    }

    /** The measured step: decode {@code token}; every {@code rollback} steps, crop back to {@code cached}. */
    private Tensor decode() {
        AttentionResult r = module.forward(token, cache);
        if (++sinceCrop == rollback) {
            cache.crop(cached);
            sinceCrop = 0;
        }
        return r.output();
    }

    /**
     * The output for token {@code cached} of sequence {@code b} computed directly: every key and value
     * projected, one softmax per head over the {@code cached + 1} keys, heads merged, output projection.
     */
    private double[] reference(Tensor prompt, int b) {
        int e = embedDim;
        int d = e / heads;
        int keys = cached + 1;
        double[][] x = new double[keys][];
        for (int j = 0; j < keys; j++) {
            x[j] = prompt.select(0, b).select(0, j).toArray();
        }
        double[] wq = module.queryWeight().toArray();
        double[] wk = module.keyWeight().toArray();
        double[] wv = module.valueWeight().toArray();
        double[] wo = module.outputWeight().toArray();
        double[] q = project(wq, module.queryBias().toArray(), x[cached]);
        double[] bk = module.keyBias().toArray();
        double[] bv = module.valueBias().toArray();
        double[][] k = new double[keys][];
        double[][] v = new double[keys][];
        for (int j = 0; j < keys; j++) {
            k[j] = project(wk, bk, x[j]);
            v[j] = project(wv, bv, x[j]);
        }
        double[] merged = new double[e];
        double[] p = new double[keys];
        for (int h = 0; h < heads; h++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < keys; j++) {
                double dot = 0;
                for (int c = h * d; c < (h + 1) * d; c++) {
                    dot += q[c] * k[j][c];
                }
                p[j] = dot / Math.sqrt(d);
                max = Math.max(max, p[j]);
            }
            double sum = 0;
            for (int j = 0; j < keys; j++) {
                p[j] = Math.exp(p[j] - max);
                sum += p[j];
            }
            for (int j = 0; j < keys; j++) {
                for (int c = h * d; c < (h + 1) * d; c++) {
                    merged[c] += p[j] / sum * v[j][c];
                }
            }
        }
        return project(wo, module.outputBias().toArray(), merged);
    }

    /** {@code W·x + bias} for a row-major {@code [E, E]} weight in PyTorch's {@code [out, in]} layout. */
    private double[] project(double[] w, double[] bias, double[] x) {
        int n = x.length;
        double[] y = new double[bias.length];
        for (int o = 0; o < y.length; o++) {
            double s = bias[o];
            for (int c = 0; c < n; c++) {
                s += w[o * n + c] * x[c];
            }
            y[o] = s;
        }
        return y;
    }

    private String describe() {
        return "cached=" + cached + ", embedDim=" + embedDim + ", heads=" + heads + ", batch=" + batch + ", rollback="
                + rollback + ", threads=" + threads + ", kernels=" + Checks.kernels();
    }
}
