package dev.heed.internal;

/**
 * Dense row-major matrix multiply on raw arrays: {@code C = A·B} (or {@code C += A·B}).
 *
 * <p>Not API. Callers check shapes; this class assumes them valid. Every operand has a unit
 * stride along its rows' inner axis and a leading dimension ({@code ld}) between rows, which
 * is the layout a {@code Tensor} packs into before calling here.
 */
public final class Gemm {
    private Gemm() {}

    /** Rows of B processed per pass, so a block of B stays in L2 while rows of A stream. */
    static final int K_BLOCK = 256;

    /**
     * {@code C[m×n] = A[m×k] · B[k×n]}, all row-major with unit inner stride. C is overwritten.
     *
     * @param a A, not modified
     * @param b B, not modified
     * @param c C, modified
     */
    public static void multiply(int m, int n, int k,
                                double[] a, int aOff, int lda,
                                double[] b, int bOff, int ldb,
                                double[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
        }
        for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
            int p1 = Math.min(k, p0 + K_BLOCK);
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc;
                int ai = aOff + i * lda;
                for (int p = p0; p < p1; p++) {
                    axpy(n, a[ai + p], b, bOff + p * ldb, c, ci);
                }
            }
        }
    }

    /** {@code y[yOff..yOff+n) += alpha · x[xOff..xOff+n)}; x and y are distinct arrays in practice. */
    public static void axpy(int n, double alpha, double[] x, int xOff, double[] y, int yOff) {
        for (int j = 0; j < n; j++) {
            y[yOff + j] += alpha * x[xOff + j];
        }
    }

    /** Dot product of {@code n} elements at unit stride. */
    public static double dot(int n, double[] x, int xOff, double[] y, int yOff) {
        // Four partial sums: the loop-carried add latency would otherwise bound throughput.
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 3 < n; j += 4) {
            s0 += x[xOff + j] * y[yOff + j];
            s1 += x[xOff + j + 1] * y[yOff + j + 1];
            s2 += x[xOff + j + 2] * y[yOff + j + 2];
            s3 += x[xOff + j + 3] * y[yOff + j + 3];
        }
        for (; j < n; j++) {
            s0 += x[xOff + j] * y[yOff + j];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
