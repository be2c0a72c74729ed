package dev.heed.encoding;

import dev.heed.tensor.Tensor;
import java.util.Arrays;

/**
 * The fixed sinusoidal positional encoding of "Attention Is All You Need".
 *
 * <p>For position {@code pos} and feature {@code i} of {@code dModel}:
 * <pre>
 *   angle(pos, i) = pos / 10000^(2·⌊i/2⌋ / dModel)
 *   PE[pos, i]    = sin(angle)  for even i,   cos(angle)  for odd i
 * </pre>
 * so features {@code 2m} and {@code 2m+1} share a frequency. An odd {@code dModel} simply ends
 * with a sine column. Attention is blind to order; adding this table to the embeddings lets
 * it tell positions apart, and {@code PE[pos + k]} is a fixed rotation of {@code PE[pos]}, which
 * makes relative offsets easy to pick up.
 */
public final class SinusoidalEncoding {
    /** The base of the geometric progression of wavelengths. */
    public static final double BASE = 10000.0;

    private SinusoidalEncoding() {}

    /**
     * The encoding of positions {@code 0 … length-1}.
     *
     * @param length the number of positions, ≥ 0 (0 gives an empty {@code [0, dModel]} table)
     * @param dModel the number of features, ≥ 0; may be odd
     * @return a new row-major {@code [length, dModel]} tensor
     * @throws IllegalArgumentException if either argument is negative, or the table would exceed
     *                                  2³¹−1 elements
     */
    public static Tensor table(int length, int dModel) {
        return table(0, length, dModel);
    }

    /**
     * The encoding of positions {@code start … start+length-1}, e.g. for the new tokens when
     * decoding after {@code start} cached ones. Row {@code t} is row {@code start + t} of
     * {@link #table(int, int) table(start + length, dModel)}.
     *
     * @param start  the first position, ≥ 0
     * @param length the number of positions, ≥ 0
     * @param dModel the number of features, ≥ 0; may be odd
     * @return a new row-major {@code [length, dModel]} tensor
     * @throws IllegalArgumentException if any argument is negative, or the table would exceed
     *                                  2³¹−1 elements
     */
    public static Tensor table(int start, int length, int dModel) {
        if (start < 0 || length < 0 || dModel < 0) {
            throw new IllegalArgumentException("start, length and dModel must be >= 0, got start=" + start + ", length="
                    + length + ", dModel=" + dModel);
        }
        double[] inverseFrequency = new double[dModel];
        for (int i = 0; i < dModel; i++) {
            inverseFrequency[i] = Math.pow(BASE, (2 * (i / 2)) / (double) dModel);
        }
        Tensor table = Tensor.zeros(length, dModel); // refuses tables past 2^31-1 elements
        double[] out = table.data();
        for (int p = 0; p < length; p++) {
            double pos = start + p;
            for (int i = 0; i < dModel; i++) {
                double angle = pos / inverseFrequency[i];
                out[p * dModel + i] = (i & 1) == 0 ? Math.sin(angle) : Math.cos(angle);
            }
        }
        return table;
    }

    /**
     * {@code input + table(L, E)}: adds the encoding of positions {@code 0 … L-1} to an input
     * {@code [..., L, E]} (e.g. {@code [B, L, E]}), broadcasting over the leading axes.
     *
     * @param input {@code [..., L, E]}, rank ≥ 2; any view; not modified
     * @return a new row-major tensor of the input's shape
     * @throws IllegalArgumentException if the input is null or has rank below 2
     */
    public static Tensor addTo(Tensor input) {
        return addTo(input, 0);
    }

    /**
     * {@code input + table(start, L, E)}: adds the encoding of positions
     * {@code start … start+L-1} to an input {@code [..., L, E]}.
     *
     * @param input {@code [..., L, E]}, rank ≥ 2; any view; not modified
     * @param start the position of the input's first row, ≥ 0
     * @return a new row-major tensor of the input's shape
     * @throws IllegalArgumentException if the input is null or has rank below 2, or {@code start}
     *                                  is negative
     */
    public static Tensor addTo(Tensor input, int start) {
        if (input == null || input.rank() < 2) {
            throw new IllegalArgumentException("positional encoding needs an input [..., L, E], got "
                    + (input == null ? "null" : Arrays.toString(input.shape())));
        }
        return input.add(table(start, input.shape(-2), input.shape(-1)));
    }
}
