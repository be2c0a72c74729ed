package dev.heed.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** {@link Parallel#forEach}: every index exactly once, whatever the threads and the work. */
class ParallelTest {

    static final double ENOUGH = 1e9;

    /** Runs {@code body} as a task of a fresh pool of {@code threads} threads, then shuts it down. */
    static void inPool(int threads, Runnable body) throws Exception {
        ForkJoinPool pool = new ForkJoinPool(threads);
        try {
            pool.submit(body).get();
        } finally {
            pool.shutdown();
        }
    }

    /** Runs every index once on {@code parallelism} workers in a pool of {@code threads}, uneven work included. */
    static void checkEveryIndexOnce(int threads, int n, int parallelism) throws Exception {
        AtomicIntegerArray visits = new AtomicIntegerArray(Math.max(n, 1));
        inPool(
                threads,
                () -> Parallel.forEach(n, ENOUGH, parallelism, i -> {
                    if (i % 7 == 0) {
                        // uneven work, so some workers finish their range early and help
                        long spin = System.nanoTime() + 20_000;
                        while (System.nanoTime() < spin) {
                            Thread.onSpinWait();
                        }
                    }
                    visits.incrementAndGet(i);
                }));
        for (int i = 0; i < n; i++) {
            assertThat(visits.get(i))
                    .as("index %d of %d on %d workers", i, n, parallelism)
                    .isEqualTo(1);
        }
    }

    @Test
    void everyIndexRunsExactlyOnce() throws Exception {
        for (int n : new int[] {0, 1, 2, 3, 7, 13, 64, 65, 257, 1000}) {
            for (int parallelism : new int[] {1, 2, 3, 4, 8}) {
                checkEveryIndexOnce(4, n, parallelism);
            }
        }
    }

    @Test
    void theCallerFinishesAloneWhenNoForkedWorkerStarts() throws Exception {
        // A pool of one thread, busy with the caller: the forked workers cannot start until the
        // caller has taken its own range and every other one.
        for (int n : new int[] {1, 5, 64, 301}) {
            checkEveryIndexOnce(1, n, 4);
        }
    }

    @Test
    void aLoneWorkerRunsItsRangeThenTheOthersInOrder() throws Exception {
        // The forked workers cannot start (a one-thread pool, busy with the caller): the caller
        // runs its own range, then the others' in turn — 0..n-1 in order, whatever the split.
        int n = 50;
        int[] order = new int[n];
        int[] count = {0};
        inPool(1, () -> Parallel.forEach(n, ENOUGH, 3, i -> order[count[0]++] = i));
        assertThat(count[0]).isEqualTo(n);
        for (int k = 0; k < n; k++) {
            assertThat(order[k]).as("position %d", k).isEqualTo(k);
        }
    }

    @Test
    void aForkedWorkerStartsAtTheBeginningOfItsOwnRange() throws Exception {
        // The caller holds index 0 until another thread has run an index: that thread is the
        // forked worker, and the first index it takes is the first of its own range (n/2), not
        // the next index after the caller's (which one shared counter would hand it).
        int n = 10;
        CountDownLatch otherStarted = new CountDownLatch(1);
        AtomicInteger firstOther = new AtomicInteger(-1);
        inPool(2, () -> {
            Thread caller = Thread.currentThread();
            Parallel.forEach(n, ENOUGH, 2, i -> {
                if (Thread.currentThread() != caller) {
                    firstOther.compareAndSet(-1, i);
                    otherStarted.countDown();
                } else if (i == 0) {
                    try {
                        otherStarted.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
        });
        assertThat(firstOther.get()).as("first index of the forked worker").isEqualTo(n / 2);
    }
}
