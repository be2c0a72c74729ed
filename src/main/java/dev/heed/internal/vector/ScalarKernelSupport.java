package dev.heed.internal.vector;

import java.util.Arrays;

/**
 * Plain-Java {@link KernelSupport}: always available. Not API.
 *
 * <p>C2 on JDK 17 does not auto-vectorise a loop that reads one array and writes another at
 * offsets it cannot tell apart (they might be the same array), which is every loop of a matrix
 * product; so the product is register-blocked instead: a 4×4 tile of C lives in sixteen local
 * doubles while {@code k} scalar fused multiply-adds per element stream past, eight loads feeding
 * sixteen FMAs. {@code Math.fma} rounds once, like the Vector API's {@code fma}.
 */
public final class ScalarKernelSupport implements KernelSupport {

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
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int j = 0;
            for (; j + 4 <= n; j += 4) {
                tile4x4(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
            }
            for (; j < n; j++) {
                for (int r = 0; r < 4; r++) {
                    c[cOff + (i + r) * ldc + j] += dot(k, a, aOff + (i + r) * ars, acs, b, bOff + j, ldb);
                }
            }
        }
        for (; i < m; i++) {
            for (int j = 0; j < n; j++) {
                c[cOff + i * ldc + j] += dot(k, a, aOff + i * ars, acs, b, bOff + j, ldb);
            }
        }
    }

    private static void tile4x4(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        double c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        double c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
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
        int o = c0;
        c[o] += c00;
        c[o + 1] += c01;
        c[o + 2] += c02;
        c[o + 3] += c03;
        o += ldc;
        c[o] += c10;
        c[o + 1] += c11;
        c[o + 2] += c12;
        c[o + 3] += c13;
        o += ldc;
        c[o] += c20;
        c[o + 1] += c21;
        c[o + 2] += c22;
        c[o + 3] += c23;
        o += ldc;
        c[o] += c30;
        c[o + 1] += c31;
        c[o + 2] += c32;
        c[o + 3] += c33;
    }

    /** {@code Σ_p a[a0 + p·acs] · b[b0 + p·ldb]}, in order, with fused multiply-adds. */
    private static double dot(int k, double[] a, int a0, int acs, double[] b, int b0, int ldb) {
        double s = 0;
        for (int p = 0, ap = a0, bp = b0; p < k; p++, ap += acs, bp += ldb) {
            s = Math.fma(a[ap], b[bp], s);
        }
        return s;
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
    public void maxInto(double[] x, int off, int n, double[] acc, int accOff) {
        for (int i = 0; i < n; i++) {
            acc[accOff + i] = Math.max(acc[accOff + i], x[off + i]);
        }
    }

    @Override
    public void expShiftAccumulate(double[] x, int off, int n, double[] shift, double[] sum) {
        for (int i = 0; i < n; i++) {
            double e = Math.exp(x[off + i] - shift[i]);
            x[off + i] = e;
            sum[i] += e;
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
    public String name() {
        return "scalar";
    }

    @Override
    public int vectorBits() {
        return Double.SIZE;
    }
}
