package dev.heed.internal.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link QueryGradientSum}: whatever order the shares arrive in and however many threads deliver
 * them, each query tile's sum is the shares added in key-tile order, bit for bit — with room to hold
 * every early share, with none (every early share waits), and in between; and a task that fails
 * wakes the ones waiting for it.
 */
class QueryGradientSumTest {
    private static final KernelSupport SCALAR = VectorizationProvider.scalar();

    /** Shares of varied magnitude, so that a different order of addition shows in the bits. */
    private static double[][][][] shares(int batches, int queries, int depth, int queryChunk, int keyTiles) {
        int queryTiles = (queries + queryChunk - 1) / queryChunk;
        SplittableRandom random = new SplittableRandom(batches * 1000L + queries * 31L + keyTiles);
        double[][][][] s = new double[batches][queryTiles][keyTiles][];
        for (int b = 0; b < batches; b++) {
            for (int t = 0; t < queryTiles; t++) {
                int rows = Math.min(queryChunk, queries - t * queryChunk);
                for (int j = 0; j < keyTiles; j++) {
                    s[b][t][j] = new double[rows * depth];
                    for (int e = 0; e < rows * depth; e++) {
                        s[b][t][j][e] = random.nextDouble(-1, 1) * Math.pow(10, random.nextInt(-8, 9));
                    }
                }
            }
        }
        return s;
    }

    /** The key tiles query tile t receives shares from: a prefix, as under a causal mask (tile t sees tiles ≤ t + 1). */
    private static int contributors(int t, int keyTiles, boolean causal) {
        return causal ? Math.min(keyTiles, t + 2) : keyTiles;
    }

    private static double[] sequential(double[][][][] s, int queries, int depth, int queryChunk, boolean causal) {
        double[] dq = new double[s.length * queries * depth];
        for (int b = 0; b < s.length; b++) {
            for (int t = 0; t < s[b].length; t++) {
                int at = (b * queries + t * queryChunk) * depth;
                for (int j = 0; j < contributors(t, s[b][t].length, causal); j++) {
                    for (int e = 0; e < s[b][t][j].length; e++) {
                        dq[at + e] += s[b][t][j][e];
                    }
                }
            }
        }
        return dq;
    }

    @Test
    void sharesArrivingInAnyOrderOnManyThreadsAddUpInKeyTileOrder() throws Exception {
        int batches = 3;
        int queries = 45; // tiles of 8: five full, one of 5 rows
        int depth = 5;
        int queryChunk = 8;
        int keyTiles = 11;
        double[][][][] s = shares(batches, queries, depth, queryChunk, keyTiles);
        for (boolean causal : new boolean[] {false, true}) {
            double[] expected = sequential(s, queries, depth, queryChunk, causal);
            for (int limit : new int[] {0, 1, 5, Integer.MAX_VALUE}) {
                for (int threads : new int[] {1, 2, 3, 8}) {
                    double[] dq = new double[expected.length];
                    QueryGradientSum sum =
                            new QueryGradientSum(SCALAR, dq, batches, queries, depth, queryChunk, keyTiles, limit);
                    runTasks(s, depth, sum, threads, causal, 17L * threads + limit);
                    assertThat(dq)
                            .as("causal=%s limit=%d threads=%d", causal, limit, threads)
                            .containsExactly(expected);
                }
            }
        }
    }

    /**
     * Tasks (b, j) taken from a shared counter in increasing order, as Parallel does; each delivers
     * its shares for the query tiles in a shuffled order, with random pauses.
     */
    private static void runTasks(
            double[][][][] s, int depth, QueryGradientSum sum, int threads, boolean causal, long seed)
            throws Exception {
        int batches = s.length;
        int keyTiles = s[0][0].length;
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                long workerSeed = seed * 31 + w;
                futures.add(pool.submit(() -> {
                    SplittableRandom random = new SplittableRandom(workerSeed);
                    for (int task = next.getAndIncrement(); task < batches * keyTiles; task = next.getAndIncrement()) {
                        int b = task / keyTiles;
                        int j = task % keyTiles;
                        List<Integer> tiles = new ArrayList<>();
                        for (int t = 0; t < s[b].length; t++) {
                            if (j < contributors(t, keyTiles, causal)) {
                                tiles.add(t);
                            }
                        }
                        Collections.shuffle(tiles, new java.util.Random(random.nextLong()));
                        for (int t : tiles) {
                            if (random.nextInt(4) == 0) {
                                Thread.yield();
                            }
                            double[] share = s[b][t][j].clone();
                            sum.add(b, t, j, share, share.length / depth);
                            java.util.Arrays.fill(share, Double.NaN); // the caller may reuse it at once
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailedTaskWakesTheTasksWaitingForIt() throws Exception {
        double[] dq = new double[2 * 4];
        QueryGradientSum sum = new QueryGradientSum(SCALAR, dq, 1, 2, 4, 2, 3, 0);
        CountDownLatch started = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> waiter = pool.submit(() -> {
                started.countDown();
                sum.add(0, 0, 2, new double[8], 2); // key tiles 0 and 1 never come
                return null;
            });
            started.await();
            Thread.sleep(50);
            assertThat(waiter.isDone()).as("waits for its predecessors").isFalse();
            OutOfMemoryError failure = new OutOfMemoryError("the task that owed key tile 1");
            sum.abandon(failure);
            assertThatThrownBy(() -> waiter.get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(IllegalStateException.class)
                    .hasRootCause(failure);
        } finally {
            pool.shutdownNow();
        }
    }
}
