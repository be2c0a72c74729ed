package dev.heed.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bad input fails early with an IllegalArgumentException that names what was given. */
class ChartValidationTest {

    @Test
    void heatmapNeedsANonEmptyRankTwoTensor() {
        assertThatThrownBy(() -> Heatmap.of(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
        assertThatThrownBy(() -> Heatmap.of(Tensor.zeros(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[5]")
                .hasMessageContaining("unsqueeze(0)");
        assertThatThrownBy(() -> Heatmap.of(Tensor.zeros(2, 3, 4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3, 4]")
                .hasMessageContaining("HeadGrid");
        assertThatThrownBy(() -> Heatmap.of(Tensor.scalar(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rank 2");
        assertThatThrownBy(() -> Heatmap.of(Tensor.zeros(0, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 3]");
        assertThatThrownBy(() -> Heatmap.of(Tensor.zeros(3, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 0]");
    }

    @Test
    void labelCountsMustMatchTheAxisAndTheMessageNamesBoth() {
        Heatmap map = Heatmap.of(Tensor.zeros(4, 5));
        assertThatThrownBy(() -> map.rowLabels(List.of("a", "b", "c")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("3 row labels for 4 rows (weights [4, 5])");
        assertThatThrownBy(() -> map.columnLabels(List.of("a", "b", "c", "d")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("4 column labels for 5 columns (weights [4, 5])");
        assertThatThrownBy(() -> map.labels(List.of("a", "b", "c", "d")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4 rows and 5 columns")
                .hasMessageContaining("rowLabels");
        Heatmap square = Heatmap.of(Tensor.zeros(3, 3));
        assertThatThrownBy(() -> square.labels(List.of("a", "b")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("2 token labels for 3 rows and columns (weights [3, 3])");
        assertThatThrownBy(() -> square.rowLabels(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
        assertThatThrownBy(() -> square.columnLabels(Arrays.asList("a", null, "c")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("label 1 is null");
        // the grid checks against [L, S] of each head, naming the whole shape
        HeadGrid grid = HeadGrid.of(Tensor.zeros(2, 3, 4));
        assertThatThrownBy(() -> grid.columnLabels(List.of("a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("1 column labels for 4 columns (weights [2, 3, 4])");
    }

    @Test
    void labelsAreCopied() {
        java.util.ArrayList<String> labels = new java.util.ArrayList<>(List.of("a", "b"));
        Heatmap map = Heatmap.of(Tensor.zeros(2, 2)).labels(labels);
        String before = map.toSvg();
        labels.set(0, "changed");
        assertThat(map.toSvg()).isEqualTo(before);
    }

    @Test
    void rangeMustBeFiniteAndIncreasing() {
        Heatmap map = Heatmap.of(Tensor.zeros(2, 2));
        for (double[] bad : new double[][] {
            {1, 0}, {0, 0}, {Double.NaN, 1}, {0, Double.POSITIVE_INFINITY}, {Double.NEGATIVE_INFINITY, 0}
        }) {
            assertThatThrownBy(() -> map.range(bad[0], bad[1]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("min < max");
        }
        assertThat(map.range(-1e300, 1e300).toPng()).isNotEmpty();
    }

    @Test
    void annotationDecimalsAndPanelsPerRowAreChecked() {
        Heatmap map = Heatmap.of(Tensor.zeros(2, 2));
        assertThatThrownBy(() -> map.annotate(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> map.annotate(11)).isInstanceOf(IllegalArgumentException.class);
        assertThat(map.annotate(0).annotate(false).layout().annotated()).isFalse();
        HeadGrid grid = HeadGrid.of(Tensor.zeros(2, 2, 2));
        assertThatThrownBy(() -> grid.columns(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0");
    }

    @Test
    void headGridNeedsHeadsOrABatchIndex() {
        assertThatThrownBy(() -> HeadGrid.of(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HeadGrid.of(Tensor.zeros(3, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 3]")
                .hasMessageContaining("Heatmap");
        assertThatThrownBy(() -> HeadGrid.of(Tensor.zeros(2, 2, 3, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 2, 3, 3]")
                .hasMessageContaining("batch");
        assertThatThrownBy(() -> HeadGrid.of(Tensor.zeros(2, 2, 3, 3), 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("batch index 2 is out of range for weights [2, 2, 3, 3] (B = 2)");
        assertThatThrownBy(() -> HeadGrid.of(Tensor.zeros(2, 2, 3, 3), -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> HeadGrid.of(Tensor.zeros(2, 3, 3), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[B, H, L, S]");
        assertThatThrownBy(() -> HeadGrid.of(Tensor.zeros(0, 3, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 3, 3]");
        assertThatThrownBy(() -> HeadGrid.of(Tensor.zeros(1, 2, 0, 3), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[1, 2, 0, 3]");
    }

    @Test
    void theFileToWriteMustNotBeNull() {
        Heatmap map = Heatmap.of(Tensor.zeros(2, 2));
        assertThatThrownBy(() -> map.writePng(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
        assertThatThrownBy(() -> HeadGrid.of(Tensor.zeros(2, 2, 2)).writeSvg(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
    }

    @Test
    void titlesAreCleanedAndMayBeRemoved() {
        Heatmap map = Heatmap.of(Tensor.zeros(2, 2)).title("x".repeat(500));
        assertThat(VizTesting.texts(VizTesting.parseSvg(map.toSvg())))
                .anyMatch(t -> t.length() == LabelText.MAX_TITLE_CHARS && t.endsWith("…"));
        int titled = map.layout().height;
        assertThat(map.title(null).layout().height).isLessThan(titled);
    }
}
