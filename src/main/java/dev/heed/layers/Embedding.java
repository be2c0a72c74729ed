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

    /**
     * The gradient of the table for a {@link #lookup(int...)}, without autograd: row {@code id}
     * of the result is the sum of the rows of {@code gradOutput} at the positions where {@code id}
     * occurs (a repeated id collects all its gradients); rows of ids that do not occur are zero.
     *
     * @param ids        the ids of the lookup, each in {@code [0, vocabSize)}; not modified
     * @param gradOutput {@code [ids.length, embedDim]}, the gradient of the lookup's result; not
     *                   modified
     * @return a new {@code [vocabSize, embedDim]} tensor
     * @throws IllegalArgumentException if an argument is null, an id is out of range, or
     *                                  {@code gradOutput} has the wrong shape, naming it
     */
    public Tensor backward(int[] ids, Tensor gradOutput) {
        if (ids == null || gradOutput == null) {
            throw new IllegalArgumentException(
                    "Embedding.backward: " + (ids == null ? "ids" : "gradOutput") + " is null");
        }
        checkGradient(gradOutput, ids.length);
        double[] out = new double[vocabSize * embedDim];
        scatter(ids, gradOutput.contiguous(), 0, out, "");
        return Tensor.of(out, vocabSize, embedDim);
    }

    /**
     * The gradient of the table for a batched {@link #lookup(int[][])}: as
     * {@link #backward(int[], Tensor)}, summing over every row of the batch.
     *
     * @param ids        {@code [b][n]}, rectangular, each in {@code [0, vocabSize)}; not modified
     * @param gradOutput {@code [b, n, embedDim]}; not modified
     * @return a new {@code [vocabSize, embedDim]} tensor
     * @throws IllegalArgumentException if an argument or a row is null, the rows are ragged, an id
     *                                  is out of range, or {@code gradOutput} has the wrong shape,
     *                                  naming it
     */
    public Tensor backward(int[][] ids, Tensor gradOutput) {
        if (ids == null || gradOutput == null) {
            throw new IllegalArgumentException(
                    "Embedding.backward: " + (ids == null ? "ids" : "gradOutput") + " is null");
        }
        int b = ids.length;
        int n = b == 0 ? 0 : lengthOf(ids[0], 0);
        for (int i = 0; i < b; i++) {
            if (lengthOf(ids[i], i) != n) {
                throw new IllegalArgumentException(
                        "ids must be rectangular: row 0 has " + n + " ids, row " + i + " has " + ids[i].length);
            }
        }
        if (!Arrays.equals(gradOutput.shape(), new int[] {b, n, embedDim})) {
            throw new IllegalArgumentException("Embedding.backward: gradOutput must have shape "
                    + Arrays.toString(new int[] {b, n, embedDim}) + " for ids [" + b + "][" + n + "], got "
                    + Arrays.toString(gradOutput.shape()));
        }
        Tensor g = gradOutput.contiguous();
        double[] out = new double[vocabSize * embedDim];
        for (int i = 0; i < b; i++) {
            scatter(ids[i], g, i * n * embedDim, out, "[" + i + "]");
        }
        return Tensor.of(out, vocabSize, embedDim);
    }

    private void checkGradient(Tensor gradOutput, int rows) {
        if (!Arrays.equals(gradOutput.shape(), new int[] {rows, embedDim})) {
            throw new IllegalArgumentException("Embedding.backward: gradOutput must have shape [" + rows + ", "
                    + embedDim + "] for " + rows + " ids, got " + Arrays.toString(gradOutput.shape()));
        }
    }

    /** Adds row {@code j} of the contiguous {@code g} (from element {@code o}) into row {@code ids[j]} of {@code out}. */
    private void scatter(int[] ids, Tensor g, int o, double[] out, String where) {
        double[] src = g.data();
        int base = g.offset() + o;
        for (int j = 0; j < ids.length; j++) {
            int id = checkId(ids[j], where, j);
            int s = base + j * embedDim;
            int d = id * embedDim;
            for (int c = 0; c < embedDim; c++) {
                out[d + c] += src[s + c];
            }
        }
    }

    private int checkId(int id, String where, int j) {
        if (id < 0 || id >= vocabSize) {
            throw new IllegalArgumentException("token id " + id + " at ids" + where + "[" + j
                    + "] is out of range for a vocabulary of " + vocabSize + " (valid ids are 0.."
                    + (vocabSize - 1) + ")");
        }
        return id;
    }

    /**
     * A trainable copy of this embedding for {@link dev.heed.autograd autograd}: its table
     * becomes a parameter, registered as {@code weight} as in PyTorch. This embedding is not
     * changed by training the copy; {@link TrainableEmbedding#snapshot()} gives the trained table
     * back as an {@code Embedding}.
     *
     * @return a new trainable embedding holding a copy of this table
     */
    public TrainableEmbedding trainable() {
        return new TrainableEmbedding(table);
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
