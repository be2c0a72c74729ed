package dev.heed.internal.linalg;

import dev.heed.internal.Parallel;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;

/**
 * Batched matrix products on flat arrays: the driver behind {@code Tensor.matmul}. Not API: the
 * caller checks shapes and broadcasts the operands; this class lays the batch out for
 * {@link KernelSupport#gemm} and splits it into parallel tasks.
 *
 * <p>The kernel reads A through any strides but needs B's rows at unit stride, so a B with
 * another column stride is packed once per distinct matrix (a broadcast B once for all batch
 * elements). When every batch element uses the same B and A's rows continue evenly from one
 * batch element to the next (a contiguous {@code [B, L, E]} times a weight), the batch is
 * multiplied as one tall matrix, so the row blocks span batch elements.
 */
public final class MatrixProducts {
    private MatrixProducts() {}

    /** Rows of C per parallel task: 64 rows reuse each panel of B 64 times. */
    static final int ROW_BLOCK = 64;

    /**
     * Products with at most this many rows of C in all never pack a strided B: packing reads all
     * {@code k·m} elements of B with a stride, which for one row (a token's projection while decoding,
     * {@code x·Wᵀ}) costs 20 times the product itself; see docs/design-notes.md.
     */
    static final int UNPACKED_ROWS = 4;

    /**
     * {@code C[t] = A[t] · B[t]} for every batch element {@code t} of {@code batch}, on the
     * {@link VectorizationProvider#support() kernels this JVM runs}.
     *
     * @see #multiply(KernelSupport, int[], int, int, int, double[], int, int[], double[], int, int[], double[])
     */
    public static void multiply(
            int[] batch,
            int n,
            int k,
            int m,
            double[] a,
            int aOffset,
            int[] aStrides,
            double[] b,
            int bOffset,
            int[] bStrides,
            double[] c) {
        multiply(VectorizationProvider.support(), batch, n, k, m, a, aOffset, aStrides, b, bOffset, bStrides, c);
    }

    /**
     * {@code C[t] = A[t] · B[t]} for every batch element {@code t}, numbered row-major over
     * {@code batch}.
     *
     * @param kernels  the inner loops
     * @param batch    the batch shape, already broadcast
     * @param n        rows of each A and C
     * @param k        columns of A, rows of B
     * @param m        columns of each B and C
     * @param a        A as {@code [batch..., n, k]} at {@code aOffset} with {@code aStrides} (any,
     *                 0 for a broadcast axis); not modified
     * @param aOffset  where A's element {@code (0, …, 0)} lives
     * @param aStrides {@code batch.length + 2} strides of A
     * @param b        B as {@code [batch..., k, m]}, likewise; not modified
     * @param bOffset  where B's element {@code (0, …, 0)} lives
     * @param bStrides {@code batch.length + 2} strides of B
     * @param c        modified: the row-major {@code [batch..., n, m]} product, overwritten; must
     *                 not overlap A or B
     */
    public static void multiply(
            KernelSupport kernels,
            int[] batch,
            int n,
            int k,
            int m,
            double[] a,
            int aOffset,
            int[] aStrides,
            double[] b,
            int bOffset,
            int[] bStrides,
            double[] c) {
        int r = batch.length;
        int batches = 1;
        for (int x : batch) {
            batches *= x;
        }
        if (batches == 0 || n == 0 || m == 0) {
            return;
        }
        int[] aOff = BatchedMatrices.offsets(batch, aStrides, aOffset, r);
        int[] bOff = BatchedMatrices.offsets(batch, bStrides, bOffset, r);
        int ars = aStrides[r];
        int acs = aStrides[r + 1];
        double[] bData = b;
        int ldb = bStrides[r];
        if (bStrides[r + 1] != 1 && m > 1 && (long) batches * n <= UNPACKED_ROWS) {
            unpacked(kernels, batches, n, k, m, a, aOff, aStrides[r], aStrides[r + 1], b, bOff, bStrides, r, c);
            return;
        }
        if (bStrides[r + 1] != 1 && m > 1) {
            BatchedMatrices.Distinct distinct = BatchedMatrices.distinct(bOff);
            bData = new double[distinct.count() * k * m];
            for (int s = 0; s < distinct.count(); s++) {
                pack(b, distinct.offset(s), bStrides[r], bStrides[r + 1], k, m, bData, s * k * m);
            }
            for (int t = 0; t < batches; t++) {
                bOff[t] = distinct.slot(t) * k * m;
            }
            ldb = m;
        }
        boolean tall = true;
        for (int t = 1; t < batches && tall; t++) {
            tall = bOff[t] == bOff[0] && aOff[t] == aOff[0] + t * n * ars;
        }
        int rows = tall ? batches * n : n;
        int groups = tall ? 1 : batches;
        int blocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
        double[] bd = bData;
        int ld = ldb;
        Parallel.forEach(groups * blocks, 2.0 * batches * n * m * (double) k, task -> {
            int g = task / blocks;
            int i0 = (task % blocks) * ROW_BLOCK;
            int i1 = Math.min(rows, i0 + ROW_BLOCK);
            kernels.gemm(
                    i1 - i0, m, k, a, aOff[g] + i0 * ars, ars, acs, bd, bOff[g], ld, c, (g * rows + i0) * m, m, false);
        });
    }

    /**
     * A few rows of C, each as {@code (row i of C)ᵀ = Bᵀ · (row i of A)ᵀ}: the kernel reads its "A", here
     * Bᵀ, through any strides, and its "B", here one row of A, is a single column, whose column stride
     * does not matter. The gemm kernels add each element's products in the same order as on a packed
     * B, so the result is bitwise the same.
     */
    private static void unpacked(
            KernelSupport kernels,
            int batches,
            int n,
            int k,
            int m,
            double[] a,
            int[] aOff,
            int ars,
            int acs,
            double[] b,
            int[] bOff,
            int[] bStrides,
            int r,
            double[] c) {
        for (int t = 0; t < batches; t++) {
            for (int i = 0; i < n; i++) {
                kernels.gemm(
                        m,
                        1,
                        k,
                        b,
                        bOff[t],
                        bStrides[r + 1],
                        bStrides[r],
                        a,
                        aOff[t] + i * ars,
                        acs,
                        c,
                        (t * n + i) * m,
                        1,
                        false);
            }
        }
    }

    /** {@code dst[dstOff + i·cols + j] = src[off + i·rowStride + j·colStride]}: a strided matrix made dense. */
    private static void pack(
            double[] src, int off, int rowStride, int colStride, int rows, int cols, double[] dst, int dstOff) {
        for (int i = 0, o = dstOff; i < rows; i++) {
            for (int j = 0, p = off + i * rowStride; j < cols; j++, p += colStride) {
                dst[o++] = src[p];
            }
        }
    }
}
