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
final class PanamaKernelSupport implements KernelSupport {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    /** Longs in a vector of the same size, for the bit manipulation in {@link #exp}. */
    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;

    private static final int LANES = SPECIES.length();
    /** Columns of C per micro-tile: four vectors. */
    private static final int NR = 4 * LANES;
    /** Rows of C per micro-tile. 4 rows × 4 vectors = 16 accumulators + 4 B vectors + 1 broadcast
     *  fit AVX-512's 32 registers, and 16 independent FMAs hide the FMA latency on two pipes. */
    private static final int MR = 4;
    /** Rows of B per pass: a 4-vector-wide panel of B (K_BLOCK × NR doubles) stays in L1/L2. */
    static final int K_BLOCK = 256;

    PanamaKernelSupport() {
        if (LANES < 2) {
            throw new UnsupportedOperationException("preferred vector species holds " + LANES + " double");
        }
        warmUp();
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
            expShiftAccumulate(x, 0, x.length, shift, sum);
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
        for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
            int kc = Math.min(K_BLOCK, k - p0);
            block(m, n, kc, a, aOff + p0 * acs, ars, acs, b, bOff + p0 * ldb, ldb, c, cOff, ldc);
        }
    }

    private static void block(
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
            int ldc) {
        int j = 0;
        for (; j + NR <= n; j += NR) {
            int i = 0;
            for (; i + MR <= m; i += MR) {
                tile4x4(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
            }
            for (; i < m; i++) {
                tile1x4(k, a, aOff + i * ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j);
            }
        }
        for (; j + LANES <= n; j += LANES) {
            int i = 0;
            for (; i + MR <= m; i += MR) {
                tile4x1(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
            }
            for (; i < m; i++) {
                tile1x1(k, a, aOff + i * ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j);
            }
        }
        if (j < n) {
            scalarColumns(m, j, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc);
        }
    }

    private static void tile4x4(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        int c1 = c0 + ldc;
        int c2 = c1 + ldc;
        int c3 = c2 + ldc;
        DoubleVector c00 = load(c, c0),
                c01 = load(c, c0 + LANES),
                c02 = load(c, c0 + 2 * LANES),
                c03 = load(c, c0 + 3 * LANES);
        DoubleVector c10 = load(c, c1),
                c11 = load(c, c1 + LANES),
                c12 = load(c, c1 + 2 * LANES),
                c13 = load(c, c1 + 3 * LANES);
        DoubleVector c20 = load(c, c2),
                c21 = load(c, c2 + LANES),
                c22 = load(c, c2 + 2 * LANES),
                c23 = load(c, c2 + 3 * LANES);
        DoubleVector c30 = load(c, c3),
                c31 = load(c, c3 + LANES),
                c32 = load(c, c3 + 2 * LANES),
                c33 = load(c, c3 + 3 * LANES);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector b0v = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector b1v = DoubleVector.fromArray(SPECIES, b, bp + LANES);
            DoubleVector b2v = DoubleVector.fromArray(SPECIES, b, bp + 2 * LANES);
            DoubleVector b3v = DoubleVector.fromArray(SPECIES, b, bp + 3 * LANES);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(b0v, c00);
            c01 = av.fma(b1v, c01);
            c02 = av.fma(b2v, c02);
            c03 = av.fma(b3v, c03);
            av = DoubleVector.broadcast(SPECIES, a[ap + ars]);
            c10 = av.fma(b0v, c10);
            c11 = av.fma(b1v, c11);
            c12 = av.fma(b2v, c12);
            c13 = av.fma(b3v, c13);
            av = DoubleVector.broadcast(SPECIES, a[ap + 2 * ars]);
            c20 = av.fma(b0v, c20);
            c21 = av.fma(b1v, c21);
            c22 = av.fma(b2v, c22);
            c23 = av.fma(b3v, c23);
            av = DoubleVector.broadcast(SPECIES, a[ap + 3 * ars]);
            c30 = av.fma(b0v, c30);
            c31 = av.fma(b1v, c31);
            c32 = av.fma(b2v, c32);
            c33 = av.fma(b3v, c33);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + LANES);
        c02.intoArray(c, c0 + 2 * LANES);
        c03.intoArray(c, c0 + 3 * LANES);
        c10.intoArray(c, c1);
        c11.intoArray(c, c1 + LANES);
        c12.intoArray(c, c1 + 2 * LANES);
        c13.intoArray(c, c1 + 3 * LANES);
        c20.intoArray(c, c2);
        c21.intoArray(c, c2 + LANES);
        c22.intoArray(c, c2 + 2 * LANES);
        c23.intoArray(c, c2 + 3 * LANES);
        c30.intoArray(c, c3);
        c31.intoArray(c, c3 + LANES);
        c32.intoArray(c, c3 + 2 * LANES);
        c33.intoArray(c, c3 + 3 * LANES);
    }

    private static DoubleVector load(double[] c, int off) {
        return DoubleVector.fromArray(SPECIES, c, off);
    }

    private static void tile1x4(int k, double[] a, int a0, int acs, double[] b, int b0, int ldb, double[] c, int c0) {
        DoubleVector c0v = load(c, c0),
                c1v = load(c, c0 + LANES),
                c2v = load(c, c0 + 2 * LANES),
                c3v = load(c, c0 + 3 * LANES);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c0v = av.fma(DoubleVector.fromArray(SPECIES, b, bp), c0v);
            c1v = av.fma(DoubleVector.fromArray(SPECIES, b, bp + LANES), c1v);
            c2v = av.fma(DoubleVector.fromArray(SPECIES, b, bp + 2 * LANES), c2v);
            c3v = av.fma(DoubleVector.fromArray(SPECIES, b, bp + 3 * LANES), c3v);
        }
        c0v.intoArray(c, c0);
        c1v.intoArray(c, c0 + LANES);
        c2v.intoArray(c, c0 + 2 * LANES);
        c3v.intoArray(c, c0 + 3 * LANES);
    }

    private static void tile4x1(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        DoubleVector c0v = load(c, c0),
                c1v = load(c, c0 + ldc),
                c2v = load(c, c0 + 2 * ldc),
                c3v = load(c, c0 + 3 * ldc);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector bv = DoubleVector.fromArray(SPECIES, b, bp);
            c0v = DoubleVector.broadcast(SPECIES, a[ap]).fma(bv, c0v);
            c1v = DoubleVector.broadcast(SPECIES, a[ap + ars]).fma(bv, c1v);
            c2v = DoubleVector.broadcast(SPECIES, a[ap + 2 * ars]).fma(bv, c2v);
            c3v = DoubleVector.broadcast(SPECIES, a[ap + 3 * ars]).fma(bv, c3v);
        }
        c0v.intoArray(c, c0);
        c1v.intoArray(c, c0 + ldc);
        c2v.intoArray(c, c0 + 2 * ldc);
        c3v.intoArray(c, c0 + 3 * ldc);
    }

    private static void tile1x1(int k, double[] a, int a0, int acs, double[] b, int b0, int ldb, double[] c, int c0) {
        DoubleVector cv = load(c, c0);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            cv = DoubleVector.broadcast(SPECIES, a[ap]).fma(DoubleVector.fromArray(SPECIES, b, bp), cv);
        }
        cv.intoArray(c, c0);
    }

    /** Columns {@code [j0, j1)}, fewer than one vector: plain dot products. */
    private static void scalarColumns(
            int m,
            int j0,
            int j1,
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
            int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = j0; j < j1; j++) {
                int ci = cOff + i * ldc + j;
                double s = c[ci];
                for (int p = 0; p < k; p++) {
                    s = Math.fma(a[aOff + i * ars + p * acs], b[bOff + p * ldb + j], s);
                }
                c[ci] = s;
            }
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
    public void maxInto(double[] x, int off, int n, double[] acc, int accOff) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += LANES) {
            DoubleVector.fromArray(SPECIES, acc, accOff + i)
                    .max(DoubleVector.fromArray(SPECIES, x, off + i))
                    .intoArray(acc, accOff + i);
        }
        for (; i < n; i++) {
            acc[accOff + i] = Math.max(acc[accOff + i], x[off + i]);
        }
    }

    @Override
    public void expShiftAccumulate(double[] xs, int off, int n, double[] shift, double[] sum) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += LANES) {
            DoubleVector x =
                    DoubleVector.fromArray(SPECIES, xs, off + i).sub(DoubleVector.fromArray(SPECIES, shift, i));
            // e = exp(x), the same steps as Exp.exp, written out (see the class comment)
            DoubleVector xc = x.max(Exp.MIN_X).min(Exp.MAX_X);
            DoubleVector t = xc.fma(Exp.LOG2E, Exp.SHIFTER);
            DoubleVector whole = t.sub(Exp.SHIFTER);
            DoubleVector r = whole.fma(DoubleVector.broadcast(SPECIES, -Exp.LN2_HI), xc);
            r = whole.fma(DoubleVector.broadcast(SPECIES, -Exp.LN2_LO), r);
            DoubleVector p = DoubleVector.broadcast(SPECIES, Exp.C13);
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C12));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C11));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C10));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C9));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C8));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C7));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C6));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C5));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C4));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C3));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C2));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, 1.0));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, 1.0));
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
            e.intoArray(xs, off + i);
            DoubleVector.fromArray(SPECIES, sum, i).add(e).intoArray(sum, i);
        }
        for (; i < n; i++) {
            double e = Exp.exp(xs[off + i] - shift[i]);
            xs[off + i] = e;
            sum[i] += e;
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
                DoubleVector p = DoubleVector.broadcast(SPECIES, Exp.C13);
                p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C12));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C11));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C10));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C9));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C8));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C7));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C6));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C5));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C4));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C3));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C2));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, 1.0));
                p = p.fma(r, DoubleVector.broadcast(SPECIES, 1.0));
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
            DoubleVector p = DoubleVector.broadcast(SPECIES, Exp.C13);
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C12));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C11));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C10));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C9));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C8));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C7));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C6));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C5));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C4));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C3));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, Exp.C2));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, 1.0));
            p = p.fma(r, DoubleVector.broadcast(SPECIES, 1.0));
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
