package dev.heed.internal.linalg;

import dev.heed.internal.Parallel;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.PackedGemm;
import dev.heed.internal.vector.VectorizationProvider;
import java.util.Arrays;

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

    /** Most doubles of B packed at once by {@link #multiplyPacked}: 16 MB. */
    static final int PACKED_B_LIMIT = 1 << 21;

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
        PackedGemm packed = PackedGemm.of(kernels);
        if (packed != null && packed.worthPacking(rows, m, k)) {
            for (int g = 0; g < groups; g++) {
                multiplyPacked(
                        packed,
                        Parallel.defaultParallelism(),
                        rows,
                        m,
                        k,
                        a,
                        aOff[g],
                        ars,
                        acs,
                        bData,
                        bOff[g],
                        ldb,
                        c,
                        g * rows * m);
            }
            return;
        }
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

    /**
     * {@code C = A·B} for one large product, packed and cache-blocked ({@link PackedGemm}), on
     * several threads. For each block of {@code nc} columns: B's slices of depth {@code kc} are
     * packed in parallel, sliver by sliver; then each task takes a block of rows, packs its rows
     * of A one slice at a time and multiplies them with every packed sliver. Tasks write disjoint
     * rows of C and each C element sums its products in the order of {@code k}, so the result is
     * bitwise the same for any number of threads.
     *
     * @param threads the most threads to use; also sets the row blocks (at least four per thread)
     * @param c       modified: the row-major {@code rows × cols} product at {@code cOff}, overwritten
     */
    static void multiplyPacked(
            PackedGemm packed,
            int threads,
            int rows,
            int cols,
            int k,
            double[] a,
            int aOff,
            int ars,
            int acs,
            double[] b,
            int bOff,
            int ldb,
            double[] c,
            int cOff) {
        int kc = packed.kc();
        int nr = packed.nr();
        int mr = packed.mr();
        int slices = (k + kc - 1) / kc;
        // All slices of one column block are packed at once (k × nc doubles), so the row tasks
        // need no barrier between slices; nc is bounded so that this copy stays below 16 MB.
        int nc = Math.min(cols, Math.max(nr, PACKED_B_LIMIT / k / nr * nr));
        // Row blocks: at most mc rows (A's block in L2), and at least four tasks per thread.
        int rowBlock = Math.max(mr, Math.min(packed.mc(), (rows + 4 * threads - 1) / (4 * threads) / mr * mr));
        int rowBlocks = (rows + rowBlock - 1) / rowBlock;
        double flops = 2.0 * rows * cols * (double) k;
        double[] pb = new double[k * packed.paddedColumns(nc)];
        for (int j0 = 0; j0 < cols; j0 += nc) {
            int width = Math.min(nc, cols - j0);
            int panel = packed.paddedColumns(width);
            int slivers = panel / nr;
            int col0 = j0;
            Parallel.forEach(slices * slivers, flops, threads, t -> {
                int p0 = (t / slivers) * kc;
                int s = t % slivers;
                int depth = Math.min(kc, k - p0);
                packed.packSliver(
                        depth,
                        Math.min(nr, width - s * nr),
                        b,
                        bOff + p0 * ldb + col0 + s * nr,
                        ldb,
                        pb,
                        p0 * panel + s * depth * nr);
            });
            Parallel.forEach(rowBlocks, flops, threads, t -> {
                int i0 = t * rowBlock;
                int h = Math.min(rowBlock, rows - i0);
                int c0 = cOff + i0 * cols + col0;
                for (int i = 0; i < h; i++) {
                    Arrays.fill(c, c0 + i * cols, c0 + i * cols + width, 0.0);
                }
                double[] pa = new double[(h + mr - 1) / mr * mr * Math.min(kc, k)];
                for (int p0 = 0; p0 < k; p0 += kc) {
                    int depth = Math.min(kc, k - p0);
                    packed.packA(h, depth, a, aOff + i0 * ars + p0 * acs, ars, acs, pa);
                    packed.multiplyPacked(h, width, depth, pa, pb, p0 * panel, c, c0, cols);
                }
            });
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
