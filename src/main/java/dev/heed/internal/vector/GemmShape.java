package dev.heed.internal.vector;

import java.util.List;
import java.util.Locale;

/**
 * The shape of a vector GEMM micro-tile: {@code rows} rows of C by {@code vectors} vectors of
 * columns, held in {@code rows × vectors} accumulator registers while {@code k} rank-one updates
 * stream past. Not API.
 *
 * <p>A tile needs {@code rows·vectors} accumulators, {@code vectors} registers for the row of B and
 * one for the broadcast element of A. Java cannot ask how many vector registers the CPU has, so
 * {@link #forWidth} decides from the vector width and {@code os.arch} (see docs/design-notes.md):
 * 512-bit vectors mean AVX-512 with 32 registers; 256-bit on x86 means AVX2 with 16 (a
 * {@code -XX:UseAVX=2} JVM on an AVX-512 CPU also allocates only 16); 128-bit means NEON with 32
 * registers on aarch64, and SSE or AVX limited by {@code -XX:MaxVectorSize=16} with 16 on x86.
 * The system property {@code dev.heed.gemm.shape} (e.g. {@code 6x2}) overrides the choice, so
 * tests and benchmarks can run every shape on one machine.
 *
 * @param rows    rows of C per micro-tile
 * @param vectors vectors of C's columns per micro-tile
 */
record GemmShape(int rows, int vectors) {
    /** The property that forces a shape, {@code ROWSxVECTORS}. */
    static final String PROPERTY = "dev.heed.gemm.shape";

    /** 16 registers: 12 accumulators, 2 for B, 1 broadcast (BLIS's Haswell kernel, 6 × 8 doubles at 256 bits). */
    static final GemmShape SIX_BY_TWO = new GemmShape(6, 2);
    /** 32 registers: 24 accumulators, 3 for B, 1 broadcast (BLIS's SkylakeX 8 × 24 and ARMv8 8 × 6 doubles). */
    static final GemmShape EIGHT_BY_THREE = new GemmShape(8, 3);
    /** 32 registers: 16 accumulators, 4 for B, 1 broadcast; the tile Heed used before widths were told apart. */
    static final GemmShape FOUR_BY_FOUR = new GemmShape(4, 4);

    /** Every shape {@link VectorTiles} has a specialised kernel for. */
    static final List<GemmShape> ALL = List.of(SIX_BY_TWO, EIGHT_BY_THREE, FOUR_BY_FOUR);

    /**
     * The shape for vectors of {@code bits} bits on {@code arch} ({@code os.arch}), unless
     * {@code forced} (the property's value, may be null) names one.
     *
     * @throws IllegalArgumentException if {@code forced} is not one of {@link #ALL}
     */
    static GemmShape forWidth(int bits, String arch, String forced) {
        if (forced != null && !forced.isBlank()) {
            return parse(forced);
        }
        boolean arm = arch != null && (arch.contains("aarch64") || arch.contains("arm"));
        int registers = bits >= 512 || arm ? 32 : 16;
        return registers >= 32 ? EIGHT_BY_THREE : SIX_BY_TWO;
    }

    /** The shape this JVM's property and vector width ask for. */
    static GemmShape forWidth(int bits) {
        return forWidth(bits, System.getProperty("os.arch"), System.getProperty(PROPERTY));
    }

    /**
     * Reads {@code ROWSxVECTORS}.
     *
     * @throws IllegalArgumentException if {@code text} does not name one of {@link #ALL}
     */
    static GemmShape parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (GemmShape s : ALL) {
            if (t.equals(s.toString())) {
                return s;
            }
        }
        throw new IllegalArgumentException(
                "-D" + PROPERTY + "=" + text + " is not a GEMM shape; expected one of " + ALL);
    }

    /** Doubles per row of a micro-tile for vectors of {@code lanes} doubles. */
    int columns(int lanes) {
        return vectors * lanes;
    }

    @Override
    public String toString() {
        return rows + "x" + vectors;
    }
}
