package dev.heed.viz;

import static dev.heed.viz.VizTesting.VIRIDIS_FIRST;
import static dev.heed.viz.VizTesting.VIRIDIS_LAST;
import static dev.heed.viz.VizTesting.boundingBox;
import static dev.heed.viz.VizTesting.cellCentre;
import static dev.heed.viz.VizTesting.decode;
import static dev.heed.viz.VizTesting.inked;
import static dev.heed.viz.VizTesting.rgb;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.heed.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Decodes the PNG with ImageIO and checks its pixels. */
class HeatmapPngTest {
    private static final List<String> TOKENS = List.of("The", "cat", "sat", "on", "the", "mat");
    private static final ColorMap VIRIDIS = ColorMap.viridis();

    /** A one-hot map: 1 at (row, column), 0 elsewhere. */
    private static Tensor oneHot(int rows, int columns, int row, int column) {
        Tensor t = Tensor.zeros(rows, columns);
        t.set(1.0, row, column);
        return t;
    }

    /** The distinct colours of cell (i, j) of the single panel. */
    private static Set<Integer> cellColours(BufferedImage image, Layout f, int i, int j) {
        Set<Integer> colours = new HashSet<>();
        int x0 = f.panelX(0) + f.gridLeft + j * f.cellWidth;
        int y0 = f.panelY(0) + f.gridTop + i * f.cellHeight;
        for (int y = y0; y < y0 + f.cellHeight; y++) {
            for (int x = x0; x < x0 + f.cellWidth; x++) {
                colours.add(rgb(image, x, y));
            }
        }
        return colours;
    }

