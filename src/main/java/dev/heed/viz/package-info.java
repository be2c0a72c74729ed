/**
 * Attention heatmaps as PNG and SVG, drawn without a display.
 *
 * <p>{@link dev.heed.viz.Heatmap} draws one map {@code [L, S]} (self- or cross-attention);
 * {@link dev.heed.viz.HeadGrid} draws a map per head of multi-head weights {@code [H, L, S]} or
 * {@code [B, H, L, S]}. Both use the perceptually uniform {@link dev.heed.viz.ColorMap#viridis()
 * viridis} colour map with a colour bar, scaled to the data unless a fixed range is set (see
 * {@link dev.heed.viz.Chart}), label both axes with tokens, and give the picture as a
 * {@link java.awt.image.BufferedImage}, PNG bytes, an SVG string or a file.
 */
package dev.heed.viz;
