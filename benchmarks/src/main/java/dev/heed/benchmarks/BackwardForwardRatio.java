package dev.heed.benchmarks;

import dev.heed.attention.AttentionGradients;
import dev.heed.attention.AttentionResult;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;

/**
 * ChunkedAttention's backward time over its forward time, the two calls alternating in one JVM so
 * that both see the same machine: the ratio issue 9 bounds (≤ 3 at {@code [8, 1024, 64]}), robust
 * where JMH's separate runs of {@link AttentionBenchmark} and {@link AttentionBackwardBenchmark}
 * land on a shared machine at different moments. Run it with the kernels wanted:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *     dev.heed.benchmarks.BackwardForwardRatio [mask (none) [threads (all) [rounds (30) [tokens (1024) [depth (64)]]]]]
 * </pre>
 *
 * <p>Inputs are {@link AttentionBackwardBenchmark}'s ({@code [8, tokens, depth]}, seeds 1–4; masks
 * none, causal, padding). After ten warm-up rounds, each round times one forward ({@code apply})
 * and then one backward from a forward result made before the loop, as the benchmarks do; it
 * prints the minimum and the median of each over the rounds and their ratios, and the mean
 * process CPU time of each (a mean: the operating system counts it in ticks of about 10 ms), which
 * does not count time spent waiting for a core — on a machine shared with other work, the steadier
 * of the two; it does count the JIT and the garbage collector, quiet after the warm-up. Before timing, the backward is checked against
 * {@link ScaledDotProductAttention}'s to {@value #TOLERANCE}.
 *
 * <p>Exit status: 0, or 1 if the check fails, 2 on bad arguments.
 */
public final class BackwardForwardRatio {
    /** Largest absolute difference allowed between the chunked and the full backward. */
    static final double TOLERANCE = 1e-9;

    private static final int BATCH_HEADS = 8;
    private static final int WARM_UP = 10;

    private BackwardForwardRatio() {}

    public static void main(String[] args) {
        String mask;
        int threads;
        int rounds;
        int tokens;
        int depth;
        try {
            if (args.length > 5) {
                throw new IllegalArgumentException("too many arguments");
            }
            mask = args.length > 0 ? args[0] : "none";
            AttentionBenchmark.mask(mask, BATCH_HEADS, 1);
            threads = args.length > 1
                    ? Integer.parseInt(args[1])
                    : Runtime.getRuntime().availableProcessors();
            rounds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
            tokens = args.length > 3 ? Integer.parseInt(args[3]) : 1024;
            depth = args.length > 4 ? Integer.parseInt(args[4]) : 64;
            if (threads < 1 || rounds < 1 || tokens < 1 || depth < 1) {
                throw new IllegalArgumentException("threads, rounds, tokens and depth must be positive");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("BackwardForwardRatio: "
                    + (e instanceof NumberFormatException
                            ? "threads, rounds, tokens and depth must be integers, got " + String.join(" ", args)
                            : e.getMessage()));
            System.err.println("usage: java [--add-modules jdk.incubator.vector] -cp benchmarks.jar "
                    + "dev.heed.benchmarks.BackwardForwardRatio [none|causal|padding [threads [rounds [tokens "
                    + "[depth]]]]]");
            System.exit(2);
            return;
        }
        System.exit(run(mask, threads, rounds, tokens, depth) ? 0 : 1);
    }

    /** Checks, times and prints; whether the check passed. */
    static boolean run(String maskName, int threads, int rounds, int tokens, int depth) {
        Tensor q = Tensor.random(1).normal(BATCH_HEADS, tokens, depth);
        Tensor k = Tensor.random(2).normal(BATCH_HEADS, tokens, depth);
        Tensor v = Tensor.random(3).normal(BATCH_HEADS, tokens, depth);
        Tensor dO = Tensor.random(4).normal(BATCH_HEADS, tokens, depth);
        Mask mask = AttentionBenchmark.mask(maskName, BATCH_HEADS, tokens);
        ChunkedAttention chunked = new ChunkedAttention().withParallelism(threads);
        AttentionResult forward = chunked.apply(q, k, v, mask);
        AttentionGradients g = chunked.backward(q, k, v, mask, forward, dO);
        ScaledDotProductAttention full = new ScaledDotProductAttention().withParallelism(threads);
        AttentionGradients expected = full.backward(q, k, v, mask, full.apply(q, k, v, mask), dO);
        double error = Math.max(
                difference(expected.query(), g.query()),
                Math.max(difference(expected.key(), g.key()), difference(expected.value(), g.value())));
        System.out.printf(
                Locale.ROOT,
                "BackwardForwardRatio: [%d, %d, %d] %s, %s, %d processors, load average %.1f;"
                        + " chunked vs full backward max |difference| %.3g (tolerance %.0e)%n",
                BATCH_HEADS,
                tokens,
                depth,
                maskName,
                chunked,
                Runtime.getRuntime().availableProcessors(),
                loadAverage(),
                error,
                TOLERANCE);
        if (!(error <= TOLERANCE)) {
            System.out.println("FAILED: the chunked backward differs from the full one");
            return false;
        }
        double[][] ms = new double[4][rounds]; // wall forward, wall backward, CPU forward, CPU backward
        for (int r = -WARM_UP; r < rounds; r++) {
            long c0 = cpuNanos();
            long t0 = System.nanoTime();
            AttentionResult f = chunked.apply(q, k, v, mask);
            long t1 = System.nanoTime();
            long c1 = cpuNanos();
            AttentionGradients b = chunked.backward(q, k, v, mask, forward, dO);
            long t2 = System.nanoTime();
            long c2 = cpuNanos();
            if (f.output().size() == 0 || b.query().size() == 0) {
                throw new IllegalStateException("empty result"); // keeps both calls' results live
            }
            if (r >= 0) {
                ms[0][r] = (t1 - t0) / 1e6;
                ms[1][r] = (t2 - t1) / 1e6;
                ms[2][r] = (c1 - c0) / 1e6;
                ms[3][r] = (c2 - c1) / 1e6;
            }
        }
        for (double[] m : ms) {
            Arrays.sort(m);
        }
        System.out.printf(
                Locale.ROOT,
                "  %d rounds after %d warm-up, ms per call: forward min %.1f median %.1f,"
                        + " backward min %.1f median %.1f%n",
                rounds,
                WARM_UP,
                ms[0][0],
                median(ms[0]),
                ms[1][0],
                median(ms[1]));
        System.out.printf(
                Locale.ROOT,
                "  backward ÷ forward: %.2f of the minima, %.2f of the medians "
                        + "(flop ratio 2.5; load average now %.1f)%n",
                ms[1][0] / ms[0][0],
                median(ms[1]) / median(ms[0]),
                loadAverage());
        double cpuForward = Arrays.stream(ms[2]).sum() / rounds;
        double cpuBackward = Arrays.stream(ms[3]).sum() / rounds;
        if (cpuForward > 0) {
            System.out.printf(
                    Locale.ROOT,
                    "  process CPU time, mean ms per call (all threads, not counting time waiting "
                            + "for a core): forward %.1f, backward %.1f, backward ÷ forward %.2f%n",
                    cpuForward,
                    cpuBackward,
                    cpuBackward / cpuForward);
        }
        return true;
    }

    /** CPU time of the whole process so far, or 0 where the JVM cannot tell. */
    private static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean
                ? Math.max(0, ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime())
                : 0;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double difference(Tensor expected, Tensor actual) {
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs(e[i] - a[i]);
            worst = Double.isNaN(d) ? Double.NaN : Math.max(worst, d);
        }
        return worst;
    }

    private static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
