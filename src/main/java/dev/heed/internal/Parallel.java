package dev.heed.internal;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Parallel loops on the common fork/join pool. Not API.
 *
 * <p>Each index must write a disjoint part of the result, so the outcome is bitwise the same
 * whatever the number of threads or the order in which indices run.
 */
public final class Parallel {
    private Parallel() {}

    /** Below this many floating-point operations a task is not worth splitting across threads. */
    public static final double MIN_PARALLEL_FLOPS = 2e6;

    /** Runs {@code body} for every index in {@code [0, n)}, in parallel when {@code flops} is large enough. */
    public static void forEach(int n, double flops, IntConsumer body) {
        if (n > 1 && flops >= MIN_PARALLEL_FLOPS) {
            IntStream.range(0, n).parallel().forEach(body);
        } else {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
        }
    }
}
