package dev.heed.internal;

import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Parallel loops on fork/join. Not API.
 *
 * <p>A loop runs on the calling thread plus up to {@code parallelism − 1} tasks forked into the
 * current fork/join pool — the common pool, or the caller's own pool when it calls from inside
 * one, so a caller can confine Heed to a pool it owns (and shuts down). Heed creates no threads
 * of its own. Workers take indices from a shared counter, so uneven work (causal tiles) balances
 * itself. Each index must write a disjoint part of the result: the outcome is then bitwise the
 * same whatever the number of threads or the order in which indices run.
 */
public final class Parallel {
    private Parallel() {}

    /** Below this many floating-point operations a loop is not worth splitting across threads. */
    public static final double MIN_PARALLEL_FLOPS = 2e6;

    private static final int DEFAULT_PARALLELISM = readDefault();

    private static int readDefault() {
        String p = System.getProperty("dev.heed.parallelism");
        if (p != null) {
            try {
                int v = Integer.parseInt(p.trim());
                if (v >= 1) {
                    return v;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the machine's processor count
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * The number of threads a Heed loop uses unless told otherwise: the system property
     * {@code dev.heed.parallelism} if set to a positive integer, else the processor count.
     */
    public static int defaultParallelism() {
        return DEFAULT_PARALLELISM;
    }

    /** {@link #forEach(int, double, int, IntConsumer)} with {@link #defaultParallelism()}. */
    public static void forEach(int n, double flops, IntConsumer body) {
        forEach(n, flops, DEFAULT_PARALLELISM, body);
    }

    /**
     * Runs {@code body} for every index in {@code [0, n)}, on up to {@code parallelism} threads
     * when {@code flops} is large enough to pay for them.
     */
    public static void forEach(int n, double flops, int parallelism, IntConsumer body) {
        int workers = Math.min(parallelism, n);
        if (workers <= 1 || flops < MIN_PARALLEL_FLOPS) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                body.accept(i);
            }
        };
        ForkJoinTask<?>[] forked = new ForkJoinTask<?>[workers - 1];
        for (int t = 0; t < forked.length; t++) {
            forked[t] = ForkJoinTask.adapt(worker).fork();
        }
        try {
            worker.run();
        } finally {
            for (ForkJoinTask<?> task : forked) {
                task.join();
            }
        }
    }
}
