package dev.heed.internal.attention;

import java.util.Arrays;

/**
 * Which (query tile, key tile) pairs of a chunked backward do any work. Not API.
 *
 * <p>The key-tile tasks of {@link BackwardKernels#chunked} skip a query tile when no row of it may
 * see any key of the tile: past every row's key end (causal, padding), before every row's key start
 * (a sliding window's left edge), or inside a tile a block mask ({@code Mask.where}) blocks
 * entirely. {@link QueryGradientSum} must expect a share from exactly the pairs that are not skipped,
 * or it would wait for a share that never comes; both ask this one class, so they cannot disagree.
 * The skipped pairs need not be a suffix: a window skips a prefix and a block mask leaves holes.
 *
 * <p>Immutable after construction; safe to share between threads.
 */
public final class QueryTiles {
    private final MaskPlan mask;
    private final int queries;
    private final int keys;
    private final int queryChunk;
    private final int keyChunk;
    private final int queryTiles;
    private final int keyTiles;
    /** Per (batch element, query tile): the largest key end and smallest key end and key start of its rows. */
    private final int[] maxEnd;

    private final int[] minEnd;
    private final int[] minStart;

    private QueryTiles(MaskPlan mask, int batches, int queries, int keys, int queryChunk, int keyChunk) {
        this.mask = mask;
        this.queries = queries;
        this.keys = keys;
        this.queryChunk = queryChunk;
        this.keyChunk = keyChunk;
        this.queryTiles = (queries + queryChunk - 1) / queryChunk;
        this.keyTiles = (keys + keyChunk - 1) / keyChunk;
        int tiles = batches * queryTiles;
        this.maxEnd = new int[tiles];
        this.minEnd = new int[tiles];
        this.minStart = new int[tiles];
    }

    /**
     * The tiles of {@code g} at these tile sizes.
     *
     * @param queryChunk rows per query tile, at least 1
     * @param keyChunk   keys per key tile, at least 1
     */
    public static QueryTiles of(BackwardProblem g, int queryChunk, int keyChunk) {
        AttentionProblem p = g.forward;
        QueryTiles tiles = new QueryTiles(p.mask, p.batches, p.queries, p.keys, queryChunk, keyChunk);
        for (int b = 0; b < p.batches; b++) {
            for (int t = 0; t < tiles.queryTiles; t++) {
                int tile = b * tiles.queryTiles + t;
                int row0 = b * p.queries + t * queryChunk;
                int rows = Math.min(queryChunk, p.queries - t * queryChunk);
                int max = 0;
                int min = p.keys;
                int start = p.keys;
                for (int r = row0; r < row0 + rows; r++) {
                    max = Math.max(max, g.rowEnd[r]);
                    min = Math.min(min, g.rowEnd[r]);
                    start = Math.min(start, g.rowStart[r]);
                }
                tiles.maxEnd[tile] = max;
                tiles.minEnd[tile] = min;
                tiles.minStart[tile] = start;
            }
        }
        return tiles;
    }

    /**
     * Tiles where every pair does work, with no mask: for tests of {@link QueryGradientSum} that
     * deliver shares themselves.
     */
    public static QueryTiles dense(int batches, int queries, int keys, int queryChunk, int keyChunk) {
        MaskPlan none = MaskPlan.structural(keys, (b, i) -> keys);
        QueryTiles tiles = new QueryTiles(none, batches, queries, keys, queryChunk, keyChunk);
        Arrays.fill(tiles.maxEnd, keys);
        Arrays.fill(tiles.minEnd, keys);
        return tiles;
    }

    /** Whether key tile {@code keyTile} contributes to query tile {@code queryTile} of batch element {@code b}. */
    public boolean visits(int b, int queryTile, int keyTile) {
        int tile = b * queryTiles + queryTile;
        int j0 = keyTile * keyChunk;
        int j1 = Math.min(j0 + keyChunk, keys);
        if (j0 >= maxEnd[tile] || j1 <= minStart[tile]) {
            return false;
        }
        int i0 = queryTile * queryChunk;
        return !mask.blocksAll(b, i0, Math.min(i0 + queryChunk, queries), j0, j1);
    }

    /**
     * The first key tile at or after {@code keyTile} that contributes to the query tile, or
     * {@link #keyTiles()} when none does.
     */
    public int nextVisiting(int b, int queryTile, int keyTile) {
        int tile = b * queryTiles + queryTile;
        int k = Math.max(keyTile, minStart[tile] / keyChunk); // tiles left of every row's start: none
        while (k < keyTiles && !visits(b, queryTile, k)) {
            if (k * keyChunk >= maxEnd[tile]) {
                return keyTiles; // past every row's end: none after either
            }
            k++;
        }
        return k;
    }

    /** The smallest key end over the rows of the query tile: keys before it need no key-end masking. */
    public int minEnd(int b, int queryTile) {
        return minEnd[b * queryTiles + queryTile];
    }

    /** Query tiles per batch element. */
    public int queryTiles() {
        return queryTiles;
    }

    /** Key tiles per batch element. */
    public int keyTiles() {
        return keyTiles;
    }

    /** Rows per query tile (the last tile of a batch element may have fewer). */
    public int queryChunk() {
        return queryChunk;
    }

    /** Keys per key tile (the last tile may have fewer). */
    public int keyChunk() {
        return keyChunk;
    }
}
