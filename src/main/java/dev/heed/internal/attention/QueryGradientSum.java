package dev.heed.internal.attention;

import dev.heed.internal.vector.KernelSupport;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code dQ} of one chunked backward call, summed in a fixed order whichever thread computes what.
 * Not API.
 *
 * <p>Each task of {@link BackwardKernels#chunked} owns one key tile and computes, for every query
 * tile it may see, that key tile's share {@code dS·K} of the query tile's {@code dQ}. Query tile
 * {@code t} of batch element {@code b} receives its shares from the key tiles that
 * {@link QueryTiles#visits visit} it, {@code k_0 < k_1 < k_2 < …} (a mask may skip any of them: a
 * causal or padding mask a suffix, a sliding window a prefix, a block mask holes); this class adds
 * them into {@code dQ} in exactly that order: {@code dQ_t = ((s_0 + s_1) + s_2) + …}.
 * A share that arrives before its predecessors is copied aside and added by whoever delivers the
 * missing predecessor. So the bits of {@code dQ} depend on the shapes and tile sizes only, never on
 * the thread count or on timing, and on one thread — where tasks run in key-tile order — nothing is
 * ever held.
 *
 * <p>Memory: at most about {@code limit} held shares of {@code queryChunk × d} doubles, a bound on
 * how far a thread may run ahead of a slower one. A share that would exceed it waits instead until
 * its predecessors are in. That cannot deadlock as long as tasks start in increasing order of
 * (batch element, key tile) — {@link dev.heed.internal.Parallel}'s shared counter does that — and
 * every started task runs to the end: the lowest-numbered running task has all its predecessors
 * finished, so it never waits, finishes, and the argument repeats. Without any mask the tasks of one
 * batch element move through the query tiles in step, so a thread holds a share or two at a time.
 *
 * <p>Thread-safe: one lock per tile (striped), held while a share is added or set aside.
 */
public final class QueryGradientSum {
    /** Locks, each guarding the tiles whose index is equal to its own modulo this number. */
    private static final int STRIPES = 64;

    private final KernelSupport s;
    private final double[] gradQuery;
    private final int queries;
    private final int depth;
    private final int queryChunk;
    private final int queryTiles;
    private final int keyTiles;
    private final QueryTiles tiles;
    private final int limit;
    /** Per (batch element, query tile): the key tile whose share is added next. Guarded by the tile's stripe. */
    private final int[] next;

    private final Object[] locks = new Object[STRIPES];
    /** Shares that arrived early, by {@link #key}; each entry guarded by its tile's stripe. */
    private final Map<Long, double[]> held = new ConcurrentHashMap<>();

    private final AtomicInteger heldCount = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();
    /** Buffers of shares already added, for reuse. */
    private final ConcurrentLinkedQueue<double[]> free = new ConcurrentLinkedQueue<>();
    /** Why a task gave up, once one has ({@link #abandon}); null until then. */
    private volatile Throwable abandoned;

    /**
     * A sum expecting a share from every key tile for every query tile, with no mask.
     *
     * @param keyTiles key tiles per batch element
     * @see #QueryGradientSum(KernelSupport, double[], int, int, int, QueryTiles, int)
     */
    public QueryGradientSum(
            KernelSupport support,
            double[] gradQuery,
            int batches,
            int queries,
            int depth,
            int queryChunk,
            int keyTiles,
            int limit) {
        this(
                support,
                gradQuery,
                batches,
                queries,
                depth,
                QueryTiles.dense(batches, queries, keyTiles, queryChunk, 1),
                limit);
    }

    /**
     * @param support   the kernels that add
     * @param gradQuery modified: {@code dQ} {@code [batches, queries, depth]}, which must start zeroed
     * @param tiles     the tiles, and which key tiles contribute to which query tile
     * @param limit     how many early shares may be held at once before a task waits its turn
     *                  ({@code 0}: every share waits for its predecessors)
     */
    public QueryGradientSum(
            KernelSupport support,
            double[] gradQuery,
            int batches,
            int queries,
            int depth,
            QueryTiles tiles,
            int limit) {
        this.s = support;
        this.gradQuery = gradQuery;
        this.queries = queries;
        this.depth = depth;
        this.queryChunk = tiles.queryChunk();
        this.queryTiles = tiles.queryTiles();
        this.keyTiles = tiles.keyTiles();
        this.tiles = tiles;
        this.limit = limit;
        this.next = new int[batches * queryTiles];
        for (int b = 0; b < batches; b++) {
            for (int t = 0; t < queryTiles; t++) {
                next[b * queryTiles + t] = tiles.nextVisiting(b, t, 0);
            }
        }
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
    }

    /**
     * Adds key tile {@code keyTile}'s share of query tile {@code queryTile} of batch element
     * {@code b} into {@code dQ}, now or once the shares of the key tiles before it that visit the
     * query tile are in. Only a key tile that {@link QueryTiles#visits visits} the query tile may call.
     * May wait for them (see the class comment).
     *
     * @param share {@code rows × depth}, row-major from index 0; not modified, free for reuse on return
     * @throws IllegalStateException if it had to wait and another task failed ({@link #abandon})
     */
    public void add(int b, int queryTile, int keyTile, double[] share, int rows) {
        int tile = b * queryTiles + queryTile;
        int length = rows * depth;
        int at = (b * queries + queryTile * queryChunk) * depth;
        Object lock = locks[tile % STRIPES];
        synchronized (lock) {
            if (next[tile] != keyTile) {
                if (heldCount.get() < limit) {
                    double[] copy = free.poll();
                    if (copy == null) {
                        copy = new double[queryChunk * depth];
                    }
                    System.arraycopy(share, 0, copy, 0, length);
                    held.put(key(tile, keyTile), copy);
                    heldCount.incrementAndGet();
                    return;
                }
                awaitTurn(lock, tile, keyTile);
            }
            s.addInto(share, 0, length, gradQuery, at);
            int k = tiles.nextVisiting(b, queryTile, keyTile + 1);
            for (double[] h = held.remove(key(tile, k)); h != null; h = held.remove(key(tile, k))) {
                s.addInto(h, 0, length, gradQuery, at);
                heldCount.decrementAndGet();
                free.add(h);
                k = tiles.nextVisiting(b, queryTile, k + 1);
            }
            next[tile] = k;
            if (waiting.get() > 0) {
                lock.notifyAll();
            }
        }
    }

    /** The tiles this sum expects shares for. */
    public QueryTiles tiles() {
        return tiles;
    }

    /**
     * Wakes every waiting task with an {@link IllegalStateException} caused by {@code cause}: a
     * task failed, so the shares some are waiting for will never come. The cause travels along
     * because whichever exception reaches the caller first wins, and it may be a waiter's.
     *
     * @param cause what the failed task threw
     */
    public void abandon(Throwable cause) {
        abandoned = cause;
        for (Object lock : locks) {
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }

    /** Waits, holding {@code lock}'s monitor between waits, until the tile's next share is {@code keyTile}'s. */
    private void awaitTurn(Object lock, int tile, int keyTile) {
        boolean interrupted = false;
        waiting.incrementAndGet();
        try {
            while (next[tile] != keyTile) {
                Throwable cause = abandoned;
                if (cause != null) {
                    throw new IllegalStateException("another task of this backward failed: " + cause, cause);
                }
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    // Not ours to abandon: other tasks wait for this share. Keep the flag for the caller.
                    interrupted = true;
                }
            }
        } finally {
            waiting.decrementAndGet();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private long key(int tile, int keyTile) {
        return (long) tile * keyTiles + keyTile;
    }
}
