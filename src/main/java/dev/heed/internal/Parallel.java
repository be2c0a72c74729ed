package dev.heed.internal;

import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.IntConsumer;

/**
 * Parallel loops on fork/join. Not API.
 *
 * <p>A loop runs on the calling thread plus up to {@code parallelism − 1} tasks forked into the
 * current fork/join pool — the common pool, or the caller's own pool when it calls from inside
 * one, so a caller can confine Heed to a pool it owns (and shuts down). Heed creates no threads
 * of its own. Each worker takes a contiguous range of the indices in order, then helps with
 * what is left of the others' ranges, so neighbouring indices (which share inputs) mostly run on
 * one thread and uneven work (causal tiles) still balances itself. Each index must write a
 * disjoint part of the result: the outcome is then bitwise the same whatever the number of
 * threads or the order in which indices run.
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
        // Worker w first takes the indices of its own contiguous range, in order, then helps with
        // the other ranges (each range's cursor hands every index out once). Neighbouring indices
        // share inputs — the query tiles of one batch element use its keys, which each thread
        // packs once per call — so contiguous ranges pack each batch element on one thread, where
        // one shared counter had every thread take turns on every element and pack all of them.
        // Helping keeps uneven work (causal tiles) balanced, as the shared counter did.
        AtomicIntegerArray cursor = new AtomicIntegerArray(workers);
        int[] end = new int[workers];
        for (int w = 0; w < workers; w++) {
            cursor.set(w, (int) ((long) n * w / workers));
            end[w] = (int) ((long) n * (w + 1) / workers);
        }
        ForkJoinTask<?>[] forked = new ForkJoinTask<?>[workers - 1];
        for (int t = 0; t < forked.length; t++) {
            int id = t + 1;
            forked[t] = ForkJoinTask.adapt(() -> work(id, cursor, end, body)).fork();
        }
        try {
            work(0, cursor, end, body);
        } finally {
            for (ForkJoinTask<?> task : forked) {
                task.join();
            }
        }
    }

    /** Worker {@code id}'s share of {@link #forEach}: its own range, then what is left of the others. */
    private static void work(int id, AtomicIntegerArray cursor, int[] end, IntConsumer body) {
        int workers = end.length;
        for (int k = 0; k < workers; k++) {
            int r = (id + k) % workers;
            for (int i = cursor.getAndIncrement(r); i < end[r]; i = cursor.getAndIncrement(r)) {
                body.accept(i);
            }
        }
    }
}