    @Test
    void weightOneIsViridisTopAndZeroItsBottom(@TempDir Path dir) throws Exception {
        Heatmap map = Heatmap.of(oneHot(4, 5, 2, 3));
        Path file = map.writePng(dir.resolve("nested/one-hot.png"));

        BufferedImage image = decode(Files.readAllBytes(file));
        Layout f = map.layout();
        assertThat(image.getWidth()).isEqualTo(f.width);
        assertThat(image.getHeight()).isEqualTo(f.height);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 5; j++) {
                assertThat(ColorMap.hex(cellCentre(image, f, 0, i, j)))
                        .as("cell (%d, %d)", i, j)
                        .isEqualTo(i == 2 && j == 3 ? "#fde725" : "#440154");
            }
        }
    }

    @ParameterizedTest(name = "hot cell ({0}, {1}) of 4×5")
    @CsvSource({"0, 0", "2, 3", "3, 4", "0, 4", "3, 0"})
    void theHotCellIsExactlyOneCellAtItsRowAndColumn(int row, int column) {
        Heatmap map = Heatmap.of(oneHot(4, 5, row, column));
        BufferedImage image = decode(map.toPng());
        Layout f = map.layout();
        int leftOfBar = f.barX - Layout.BAR_GAP;

        // found from the pixels alone: the cold cells and the hot one tile the grid
        int[] hot = boundingBox(image, VIRIDIS_LAST, leftOfBar);
        int[] cold = boundingBox(image, VIRIDIS_FIRST, leftOfBar);
        int gridX = Math.min(hot[0], cold[0]);
        int gridY = Math.min(hot[1], cold[1]);
        assertThat(Math.max(hot[2], cold[2]) - gridX).isEqualTo(5 * f.cellWidth);
        assertThat(Math.max(hot[3], cold[3]) - gridY).isEqualTo(4 * f.cellHeight);
        assertThat(new int[] {hot[0] - gridX, hot[1] - gridY, hot[2] - hot[0], hot[3] - hot[1], hot[4]})
                .as("hot cell: x, y from the grid corner, width, height, pixel count")
                .containsExactly(
                        column * f.cellWidth,
                        row * f.cellHeight,
                        f.cellWidth,
                        f.cellHeight,
                        f.cellWidth * f.cellHeight);
        assertThat(cold[4]).isEqualTo(19 * f.cellWidth * f.cellHeight);
        assertThat(f.cellWidth).isEqualTo(Layout.MAX_CELL);
    }

    @Test
    void everyPixelOfEveryCellHasItsWeightsColour() {
        Tensor w = Tensor.random(7).uniform(0, 1, 7, 9);
        Heatmap map = Heatmap.of(w);
        BufferedImage image = decode(map.toPng());
        Layout f = map.layout();
        double min = Arrays.stream(w.toArray()).min().orElseThrow();
        double max = Arrays.stream(w.toArray()).max().orElseThrow();
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 9; j++) {
                assertThat(cellColours(image, f, i, j))
                        .as("cell (%d, %d), scaled to the data", i, j)
                        .containsExactly(VIRIDIS.rgb((w.get(i, j) - min) / (max - min)));
            }
        }
        BufferedImage fixed = decode(Heatmap.of(w).range(0, 1).toPng());
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 9; j++) {
                assertThat(cellColours(fixed, f, i, j))
                        .as("cell (%d, %d) over [0, 1]", i, j)
                        .containsExactly(VIRIDIS.rgb(w.get(i, j)));
            }
        }
    }

    @Test
    void aTransposedViewIsDrawnTransposed() {
        Tensor w = Tensor.random(3).uniform(0, 1, 4, 6);
        Heatmap map = Heatmap.of(w.transpose(0, 1)).range(0, 1);
        BufferedImage image = decode(map.toPng());
        Layout f = map.layout();
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 4; j++) {
                assertThat(cellCentre(image, f, 0, i, j)).isEqualTo(VIRIDIS.rgb(w.get(j, i)));
            }
        }
    }

    @Test
    void colourBarRunsMonotonicallyThroughViridisFromTopToBottom() {
        Heatmap map = Heatmap.of(Tensor.random(1).uniform(0, 1, 12, 12));
        BufferedImage image = decode(map.toPng());
        Layout f = map.layout();
        List<Integer> table = new ArrayList<>();
        for (int k = 0; k < VIRIDIS.size(); k++) {
            table.add(VIRIDIS.color(k));
        }
        int x = f.barX + Layout.BAR_WIDTH / 2;
        int previousIndex = Integer.MAX_VALUE;
        for (int y = f.barY; y < f.barY + f.barHeight; y++) {
            int c = rgb(image, x, y);
            int index = table.indexOf(c);
            assertThat(index)
                    .as("bar pixel at y=%d (%s) is a viridis colour", y, ColorMap.hex(c))
                    .isNotNegative();
            assertThat(index).as("bar index at y=%d", y).isLessThanOrEqualTo(previousIndex);
            previousIndex = index;
        }
        assertThat(table.indexOf(rgb(image, x, f.barY))).isGreaterThanOrEqualTo(250);
        assertThat(table.indexOf(rgb(image, x, f.barY + f.barHeight - 1))).isLessThanOrEqualTo(5);
        // the bar is framed, and its tick labels are drawn to its right
        assertThat(rgb(image, x, f.barY - 1)).isEqualTo(Painter.AXIS);
        int right = f.barX + Layout.BAR_WIDTH + 1;
        assertThat(inked(image, right + Layout.TICK, f.barY - 8, f.width, f.barY + f.barHeight + 8))
                .isGreaterThan(100);
    }

    @ParameterizedTest(name = "{0}×{1}")
    @CsvSource({"1, 1", "1, 512", "512, 1", "3, 200", "5, 5", "64, 64", "512, 512", "700, 900", "2000, 2000"})
    void imageSizeStaysSaneFromOneCellToThousands(int rows, int columns) {
        Tensor w = Tensor.random(rows).uniform(0, 1, rows, columns);
        Heatmap map = Heatmap.of(w).title("attention " + rows + " × " + columns);
        BufferedImage image = decode(map.toPng());
        Layout f = map.layout();

        assertThat(image.getWidth()).isBetween(100, 1000);
        assertThat(image.getHeight()).isBetween(100, 1000);
        assertThat(f.gridWidth).isBetween(Math.min(columns, Layout.MIN_EXTENT), Layout.SINGLE_MAX_GRID);
        assertThat(f.gridHeight).isBetween(Math.min(rows, Layout.MIN_EXTENT), Layout.SINGLE_MAX_GRID);
        assertThat(f.cellWidth).isBetween(1, Layout.MAX_CELL);
        assertThat(f.cellHeight).isBetween(1, Layout.MAX_CELL);
        if (rows <= Layout.SINGLE_MAX_GRID && columns <= Layout.SINGLE_MAX_GRID) {
            assertThat(f.shownRows).isEqualTo(rows);
            assertThat(f.shownColumns).isEqualTo(columns);
        }
    }

    @Test
    void aSingleCellIsBigAndA512MapIsOnePixelACell() {
        Layout one = Heatmap.of(Tensor.of(new double[] {0.3}, 1, 1)).layout();
        assertThat(one.cellWidth).isEqualTo(Layout.MAX_CELL);
        assertThat(one.cellHeight).isEqualTo(Layout.MAX_CELL);
        Layout big = Heatmap.of(Tensor.zeros(512, 512)).layout();
        assertThat(big.cellWidth).isEqualTo(1);
        assertThat(big.gridWidth).isEqualTo(512);
        assertThat(big.width).isLessThan(700);
    }

    @Test
    void beyondTheCapCellsAreBlocksThatKeepAStrongWeightVisible() {
        Tensor w = Tensor.zeros(2000, 2000);
        w.set(1.0, 1234, 567);
        Heatmap map = Heatmap.of(w);
        Layout f = map.layout();
        assertThat(f.rowBlock).isEqualTo(3);
        assertThat(f.shownRows).isEqualTo(667);
        BufferedImage image = decode(map.toPng());
        int[] hot = boundingBox(image, VIRIDIS_LAST, f.barX - Layout.BAR_GAP);
        assertThat(hot).as("the one weight of 1 among 4 million zeros").isNotNull();
        assertThat(hot[4]).isEqualTo(f.cellWidth * f.cellHeight);
        assertThat(hot[0] - f.panelX(0) - f.gridLeft).isEqualTo(567 / 3 * f.cellWidth);
        assertThat(hot[1] - f.panelY(0) - f.gridTop).isEqualTo(1234 / 3 * f.cellHeight);
    }

    @Test
    void nanIsGreyInfinitiesAndOutOfRangeValuesClampToTheEnds() {
        double[] values = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.5, 2.0, -1.0};
        Heatmap map = Heatmap.of(Tensor.of(values, 1, 6)).range(0, 1);
        BufferedImage image = decode(map.toPng());
        Layout f = map.layout();
        int[] expected = {0x808080, VIRIDIS_LAST, VIRIDIS_FIRST, VIRIDIS.color(128), VIRIDIS_LAST, VIRIDIS_FIRST};
        for (int j = 0; j < 6; j++) {
            assertThat(ColorMap.hex(cellCentre(image, f, 0, 0, j)))
                    .as("value %s", values[j])
                    .isEqualTo(ColorMap.hex(expected[j]));
        }
    }

    @Test
    void autoAndFixedRangesMoveTheColours() {
        Tensor w = Tensor.of(new double[] {2, 3, 4, Double.NaN}, 1, 4);
        Heatmap auto = Heatmap.of(w).autoRange();
        BufferedImage image = decode(auto.toPng());
        Layout f = auto.layout();
        assertThat(cellCentre(image, f, 0, 0, 0)).isEqualTo(VIRIDIS_FIRST);
        assertThat(cellCentre(image, f, 0, 0, 1)).isEqualTo(VIRIDIS.color(128));
        assertThat(cellCentre(image, f, 0, 0, 2)).isEqualTo(VIRIDIS_LAST);
        assertThat(cellCentre(image, f, 0, 0, 3)).isEqualTo(ColorMap.NAN_RGB);
        assertThat(Heatmap.of(w).toPng()).as("autoRange() is the default").isEqualTo(auto.toPng());

        Heatmap fixed = Heatmap.of(Tensor.of(new double[] {-1, 0, 1}, 1, 3)).range(-1, 1);
        image = decode(fixed.toPng());
        f = fixed.layout();
        assertThat(cellCentre(image, f, 0, 0, 0)).isEqualTo(VIRIDIS_FIRST);
        assertThat(cellCentre(image, f, 0, 0, 1)).isEqualTo(VIRIDIS.color(128));
        assertThat(cellCentre(image, f, 0, 0, 2)).isEqualTo(VIRIDIS_LAST);
    }

    @Test
    void theLastOfRangeAndAutoRangeWins() {
        Tensor w = Tensor.of(new double[] {2, 3, 4, Double.NaN}, 1, 4);
        // range() after autoRange(): [0, 1] fixed, so 2, 3 and 4 all lie above it and take the last colour
        Heatmap fixedLast = Heatmap.of(w).autoRange().range(0, 1);
        Layout f = fixedLast.layout();
        assertThat(new double[] {f.spec.scale().low, f.spec.scale().high}).containsExactly(0, 1);
        BufferedImage image = decode(fixedLast.toPng());
        for (int j = 0; j < 3; j++) {
            assertThat(cellCentre(image, f, 0, 0, j))
                    .as("value %s over [0, 1]", w.get(0, j))
                    .isEqualTo(VIRIDIS_LAST);
        }
        assertThat(cellCentre(image, f, 0, 0, 3)).isEqualTo(ColorMap.NAN_RGB);
        // autoRange() after range(): back to the data's [2, 4], the same picture as the default
        Heatmap autoLast = Heatmap.of(w).range(0, 1).autoRange();
        assertThat(new double[] {
                    autoLast.layout().spec.scale().low, autoLast.layout().spec.scale().high
                })
                .containsExactly(2, 4);
        assertThat(autoLast.toPng()).isEqualTo(Heatmap.of(w).toPng());
        // and a later range() replaces an earlier one
        Heatmap twice = Heatmap.of(w).range(0, 1).range(2, 6);
        assertThat(twice.toPng()).isEqualTo(Heatmap.of(w).range(2, 6).toPng()).isNotEqualTo(fixedLast.toPng());
    }

    @Test
    void byDefaultASoftmaxHeadOf128TokensSpansTheWholeColourMap() {
        Tensor weights = Tensor.random(128).normal(128, 128).softmax(-1);
        double[] values = weights.toArray();
        int argMax = 0;
        int argMin = 0;
        for (int c = 1; c < values.length; c++) {
            argMax = values[c] > values[argMax] ? c : argMax;
            argMin = values[c] < values[argMin] ? c : argMin;
        }
        double max = values[argMax];
        double min = values[argMin];
        assertThat(max).as("no weight of a 128-token head comes near 1").isLessThan(0.5);

        Heatmap map = Heatmap.of(weights);
        Layout f = map.layout();
        BufferedImage image = decode(map.toPng());
        assertThat(cellCentre(image, f, 0, argMax / 128, argMax % 128))
                .as("the largest weight")
                .isEqualTo(VIRIDIS_LAST);
        assertThat(cellCentre(image, f, 0, argMin / 128, argMin % 128))
                .as("the smallest")
                .isEqualTo(VIRIDIS_FIRST);
        for (int c = 0; c < values.length; c += 37) {
            assertThat(cellCentre(image, f, 0, c / 128, c % 128))
                    .as("cell %d", c)
                    .isEqualTo(VIRIDIS.rgb((values[c] - min) / (max - min)));
        }
        // the colour bar is labelled in the data's range
        assertThat(new double[] {f.spec.scale().low, f.spec.scale().high}).containsExactly(min, max);
        assertThat(f.ticks.length).isGreaterThanOrEqualTo(2);
        for (double t : f.ticks) {
            assertThat(t).as("tick").isBetween(min, max);
        }

        // over a fixed [0, 1] the same largest weight is a colour from the dark half of the map
        Heatmap fixed = Heatmap.of(weights).range(0, 1);
        int dark = cellCentre(decode(fixed.toPng()), fixed.layout(), 0, argMax / 128, argMax % 128);
        assertThat(dark).isEqualTo(VIRIDIS.rgb(max));
        assertThat(VIRIDIS.rgb(max)).isEqualTo(VIRIDIS.color((int) (max * 256))).isNotEqualTo(VIRIDIS_LAST);
        assertThat((int) (max * 256)).isLessThan(128);
    }

    @Test
    void byDefaultNaNIsGreyInfinitiesTakeTheEndsAndFiniteValuesSpanTheMap() {
        double[] values = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.25, 0.5, 0.75};
        Heatmap map = Heatmap.of(Tensor.of(values, 1, 6));
        BufferedImage image = decode(map.toPng());
        Layout f = map.layout();
        int[] expected = {0x808080, VIRIDIS_LAST, VIRIDIS_FIRST, VIRIDIS_FIRST, VIRIDIS.color(128), VIRIDIS_LAST};
        for (int j = 0; j < 6; j++) {
            assertThat(ColorMap.hex(cellCentre(image, f, 0, 0, j)))
                    .as("value %s", values[j])
                    .isEqualTo(ColorMap.hex(expected[j]));
        }
        // no finite value: [0, 1]
        Heatmap none = Heatmap.of(Tensor.of(new double[] {Double.NaN, Double.NEGATIVE_INFINITY}, 1, 2));
        Layout n = none.layout();
        assertThat(new double[] {n.spec.scale().low, n.spec.scale().high}).containsExactly(0, 1);
        image = decode(none.toPng());
        assertThat(cellCentre(image, n, 0, 0, 0)).isEqualTo(ColorMap.NAN_RGB);
        assertThat(cellCentre(image, n, 0, 0, 1)).isEqualTo(VIRIDIS_FIRST);
    }

    @ParameterizedTest(name = "every cell {0}")
    @CsvSource({"0", "0.0078125", "1", "-3", "1e6", "1e-300"})
    void aConstantMapTakesTheMiddleColourOverARangeAroundIt(double value) {
        Heatmap map = Heatmap.of(Tensor.full(value, 3, 4));
        Layout f = map.layout();
        Scale scale = f.spec.scale();
        assertThat(scale.low).isLessThan(value);
        assertThat(scale.high).isGreaterThan(value);
        assertThat(scale.high - scale.low).isCloseTo(Math.max(1, Math.abs(value)), within(1e-12 * Math.max(1, value)));
        assertThat(f.ticks.length).as("a labelled colour bar").isGreaterThanOrEqualTo(2);
        BufferedImage image = decode(map.toPng());
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                assertThat(cellCentre(image, f, 0, i, j)).isEqualTo(VIRIDIS.color(128));
            }
        }
    }

    @Test
    void labelsAndTitleAreDrawnAsText() {
        Tensor w = Tensor.random(5).uniform(0, 1, 6, 6);
        Heatmap labelled = Heatmap.of(w).labels(TOKENS).title("Self-attention");
        BufferedImage image = decode(labelled.toPng());
        Layout f = labelled.layout();
        int gridX = f.panelX(0) + f.gridLeft;
        int gridY = f.panelY(0) + f.gridTop;
        for (int i = 0; i < 6; i++) {
            int y0 = gridY + i * f.cellHeight;
            assertThat(inked(image, 0, y0, gridX - 1 - Layout.TICK, y0 + f.cellHeight))
                    .as("row label %d: text left of the grid", i)
                    .isGreaterThan(15);
        }
        for (int j = 0; j < 6; j++) {
            int x0 = gridX + j * f.cellWidth;
            int below = gridY + f.gridHeight + 1 + Layout.TICK;
            assertThat(inked(image, x0, below, x0 + f.cellWidth, f.height))
                    .as("column label %d: text below the grid", j)
                    .isGreaterThan(15);
        }
        assertThat(inked(image, 0, 0, f.width, gridY - 2))
                .as("title above the grid")
                .isGreaterThan(100);

        BufferedImage untitled = decode(Heatmap.of(w).labels(TOKENS).toPng());
        assertThat(inked(untitled, 0, 0, untitled.getWidth(), Layout.PAD)).isZero();
    }

    @Test
    void annotationsWriteValuesInSmallMapsOnly() {
        Tensor w = Tensor.of(new double[] {0.1, 0.9, 0.5, 0.25}, 2, 2);
        Heatmap plain = Heatmap.of(w).range(0, 1);
        Heatmap annotated = Heatmap.of(w).range(0, 1).annotate(true);
        BufferedImage plainImage = decode(plain.toPng());
        BufferedImage annotatedImage = decode(annotated.toPng());
        Layout f = annotated.layout();
        assertThat(f.annotated()).isTrue();
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                assertThat(cellColours(plainImage, f, i, j)).hasSize(1);
                assertThat(cellColours(annotatedImage, f, i, j))
                        .as("text in cell (%d, %d)", i, j)
                        .hasSizeGreaterThan(3);
                assertThat(cellCentre(annotatedImage, f, 0, i, j) == VIRIDIS.rgb(w.get(i, j))
                                || cellColours(annotatedImage, f, i, j).contains(VIRIDIS.rgb(w.get(i, j))))
                        .isTrue();
            }
        }
        assertThat(Heatmap.of(Tensor.zeros(60, 60)).annotate(3).layout().annotated())
                .isFalse();
        assertThat(Heatmap.of(Tensor.zeros(2000, 3)).annotate(true).layout().annotated())
                .isFalse();
    }

    @Test
    void manyLabelsShrinkThenThinOut() {
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            many.add("tok" + i);
        }
        Layout few = Heatmap.of(Tensor.zeros(6, 6)).labels(TOKENS).layout();
        assertThat(few.rowStride()).isEqualTo(1);
        assertThat(few.columnStride()).isEqualTo(1);
        assertThat(few.rowFontSize()).isEqualTo(Layout.MAX_LABEL_FONT);

        Layout crowded = Heatmap.of(Tensor.zeros(200, 200)).labels(many).layout();
        assertThat(crowded.rowFontSize()).isEqualTo(Layout.MIN_LABEL_FONT);
        assertThat(crowded.rowStride()).isGreaterThan(1);
        // thinned labels are at least a line apart
        double pitch = (double) crowded.cellHeight * crowded.rowStride();
        assertThat(pitch).isGreaterThanOrEqualTo(Layout.MIN_LABEL_FONT * Layout.LINE_SPACING);
    }

    @Test
    void longColumnLabelsAreRotatedShortOnesAreNot() {
        List<String> shortTokens = List.of("a", "b", "c", "d", "e", "f");
        List<String> longTokens = List.of("internationalisation", "of", "attention", "mechanisms", "explained", ".");
        assertThat(Heatmap.of(Tensor.zeros(6, 6)).labels(shortTokens).layout().columnsRotated())
                .isFalse();
        assertThat(Heatmap.of(Tensor.zeros(6, 6)).labels(longTokens).layout().columnsRotated())
                .isTrue();
        assertThat(Heatmap.of(Tensor.zeros(30, 30)).layout().columnsRotated())
                .as("index labels stay level")
                .isFalse();
        // rotated labels fit in the image: nothing drawn is cut at the bottom or left edge
        BufferedImage image =
                decode(Heatmap.of(Tensor.zeros(6, 6)).labels(longTokens).toPng());
        assertThat(inked(image, 0, image.getHeight() - 2, image.getWidth(), image.getHeight()))
                .isZero();
        assertThat(inked(image, 0, 0, 2, image.getHeight())).isZero();
    }

    @Test
    void theChartCopiesItsWeights() {
        Tensor w = Tensor.random(9).uniform(0, 1, 3, 3);
        Heatmap map = Heatmap.of(w);
        byte[] before = map.toPng();
        w.set(0.0, 1, 1);
        assertThat(map.toPng())
                .as("PNG output is deterministic and ignores later writes")
                .isEqualTo(before);
    }

    @Test
    void toImageIsWhatThePngHolds() {
        Heatmap map =
                Heatmap.of(Tensor.random(4).uniform(0, 1, 5, 7)).title("t").annotate(true);
        BufferedImage direct = map.toImage();
        BufferedImage decoded = decode(map.toPng());
        assertThat(direct.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
        assertThat(decoded.getWidth()).isEqualTo(direct.getWidth());
        assertThat(decoded.getHeight()).isEqualTo(direct.getHeight());
        for (int y = 0; y < direct.getHeight(); y++) {
            for (int x = 0; x < direct.getWidth(); x++) {
                if (rgb(direct, x, y) != rgb(decoded, x, y)) {
                    throw new AssertionError("pixel (" + x + ", " + y + ") differs");
                }
            }
        }
    }
}
