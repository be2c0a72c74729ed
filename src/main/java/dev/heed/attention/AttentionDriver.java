package dev.heed.attention;

import dev.heed.internal.Parallel;
import dev.heed.internal.attention.AttentionProblem;
import dev.heed.internal.attention.RowKernels;
import dev.heed.internal.attention.ScoreKernels;
import dev.heed.internal.attention.ScoresProblem;
import dev.heed.internal.attention.TiledKernels;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;

/**
 * Runs a checked {@link AttentionProblem} through the kernels, split into (batch element, query
 * tile) tasks over {@link Parallel}. Package-private: shared by the public attention classes.
 */
final class AttentionDriver {
    /** Query rows per task of the materialised kernel: enough rows for the matrix-product tiles to
     *  reuse each key many times, few enough that [8, 1024] problems still give 128 tasks to balance. */
    static final int MATERIALISED_QUERY_TILE = 64;

    /**
     * Below this many queries the materialised kernel reads the keys in place instead of transposing
     * them first: the transpose costs a few cycles per key element, a one-column score product half
     * a cycle per element and query (scalar FMAs, eight chains side by side), so it pays from about
     * eight queries on. At one query (a decoding step) the transpose was half of the step.
     */
    static final int FEW_QUERIES = 8;

    private static final TiledKernels DEFAULT = new TiledKernels(VectorizationProvider.support());

    private final TiledKernels tiled;
    private final int parallelism;

    private AttentionDriver(TiledKernels tiled, int parallelism) {
        this.tiled = tiled;
        this.parallelism = parallelism;
    }

    static AttentionDriver of(KernelSupport support, int parallelism) {
        TiledKernels t = support == null || support == DEFAULT.support() ? DEFAULT : new TiledKernels(support);
        return new AttentionDriver(t, parallelism <= 0 ? Parallel.defaultParallelism() : parallelism);
    }

    /**
     * Weights, output (unless {@code out} is null) and log-sum-exp with the scores materialised.
     */
    void materialised(AttentionProblem p, double[] weights, double[] out, double[] lse) {
        if (!p.valuesFinite) {
            double[] o = out != null ? out : new double[p.batches * p.queries * p.valueDepth];
            Parallel.forEach(
                    p.batches,
                    p.flops(),
                    parallelism,
                    b -> RowKernels.materialised(tiled.support(), p, b, weights, o, lse));
            return;
        }
        int[] ktOffset = new int[p.batches];
        // With few queries (a decoding step) the transposed copy of every key would cost more than
        // the scores themselves: they are then computed from K as it is.
        double[] kt = p.queries < FEW_QUERIES ? null : TiledKernels.transposeKeys(p, ktOffset, parallelism);
        int tile = MATERIALISED_QUERY_TILE;
        int tiles = (p.queries + tile - 1) / tile;
        Parallel.forEach(p.batches * tiles, p.flops(), parallelism, t -> {
            int b = t / tiles;
            int i0 = (t % tiles) * tile;
            tiled.materialised(p, kt, ktOffset, b, i0, Math.min(p.queries, i0 + tile), weights, out, lse);
        });
    }

    /** Weights, output and log-sum-exp of attention over given scores, in tiles of {@link #MATERIALISED_QUERY_TILE} queries. */
    void fromScores(ScoresProblem p, double[] weights, double[] out, double[] lse) {
        int tile = MATERIALISED_QUERY_TILE;
        int tiles = (p.queries + tile - 1) / tile;
        KernelSupport s = tiled.support();
        Parallel.forEach(p.batches * tiles, p.flops(), parallelism, t -> {
            int b = t / tiles;
            int i0 = (t % tiles) * tile;
            ScoreKernels.forward(s, p, b, i0, Math.min(p.queries, i0 + tile), weights, out, lse);
        });
    }

    /** Output and log-sum-exp by the online softmax over query tiles of {@code qc} and key tiles of {@code kc}. */
    void online(AttentionProblem p, int queryChunk, int keyChunk, double[] out, double[] lse) {
        // Tiles no larger than the problem: a huge chunk would overflow the tile arithmetic below
        // (and allocate a key tile of that size).
        int qc = Math.min(queryChunk, Math.max(1, p.queries));
        int kc = Math.min(keyChunk, Math.max(1, p.keys));
        int tiles = (p.queries + qc - 1) / qc;
        boolean fast = p.valuesFinite;
        Parallel.forEach(p.batches * tiles, p.flops(), parallelism, t -> {
            int b = t / tiles;
            int i0 = (t % tiles) * qc;
            int i1 = Math.min(p.queries, i0 + qc);
            if (fast) {
                tiled.online(p, b, i0, i1, kc, out, lse);
            } else {
                RowKernels.online(p, b, i0, i1, kc, out, lse);
            }
        });
    }

    int parallelism() {
        return parallelism;
    }

    KernelSupport support() {
        return tiled.support();
    }
}
