package dev.heed.layers;

import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;

/**
 * A lookup table from token ids to vectors: row {@code id} of a {@code [vocabSize, embedDim]}
 * table, as {@code torch.nn.Embedding} (whose {@code weight} loads as it is).
 *
 * <p>Shapes: ids {@code int[n]} → {@code [n, embedDim]}; ids {@code int[b][n]} (rectangular) →
 * {@code [b, n, embedDim]}. An empty id array gives an empty result ({@code [0, embedDim]}).
 * Every lookup returns a new row-major tensor, never a view of the table.
 *
 * <p>Seeded initialisation follows PyTorch: every entry standard normal, here from
 * {@code new Random(seed).nextGaussian()} in row-major order — exactly
 * {@code Tensor.random(seed).normal(vocabSize, embedDim)}; reproducible on every JVM, not PyTorch's
 * numbers.
 *
 * <p>Immutable and thread-safe: the table is copied in at construction and out by
 * {@link #table()}.
 */
public final class Embedding {
    private final int vocabSize;
    private final int embedDim;
    private final Tensor table;

    private Embedding(Tensor table) {
        this.table = table;
        this.vocabSize = table.shape(0);
        this.embedDim = table.shape(1);
    }

    /**
     * An embedding with the given table.
     *
     * @param table {@code [vocabSize, embedDim]}, both ≥ 1; copied, not modified
     * @return a new embedding owning a copy of {@code table}
     * @throws IllegalArgumentException if the table is null or not a non-empty matrix
     */
    public static Embedding of(Tensor table) {
        if (table == null) {
            throw new IllegalArgumentException("Embedding table is null");
        }
        if (table.rank() != 2 || table.shape(0) < 1 || table.shape(1) < 1) {
            throw new IllegalArgumentException("Embedding table must be [vocabSize, embedDim] with both >= 1, got "
                    + Arrays.toString(table.shape()));
        }
        return new Embedding(table.copy());
    }

    /**
     * A table of standard normal entries from {@code new Random(seed)}, as
     * {@code torch.nn.Embedding(vocabSize, embedDim)} initialises one.
     *
     * @param vocabSize the number of token ids, ≥ 1
     * @param embedDim  the length of each vector, ≥ 1
     * @param seed      the seed of the {@link Random} the table is drawn from
     * @return a new embedding; same seed, same table
     * @throws IllegalArgumentException unless both sizes are ≥ 1
     */
    public static Embedding seeded(int vocabSize, int embedDim, long seed) {
        return seeded(vocabSize, embedDim, new Random(seed));
    }

    /**
     * Like {@link #seeded(int, int, long)} but drawing from {@code random}, {@code vocabSize·embedDim}
     * Gaussians in row-major order.
     *
     * @param vocabSize the number of token ids, ≥ 1
     * @param embedDim  the length of each vector, ≥ 1
     * @param random    modified: advanced by {@code vocabSize·embedDim} Gaussians
     * @return a new embedding
     * @throws IllegalArgumentException unless both sizes are ≥ 1, or if {@code random} is null
     */
    public static Embedding seeded(int vocabSize, int embedDim, Random random) {
        if (vocabSize < 1 || embedDim < 1) {
            throw new IllegalArgumentException("Embedding needs vocabSize >= 1 and embedDim >= 1, got vocabSize="
                    + vocabSize + ", embedDim=" + embedDim);
        }
        if (random == null) {
            throw new IllegalArgumentException("random is null");
        }
        Tensor t = Tensor.zeros(vocabSize, embedDim);
        double[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = random.nextGaussian();
        }
        return new Embedding(t);
    }

    /**
     * The vectors of {@code ids}, one row each.
     *
     * @param ids each in {@code [0, vocabSize)}; not modified
     * @return a new {@code [ids.length, embedDim]} tensor ({@code [0, embedDim]} for no ids)
     * @throws IllegalArgumentException if {@code ids} is null or an id is out of range, naming
     *                                  the id, its position and the vocabulary size, or the result
     *                                  would exceed 2³¹−1 elements
     */
    public Tensor lookup(int... ids) {
        if (ids == null) {
            throw new IllegalArgumentException("ids is null");
        }
        double[] out = new double[resultSize(ids.length, 1)];
        gather(ids, out, 0, "");
        return Tensor.of(out, ids.length, embedDim);
    }

    /**
     * The vectors of a batch of id sequences.
     *
     * @param ids {@code [b][n]}, rectangular, each in {@code [0, vocabSize)}; not modified
     * @return a new {@code [b, n, embedDim]} tensor ({@code [0, 0, embedDim]} for no rows)
     * @throws IllegalArgumentException if {@code ids} or a row is null, the rows are ragged, an id
     *                                  is out of range (naming its row and position), or the result
     *                                  would exceed 2³¹−1 elements
     */
    public Tensor lookup(int[][] ids) {
        if (ids == null) {
            throw new IllegalArgumentException("ids is null");
        }
        int b = ids.length;
        int n = b == 0 ? 0 : lengthOf(ids[0], 0);
        for (int i = 0; i < b; i++) {
            if (lengthOf(ids[i], i) != n) {
                throw new IllegalArgumentException(
                        "ids must be rectangular: row 0 has " + n + " ids, row " + i + " has " + ids[i].length);
            }
        }
        double[] out = new double[resultSize(b, n)];
        for (int i = 0; i < b; i++) {
            gather(ids[i], out, i * n * embedDim, "[" + i + "]");
        }
        return Tensor.of(out, b, n, embedDim);
    }

    private int resultSize(int rows, int cols) {
        long size = (long) rows * cols * embedDim;
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("looking up " + (long) rows * cols + " ids of dimension " + embedDim
                    + " would need more than 2^31-1 elements");
        }
        return (int) size;
    }

    private static int lengthOf(int[] row, int i) {
        if (row == null) {
            throw new IllegalArgumentException("ids row " + i + " is null");
        }
        return row.length;
    }

    private void gather(int[] ids, double[] out, int o, String where) {
        double[] src = table.data();
        for (int j = 0; j < ids.length; j++, o += embedDim) {
            int id = ids[j];
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("token id " + id + " at ids" + where + "[" + j
                        + "] is out of range for a vocabulary of " + vocabSize + " (valid ids are 0.."
                        + (vocabSize - 1) + ")");
            }
            System.arraycopy(src, id * embedDim, out, o, embedDim);
        }
    }

    /**
     * Number of rows (token ids {@code 0..vocabSize-1}).
     *
     * @return the first axis of the table
     */
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * Length of each vector.
     *
     * @return the last axis of the table and of every lookup
     */
    public int embedDim() {
        return embedDim;
    }

    /**
     * The table.
     *
     * @return {@code [vocabSize, embedDim]}, a new copy on each call
     */
    public Tensor table() {
        return table.copy();
    }

    @Override
    public String toString() {
        return "Embedding{vocabSize=" + vocabSize + ", embedDim=" + embedDim + "}";
    }
}
