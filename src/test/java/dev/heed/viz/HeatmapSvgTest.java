package dev.heed.viz;

import static dev.heed.viz.VizTesting.decode;
import static dev.heed.viz.VizTesting.elements;
import static dev.heed.viz.VizTesting.parseSvg;
import static dev.heed.viz.VizTesting.rgb;
import static dev.heed.viz.VizTesting.texts;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** Parses the SVG with the JDK's XML parser and checks its elements. */
class HeatmapSvgTest {
    private static final ColorMap VIRIDIS = ColorMap.viridis();

    @Test
    void everyCellIsARectOfItsWeightsColourInRowMajorOrder() {
        Tensor w = Tensor.random(11).uniform(0, 1, 4, 6);
        Heatmap map = Heatmap.of(w);
        Document doc = parseSvg(map.toSvg());
        Layout f = map.layout();
        double min = Arrays.stream(w.toArray()).min().orElseThrow();
        double max = Arrays.stream(w.toArray()).max().orElseThrow();

        List<Element> cells = elements(doc, "rect", "cell");
        assertThat(cells).hasSize(24);
        int gridX = f.panelX(0) + f.gridLeft;
        int gridY = f.panelY(0) + f.gridTop;
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 6; j++) {
                Element rect = cells.get(i * 6 + j);
                assertThat(rect.getAttribute("fill"))
                        .as("cell (%d, %d)", i, j)
                        .isEqualTo(ColorMap.hex(VIRIDIS.rgb((w.get(i, j) - min) / (max - min))));
                assertThat(rect.getAttribute("x")).isEqualTo(Integer.toString(gridX + j * f.cellWidth));
                assertThat(rect.getAttribute("y")).isEqualTo(Integer.toString(gridY + i * f.cellHeight));
                assertThat(rect.getAttribute("width")).isEqualTo(Integer.toString(f.cellWidth));
                assertThat(rect.getAttribute("height")).isEqualTo(Integer.toString(f.cellHeight));
            }
        }
    }

    @Test
    void oneAndZeroAreViridisEndsAndNaNIsGrey() {
        Tensor w = Tensor.of(new double[] {1, 0, Double.NaN, Double.NEGATIVE_INFINITY}, 2, 2);
        List<Element> cells = elements(parseSvg(Heatmap.of(w).toSvg()), "rect", "cell");
        assertThat(cells)
                .extracting(e -> e.getAttribute("fill"))
                .containsExactly("#fde725", "#440154", "#808080", "#440154");
    }

    @Test
    void svgAndPngShareTheirSizeAndLayout() {
        Heatmap map = Heatmap.of(Tensor.random(2).uniform(0, 1, 5, 3))
                .title("Cross-attention")
                .rowLabels(List.of("l'", "accord", "sur", "la", "zone"))
                .columnLabels(List.of("the", "agreement", "on"));
        Element svg = parseSvg(map.toSvg()).getDocumentElement();
        BufferedImage png = decode(map.toPng());
        assertThat(svg.getAttribute("width")).isEqualTo(Integer.toString(png.getWidth()));
        assertThat(svg.getAttribute("height")).isEqualTo(Integer.toString(png.getHeight()));
        assertThat(svg.getAttribute("viewBox")).isEqualTo("0 0 " + png.getWidth() + " " + png.getHeight());
    }

    @Test
    void labelsTitleAndTicksAreEscapedText() {
        String nasty = "<b>&\"'";
        Heatmap map = Heatmap.of(Tensor.of(new double[] {0.5, 0.5, 0.25, 0.75}, 2, 2))
                .labels(List.of(nasty, "x\u0001y\nz"))
                .title("a < b & c")
                .range(0, 1);
        String svg = map.toSvg();
        Document doc = parseSvg(svg);

        assertThat(svg)
                .contains("&lt;b&gt;&amp;&quot;&apos;")
                .doesNotContain("<b>")
                .doesNotContain("\u0001");
        List<String> texts = texts(doc);
        assertThat(texts).filteredOn(nasty::equals).as("the label on each axis").hasSize(2);
        assertThat(texts)
                .filteredOn("x y z"::equals)
                .as("control characters become spaces")
                .hasSize(2);
        assertThat(texts).contains("a < b & c", "0.0", "0.2", "0.4", "0.6", "0.8", "1.0");
        // hover text per cell names query, key and weight
        List<String> titles = elements(doc, "rect", "cell").stream()
                .map(e -> e.getElementsByTagNameNS(VizTesting.SVG_NS, "title")
                        .item(0)
                        .getTextContent())
                .toList();
        assertThat(titles)
                .containsExactly(
                        nasty + " → " + nasty + ": 0.5",
                        nasty + " → x y z: 0.5",
                        "x y z → " + nasty + ": 0.25",
                        "x y z → x y z: 0.75");
    }

    @Test
    void longLabelsAreCutWithAnEllipsisButTheTooltipKeepsThem() {
        String longLabel = "supercalifragilisticexpialidocious";
        Heatmap map = Heatmap.of(Tensor.ones(1, 1)).labels(List.of(longLabel));
        Document doc = parseSvg(map.toSvg());
        assertThat(texts(doc)).contains("supercalifragilisticexp…").doesNotContain(longLabel);
        assertThat(elements(doc, "title", null).get(0).getTextContent())
                .isEqualTo(longLabel + " → " + longLabel + ": 1");
    }

    @Test
    void surrogatePairsSurviveAndLoneSurrogatesAreReplaced() {
        Heatmap map = Heatmap.of(Tensor.ones(1, 2)).columnLabels(List.of("🙂ok", "bad\uD800"));
        List<String> texts = texts(parseSvg(map.toSvg()));
        assertThat(texts).contains("🙂ok", "bad\uFFFD");
    }

    @Test
    void colourBarIsAViridisGradient() {
        Document doc = parseSvg(Heatmap.of(Tensor.zeros(3, 3)).toSvg());
        List<Element> stops = elements(doc, "stop", null);
        assertThat(stops.size()).isGreaterThan(32);
        assertThat(stops.get(0).getAttribute("stop-color")).isEqualTo("#440154");
        assertThat(stops.get(0).getAttribute("offset")).isEqualTo("0");
        assertThat(stops.get(stops.size() - 1).getAttribute("stop-color")).isEqualTo("#fde725");
        assertThat(stops.get(stops.size() - 1).getAttribute("offset")).isEqualTo("1");
        double previous = -1;
        for (Element stop : stops) {
            double offset = Double.parseDouble(stop.getAttribute("offset"));
            assertThat(offset).isGreaterThan(previous);
            previous = offset;
        }
        Element gradient = elements(doc, "linearGradient", null).get(0);
        assertThat(gradient.getAttribute("y1")).as("bottom to top").isEqualTo("1");
        assertThat(elements(doc, "rect", "colorbar").get(0).getAttribute("fill"))
                .isEqualTo("url(#" + gradient.getAttribute("id") + ")");
    }

    @Test
    void largeMapsEmbedTheirCellsAsOnePngWithAPixelPerCell() {
        Tensor w = Tensor.random(5).uniform(0, 1, 100, 80);
        Heatmap map = Heatmap.of(w).range(0, 1);
        String svg = map.toSvg();
        Document doc = parseSvg(svg);
        assertThat(elements(doc, "rect", "cell")).isEmpty();
        List<Element> images = elements(doc, "image", "cells");
        assertThat(images).hasSize(1);
        String href = images.get(0).getAttributeNS("http://www.w3.org/1999/xlink", "href");
        assertThat(href).startsWith("data:image/png;base64,");
        BufferedImage cells = decode(Base64.getDecoder().decode(href.substring(href.indexOf(',') + 1)));
        assertThat(cells.getWidth()).isEqualTo(80);
        assertThat(cells.getHeight()).isEqualTo(100);
        for (int i = 0; i < 100; i += 7) {
            for (int j = 0; j < 80; j += 3) {
                assertThat(rgb(cells, j, i)).isEqualTo(VIRIDIS.rgb(w.get(i, j)));
            }
        }
        Layout f = map.layout();
        assertThat(images.get(0).getAttribute("width")).isEqualTo(Integer.toString(f.gridWidth));
    }

    @Test
    void a512MapGivesASmallSvg() {
        Tensor w = Tensor.zeros(512, 512);
        for (int i = 0; i < 512; i++) {
            w.set(1.0, i, i);
        }
        String svg = Heatmap.of(w).toSvg();
        parseSvg(svg);
        assertThat(svg.length()).isLessThan(200_000);
    }

    @Test
    void writeSvgWritesUtf8(@TempDir Path dir) throws Exception {
        Heatmap map = Heatmap.of(Tensor.ones(2, 2)).labels(List.of("économique", "→"));
        Path file = map.writeSvg(dir.resolve("a/b/map.svg"));
        String read = Files.readString(file, StandardCharsets.UTF_8);
        assertThat(read).isEqualTo(map.toSvg()).startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        assertThat(texts(parseSvg(read))).contains("économique", "→");
    }

    @Test
    void fourDigitsIsCompact() {
        assertThat(LabelText.fourDigits(1.0)).isEqualTo("1");
        assertThat(LabelText.fourDigits(0.0)).isEqualTo("0");
        assertThat(LabelText.fourDigits(-0.0)).isEqualTo("0");
        assertThat(LabelText.fourDigits(1.0 / 3)).isEqualTo("0.3333");
        assertThat(LabelText.fourDigits(12345.678)).isEqualTo("1.235e+04");
        assertThat(LabelText.fourDigits(1.5e-7)).isEqualTo("1.5e-07");
        assertThat(LabelText.fourDigits(Double.NaN)).isEqualTo("NaN");
        assertThat(LabelText.fourDigits(Double.NEGATIVE_INFINITY)).isEqualTo("-inf");
    }
}
