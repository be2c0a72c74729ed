package dev.heed.layers;

import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import java.util.Map;
import java.util.Random;

/**
 * An {@link Embedding} whose table is a {@linkplain Variable#parameter parameter}: lookups are
 * recorded for autograd, and a loss computed from them has a gradient with respect to the table
 * in which a repeated id collects the gradients of all its occurrences. The {@link Module}
 * parameter is named {@code weight} ({@code [vocabSize, embedDim]}) as in {@code torch.nn.Embedding}.
 *
 * <p>Made by {@link Embedding#trainable()} or {@link #seeded(int, int, long)}; training changes the
 * table in place, and {@link #snapshot()} copies it out into an immutable {@code Embedding}. Not
 * thread-safe while being trained.
 */
public final class TrainableEmbedding implements Module {
    private final int vocabSize;
    private final int embedDim;
    private final Variable weight;

    TrainableEmbedding(Tensor table) {
        this.weight = Variable.parameter(table);
        this.vocabSize = table.shape(0);
        this.embedDim = table.shape(1);
    }

    /**
     * A trainable embedding initialised exactly as {@link Embedding#seeded(int, int, long)}
     * (standard normal entries, as PyTorch).
     *
     * @param vocabSize the number of token ids, ≥ 1
     * @param embedDim  the length of each vector, ≥ 1
     * @param seed      the seed of the {@link Random} the table is drawn from
     * @return a new embedding; same seed, same table
     * @throws IllegalArgumentException unless both sizes are ≥ 1
     */
    public static TrainableEmbedding seeded(int vocabSize, int embedDim, long seed) {
        return Embedding.seeded(vocabSize, embedDim, seed).trainable();
    }

    /**
     * Like {@link #seeded(int, int, long)} but drawing from {@code random}.
     *
     * @param vocabSize the number of token ids, ≥ 1
     * @param embedDim  the length of each vector, ≥ 1
     * @param random    modified: advanced by {@code vocabSize·embedDim} Gaussians
     * @return a new embedding
     * @throws IllegalArgumentException unless both sizes are ≥ 1, or if {@code random} is null
     */
    public static TrainableEmbedding seeded(int vocabSize, int embedDim, Random random) {
        return Embedding.seeded(vocabSize, embedDim, random).trainable();
    }

    /**
     * The vectors of {@code ids}, one row each, recorded for autograd.
     *
     * @param ids each in {@code [0, vocabSize)}; not modified
     * @return a new {@code [ids.length, embedDim]} variable
     * @throws IllegalArgumentException if {@code ids} is null or an id is out of range, naming the
     *                                  id and its position
     */
    public Variable forward(int... ids) {
        if (ids == null) {
            throw new IllegalArgumentException("ids is null");
        }
        return weight.gatherRows(ids);
    }

    /**
     * The vectors of a batch of id sequences, recorded for autograd.
     *
     * @param ids {@code [b][n]}, rectangular, each in {@code [0, vocabSize)}; not modified
     * @return a new {@code [b, n, embedDim]} variable
     * @throws IllegalArgumentException if {@code ids} or a row is null, the rows are ragged, or an
     *                                  id is out of range, naming it
     */
    public Variable forward(int[][] ids) {
        if (ids == null) {
            throw new IllegalArgumentException("ids is null");
        }
        int b = ids.length;
        int n = b == 0 ? 0 : rowLength(ids[0], 0);
        if ((long) b * n * embedDim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("looking up [" + b + "][" + n + "] ids of dimension " + embedDim
                    + " would need more than 2^31-1 elements");
        }
        int[] flat = new int[b * n];
        for (int i = 0; i < b; i++) {
            if (rowLength(ids[i], i) != n) {
                throw new IllegalArgumentException(
                        "ids must be rectangular: row 0 has " + n + " ids, row " + i + " has " + ids[i].length);
            }
            for (int j = 0; j < n; j++) {
                int id = ids[i][j];
                if (id < 0 || id >= vocabSize) {
                    throw new IllegalArgumentException("token id " + id + " at ids[" + i + "][" + j
                            + "] is out of range for a vocabulary of " + vocabSize + " (valid ids are 0.."
                            + (vocabSize - 1) + ")");
                }
                flat[i * n + j] = id;
            }
        }
        return weight.gatherRows(flat).reshape(b, n, embedDim);
    }

    private static int rowLength(int[] row, int i) {
        if (row == null) {
            throw new IllegalArgumentException("ids row " + i + " is null");
        }
        return row.length;
    }

    /**
     * The table parameter.
     *
     * @return the {@code [vocabSize, embedDim]} variable itself, shared
     */
    public Variable weight() {
        return weight;
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
     * {@code weight}.
     *
     * @return a new unmodifiable map holding the table variable
     */
    @Override
    public Map<String, Variable> parameters() {
        return Module.builder().add("weight", weight).build();
    }

    /**
     * The current table as an immutable embedding.
     *
     * @return a new {@code Embedding} holding a copy of the current table
     */
    public Embedding snapshot() {
        return Embedding.of(weight.value());
    }

    @Override
    public String toString() {
        return "TrainableEmbedding{vocabSize=" + vocabSize + ", embedDim=" + embedDim + "}";
    }
}
