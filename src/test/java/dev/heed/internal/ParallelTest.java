package dev.heed.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** {@link Parallel#forEach}: every index exactly once, whatever the threads and the work. */
class ParallelTest {

    static final double ENOUGH = 1e9;

    /** Runs every index once on {@code parallelism} workers in {@code pool}, uneven work included. */
    static void checkEveryIndexOnce(ForkJoinPool pool, int n, int parallelism) throws Exception {
        AtomicIntegerArray visits = new AtomicIntegerArray(Math.max(n, 1));
        pool.submit(() -> Parallel.forEach(n, ENOUGH, parallelism, i -> {
                    if (i % 7 == 0) {
                        // uneven work, so some workers finish their range early and help
                        long spin = System.nanoTime() + 20_000;
                        while (System.nanoTime() < spin) {
                            Thread.onSpinWait();
                        }
                    }
                    visits.incrementAndGet(i);
                }))
                .get();
        for (int i = 0; i < n; i++) {
            assertThat(visits.get(i))
                    .as("index %d of %d on %d workers", i, n, parallelism)
                    .isEqualTo(1);
        }
    }

    @Test
    void everyIndexRunsExactlyOnce() throws Exception {
        ForkJoinPool pool = new ForkJoinPool(4);
        try {
            for (int n : new int[] {0, 1, 2, 3, 7, 13, 64, 65, 257, 1000}) {
                for (int parallelism : new int[] {1, 2, 3, 4, 8}) {
                    checkEveryIndexOnce(pool, n, parallelism);
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void theCallerFinishesAloneWhenNoForkedWorkerStarts() throws Exception {
        // A pool of one thread, busy with the caller: the forked workers cannot start until the
        // caller has taken its own range and every other one.
        ForkJoinPool pool = new ForkJoinPool(1);
        try {
            for (int n : new int[] {1, 5, 64, 301}) {
                checkEveryIndexOnce(pool, n, 4);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aLoneWorkerRunsItsRangeThenTheOthersInOrder() throws Exception {
        // The forked workers cannot start (a one-thread pool, busy with the caller): the caller
        // runs its own range, then the others' in turn — 0..n-1 in order, whatever the split.
        ForkJoinPool pool = new ForkJoinPool(1);
        try {
            int n = 50;
            int[] order = new int[n];
            int[] count = {0};
            pool.submit(() -> Parallel.forEach(n, ENOUGH, 3, i -> order[count[0]++] = i))
                    .get();
            assertThat(count[0]).isEqualTo(n);
            for (int k = 0; k < n; k++) {
                assertThat(order[k]).as("position %d", k).isEqualTo(k);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aForkedWorkerStartsAtTheBeginningOfItsOwnRange() throws Exception {
        // The caller holds index 0 until another thread has run an index: that thread is the
        // forked worker, and the first index it takes is the first of its own range (n/2), not
        // the next index after the caller's (which one shared counter would hand it).
        ForkJoinPool pool = new ForkJoinPool(2);
        try {
            int n = 10;
            java.util.concurrent.CountDownLatch otherStarted = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicInteger firstOther = new java.util.concurrent.atomic.AtomicInteger(-1);
            pool.submit(() -> {
                        Thread caller = Thread.currentThread();
                        Parallel.forEach(n, ENOUGH, 2, i -> {
                            if (Thread.currentThread() != caller) {
                                firstOther.compareAndSet(-1, i);
                                otherStarted.countDown();
                            } else if (i == 0) {
                                try {
                                    otherStarted.await(30, java.util.concurrent.TimeUnit.SECONDS);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            }
                        });
                    })
                    .get();
            assertThat(firstOther.get()).as("first index of the forked worker").isEqualTo(n / 2);
        } finally {
            pool.shutdown();
        }
    }
}
