package dev.heed.viz;

/**
 * A colour map: a table of sRGB colours that turns a fraction in [0, 1] into a colour.
 *
 * <p>Heed draws attention with {@linkplain #viridis() viridis}, the perceptually uniform map
 * that matplotlib made its default: equal steps in weight look like equal steps in colour,
 * lightness grows from the first colour ({@code #440154}, dark purple) to the last
 * ({@code #fde725}, yellow), and the picture survives printing in grey and colour-blind eyes.
 * Rainbow maps ("jet") invent edges where the data has none.
 *
 * <p>Colours are {@code int}s {@code 0xRRGGBB}. Instances are immutable.
 */
public final class ColorMap {
    /** The colour of a NaN value: mid grey {@code #808080}, which viridis never uses. */
    public static final int NAN_RGB = 0x808080;

    private static final ColorMap VIRIDIS = fromComponents("viridis", ViridisData.RGB);

    private final String name;
    private final int[] table;

    private ColorMap(String name, int[] table) {
        this.name = name;
        this.table = table;
    }

    private static ColorMap fromComponents(String name, double[] rgb) {
        int[] table = new int[rgb.length / 3];
        for (int k = 0; k < table.length; k++) {
            table[k] = to8Bit(rgb[3 * k]) << 16 | to8Bit(rgb[3 * k + 1]) << 8 | to8Bit(rgb[3 * k + 2]);
        }
        return new ColorMap(name, table);
    }

    private static int to8Bit(double component) {
        return (int) Math.round(component * 255);
    }

    /**
     * Viridis, 256 colours, from matplotlib (CC0).
     *
     * @return the shared instance (immutable)
     */
    public static ColorMap viridis() {
        return VIRIDIS;
    }

    /**
     * The map's name.
     *
     * @return the name, such as {@code "viridis"}
     */
    public String name() {
        return name;
    }

    /**
     * The number of colours in the table.
     *
     * @return the table's size, 256 for viridis
     */
    public int size() {
        return table.length;
    }

    /**
     * Colour {@code index} of the table, from the first (index 0, for the bottom of the range) to
     * the last.
     *
     * @param index which colour, {@code 0 <= index < size()}
     * @return the colour as {@code 0xRRGGBB}
     * @throws IllegalArgumentException unless {@code 0 <= index < size()}, naming the index and size
     */
    public int color(int index) {
        if (index < 0 || index >= table.length) {
            throw new IllegalArgumentException(
                    "colour index " + index + " is out of range for the " + table.length + " colours of " + name);
        }
        return table[index];
    }

    /**
     * The colour of {@code fraction}: table entry {@code floor(fraction · size)}, the last one
     * for 1 (as matplotlib's {@code ListedColormap}). Fractions below 0 (and −∞) take the first
     * colour, above 1 (and +∞) the last; NaN gives {@link #NAN_RGB}.
     *
     * @param fraction where a value falls in the colour range: 0 at its bottom, 1 at its top
     * @return the colour as {@code 0xRRGGBB}
     */
    public int rgb(double fraction) {
        if (Double.isNaN(fraction)) {
            return NAN_RGB;
        }
        if (fraction <= 0) {
            return table[0];
        }
        int index = (int) Math.min(fraction * table.length, table.length - 1);
        return table[index];
    }

    /**
     * A colour as CSS and SVG write it.
     *
     * @param rgb a colour {@code 0xRRGGBB}; higher bits (alpha) are ignored
     * @return {@code "#rrggbb"}, six lower-case hex digits
     */
    public static String hex(int rgb) {
        return String.format("#%06x", rgb & 0xFFFFFF);
    }

    @Override
    public String toString() {
        return "ColorMap{" + name + ", " + table.length + " colours}";
    }
}
