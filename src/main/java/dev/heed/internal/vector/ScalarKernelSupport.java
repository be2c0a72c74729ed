package dev.heed.internal.vector;

import java.util.Arrays;

/**
 * Plain-Java {@link KernelSupport}: always available. Not API.
 *
 * <p>C2 on JDK 17 does not auto-vectorise a loop that reads one array and writes another at
 * offsets it cannot tell apart (they might be the same array), which is every loop of a matrix
 * product; so the product is register-blocked instead: a 4×4 tile of C lives in sixteen local
 * doubles while {@code k} scalar fused multiply-adds per element stream past, eight loads feeding
 * sixteen FMAs. Large products are packed and cache-blocked around the same tile
 * ({@link PackedGemm}). {@code Math.fma} rounds once, like the Vector API's {@code fma}, and every
 * element of C is the same chain of FMAs from C's value as in the vector kernels, so the two give
 * the same bits.
 */
public final class ScalarKernelSupport implements KernelSupport, PackedGemm.Source {
    /** Rows and columns of the micro-tile. */
    static final int TILE = 4;

    private final PackedGemm packed = new PackedGemm(ScalarKernelSupport::tile4x4, TILE, TILE, 1);

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
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
            }
        }
        if (packed.worthPacking(m, n, k)) {
            packed.multiply(m, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc);
            return;
        }
        int i = 0;
        int whole = n - n % TILE;
        for (; i + TILE <= m; i += TILE) {
            for (int j = 0; j < whole; j += TILE) {
                tile4x4(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
            }
        }
        // The last columns of every row, then the last rows' whole columns.
        columns(m, whole, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc);
        columns(m - i, 0, whole, k, a, aOff + i * ars, ars, acs, b, bOff, ldb, c, cOff + i * ldc, ldc);
    }

    /**
     * Columns {@code [j0, j1)} of rows {@code [0, m)} of {@code C += A·B}, one FMA chain per element
     * from its value in C, in order of {@code p}: the tiles' chain. Eight rows' chains run side by
     * side, and for the last rows eight columns' chains: one chain alone waits the FMA's latency at
     * every step, which made a one-column product (a decoding step's scores {@code K·q}, a one-token
     * projection) several times slower than its FMAs; each element still gets the bits of its own
     * chain. Also the vector tiles' columns after the last whole vector.
     */
    static void columns(
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
        int whole = m - m % 8;
        for (int j = j0; j < j1; j++) {
            for (int i = 0; i < whole; i += 8) {
                column8(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
            }
        }
        // The last rows, fewer than eight: eight columns at a time, then one chain per element.
        for (int i = whole; i < m; i++) {
            int j = j0;
            for (; j + 8 <= j1; j += 8) {
                row8(k, a, aOff + i * ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j);
            }
            for (; j < j1; j++) {
                dot(k, a, aOff + i * ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j);
            }
        }
    }

    /** {@code c[c0 + t·ldc] += Σ_p a[a0 + t·ars + p·acs] · b[b0 + p·ldb]} for {@code t < 8}, one chain each. */
    private static void column8(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        double s0 = c[c0];
        double s1 = c[c0 + ldc];
        double s2 = c[c0 + 2 * ldc];
        double s3 = c[c0 + 3 * ldc];
        double s4 = c[c0 + 4 * ldc];
        double s5 = c[c0 + 5 * ldc];
        double s6 = c[c0 + 6 * ldc];
        double s7 = c[c0 + 7 * ldc];
        for (int p = 0, ap = a0, bp = b0; p < k; p++, ap += acs, bp += ldb) {
            double bv = b[bp];
            s0 = Math.fma(a[ap], bv, s0);
            s1 = Math.fma(a[ap + ars], bv, s1);
            s2 = Math.fma(a[ap + 2 * ars], bv, s2);
            s3 = Math.fma(a[ap + 3 * ars], bv, s3);
            s4 = Math.fma(a[ap + 4 * ars], bv, s4);
            s5 = Math.fma(a[ap + 5 * ars], bv, s5);
            s6 = Math.fma(a[ap + 6 * ars], bv, s6);
            s7 = Math.fma(a[ap + 7 * ars], bv, s7);
        }
        c[c0] = s0;
        c[c0 + ldc] = s1;
        c[c0 + 2 * ldc] = s2;
        c[c0 + 3 * ldc] = s3;
        c[c0 + 4 * ldc] = s4;
        c[c0 + 5 * ldc] = s5;
        c[c0 + 6 * ldc] = s6;
        c[c0 + 7 * ldc] = s7;
    }

    /** {@code c[c0 + t] += Σ_p a[a0 + p·acs] · b[b0 + p·ldb + t]} for {@code t < 8}, one chain each. */
    private static void row8(int k, double[] a, int a0, int acs, double[] b, int b0, int ldb, double[] c, int c0) {
        double s0 = c[c0];
        double s1 = c[c0 + 1];
        double s2 = c[c0 + 2];
        double s3 = c[c0 + 3];
        double s4 = c[c0 + 4];
        double s5 = c[c0 + 5];
        double s6 = c[c0 + 6];
        double s7 = c[c0 + 7];
        for (int p = 0, ap = a0, bp = b0; p < k; p++, ap += acs, bp += ldb) {
            double av = a[ap];
            s0 = Math.fma(av, b[bp], s0);
            s1 = Math.fma(av, b[bp + 1], s1);
            s2 = Math.fma(av, b[bp + 2], s2);
            s3 = Math.fma(av, b[bp + 3], s3);
            s4 = Math.fma(av, b[bp + 4], s4);
            s5 = Math.fma(av, b[bp + 5], s5);
            s6 = Math.fma(av, b[bp + 6], s6);
            s7 = Math.fma(av, b[bp + 7], s7);
        }
        c[c0] = s0;
        c[c0 + 1] = s1;
        c[c0 + 2] = s2;
        c[c0 + 3] = s3;
        c[c0 + 4] = s4;
        c[c0 + 5] = s5;
        c[c0 + 6] = s6;
        c[c0 + 7] = s7;
    }

    /** {@code C[4×4] += A·B}, each element one FMA chain from its value in C. */
    static void tile4x4(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        int o1 = c0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        double c00 = c[c0], c01 = c[c0 + 1], c02 = c[c0 + 2], c03 = c[c0 + 3];
        double c10 = c[o1], c11 = c[o1 + 1], c12 = c[o1 + 2], c13 = c[o1 + 3];
        double c20 = c[o2], c21 = c[o2 + 1], c22 = c[o2 + 2], c23 = c[o2 + 3];
        double c30 = c[o3], c31 = c[o3 + 1], c32 = c[o3 + 2], c33 = c[o3 + 3];
        for (int p = 0, ap = a0, bp = b0; p < k; p++, ap += acs, bp += ldb) {
            double b0v = b[bp];
            double b1v = b[bp + 1];
            double b2v = b[bp + 2];
            double b3v = b[bp + 3];
            double a0v = a[ap];
            double a1v = a[ap + ars];
            double a2v = a[ap + 2 * ars];
            double a3v = a[ap + 3 * ars];
            c00 = Math.fma(a0v, b0v, c00);
            c01 = Math.fma(a0v, b1v, c01);
            c02 = Math.fma(a0v, b2v, c02);
            c03 = Math.fma(a0v, b3v, c03);
            c10 = Math.fma(a1v, b0v, c10);
            c11 = Math.fma(a1v, b1v, c11);
            c12 = Math.fma(a1v, b2v, c12);
            c13 = Math.fma(a1v, b3v, c13);
            c20 = Math.fma(a2v, b0v, c20);
            c21 = Math.fma(a2v, b1v, c21);
            c22 = Math.fma(a2v, b2v, c22);
            c23 = Math.fma(a2v, b3v, c23);
            c30 = Math.fma(a3v, b0v, c30);
            c31 = Math.fma(a3v, b1v, c31);
            c32 = Math.fma(a3v, b2v, c32);
            c33 = Math.fma(a3v, b3v, c33);
        }
        c[c0] = c00;
        c[c0 + 1] = c01;
        c[c0 + 2] = c02;
        c[c0 + 3] = c03;
        c[o1] = c10;
        c[o1 + 1] = c11;
        c[o1 + 2] = c12;
        c[o1 + 3] = c13;
        c[o2] = c20;
        c[o2 + 1] = c21;
        c[o2 + 2] = c22;
        c[o2 + 3] = c23;
        c[o3] = c30;
        c[o3 + 1] = c31;
        c[o3 + 2] = c32;
        c[o3 + 3] = c33;
    }

    /** {@code c[ci] += Σ_p a[a0 + p·acs] · b[b0 + p·ldb]}, in order of {@code p}, one FMA at a time. */
    private static void dot(int k, double[] a, int a0, int acs, double[] b, int b0, int ldb, double[] c, int ci) {
        double s = c[ci];
        for (int p = 0, ap = a0, bp = b0; p < k; p++, ap += acs, bp += ldb) {
            s = Math.fma(a[ap], b[bp], s);
        }
        c[ci] = s;
    }

    @Override
    public double max(double[] x, int off, int n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            m = Math.max(m, x[off + j]);
        }
        return m;
    }

    @Override
    public void maxOverRows(double[] x, int off, int rows, int cols, double[] acc) {
        for (int r = 0, o = off; r < rows; r++, o += cols) {
            for (int c = 0; c < cols; c++) {
                acc[c] = Math.max(acc[c], x[o + c]);
            }
        }
    }

    @Override
    public void expShiftAccumulate(
            double[] x, int off, int rows, int cols, double scale, double[] shift, double[] sum) {
        for (int r = 0, o = off; r < rows; r++, o += cols) {
            for (int i = 0; i < cols; i++) {
                double e = Math.exp(scale * x[o + i] - shift[i]);
                x[o + i] = e;
                sum[i] += e;
            }
        }
    }

    @Override
    public double expShiftSum(double[] x, int off, int n, double shift) {
        double s = 0;
        for (int j = 0; j < n; j++) {
            double e = Math.exp(x[off + j] - shift);
            x[off + j] = e;
            s += e;
        }
        return s;
    }

    @Override
    public void scale(double[] x, int off, int n, double alpha) {
        for (int j = 0; j < n; j++) {
            x[off + j] *= alpha;
        }
    }

    @Override
    public void subtractMultiply(double[] x, int off, int n, double shift, double[] p, int pOff) {
        for (int i = 0; i < n; i++) {
            x[off + i] = p[pOff + i] * (x[off + i] - shift);
        }
    }

    @Override
    public void subtractMultiply(double[] x, int off, int n, double[] shift, double[] p, int pOff) {
        for (int i = 0; i < n; i++) {
            x[off + i] = p[pOff + i] * (x[off + i] - shift[i]);
        }
    }

    @Override
    public void expSubtractMultiply(
            double[] x, int off, int n, double scale, double shift, double[] g, int gOff, double delta) {
        for (int i = 0; i < n; i++) {
            double w = Math.exp(x[off + i] * scale - shift);
            x[off + i] = w;
            g[gOff + i] = w * (g[gOff + i] - delta);
        }
    }

    @Override
    public void addInto(double[] x, int off, int n, double[] acc, int accOff) {
        for (int i = 0; i < n; i++) {
            acc[accOff + i] += x[off + i];
        }
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public int vectorBits() {
        return Double.SIZE;
    }
}
