package dev.heed.viz;

import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A heatmap per attention head, side by side in a grid with one shared colour scale and colour
 * bar — the weights of {@link dev.heed.attention.MultiHeadAttention}.
 *
 * <pre>{@code
 * AttentionResult r = mha.forward(x, Mask.causal());          // weights [H, L, S]
 * HeadGrid.of(r.weights()).labels(tokens).title("Causal self-attention").writePng(dir.resolve("heads.png"));
 * HeadGrid.of(batched.weights(), 1).toSvg();                  // element 1 of weights [B, H, L, S]
 * }</pre>
 *
 * <p>Panels are titled "head 0", "head 1", … and laid out {@link #columns(int) four or more to a
 * row} (about √H for many heads). Each panel has its own labels; the image stays around 1,000 px
 * wide whatever the number of keys, as panel grids share a budget of about 720 px per row.
 *
 * <p>All heads share one colour scale: by default it spans the smallest to the largest finite
 * weight of any head, so the heads can be compared with each other; {@link #range(double, double)
 * range(0, 1)} shows the weights as probabilities, comparable with other charts too. See
 * {@link Chart} for the colour scale (NaN is grey) and the output formats.
 */
public final class HeadGrid extends Chart<HeadGrid> {
    private final double[][] heads;
    private int panelsPerRow;

    private HeadGrid(double[] values, int[] shape, int[] headShape) {
        super(headShape[1], headShape[2], shape);
        int h = headShape[0];
        int size = headShape[1] * headShape[2];
        heads = new double[h][];
        for (int k = 0; k < h; k++) {
            heads[k] = Arrays.copyOfRange(values, k * size, (k + 1) * size);
        }
        panelsPerRow = Math.max(Math.min(h, 4), (int) Math.ceil(Math.sqrt(h)));
    }

    /**
     * A grid of the heads of {@code weights}, copied now.
     *
     * @param weights {@code [H, L, S]} (unbatched multi-head weights), or {@code [1, H, L, S]};
     *                any layout; not modified
     * @return a new grid of {@code H} panels of {@code [L, S]}, with the default settings
     * @throws IllegalArgumentException if {@code weights} is null, of another rank, batched with
     *                                  more than one element (use {@link #of(Tensor, int)}), or empty
     */
    public static HeadGrid of(Tensor weights) {
        if (weights == null) {
            throw new IllegalArgumentException("weights must not be null");
        }
        int[] shape = weights.shape();
        if (shape.length == 4 && shape[0] == 1) {
            return of(weights, 0);
        }
        if (shape.length != 3) {
            throw new IllegalArgumentException("a head grid needs weights [H, L, S], got " + Arrays.toString(shape)
                    + (shape.length == 4
                            ? "; pick a batch element with HeadGrid.of(weights, batch)"
                            : shape.length == 2 ? "; use Heatmap for a single map" : ""));
        }
        return create(weights, shape, shape);
    }

    /**
     * A grid of the heads of batch element {@code batch} of {@code weights}, copied now.
     *
     * @param weights {@code [B, H, L, S]} (batched multi-head weights); any layout; not modified
     * @param batch   which element, {@code 0 <= batch < B}
     * @return a new grid of the {@code H} panels of element {@code batch}, with the default settings
     * @throws IllegalArgumentException if {@code weights} is null, not of rank 4, empty, or
     *                                  {@code batch} is out of range, naming both
     */
    public static HeadGrid of(Tensor weights, int batch) {
        if (weights == null) {
            throw new IllegalArgumentException("weights must not be null");
        }
        int[] shape = weights.shape();
        if (shape.length != 4) {
            throw new IllegalArgumentException(
                    "a batch index needs weights [B, H, L, S], got " + Arrays.toString(shape));
        }
        if (batch < 0 || batch >= shape[0]) {
            throw new IllegalArgumentException("batch index " + batch + " is out of range for weights "
                    + Arrays.toString(shape) + " (B = " + shape[0] + ")");
        }
        return create(weights.select(0, batch), shape, Arrays.copyOfRange(shape, 1, 4));
    }

    private static HeadGrid create(Tensor heads, int[] shape, int[] headShape) {
        if (headShape[0] == 0 || headShape[1] == 0 || headShape[2] == 0) {
            throw new IllegalArgumentException(
                    "a head grid needs at least one head, row and column, got weights " + Arrays.toString(shape));
        }
        return new HeadGrid(heads.toArray(), shape, headShape);
    }

    /**
     * The number of heads.
     *
     * @return {@code H}, the number of panels
     */
    public int heads() {
        return heads.length;
    }

    /**
     * Puts {@code panelsPerRow} panels side by side (the default is {@code max(min(H, 4), ⌈√H⌉)}).
     * More than {@code H} is the same as {@code H}: one row.
     *
     * @param panelsPerRow panels in each row, at least 1
     * @return this grid
     * @throws IllegalArgumentException unless {@code panelsPerRow >= 1}
     */
    public HeadGrid columns(int panelsPerRow) {
        if (panelsPerRow < 1) {
            throw new IllegalArgumentException("panels per row must be >= 1, got " + panelsPerRow);
        }
        this.panelsPerRow = panelsPerRow;
        return this;
    }

    @Override
    HeadGrid self() {
        return this;
    }

    @Override
    double[][] panels() {
        return heads;
    }

    @Override
    List<String> panelTitles() {
        List<String> titles = new ArrayList<>(heads.length);
        for (int k = 0; k < heads.length; k++) {
            titles.add("head " + k);
        }
        return titles;
    }

    @Override
    int panelsPerRow() {
        return panelsPerRow;
    }
}
