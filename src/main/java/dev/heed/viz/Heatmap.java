package dev.heed.viz;

import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * One attention map as a heatmap: weights {@code [L, S]}, queries down, keys across, a colour
 * bar on the right.
 *
 * <pre>{@code
 * // self-attention: one token list labels both axes
 * Heatmap.of(weights).labels(tokens).title("Self-attention").writePng(Path.of("self.png"));
 * // cross-attention: decoder tokens down, encoder tokens across
 * String svg = Heatmap.of(alignment).rowLabels(target).columnLabels(source).annotate(true).toSvg();
 * }</pre>
 *
 * <p>See {@link Chart} for the colour scale (NaN is grey), sizes and the output formats.
 */
public final class Heatmap extends Chart<Heatmap> {
    private final double[] values;

    private Heatmap(double[] values, int[] shape) {
        super(shape[0], shape[1], shape);
        this.values = values;
    }

    /**
     * A heatmap of {@code weights}, copied now (later changes to the tensor do not show).
     *
     * @param weights {@code [L, S]}, at least one row and one column, any layout; not modified.
     *                For one query's weights {@code [S]} use {@code weights.unsqueeze(0)}; for a
     *                head of {@code [B, H, L, S]} use {@code weights.select(0, b).select(0, h)}
     *                (or {@link HeadGrid} for all heads)
     * @return a new chart with the default settings: numbered axes, no title, colours scaled to
     *         the data, no values in the cells
     * @throws IllegalArgumentException if {@code weights} is null, not of rank 2, or empty
     */
    public static Heatmap of(Tensor weights) {
        if (weights == null) {
            throw new IllegalArgumentException("weights must not be null");
        }
        int[] shape = weights.shape();
        if (shape.length != 2) {
            throw new IllegalArgumentException(
                    "a heatmap needs weights of rank 2, [L, S], got " + Arrays.toString(shape)
                            + (shape.length == 1
                                    ? "; use weights.unsqueeze(0) for a single query"
                                    : shape.length > 2 ? "; select one map, or use HeadGrid for [H, L, S]" : ""));
        }
        if (shape[0] == 0 || shape[1] == 0) {
            throw new IllegalArgumentException(
                    "a heatmap needs at least one row and one column, got " + Arrays.toString(shape));
        }
        return new Heatmap(weights.toArray(), shape);
    }

    @Override
    Heatmap self() {
        return this;
    }

    @Override
    double[][] panels() {
        return new double[][] {values};
    }

    @Override
    List<String> panelTitles() {
        return null;
    }

    @Override
    int panelsPerRow() {
        return 1;
    }
}
