package dev.heed.internal.vector;

import java.util.Arrays;

/**
 * Plain-Java {@link KernelSupport}: always available. Not API.
 *
 * <p>Loops are written so that C2 can auto-vectorise them: each inner loop runs over the columns
 * of one row of C reading one row of B — two distinct arrays at unit stride (C2 will not vectorise
 * a loop that reads one array at two offsets it cannot tell apart).
 */
public final class ScalarKernelSupport implements KernelSupport {
    /** Rows of B per pass, so a block of B stays in L2 while the rows of A stream past it. */
    static final int K_BLOCK = 256;

    @Override
    public void gemm(int m, int n, int k, double[] a, int aOff, int ars, int acs, double[] b, int bOff, int ldb,
                     double[] c, int cOff, int ldc, boolean accumulate) {
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
            }
        }
        for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
            int p1 = Math.min(k, p0 + K_BLOCK);
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc;
                int ai = aOff + i * ars;
                for (int p = p0; p < p1; p++) {
                    axpy(n, a[ai + p * acs], b, bOff + p * ldb, c, ci);
                }
            }
        }
    }

    private static void axpy(int n, double alpha, double[] x, int xOff, double[] y, int yOff) {
        for (int j = 0; j < n; j++) {
            y[yOff + j] += alpha * x[xOff + j];
        }
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
    public String name() {
        return "scalar";
    }
}
