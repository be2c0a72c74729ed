package dev.heed.viz;

import static dev.heed.viz.VizTesting.VIRIDIS_FIRST;
import static dev.heed.viz.VizTesting.VIRIDIS_LAST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ColorMapTest {
    private final ColorMap viridis = ColorMap.viridis();

    @Test
    void viridisHasMatplotlibsEndsAndMiddle() {
        assertThat(viridis.size()).isEqualTo(256);
        assertThat(viridis.name()).isEqualTo("viridis");
        assertThat(viridis.color(0)).isEqualTo(VIRIDIS_FIRST);
        assertThat(viridis.color(255)).isEqualTo(VIRIDIS_LAST);
        assertThat(ColorMap.hex(viridis.color(128))).isEqualTo("#21918c"); // matplotlib's viridis(0.5)
    }

    @Test
    void viridisGetsLighterAllTheWay() {
        // perceptually uniform: the luminance of the source data rises strictly from colour to colour
        double previous = -1;
        for (int k = 0; k < 256; k++) {
            double[] c = {ViridisData.RGB[3 * k], ViridisData.RGB[3 * k + 1], ViridisData.RGB[3 * k + 2]};
            double luminance = 0.2126 * linear(c[0]) + 0.7152 * linear(c[1]) + 0.0722 * linear(c[2]);
            assertThat(luminance).as("luminance of colour %d", k).isGreaterThan(previous);
            previous = luminance;
        }
        // rounded to 8 bits, green alone still never falls
        int previousGreen = -1;
        for (int k = 0; k < viridis.size(); k++) {
            int green = viridis.color(k) >> 8 & 0xFF;
            assertThat(green).as("green of colour %d", k).isGreaterThanOrEqualTo(previousGreen);
            previousGreen = green;
        }
    }

    private static double linear(double srgb) {
        return srgb <= 0.04045 ? srgb / 12.92 : Math.pow((srgb + 0.055) / 1.055, 2.4);
    }

    @Test
    void fractionsPickTableEntriesAsMatplotlib() {
        assertThat(viridis.rgb(0.0)).isEqualTo(VIRIDIS_FIRST);
        assertThat(viridis.rgb(1.0)).isEqualTo(VIRIDIS_LAST);
        assertThat(viridis.rgb(0.5)).isEqualTo(viridis.color(128));
        assertThat(viridis.rgb(1.0 / 256 - 1e-12)).isEqualTo(viridis.color(0));
        assertThat(viridis.rgb(1.0 / 256)).isEqualTo(viridis.color(1));
        assertThat(viridis.rgb(Math.nextDown(1.0))).isEqualTo(viridis.color(255));
    }

    @Test
    void outOfRangeClampsAndNaNIsGrey() {
        assertThat(viridis.rgb(-0.5)).isEqualTo(VIRIDIS_FIRST);
        assertThat(viridis.rgb(Double.NEGATIVE_INFINITY)).isEqualTo(VIRIDIS_FIRST);
        assertThat(viridis.rgb(7)).isEqualTo(VIRIDIS_LAST);
        assertThat(viridis.rgb(Double.POSITIVE_INFINITY)).isEqualTo(VIRIDIS_LAST);
        assertThat(viridis.rgb(Double.NaN)).isEqualTo(ColorMap.NAN_RGB).isEqualTo(0x808080);
        for (int k = 0; k < viridis.size(); k++) {
            assertThat(viridis.color(k)).as("NaN grey is not a viridis colour").isNotEqualTo(ColorMap.NAN_RGB);
        }
    }

    @Test
    void colorIndexIsChecked() {
        assertThatThrownBy(() -> viridis.color(256))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256")
                .hasMessageContaining("viridis");
        assertThatThrownBy(() -> viridis.color(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hexIsLowerCaseSixDigits() {
        assertThat(ColorMap.hex(0x0000ff)).isEqualTo("#0000ff");
        assertThat(ColorMap.hex(VIRIDIS_LAST)).isEqualTo("#fde725");
    }
}
