package dev.heed.internal.vector;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link KernelSupport} on the Vector API. Not API; loaded reflectively by
 * {@link VectorizationProvider} only when {@code jdk.incubator.vector} is in the boot layer.
 *
 * <p>No method takes or returns a vector unless it is tiny enough to be inlined for sure
 * ({@link #load}): a vector passed to a call that C2 does not inline is boxed on the heap, which
 * makes a kernel ten to a hundred times slower. That is why the exponential is written out in
 * each loop that needs it rather than called.
 *
 * <p>Results are bitwise reproducible: only exactly rounded lane operations are used (no
 * {@code lanewise(EXP)}, see {@link Exp}; no {@code reduceLanes(ADD)}, whose order differs
 * between interpreted and compiled code), and scalar tails do the same operations as the lanes.
 */
final class PanamaKernelSupport implements KernelSupport, PackedGemm.Source {
    /** The property that narrows the vectors, Lucene's {@code tests.vectorsize}: 128, 256 or 512. */
    static final String BITS_PROPERTY = "dev.heed.vector.bits";

    static final VectorSpecies<Double> SPECIES = species(System.getProperty(BITS_PROPERTY));
    /** Longs in a vector of the same size, for the bit manipulation in the exponential. */
    private static final VectorSpecies<Long> LONGS = VectorSpecies.of(long.class, SPECIES.vectorShape());

    private static final int LANES = SPECIES.length();
    /** Rows of B per pass of the unpacked product: a {@code K_BLOCK × columns} panel of B stays in L1/L2. */
    static final int K_BLOCK = 256;

    private final GemmShape shape;
    private final PackedGemm packed;
    /** {@link #attentionTiles}: this, or the 4 × 4 twin. */
    private final KernelSupport attention;

    /**
     * The shape {@code -Ddev.heed.gemm.shape} or the vector width asks for. Unless the property
     * forces a shape, attention tiles run on 4 × 4 where this shape's slivers do not divide 64.
     */
    PanamaKernelSupport() {
        this(GemmShape.forWidth(SPECIES.vectorBitSize()), isBlank(System.getProperty(GemmShape.PROPERTY)));
    }

    /** Whether the shape property is unset, as {@link GemmShape#forWidth(int)} reads it. */
    private static boolean isBlank(String forced) {
        return forced == null || forced.isBlank();
    }

    /** Kernels with micro-tiles of {@code shape}, attention's too: tests run every shape in one JVM. */
    PanamaKernelSupport(GemmShape shape) {
        this(shape, false);
    }

    /**
     * At 512 bits (and on 128-bit ARM, where 8 × 3 is 24 and 6 doubles wide) the 64-wide attention
     * tiles are not whole slivers of 8 × 3: the score product's last sliver and the output product
     * then go through zero-padded edge copies. 4 × 4 (32 and 8 doubles wide) has none, and fits
     * the same 32 registers: the forward at [8, 1024, 64] measured 8 % faster on one 512-bit core.
     *
     * @param twin whether attention takes the 4 × 4 twin where {@code shape}'s slivers do not divide 64
     */
    private PanamaKernelSupport(GemmShape shape, boolean twin) {
        if (LANES < 2) {
            throw new UnsupportedOperationException("preferred vector species holds " + LANES + " double");
        }
        this.shape = shape;
        this.packed = new PackedGemm(VectorTiles.tile(shape), shape.rows(), shape.columns(LANES), LANES);
        this.attention =
                twin && 64 % shape.columns(LANES) != 0 ? new PanamaKernelSupport(GemmShape.FOUR_BY_FOUR, false) : this;
        warmUp();
    }

    @Override
    public KernelSupport attentionTiles() {
        return attention;
    }

    /**
     * The preferred species, or a narrower one when {@code bits} (the property's value, may be
     * null) asks for it: a JVM on a wide CPU tests and measures the narrower kernels this way.
     *
     * @throws IllegalArgumentException if {@code bits} is not 128, 256 or 512, or wider than the
     *     preferred species
     */
    static VectorSpecies<Double> species(String bits) {
        VectorSpecies<Double> preferred = DoubleVector.SPECIES_PREFERRED;
        if (bits == null || bits.isBlank()) {
            return preferred;
        }
        VectorSpecies<Double> asked = switch (bits.trim()) {
            case "128" -> DoubleVector.SPECIES_128;
            case "256" -> DoubleVector.SPECIES_256;
            case "512" -> DoubleVector.SPECIES_512;
            default ->
                throw new IllegalArgumentException("-D" + BITS_PROPERTY + "=" + bits + " must be 128, 256 or 512");
        };
        if (asked.vectorBitSize() > preferred.vectorBitSize()) {
            throw new IllegalArgumentException("-D" + BITS_PROPERTY + "=" + bits + " is wider than this JVM's "
                    + preferred.vectorBitSize() + "-bit vectors");
        }
        return asked;
    }

    /**
     * Runs the three exponential loops a few hundred times on tiny rows before any real work. The
     * Vector API's shared internals see both double and long vectors here (the exponential
     * reinterprets one as the other), so their type profiles are bimorphic before C2 compiles
     * anything; otherwise C2 may first speculate on one type, trap, and recompile the loop with a
     * virtual call in place of a vector store — a store C2 then cannot intrinsify. Measured: one
     * JMH fork in three to six ran 1.4x slower before; 8 of 8 fast since (docs/design-notes.md).
     */
    private void warmUp() {
        double[] x = new double[2 * LANES + 1];
        double[] shift = new double[2 * LANES + 1];
        double[] sum = new double[2 * LANES + 1];
        for (int i = 0; i < 400; i++) {
            java.util.Arrays.fill(x, -1.0);
            expShiftAccumulate(x, 0, 1, x.length, 1.0, shift, sum);
            expShiftSum(x, 0, x.length, 0.0);
            expSubtractMultiply(x, 0, x.length, 1.0, 0.0, sum, 0, 0.0);
        }
    }

    @Override
    public String name() {
        return "vector-" + SPECIES.vectorBitSize();
    }

    @Override
    public int vectorBits() {
        return SPECIES.vectorBitSize();
    }

    /** The micro-tile shape of this instance's GEMM. */
    GemmShape shape() {
        return shape;
    }

    @Override
    public PackedGemm packed() {
        return packed;
    }

    @Override
    public void gemm(
            int m,
            int n,
            int k,
            double[] a,
            int aOff,
            int ars,
            int acs,
            double[] b,
            int bOff,
            int ldb,
            double[] c,
            int cOff,
            int ldc,
            boolean accumulate) {
        // The tiles always accumulate into C (their accumulators start from C): a tile that chose
        // between "start from C" and "start from zero" would merge two vector values at a join,
        // which C2 can only do by boxing them. Zeroing C first costs m·n stores against m·n·k FMAs.
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
            }
        }
        if (packed.worthPacking(m, n, k)) {
            packed.multiply(m, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc);
            return;
        }
        for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
            int kc = Math.min(K_BLOCK, k - p0);
            VectorTiles.block(shape, m, n, kc, a, aOff + p0 * acs, ars, acs, b, bOff + p0 * ldb, ldb, c, cOff, ldc);
        }
    }

    @Override
    public double max(double[] x, int off, int n) {
        int j = 0;
        double m = Double.NEGATIVE_INFINITY;
        if (n >= LANES) {
            DoubleVector mv = DoubleVector.broadcast(SPECIES, Double.NEGATIVE_INFINITY);
            int bound = SPECIES.loopBound(n);
            for (; j < bound; j += LANES) {
                mv = mv.max(DoubleVector.fromArray(SPECIES, x, off + j));
            }
            m = mv.reduceLanes(VectorOperators.MAX);
        }
        for (; j < n; j++) {
            m = Math.max(m, x[off + j]);
        }
        return m;
    }

    @Override
    public void maxOverRows(double[] x, int off, int rows, int cols, double[] acc) {
        int c = 0;
        // Four columns' vectors at a time: four independent chains of maxima, in registers.
        for (; c + 4 * LANES <= cols; c += 4 * LANES) {
            DoubleVector m0 = DoubleVector.fromArray(SPECIES, acc, c);
            DoubleVector m1 = DoubleVector.fromArray(SPECIES, acc, c + LANES);
            DoubleVector m2 = DoubleVector.fromArray(SPECIES, acc, c + 2 * LANES);
            DoubleVector m3 = DoubleVector.fromArray(SPECIES, acc, c + 3 * LANES);
            for (int r = 0, o = off + c; r < rows; r++, o += cols) {
                m0 = m0.max(DoubleVector.fromArray(SPECIES, x, o));
                m1 = m1.max(DoubleVector.fromArray(SPECIES, x, o + LANES));
                m2 = m2.max(DoubleVector.fromArray(SPECIES, x, o + 2 * LANES));
                m3 = m3.max(DoubleVector.fromArray(SPECIES, x, o + 3 * LANES));
            }
            m0.intoArray(acc, c);
            m1.intoArray(acc, c + LANES);
            m2.intoArray(acc, c + 2 * LANES);
            m3.intoArray(acc, c + 3 * LANES);
        }
        for (; c + LANES <= cols; c += LANES) {
            DoubleVector m0 = DoubleVector.fromArray(SPECIES, acc, c);
            for (int r = 0, o = off + c; r < rows; r++, o += cols) {
                m0 = m0.max(DoubleVector.fromArray(SPECIES, x, o));
            }
            m0.intoArray(acc, c);
        }
        for (; c < cols; c++) {
            double m = acc[c];
            for (int r = 0, o = off + c; r < rows; r++, o += cols) {
                m = Math.max(m, x[o]);
            }
            acc[c] = m;
        }
    }

    @Override
    public void expShiftAccumulate(
            double[] xs, int off, int rows, int cols, double scale, double[] shift, double[] sum) {
        int i = 0;
        int bound = SPECIES.loopBound(cols);
        // Column vector by column vector down the rows: its shift and sum stay in registers.
        for (; i < bound; i += LANES) {
            DoubleVector shiftV = DoubleVector.fromArray(SPECIES, shift, i);
            DoubleVector sumV = DoubleVector.fromArray(SPECIES, sum, i);
            for (int o = off + i, end = o + rows * cols; o < end; o += cols) {
                DoubleVector x =
                        DoubleVector.fromArray(SPECIES, xs, o).mul(scale).sub(shiftV);
                // e = exp(x), the same steps as Exp.exp, written out (see the class comment), but for
                // the upper clamp and the scaling below: shifted by a running maximum, x ≤ 0 or NaN.
                DoubleVector xc = x.max(Exp.MIN_X);
                DoubleVector t = xc.fma(Exp.LOG2E, Exp.SHIFTER);
                DoubleVector whole = t.sub(Exp.SHIFTER);
                DoubleVector r = whole.fma(DoubleVector.broadcast(SPECIES, -Exp.LN2_HI), xc);
                r = whole.fma(DoubleVector.broadcast(SPECIES, -Exp.LN2_LO), r);
                // p = Exp.polynomial(r), the same operations written out: a vector helper method
                // compiled on its own is not inlined by C2 later, and then boxes every vector.
                DoubleVector r2 = r.mul(r);
                DoubleVector r4 = r2.mul(r2);
                DoubleVector q01 = r.fma(Exp.C5, Exp.C4).fma(r2, r.fma(Exp.C3, Exp.C2));
                DoubleVector q23 = r.fma(Exp.C9, Exp.C8).fma(r2, r.fma(Exp.C7, Exp.C6));
                DoubleVector q45 = r.fma(Exp.C13, Exp.C12).fma(r2, r.fma(Exp.C11, Exp.C10));
                DoubleVector p = q45.fma(r4.mul(r4), q23.fma(r4, q01));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, 1.0)).fma(r, DoubleVector.broadcast(SPECIES, 1.0));
                // e = p·2ⁿ rounded once, as (p·2ⁿ⁺⁶⁴)·2⁻⁶⁴: for n ≤ 959 (x ≤ 665, which a running
                // maximum guarantees) the first factor is a normal power of two and its product with p
                // exact, so only the last multiplication rounds — the bits of Exp.exp's two factors
                // with five operations instead of eleven. The reinterpretation names its species
                // explicitly: C2 (JDK 17) only intrinsifies a conversion whose target species is a constant.
                DoubleVector s1 =
                        (DoubleVector) ((LongVector) t.convertShape(VectorOperators.REINTERPRET_D2L, LONGS, 0))
                                .sub(Exp.SHIFTER_BITS_LESS_BIAS_64)
                                .lanewise(VectorOperators.LSHL, 52)
                                .convertShape(VectorOperators.REINTERPRET_L2D, SPECIES, 0);
                DoubleVector e = p.mul(s1).mul(Exp.TWO_TO_MINUS_64);
                e.intoArray(xs, o);
                sumV = sumV.add(e);
            }
            sumV.intoArray(sum, i);
        }
        for (; i < cols; i++) {
            for (int o = off + i, end = o + rows * cols; o < end; o += cols) {
                double e = Exp.exp(scale * xs[o] - shift[i]);
                xs[o] = e;
                sum[i] += e;
            }
        }
    }

    @Override
    public double expShiftSum(double[] xs, int off, int n, double shift) {
        int j = 0;
        double s = 0;
        if (n >= LANES) {
            DoubleVector sv = DoubleVector.zero(SPECIES);
            int bound = SPECIES.loopBound(n);
            for (; j < bound; j += LANES) {
                DoubleVector x = DoubleVector.fromArray(SPECIES, xs, off + j).sub(shift);
                // e = exp(x), the same steps as Exp.exp, written out (see the class comment)
                DoubleVector xc = x.max(Exp.MIN_X).min(Exp.MAX_X);
                DoubleVector t = xc.fma(Exp.LOG2E, Exp.SHIFTER);
                DoubleVector whole = t.sub(Exp.SHIFTER);
                DoubleVector r = whole.fma(DoubleVector.broadcast(SPECIES, -Exp.LN2_HI), xc);
                r = whole.fma(DoubleVector.broadcast(SPECIES, -Exp.LN2_LO), r);
                // p = Exp.polynomial(r), the same operations written out: a vector helper method
                // compiled on its own is not inlined by C2 later, and then boxes every vector.
                DoubleVector r2 = r.mul(r);
                DoubleVector r4 = r2.mul(r2);
                DoubleVector q01 = r.fma(Exp.C5, Exp.C4).fma(r2, r.fma(Exp.C3, Exp.C2));
                DoubleVector q23 = r.fma(Exp.C9, Exp.C8).fma(r2, r.fma(Exp.C7, Exp.C6));
                DoubleVector q45 = r.fma(Exp.C13, Exp.C12).fma(r2, r.fma(Exp.C11, Exp.C10));
                DoubleVector p = q45.fma(r4.mul(r4), q23.fma(r4, q01));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, 1.0)).fma(r, DoubleVector.broadcast(SPECIES, 1.0));
                // Reinterpretations name their species explicitly: C2 (JDK 17) only intrinsifies a
                // conversion whose target species is a constant.
                // kb = n + 2048 > 0, so LSHR halves it (no ASHR: AVX2 has no 64-bit arithmetic shift)
                LongVector kb = ((LongVector) t.convertShape(VectorOperators.REINTERPRET_D2L, LONGS, 0))
                        .sub(Exp.BIASED_SHIFTER_BITS);
                LongVector h = kb.lanewise(VectorOperators.LSHR, 1);
                DoubleVector s1 = (DoubleVector) h.sub(1)
                        .lanewise(VectorOperators.LSHL, 52)
                        .convertShape(VectorOperators.REINTERPRET_L2D, SPECIES, 0);
                DoubleVector s2 = (DoubleVector) kb.sub(h)
                        .sub(1)
                        .lanewise(VectorOperators.LSHL, 52)
                        .convertShape(VectorOperators.REINTERPRET_L2D, SPECIES, 0);
                DoubleVector e = p.mul(s1).mul(s2);
                e.intoArray(xs, off + j);
                sv = sv.add(e);
            }
            // Lanes summed in a fixed order: reduceLanes(ADD) may add them in another order once
            // compiled. lane(k) is intrinsified only for a constant k, and storing the vector into a
            // fresh array sometimes compiles to the slow Java fallback (seen in one JMH fork in four).
            if (LANES == 8) {
                s = ((sv.lane(0) + sv.lane(1)) + (sv.lane(2) + sv.lane(3)))
                        + ((sv.lane(4) + sv.lane(5)) + (sv.lane(6) + sv.lane(7)));
            } else if (LANES == 4) {
                s = (sv.lane(0) + sv.lane(1)) + (sv.lane(2) + sv.lane(3));
            } else if (LANES == 2) {
                s = sv.lane(0) + sv.lane(1);
            } else {
                double[] lanes = new double[LANES];
                sv.intoArray(lanes, 0);
                for (double lane : lanes) {
                    s += lane;
                }
            }
        }
        for (; j < n; j++) {
            double e = Exp.exp(xs[off + j] - shift);
            xs[off + j] = e;
            s += e;
        }
        return s;
    }

    @Override
    public void subtractMultiply(double[] x, int off, int n, double shift, double[] p, int pOff) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += LANES) {
            DoubleVector.fromArray(SPECIES, x, off + i)
                    .sub(shift)
                    .mul(DoubleVector.fromArray(SPECIES, p, pOff + i))
                    .intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = p[pOff + i] * (x[off + i] - shift);
        }
    }

    @Override
    public void subtractMultiply(double[] x, int off, int n, double[] shift, double[] p, int pOff) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += LANES) {
            DoubleVector.fromArray(SPECIES, x, off + i)
                    .sub(DoubleVector.fromArray(SPECIES, shift, i))
                    .mul(DoubleVector.fromArray(SPECIES, p, pOff + i))
                    .intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = p[pOff + i] * (x[off + i] - shift[i]);
        }
    }

    @Override
    public void expSubtractMultiply(
            double[] xs, int off, int n, double scale, double shift, double[] g, int gOff, double delta) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += LANES) {
            DoubleVector x =
                    DoubleVector.fromArray(SPECIES, xs, off + i).mul(scale).sub(shift);
            // e = exp(x), the same steps as Exp.exp, written out (see the class comment)
            DoubleVector xc = x.max(Exp.MIN_X).min(Exp.MAX_X);
            DoubleVector t = xc.fma(Exp.LOG2E, Exp.SHIFTER);
            DoubleVector whole = t.sub(Exp.SHIFTER);
            DoubleVector r = whole.fma(DoubleVector.broadcast(SPECIES, -Exp.LN2_HI), xc);
            r = whole.fma(DoubleVector.broadcast(SPECIES, -Exp.LN2_LO), r);
            // p = Exp.polynomial(r), the same operations written out: a vector helper method
            // compiled on its own is not inlined by C2 later, and then boxes every vector.
            DoubleVector r2 = r.mul(r);
            DoubleVector r4 = r2.mul(r2);
            DoubleVector q01 = r.fma(Exp.C5, Exp.C4).fma(r2, r.fma(Exp.C3, Exp.C2));
            DoubleVector q23 = r.fma(Exp.C9, Exp.C8).fma(r2, r.fma(Exp.C7, Exp.C6));
            DoubleVector q45 = r.fma(Exp.C13, Exp.C12).fma(r2, r.fma(Exp.C11, Exp.C10));
            DoubleVector p = q45.fma(r4.mul(r4), q23.fma(r4, q01));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, 1.0)).fma(r, DoubleVector.broadcast(SPECIES, 1.0));
            // kb = n + 2048 > 0, so LSHR halves it (no ASHR: AVX2 has no 64-bit arithmetic shift)
            LongVector kb = ((LongVector) t.convertShape(VectorOperators.REINTERPRET_D2L, LONGS, 0))
                    .sub(Exp.BIASED_SHIFTER_BITS);
            LongVector h = kb.lanewise(VectorOperators.LSHR, 1);
            DoubleVector s1 = (DoubleVector) h.sub(1)
                    .lanewise(VectorOperators.LSHL, 52)
                    .convertShape(VectorOperators.REINTERPRET_L2D, SPECIES, 0);
            DoubleVector s2 = (DoubleVector) kb.sub(h)
                    .sub(1)
                    .lanewise(VectorOperators.LSHL, 52)
                    .convertShape(VectorOperators.REINTERPRET_L2D, SPECIES, 0);
            DoubleVector e = p.mul(s1).mul(s2);
            e.intoArray(xs, off + i);
            DoubleVector.fromArray(SPECIES, g, gOff + i).sub(delta).mul(e).intoArray(g, gOff + i);
        }
        for (; i < n; i++) {
            double e = Exp.exp(xs[off + i] * scale - shift);
            xs[off + i] = e;
            g[gOff + i] = e * (g[gOff + i] - delta);
        }
    }

    @Override
    public void addInto(double[] x, int off, int n, double[] acc, int accOff) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += LANES) {
            DoubleVector.fromArray(SPECIES, acc, accOff + i)
                    .add(DoubleVector.fromArray(SPECIES, x, off + i))
                    .intoArray(acc, accOff + i);
        }
        for (; i < n; i++) {
            acc[accOff + i] += x[off + i];
        }
    }

    @Override
    public void scale(double[] x, int off, int n, double alpha) {
        int j = 0;
        int bound = SPECIES.loopBound(n);
        for (; j < bound; j += LANES) {
            DoubleVector.fromArray(SPECIES, x, off + j).mul(alpha).intoArray(x, off + j);
        }
        for (; j < n; j++) {
            x[off + j] *= alpha;
        }
    }
}
