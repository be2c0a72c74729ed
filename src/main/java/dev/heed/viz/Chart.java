package dev.heed.viz;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * What {@link Heatmap} (one map) and {@link HeadGrid} (a map per head) share: labels, title,
 * colour scale, value annotations and the output formats.
 *
 * <p><b>Axes.</b> Rows are queries (the {@code L} axis of weights {@code [L, S]}), top to bottom;
 * columns are keys (the {@code S} axis), left to right — as {@code plt.imshow} shows a matrix.
 * Without labels an axis is numbered from 0. Long labels are cut to 24 characters with an
 * ellipsis; control characters are drawn as spaces.
 *
 * <p><b>Colours.</b> Values map to {@linkplain ColorMap#viridis() viridis}. By default the
 * colours span the data, as matplotlib's {@code imshow} does: the smallest finite value (across
 * all panels) takes the first colour and the largest the last, so a head of 128 tokens, whose
 * weights are all small, uses the whole map. A constant map is drawn in the middle colour, over a
 * range of width {@code max(1, |value|)} centred on the value; a map with no finite value over
 * {@code [0, 1]}. {@link #range(double, double) range(0, 1)} fixes the scale instead — to compare
 * charts, or to show weights as the probabilities they are — and {@link #autoRange()} returns to
 * the default. Values outside the range, and ±∞, take the end colours; <b>NaN cells are grey</b>
 * ({@link ColorMap#NAN_RGB}, {@code #808080}), a colour viridis never uses.
 *
 * <p><b>Size.</b> Cells are square up to 48 px; a map's grid aims at about 600 px, so a 512×512
 * map is drawn at one pixel a cell; longer axes are drawn in blocks, each pixel showing the largest
 * value of its block. Labels shrink and then thin out to stay legible.
 *
 * <p><b>Output.</b> {@link #toImage()}, {@link #toPng()} and {@link #toSvg()} work in memory;
 * {@link #writePng} and {@link #writeSvg} write files. Only {@link BufferedImage}, fonts and
 * {@link ImageIO} are used — never a window or the AWT toolkit — so charts render on a server
 * without a display. (On Linux the JDK runs headless when {@code DISPLAY} is unset; where
 * {@code DISPLAY} names an X server that cannot be reached, start the JVM with
 * {@code -Djava.awt.headless=true}.)
 *
 * <p>A chart copies the weights when created. The setters change the chart and return it; a
 * chart is not meant to be configured from several threads at once.
 *
 * @param <C> the chart's own type, returned by the setters
 */
public abstract sealed class Chart<C extends Chart<C>> permits Heatmap, HeadGrid {
    final int rows;
    final int columns;
    private final String shapeText;
    private List<String> rowLabels;
    private List<String> columnLabels;
    private String title;
    private double min = 0;
    private double max = 1;
    private boolean autoRange = true;
    private int decimals = -1;

    Chart(int rows, int columns, int[] shape) {
        this.rows = rows;
        this.columns = columns;
        this.shapeText = Arrays.toString(shape);
    }

    abstract C self();

    /** One row-major {@code [rows · columns]} array per panel. */
    abstract double[][] panels();

    /** The title above each panel, or null for a single map. */
    abstract List<String> panelTitles();

    /** How many panels go side by side. */
    abstract int panelsPerRow();

    /**
     * Labels both axes with the same tokens, for self-attention.
     *
     * @param tokens one per row and per column, top to bottom and left to right; copied, not
     *               modified
     * @return this chart
     * @throws IllegalArgumentException if the map is not square, {@code tokens} or one of them is
     *                                  null, or the count differs from the rows, naming both
     */
    public C labels(List<String> tokens) {
        if (rows != columns) {
            throw new IllegalArgumentException("one token list labels both axes of a square map, but the weights "
                    + shapeText + " have " + rows + " rows and " + columns + " columns; use rowLabels and "
                    + "columnLabels");
        }
        List<String> copy = checkedLabels(tokens, rows, "token labels", "rows and columns");
        rowLabels = copy;
        columnLabels = copy;
        return self();
    }

    /**
     * Labels the rows (queries, the {@code L} axis), top to bottom; for cross-attention these are
     * the target or decoder tokens.
     *
     * @param queryTokens one label per row ({@code L} of them); copied, not modified
     * @return this chart
     * @throws IllegalArgumentException if {@code queryTokens} or one of them is null, or the count
     *                                  is not the number of rows, naming both
     */
    public C rowLabels(List<String> queryTokens) {
        rowLabels = checkedLabels(queryTokens, rows, "row labels", "rows");
        return self();
    }

    /**
     * Labels the columns (keys, the {@code S} axis), left to right; for cross-attention these are
     * the source or encoder tokens.
     *
     * @param keyTokens one label per column ({@code S} of them); copied, not modified
     * @return this chart
     * @throws IllegalArgumentException if {@code keyTokens} or one of them is null, or the count
     *                                  is not the number of columns, naming both
     */
    public C columnLabels(List<String> keyTokens) {
        columnLabels = checkedLabels(keyTokens, columns, "column labels", "columns");
        return self();
    }

    private List<String> checkedLabels(List<String> labels, int expected, String what, String axis) {
        if (labels == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        if (labels.size() != expected) {
            throw new IllegalArgumentException(
                    labels.size() + " " + what + " for " + expected + " " + axis + " (weights " + shapeText + ")");
        }
        List<String> copy = new ArrayList<>(labels.size());
        for (int i = 0; i < labels.size(); i++) {
            String label = labels.get(i);
            if (label == null) {
                throw new IllegalArgumentException(what + ": label " + i + " is null");
            }
            copy.add(label);
        }
        return Collections.unmodifiableList(copy);
    }

    /**
     * A title above the chart, centred. Control characters are drawn as spaces, and a title longer
     * than 120 characters is cut with an ellipsis.
     *
     * @param title the text, or null for no title (the default)
     * @return this chart
     */
    public C title(String title) {
        this.title = title == null ? null : LabelText.clean(title, LabelText.MAX_TITLE_CHARS);
        return self();
    }

    /**
     * Fixes the colour scale: the first colour at {@code min}, the last at {@code max}, whatever
     * the data; values outside take the end colours. The default scales to the data instead (see
     * {@link #autoRange()}); {@code range(0, 1)} shows attention weights as probabilities, the same
     * colour for the same weight in every chart. The last of {@code range} and {@code autoRange}
     * called wins.
     *
     * @param min the value of the first colour, finite
     * @param max the value of the last colour, finite and greater than {@code min}
     * @return this chart
     * @throws IllegalArgumentException unless both are finite and {@code min < max}, naming both
     */
    public C range(double min, double max) {
        if (!Double.isFinite(min) || !Double.isFinite(max) || !(min < max)) {
            throw new IllegalArgumentException("a colour range needs finite min < max, got [" + min + ", " + max + "]");
        }
        this.min = min;
        this.max = max;
        this.autoRange = false;
        return self();
    }

    /**
     * Scales the colours to the data, the default: they span the smallest to the largest finite
     * value across all panels, ignoring NaN and ±∞. If all finite values are equal, the range is
     * centred on that value with width {@code max(1, |value|)}, so they take the middle colour; if
     * no value is finite, it is {@code [0, 1]}. Undoes an earlier {@link #range(double, double)}.
     *
     * @return this chart
     */
    public C autoRange() {
        this.autoRange = true;
        return self();
    }

    /**
     * {@link #annotate(int) annotate(2)} when {@code show}, else no values in the cells (the default).
     *
     * @param show whether to write the values in the cells
     * @return this chart
     */
    public C annotate(boolean show) {
        this.decimals = show ? 2 : -1;
        return self();
    }

    /**
     * Writes each cell's value in the cell with {@code decimals} decimals, in black or white for
     * contrast — where every value fits its cell (a 12 px down to 7 px font), which holds for small
     * maps; otherwise, and when cells are drawn in blocks, no values are written. NaN and ±∞ are
     * written as {@code NaN}, {@code inf} and {@code -inf}.
     *
     * @param decimals digits after the decimal point, 0 to 10
     * @return this chart
     * @throws IllegalArgumentException unless {@code 0 <= decimals <= 10}
     */
    public C annotate(int decimals) {
        if (decimals < 0 || decimals > 10) {
            throw new IllegalArgumentException("decimals must be in [0, 10], got " + decimals);
        }
        this.decimals = decimals;
        return self();
    }

    /** The chart's geometry for its current settings; computed anew on each call. */
    Layout layout() {
        double[][] panels = panels();
        Scale scale;
        if (autoRange) {
            double[] all = panels.length == 1
                    ? panels[0]
                    : Arrays.stream(panels).flatMapToDouble(Arrays::stream).toArray();
            scale = Scale.auto(all);
        } else {
            scale = Scale.fixed(min, max);
        }
        return new Layout(new Layout.Spec(
                panels,
                rows,
                columns,
                rowLabels,
                columnLabels,
                title,
                panelTitles(),
                panelsPerRow(),
                scale,
                decimals,
                ColorMap.viridis()));
    }

    /**
     * The chart as a new image; nothing is written anywhere. Each call draws afresh with the
     * current settings.
     *
     * @return a new {@link BufferedImage#TYPE_INT_RGB} image on a white background, its size
     *         chosen by the chart (see {@link Chart} on sizes)
     */
    public BufferedImage toImage() {
        Layout layout = layout();
        BufferedImage image = new BufferedImage(layout.width, layout.height, BufferedImage.TYPE_INT_RGB);
        PngCanvas canvas = new PngCanvas(image);
        try {
            Painter.paint(layout, canvas);
        } finally {
            canvas.dispose();
        }
        return image;
    }

    /**
     * The chart as the bytes of a PNG file, in memory: {@link #toImage()} encoded by
     * {@link ImageIO}. The same chart gives the same bytes.
     *
     * @return a new array holding a complete PNG file
     * @throws IllegalStateException if the JDK has no PNG writer (every standard JDK has one)
     */
    public byte[] toPng() {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(toImage(), "png", png)) {
                throw new IllegalStateException("this JDK has no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a memory stream does not fail
        }
        return png.toByteArray();
    }

    /**
     * The chart as an SVG 1.1 document (UTF-8, with its XML declaration), in memory. Text stays
     * text; in a map of up to 4,096 cells (64×64) each cell is a {@code <rect class="cell">} whose
     * {@code <title>} shows "query → key: weight" on hover, and larger maps embed their cells as one
     * PNG image with a pixel per cell.
     *
     * @return a complete SVG document, the same size in pixels as {@link #toImage()}
     */
    public String toSvg() {
        Layout layout = layout();
        SvgCanvas canvas = new SvgCanvas(layout.width, layout.height);
        Painter.paint(layout, canvas);
        return canvas.finish();
    }

    /**
     * Writes {@link #toPng()} to {@code file}, creating missing parent directories and replacing
     * an existing file.
     *
     * @param file where to write, typically ending in {@code .png}
     * @return {@code file}
     * @throws IOException              if a directory or the file cannot be written
     * @throws IllegalArgumentException if {@code file} is null
     */
    public Path writePng(Path file) throws IOException {
        createParent(file);
        Files.write(file, toPng());
        return file;
    }

    /**
     * Writes {@link #toSvg()} to {@code file} in UTF-8, creating missing parent directories and
     * replacing an existing file.
     *
     * @param file where to write, typically ending in {@code .svg}
     * @return {@code file}
     * @throws IOException              if a directory or the file cannot be written
     * @throws IllegalArgumentException if {@code file} is null
     */
    public Path writeSvg(Path file) throws IOException {
        createParent(file);
        Files.writeString(file, toSvg(), StandardCharsets.UTF_8);
        return file;
    }

    private static void createParent(Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("the file to write must not be null");
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }
}
