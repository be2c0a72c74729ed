package dev.heed.viz;

import static dev.heed.viz.VizTesting.cellCentre;
import static dev.heed.viz.VizTesting.decode;
import static dev.heed.viz.VizTesting.elements;
import static dev.heed.viz.VizTesting.inked;
import static dev.heed.viz.VizTesting.parseSvg;
import static dev.heed.viz.VizTesting.texts;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.attention.AttentionResult;
import dev.heed.attention.Mask;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class HeadGridTest {
    private static final ColorMap VIRIDIS = ColorMap.viridis();

    /** Weights [H, L, S] where every cell of head h is h / (H − 1). */
    private static Tensor constantHeads(int heads, int rows, int columns) {
        Tensor t = Tensor.zeros(heads, rows, columns);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < columns; j++) {
                    t.set(heads == 1 ? 1.0 : (double) h / (heads - 1), h, i, j);
                }
            }
        }
        return t;
    }

    @ParameterizedTest(name = "{0} heads")
    @CsvSource({"1", "2", "3", "5", "8", "12"})
    void thePngHasOnePanelPerHeadInItsOwnColour(int heads) {
        HeadGrid grid = HeadGrid.of(constantHeads(heads, 3, 4));
        BufferedImage image = decode(grid.toPng());
        Layout f = grid.layout();
        assertThat(grid.heads()).isEqualTo(heads);
        for (int h = 0; h < heads; h++) {
            // the heads span 0 to 1 together; a single constant head takes the middle colour
            int expected = VIRIDIS.rgb(heads == 1 ? 0.5 : (double) h / (heads - 1));
            for (int[] cell : new int[][] {{0, 0}, {2, 3}, {1, 2}}) {
                assertThat(cellCentre(image, f, h, cell[0], cell[1]))
                        .as("head %d cell %s", h, cell[0] + "," + cell[1])
                        .isEqualTo(expected);
            }
            // panel title above the panel's grid
            int top = f.panelY(h);
            assertThat(inked(image, f.panelX(h), top, f.panelX(h) + f.panelWidth, top + f.gridTop - 2))
                    .as("title of head %d", h)
                    .isGreaterThan(20);
        }
        // panels do not overlap and stay left of the colour bar
        for (int h = 1; h < heads; h++) {
            boolean sameRow = f.panelY(h) == f.panelY(h - 1);
            if (sameRow) {
                assertThat(f.panelX(h)).isGreaterThanOrEqualTo(f.panelX(h - 1) + f.panelWidth);
            } else {
                assertThat(f.panelY(h)).isGreaterThanOrEqualTo(f.panelY(h - 1) + f.panelHeight);
            }
            assertThat(f.panelX(h) + f.panelWidth).isLessThan(f.barX);
        }
    }

    @Test
    void theSvgHasEveryHeadsCellsAndTitles() {
        int heads = 3;
        HeadGrid grid = HeadGrid.of(constantHeads(heads, 2, 5)).columnLabels(List.of("a", "b", "c", "d", "e"));
        Document doc = parseSvg(grid.toSvg());
        List<Element> cells = elements(doc, "rect", "cell");
        assertThat(cells).hasSize(heads * 2 * 5);
        for (int h = 0; h < heads; h++) {
            String fill = ColorMap.hex(VIRIDIS.rgb((double) h / (heads - 1)));
            assertThat(cells.subList(h * 10, h * 10 + 10))
                    .allMatch(e -> e.getAttribute("fill").equals(fill));
        }
        assertThat(texts(doc)).contains("head 0", "head 1", "head 2");
        assertThat(elements(doc, "rect", "colorbar"))
                .as("one shared colour bar")
                .hasSize(1);
    }

    @Test
    void defaultLayoutIsFourToARowAndColumnsCanBeSet() {
        HeadGrid eight = HeadGrid.of(constantHeads(8, 4, 4));
        Layout f = eight.layout();
        assertThat(f.panelsPerRow).isEqualTo(4);
        assertThat(f.panelY(3)).isEqualTo(f.panelY(0));
        assertThat(f.panelY(4)).isGreaterThan(f.panelY(0));
        assertThat(HeadGrid.of(constantHeads(2, 4, 4)).layout().panelsPerRow).isEqualTo(2);
        assertThat(HeadGrid.of(constantHeads(32, 4, 4)).layout().panelsPerRow).isEqualTo(6);
        Layout tall = eight.columns(1).layout();
        assertThat(tall.panelsPerRow).isEqualTo(1);
        assertThat(tall.panelY(7)).isGreaterThan(tall.panelY(6));
        assertThat(tall.panelX(7)).isEqualTo(tall.panelX(0));
    }

    @Test
    void eightHeadsOf512KeysStayUnderTwoThousandPixels() {
        Tensor w = Tensor.random(3).uniform(0, 1, 8, 512, 512);
        HeadGrid grid = HeadGrid.of(w);
        BufferedImage image = decode(grid.toPng());
        assertThat(image.getWidth()).isLessThan(1400);
        assertThat(image.getHeight()).isLessThan(900);
        assertThat(grid.layout().gridWidth).isLessThanOrEqualTo(Layout.ROW_TARGET / 4);
    }

    @Test
    void aBatchIndexPicksOneElementOfBatchedWeights() {
        Tensor w = Tensor.zeros(3, 2, 2, 2);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                w.set(1.0, 1, 0, i, j); // element 1, head 0 is all ones; everything else 0
            }
        }
        HeadGrid grid = HeadGrid.of(w, 1);
        BufferedImage image = decode(grid.toPng());
        Layout f = grid.layout();
        assertThat(grid.heads()).isEqualTo(2);
        assertThat(cellCentre(image, f, 0, 1, 1)).isEqualTo(VizTesting.VIRIDIS_LAST);
        assertThat(cellCentre(image, f, 1, 1, 1)).isEqualTo(VizTesting.VIRIDIS_FIRST);
        // element 0 is all zeros: a constant map, so fix the scale to see it as weight 0
        BufferedImage first = decode(HeadGrid.of(w, 0).range(0, 1).toPng());
        assertThat(cellCentre(first, f, 0, 1, 1)).isEqualTo(VizTesting.VIRIDIS_FIRST);
        // [1, H, L, S] needs no index
        assertThat(HeadGrid.of(w.slice(0, 1, 2)).heads()).isEqualTo(2);
    }

    @Test
    void theDefaultScaleIsSharedAcrossHeads() {
        Tensor w = Tensor.zeros(2, 1, 2);
        w.set(10.0, 0, 0, 0); // head 0: 10, 0; head 1: 0, 5
        w.set(5.0, 1, 0, 1);
        HeadGrid grid = HeadGrid.of(w);
        assertThat(grid.toPng()).isEqualTo(HeadGrid.of(w).autoRange().toPng());
        BufferedImage image = decode(grid.toPng());
        Layout f = grid.layout();
        assertThat(cellCentre(image, f, 0, 0, 0)).isEqualTo(VizTesting.VIRIDIS_LAST);
        assertThat(cellCentre(image, f, 1, 0, 1)).isEqualTo(VIRIDIS.rgb(0.5));
        assertThat(cellCentre(image, f, 1, 0, 0)).isEqualTo(VizTesting.VIRIDIS_FIRST);
    }

    @Test
    void drawsMultiHeadAttentionWeightsUnbatchedAndBatched() {
        MultiHeadAttention mha = MultiHeadAttention.builder(8, 2).seed(3).build();
        Tensor x = Tensor.random(1).normal(5, 8);
        AttentionResult unbatched = mha.forward(x, Mask.causal());
        HeadGrid grid = HeadGrid.of(unbatched.weights()).labels(List.of("a", "b", "c", "d", "e"));
        BufferedImage image = decode(grid.toPng());
        Layout f = grid.layout();
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < 5; j++) {
                    assertThat(cellCentre(image, f, h, i, j))
                            .isEqualTo(VIRIDIS.rgb(unbatched.weights().get(h, i, j)));
                }
                assertThat(cellCentre(image, f, h, i, 4))
                        .isEqualTo(
                                i < 4
                                        ? VizTesting.VIRIDIS_FIRST
                                        : VIRIDIS.rgb(unbatched.weights().get(h, 4, 4)));
            }
        }
        Tensor batch = Tensor.random(2).normal(3, 5, 8);
        AttentionResult batched = mha.forward(batch, Mask.causal());
        assertThat(HeadGrid.of(batched.weights(), 2).heads()).isEqualTo(2);
        parseSvg(HeadGrid.of(batched.weights(), 2).toSvg());
    }
}
