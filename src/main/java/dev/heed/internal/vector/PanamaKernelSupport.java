package dev.heed.internal.vector;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * {@link KernelSupport} on the Vector API. Not API; loaded reflectively by
 * {@link VectorizationProvider} only when {@code jdk.incubator.vector} is in the boot layer.
 *
 * <p>Each Vector API loop lives in a small method of its own: C2 then keeps every vector in a
 * register; in a large method it may give up on the intrinsics and allocate a box per vector.
 *
 * <p>Results are bitwise reproducible: only exactly rounded lane operations are used (no
 * {@code lanewise(EXP)}, see {@link Exp}; no {@code reduceLanes(ADD)}, whose order differs
 * between interpreted and compiled code), and scalar tails do the same operations as the lanes.
 */
final class PanamaKernelSupport implements KernelSupport {
    private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
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
    }

    @Override
    public String name() {
        return "vector-" + SPECIES.vectorBitSize();
    }

    @Override
    public void gemm(int m, int n, int k, double[] a, int aOff, int ars, int acs, double[] b, int bOff, int ldb,
                     double[] c, int cOff, int ldc, boolean accumulate) {
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
                }
            }
            return;
        }
        for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
            int kc = Math.min(K_BLOCK, k - p0);
            boolean acc = accumulate || p0 > 0;
            block(m, n, kc, a, aOff + p0 * acs, ars, acs, b, bOff + p0 * ldb, ldb, c, cOff, ldc, acc);
        }
    }

    private static void block(int m, int n, int k, double[] a, int aOff, int ars, int acs, double[] b, int bOff,
                              int ldb, double[] c, int cOff, int ldc, boolean acc) {
        int j = 0;
        for (; j + NR <= n; j += NR) {
            int i = 0;
            for (; i + MR <= m; i += MR) {
                tile4x4(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc, acc);
            }
            for (; i < m; i++) {
                tile1x4(k, a, aOff + i * ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, acc);
            }
        }
        for (; j + LANES <= n; j += LANES) {
            int i = 0;
            for (; i + MR <= m; i += MR) {
                tile4x1(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc, acc);
            }
            for (; i < m; i++) {
                tile1x1(k, a, aOff + i * ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, acc);
            }
        }
        if (j < n) {
            scalarColumns(m, j, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc, acc);
        }
    }

    private static void tile4x4(int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb,
                                double[] c, int c0, int ldc, boolean acc) {
        DoubleVector c00 = DoubleVector.zero(SPECIES), c01 = c00, c02 = c00, c03 = c00;
        DoubleVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        DoubleVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        DoubleVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
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
        store4(c, c0, acc, c00, c01, c02, c03);
        store4(c, c0 + ldc, acc, c10, c11, c12, c13);
        store4(c, c0 + 2 * ldc, acc, c20, c21, c22, c23);
        store4(c, c0 + 3 * ldc, acc, c30, c31, c32, c33);
    }

    private static void store4(double[] c, int off, boolean acc,
                               DoubleVector v0, DoubleVector v1, DoubleVector v2, DoubleVector v3) {
        if (acc) {
            v0 = v0.add(DoubleVector.fromArray(SPECIES, c, off));
            v1 = v1.add(DoubleVector.fromArray(SPECIES, c, off + LANES));
            v2 = v2.add(DoubleVector.fromArray(SPECIES, c, off + 2 * LANES));
            v3 = v3.add(DoubleVector.fromArray(SPECIES, c, off + 3 * LANES));
        }
        v0.intoArray(c, off);
        v1.intoArray(c, off + LANES);
        v2.intoArray(c, off + 2 * LANES);
        v3.intoArray(c, off + 3 * LANES);
    }

    private static void tile1x4(int k, double[] a, int a0, int acs, double[] b, int b0, int ldb,
                                double[] c, int c0, boolean acc) {
        DoubleVector c0v = DoubleVector.zero(SPECIES), c1v = c0v, c2v = c0v, c3v = c0v;
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c0v = av.fma(DoubleVector.fromArray(SPECIES, b, bp), c0v);
            c1v = av.fma(DoubleVector.fromArray(SPECIES, b, bp + LANES), c1v);
            c2v = av.fma(DoubleVector.fromArray(SPECIES, b, bp + 2 * LANES), c2v);
            c3v = av.fma(DoubleVector.fromArray(SPECIES, b, bp + 3 * LANES), c3v);
        }
        store4(c, c0, acc, c0v, c1v, c2v, c3v);
    }

    private static void tile4x1(int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb,
                                double[] c, int c0, int ldc, boolean acc) {
        DoubleVector c0v = DoubleVector.zero(SPECIES), c1v = c0v, c2v = c0v, c3v = c0v;
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector bv = DoubleVector.fromArray(SPECIES, b, bp);
            c0v = DoubleVector.broadcast(SPECIES, a[ap]).fma(bv, c0v);
            c1v = DoubleVector.broadcast(SPECIES, a[ap + ars]).fma(bv, c1v);
            c2v = DoubleVector.broadcast(SPECIES, a[ap + 2 * ars]).fma(bv, c2v);
            c3v = DoubleVector.broadcast(SPECIES, a[ap + 3 * ars]).fma(bv, c3v);
        }
        store1(c, c0, acc, c0v);
        store1(c, c0 + ldc, acc, c1v);
        store1(c, c0 + 2 * ldc, acc, c2v);
        store1(c, c0 + 3 * ldc, acc, c3v);
    }

    private static void tile1x1(int k, double[] a, int a0, int acs, double[] b, int b0, int ldb,
                                double[] c, int c0, boolean acc) {
        DoubleVector cv = DoubleVector.zero(SPECIES);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            cv = DoubleVector.broadcast(SPECIES, a[ap]).fma(DoubleVector.fromArray(SPECIES, b, bp), cv);
        }
        store1(c, c0, acc, cv);
    }

    private static void store1(double[] c, int off, boolean acc, DoubleVector v) {
        if (acc) {
            v = v.add(DoubleVector.fromArray(SPECIES, c, off));
        }
        v.intoArray(c, off);
    }

    /** Columns {@code [j0, j1)}, fewer than one vector: plain dot products. */
    private static void scalarColumns(int m, int j0, int j1, int k, double[] a, int aOff, int ars, int acs,
                                      double[] b, int bOff, int ldb, double[] c, int cOff, int ldc, boolean acc) {
        for (int i = 0; i < m; i++) {
            for (int j = j0; j < j1; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s = Math.fma(a[aOff + i * ars + p * acs], b[bOff + p * ldb + j], s);
                }
                int ci = cOff + i * ldc + j;
                c[ci] = acc ? c[ci] + s : s;
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
            DoubleVector.fromArray(SPECIES, acc, accOff + i).max(DoubleVector.fromArray(SPECIES, x, off + i))
                    .intoArray(acc, accOff + i);
        }
        for (; i < n; i++) {
            acc[accOff + i] = Math.max(acc[accOff + i], x[off + i]);
        }
    }

    @Override
    public void expShiftAccumulate(double[] x, int off, int n, double[] shift, double[] sum) {
        int i = 0;
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += LANES) {
            DoubleVector e = exp(DoubleVector.fromArray(SPECIES, x, off + i).sub(DoubleVector.fromArray(SPECIES, shift, i)));
            e.intoArray(x, off + i);
            DoubleVector.fromArray(SPECIES, sum, i).add(e).intoArray(sum, i);
        }
        for (; i < n; i++) {
            double e = Exp.exp(x[off + i] - shift[i]);
            x[off + i] = e;
            sum[i] += e;
        }
    }

    @Override
    public double expShiftSum(double[] x, int off, int n, double shift) {
        int j = 0;
        double s = 0;
        if (n >= LANES) {
            DoubleVector sv = DoubleVector.zero(SPECIES);
            int bound = SPECIES.loopBound(n);
            for (; j < bound; j += LANES) {
                DoubleVector e = exp(DoubleVector.fromArray(SPECIES, x, off + j).sub(shift));
                e.intoArray(x, off + j);
                sv = sv.add(e);
            }
            for (int lane = 0; lane < LANES; lane++) {
                s += sv.lane(lane); // a fixed order, unlike reduceLanes(ADD)
            }
        }
        for (; j < n; j++) {
            double e = Exp.exp(x[off + j] - shift);
            x[off + j] = e;
            s += e;
        }
        return s;
    }

    /** The vector twin of {@link Exp#exp}: the same operations, lane by lane. */
    private static DoubleVector exp(DoubleVector x) {
        DoubleVector xc = x.max(Exp.MIN_X).min(Exp.MAX_X);
        DoubleVector t = xc.fma(Exp.LOG2E, Exp.SHIFTER);
        DoubleVector n = t.sub(Exp.SHIFTER);
        DoubleVector r = n.neg().fma(DoubleVector.broadcast(SPECIES, Exp.LN2_HI), xc);
        r = n.neg().fma(DoubleVector.broadcast(SPECIES, Exp.LN2_LO), r);
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
        LongVector k = ((LongVector) t.viewAsIntegralLanes()).sub(Exp.SHIFTER_BITS);
        LongVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        LongVector k2 = k.sub(k1);
        DoubleVector s1 = (DoubleVector) k1.add(1023).lanewise(VectorOperators.LSHL, 52).viewAsFloatingLanes();
        DoubleVector s2 = (DoubleVector) k2.add(1023).lanewise(VectorOperators.LSHL, 52).viewAsFloatingLanes();
        DoubleVector y = p.mul(s1).mul(s2);
        return y.blend(0.0, x.compare(VectorOperators.LT, Exp.UNDERFLOW));
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
