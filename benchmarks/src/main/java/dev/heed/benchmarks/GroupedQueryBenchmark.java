package dev.heed.benchmarks;

import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Grouped-query attention against plain multi-head attention, causal, by {@link ChunkedAttention}:
 * {@code queryHeads} (default 8) query heads over {@code kvHeads} (default 2) key/value heads
 * ({@code gqa*}: key and value {@code [1, kvHeads, tokens, depth]}, each shared by a group of query
 * heads through the batch offsets, never copied) versus as many key/value heads as query heads
 * ({@code mha*}). Both do the same arithmetic per query head, so GQA should be no slower per query
 * head (and reads {@code queryHeads / kvHeads} times fewer distinct keys and values). Default 4,096
 * tokens, depth 64.
 *
 * <p>Methods come as {@code *Scalar} and {@code *Vector} (forks with
 * {@code --add-modules=jdk.incubator.vector}); average time of one call in milliseconds, so the
 * time per query head is the score divided by {@code queryHeads} for both.
 *
 * <p>{@code interleavedVector} runs both in every call, alternating which goes first, and reports their
 * times as secondary results {@code gqaNanos} and {@code mhaNanos} (summed over each iteration): on a
 * machine shared with other work, whose load changes from one minute to the next, the two sides then
 * see the same load, and {@code gqaNanos / mhaNanos} is the ratio to read (below 1: GQA is faster).
 *
 * <p>Checked once per trial before measuring: the fork runs the kernel path its name claims, and
 * the grouped output equals attention over keys and values repeated per head
 * ({@code repeat_interleave}) exactly, bit for bit.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class GroupedQueryBenchmark {
    @Param({"4096"})
    public int tokens;

    @Param({"64"})
    public int depth;

    @Param({"8"})
    public int queryHeads;

    @Param({"2"})
    public int kvHeads;

    @Param({"1"})
    public int threads;

    private Tensor query;
    private Tensor groupedKey;
    private Tensor groupedValue;
    private Tensor key;
    private Tensor value;
    private ChunkedAttention attention;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        Checks.requireKernelPath(params.getBenchmark());
        if (tokens < 1 || depth < 1 || kvHeads < 1 || queryHeads % kvHeads != 0 || threads < 1) {
            throw new IllegalArgumentException(
                    "tokens, depth, threads must be positive and kvHeads must divide queryHeads");
        }
        query = Tensor.random(1).normal(1, queryHeads, tokens, depth);
        groupedKey = Tensor.random(2).normal(1, kvHeads, tokens, depth);
        groupedValue = Tensor.random(3).normal(1, kvHeads, tokens, depth);
        // Plain multi-head attention on the same numbers: each key/value head repeated for its group.
        key = repeatInterleave(groupedKey, queryHeads / kvHeads);
        value = repeatInterleave(groupedValue, queryHeads / kvHeads);
        attention = new ChunkedAttention().withParallelism(threads);
        double[] grouped = attention
                .apply(query, groupedKey, groupedValue, Mask.causal())
                .output()
                .toArray();
        double[] repeated =
                attention.apply(query, key, value, Mask.causal()).output().toArray();
        if (!java.util.Arrays.equals(grouped, repeated)) {
            throw new IllegalStateException("grouped-query output differs from attention over repeated keys/values");
        }
    }

    /** {@code t [1, H, S, d]} with each head repeated {@code times} times in place: [1, H·times, S, d]. */
    private static Tensor repeatInterleave(Tensor t, int times) {
        int[] s = t.shape();
        return t.unsqueeze(2).broadcastTo(s[0], s[1], times, s[2], s[3]).copy().reshape(s[0], s[1] * times, s[2], s[3]);
    }

    @Benchmark
    public Tensor gqaScalar() {
        return attention.apply(query, groupedKey, groupedValue, Mask.causal()).output();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public Tensor gqaVector() {
        return attention.apply(query, groupedKey, groupedValue, Mask.causal()).output();
    }

    /** Nanoseconds each side took in the current iteration, for {@link #interleavedVector}. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class SideTimes {
        public long gqaNanos;
        public long mhaNanos;

        @Setup(Level.Iteration)
        public void reset() {
            gqaNanos = 0;
            mhaNanos = 0;
        }
    }

    private long interleavedCalls;

    /** GQA and plain MHA in one call, in alternating order, each timed; Vector API kernels. */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public double interleavedVector(SideTimes times) {
        boolean gqaFirst = (interleavedCalls++ & 1) == 0;
        double sink = 0;
        for (int side = 0; side < 2; side++) {
            boolean gqa = (side == 0) == gqaFirst;
            long start = System.nanoTime();
            Tensor out = gqa
                    ? attention
                            .apply(query, groupedKey, groupedValue, Mask.causal())
                            .output()
                    : attention.apply(query, key, value, Mask.causal()).output();
            long elapsed = System.nanoTime() - start;
            if (gqa) {
                times.gqaNanos += elapsed;
            } else {
                times.mhaNanos += elapsed;
            }
            sink += out.get(0, 0, 0, 0);
        }
        return sink;
    }

    @Benchmark
    public Tensor mhaScalar() {
        return attention.apply(query, key, value, Mask.causal()).output();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public Tensor mhaVector() {
        return attention.apply(query, key, value, Mask.causal()).output();
    }
}
