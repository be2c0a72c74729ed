package dev.heed.viz;

import dev.heed.tensor.Tensor;
import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Run in a fresh JVM by {@link HeadlessTest}: renders a labelled heatmap to PNG and SVG and exits 0
 * if the labels were drawn as text, printing whether the JVM was headless.
 */
final class HeadlessProbe {
    private HeadlessProbe() {}

    public static void main(String[] args) {
        Heatmap map = Heatmap.of(Tensor.of(new double[] {1, 0, 0.5, 0.5}, 2, 2))
                .labels(List.of("query", "key"))
                .title("headless")
                .annotate(true);
        BufferedImage image = VizTesting.decode(map.toPng());
        String svg = map.toSvg();
        Layout f = map.layout();
        int labelInk = VizTesting.inked(
                image,
                0,
                f.panelY(0) + f.gridTop,
                f.panelX(0) + f.gridLeft - 4,
                f.panelY(0) + f.gridTop + f.gridHeight);
        System.out.println(
                "headless=" + GraphicsEnvironment.isHeadless() + " labelInk=" + labelInk + " svg=" + svg.length());
        System.exit(labelInk > 50 && svg.contains(">query</text>") ? 0 : 1);
    }
}
