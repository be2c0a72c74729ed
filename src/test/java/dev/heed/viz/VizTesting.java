package dev.heed.viz;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Decoding PNG and SVG output and finding things in it. */
final class VizTesting {
    static final int VIRIDIS_FIRST = 0x440154;
    static final int VIRIDIS_LAST = 0xfde725;
    static final String SVG_NS = "http://www.w3.org/2000/svg";

    private VizTesting() {}

    /** Decodes PNG bytes with ImageIO, failing the test if they are not a PNG. */
    static BufferedImage decode(byte[] png) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertThat(image).as("ImageIO decodes the PNG").isNotNull();
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The colour at {@code (x, y)} as {@code 0xRRGGBB}. */
    static int rgb(BufferedImage image, int x, int y) {
        return image.getRGB(x, y) & 0xFFFFFF;
    }

    /** The pixel in the middle of cell {@code (i, j)} of panel {@code k}. */
    static int cellCentre(BufferedImage image, Layout f, int k, int i, int j) {
        int x = f.panelX(k) + f.gridLeft + j * f.cellWidth + f.cellWidth / 2;
        int y = f.panelY(k) + f.gridTop + i * f.cellHeight + f.cellHeight / 2;
        return rgb(image, x, y);
    }

    /** Parses SVG text with a namespace-aware JDK parser: fails the test unless it is well-formed XML. */
    static Document parseSvg(String svg) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            DocumentBuilder builder = factory.newDocumentBuilder();
            Document doc = builder.parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
            assertThat(doc.getDocumentElement().getLocalName()).isEqualTo("svg");
            assertThat(doc.getDocumentElement().getNamespaceURI()).isEqualTo(SVG_NS);
            return doc;
        } catch (Exception e) {
            throw new AssertionError("SVG is not well-formed XML: " + e.getMessage(), e);
        }
    }

    /** The SVG elements named {@code name}, optionally only those of CSS class {@code cssClass}. */
    static List<Element> elements(Document doc, String name, String cssClass) {
        NodeList nodes = doc.getElementsByTagNameNS(SVG_NS, name);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            Element e = (Element) nodes.item(i);
            if (cssClass == null || cssClass.equals(e.getAttribute("class"))) {
                out.add(e);
            }
        }
        return out;
    }

    /** The text content of every {@code <text>} element. */
    static List<String> texts(Document doc) {
        List<String> out = new ArrayList<>();
        for (Element e : elements(doc, "text", null)) {
            out.add(e.getTextContent());
        }
        return out;
    }

    /** Pixels in the rectangle that are not white. */
    static int inked(BufferedImage image, int x0, int y0, int x1, int y1) {
        int count = 0;
        for (int y = Math.max(0, y0); y < Math.min(image.getHeight(), y1); y++) {
            for (int x = Math.max(0, x0); x < Math.min(image.getWidth(), x1); x++) {
                if (rgb(image, x, y) != 0xFFFFFF) {
                    count++;
                }
            }
        }
        return count;
    }

    /** The bounding box {x0, y0, x1, y1} (exclusive ends) of pixels of colour {@code rgb} left of {@code xLimit}. */
    static int[] boundingBox(BufferedImage image, int rgb, int xLimit) {
        int x0 = Integer.MAX_VALUE;
        int y0 = Integer.MAX_VALUE;
        int x1 = -1;
        int y1 = -1;
        int count = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < Math.min(xLimit, image.getWidth()); x++) {
                if (rgb(image, x, y) == rgb) {
                    x0 = Math.min(x0, x);
                    y0 = Math.min(y0, y);
                    x1 = Math.max(x1, x + 1);
                    y1 = Math.max(y1, y + 1);
                    count++;
                }
            }
        }
        return count == 0 ? null : new int[] {x0, y0, x1, y1, count};
    }
}
