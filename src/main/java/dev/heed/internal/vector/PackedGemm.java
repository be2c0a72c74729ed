package dev.heed.internal.vector;

import java.util.Arrays;

/**
 * Packing and cache blocking for large matrix products, BLIS's five loops around a micro-tile.
 * Not API: {@link KernelSupport#gemm} uses it for one large product on the calling thread, and
 * {@code MatrixProducts} runs its steps on several threads for {@code Tensor.matmul}.
 *
 * <p>The loops: column blocks of {@link #nc} columns of B and C; within them, slices of
 * {@link #kc} of the inner dimension, whose {@code kc × nc} panel of B is packed into slivers of
 * {@link #nr} columns (each sliver {@code kc × nr}, contiguous, zero-padded to {@code nr}); row
 * blocks of {@link #mc} rows of A, packed into panels of {@link #mr} rows (each {@code mr × kc},
 * stored column by column, zero-padded); and the micro-tiles, which read both packed panels at
 * unit stride. Each slice loads and stores every tile of C once, so a slice is deep enough to bury
 * that traffic: {@link #sliceDepth 64 rank-one updates per lane of the vectors, at least 256} —
 * wider vectors run more multiply-adds per cycle against the same C, and at 512 bits on a core
 * with two full-width FMA pipes slices of 256 left a fifth of the peak to C's loads and stores.
 * One micro-panel of A ({@code mr·kc·8} bytes) fits in {@value #L1_BUDGET} bytes of L1; the row
 * block of A ({@code mc·kc·8}) in half of a 512 KiB L2, where the sliver of B being used
 * ({@code kc·nr·8}, up to 128 KiB) also fits. Java cannot ask for the cache sizes; these hold on
 * every x86 and ARM server core of the last decade. Shallower slices that keep the sliver in L1
 * measured slower (docs/design-notes.md has the measurements).
 *
 * <p>Results do not depend on any of this: the micro-tiles add each C element's products in the
 * order of {@code k}, one fused multiply-add at a time, starting from C; slices of {@code k}
 * run in order, and packing only moves numbers. So packed and unpacked products, any block
 * sizes and any split over threads give the same bits.
 */
public final class PackedGemm {
    /**
     * Bytes of L1 data cache one micro-panel of A ({@code mr × kc}) may fill: 32 KiB, the whole L1
     * of older cores and two thirds of today's 48 KiB. A is the broadcast side, a quarter of a
     * 512-bit tile's loads, so a panel that does not stay in L1 streams from L2 at little cost
     * (measured: depths of 512 and 1,024 equally fast for the 8 × 24 tile on a Zen 5).
     */
    static final int L1_BUDGET = 32 * 1024;
    /** Bytes of L2 cache one packed row block of A ({@code mc × kc}) may fill: half of 512 KiB. */
    static final int L2_BUDGET = 256 * 1024;
    /** Bytes of one packed {@code kc × nc} panel of B: a slice of a shared L3 or of memory. */
    static final int L3_BUDGET = 2 * 1024 * 1024;
    /** The shallowest slice, whatever the width: shallower ones measured slower at 256 bits and in the scalar kernels. */
    static final int MIN_SLICE = 256;
    /** Rank-one updates per slice for each lane of the vectors: 512 at 512 bits. */
    static final int SLICE_PER_LANE = 64;
    /**
     * Smallest {@code m·n·k} that is packed. Below it the unpacked tiles win: packing costs a
     * pass over A and B, which a product repays only when every packed element is reused many
     * times; the attention's 64 × 64 tiles (262,144) stay unpacked. Measured (one thread, square
     * products, docs/design-notes.md): at 256 bits and in the scalar kernels the two cross near
     * 256³; at 512 bits unpacked stays ahead up to 384³ (by 15–20 %) and packed is ahead from 768.
     */
    static final long MIN_PACKED_VOLUME = 256L * 256 * 256;

    /**
     * A micro-tile: {@code C[0, mr) × [0, nr) += A·B} over {@code k}, with element {@code (i, p)}
     * of A at {@code a[a0 + i·ars + p·acs]}, row {@code p} of B at {@code b[b0 + p·ldb]} and row
     * {@code i} of C at {@code c[c0 + i·ldc]}. This class always passes packed panels
     * ({@code ars = 1}, {@code acs = mr}, {@code ldb = nr}), so a tile may assume those strides.
     */
    @FunctionalInterface
    interface Tile {
        void run(int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc);
    }

    /** Implemented by the kernel supports that have a packed product. */
    interface Source {
        PackedGemm packed();
    }

    private final Tile tile;
    private final int mr;
    private final int nr;
    private final int kc;
    private final int mc;
    private final int nc;

    /** Blocking for a tile of {@code mr × nr} doubles on vectors of {@code lanes} doubles (1 for scalar). */
    PackedGemm(Tile tile, int mr, int nr, int lanes) {
        this(tile, mr, nr, sliceDepth(mr, lanes), 0, 0);
    }

    /** Explicit blocking (0 for the default {@code mc} or {@code nc}), for tests and measurements. */
    PackedGemm(Tile tile, int mr, int nr, int kc, int mc, int nc) {
        this.tile = tile;
        this.mr = mr;
        this.nr = nr;
        this.kc = kc;
        this.mc = mc > 0 ? mc : Math.max(mr, L2_BUDGET / (Double.BYTES * kc) / mr * mr);
        this.nc = nc > 0 ? nc : Math.max(nr, L3_BUDGET / (Double.BYTES * kc) / nr * nr);
    }

    /**
     * The same micro-tile with other block sizes: tests use tiny ones so that every loop and edge
     * runs on small matrices.
     *
     * @throws IllegalArgumentException if a size is not positive or {@code mc}, {@code nc} are not
     *     multiples of {@code mr}, {@code nr}
     */
    public PackedGemm withBlocking(int kc, int mc, int nc) {
        if (kc < 1 || mc < mr || nc < nr || mc % mr != 0 || nc % nr != 0) {
            throw new IllegalArgumentException("blocking kc=" + kc + ", mc=" + mc + ", nc=" + nc + " for a " + mr + "x"
                    + nr + " tile: need kc >= 1 and mc, nc positive multiples of " + mr + ", " + nr);
        }
        return new PackedGemm(tile, mr, nr, kc, mc, nc);
    }

    /**
     * The depth of a slice for tiles of {@code mr} rows on vectors of {@code lanes} doubles:
     * {@link #SLICE_PER_LANE} per lane, at least {@link #MIN_SLICE}, with a micro-panel of A
     * ({@code mr × kc}) in {@link #L1_BUDGET}; a multiple of 8. So C's loads and stores per cycle
     * stay the same at every width: a slice's tile of C is {@code 2·mr·nr} doubles moved for
     * {@code mr·nr·kc / lanes} vector multiply-adds.
     */
    static int sliceDepth(int mr, int lanes) {
        int wanted = Math.max(MIN_SLICE, SLICE_PER_LANE * lanes);
        return Math.min(wanted, L1_BUDGET / (Double.BYTES * mr) / 8 * 8);
    }

    /** The packed product of {@code kernels}, or null if it has none. */
    public static PackedGemm of(KernelSupport kernels) {
        return kernels instanceof Source s ? s.packed() : null;
    }

    /** Rows of a micro-tile. */
    public int mr() {
        return mr;
    }

    /** Columns of a micro-tile (doubles). */
    public int nr() {
        return nr;
    }

    /** Depth of one slice of the inner dimension. */
    public int kc() {
        return kc;
    }

    /** Rows of A per packed row block. */
    public int mc() {
        return mc;
    }

    /** Columns of B per packed panel. */
    public int nc() {
        return nc;
    }

    /** Whether an {@code m × k} by {@code k × n} product is large enough to pay for packing. */
    public boolean worthPacking(int m, int n, int k) {
        return (long) m * n * k >= MIN_PACKED_VOLUME && m >= 2 * mr && n >= 2 * nr && k >= 16;
    }

    /** {@code rows} rounded up to whole panels of {@link #mr} rows: the height of a packed block of A. */
    public int paddedRows(int rows) {
        return (rows + mr - 1) / mr * mr;
    }

    /** {@code cols} rounded up to whole slivers: the width of a packed panel of B. */
    public int paddedColumns(int cols) {
        return (cols + nr - 1) / nr * nr;
    }

    /**
     * Packs rows {@code [0, rows)} and columns {@code [0, depth)} of A (element {@code (i, p)} at
     * {@code a[aOff + i·ars + p·acs]}) into {@code dst} as panels of {@link #mr} rows, each stored
     * column by column ({@code mr} consecutive values per {@code p}), the last panel's missing rows
     * zero.
     *
     * @param dst modified; at least {@code ceil(rows / mr)·mr·depth} long
     */
    public void packA(int rows, int depth, double[] a, int aOff, int ars, int acs, double[] dst) {
        packA(rows, depth, a, aOff, ars, acs, dst, 0);
    }

    /** {@link #packA(int, int, double[], int, int, int, double[])} into {@code dst} from {@code dstOff}. */
    public void packA(int rows, int depth, double[] a, int aOff, int ars, int acs, double[] dst, int dstOff) {
        packPanels(mr, rows, depth, a, aOff, ars, acs, dst, dstOff);
    }

    /**
     * {@link #packB} of a B given by its transpose, element {@code (p, j)} of B at
     * {@code bt[btOff + j·ldbt + p]}: the same slivers, read row by row of {@code Bᵀ}. The
     * attention's score product packs {@code Qᵀ} so, straight from Q, without transposing it first.
     *
     * @param dst modified; at least {@code ceil(cols / nr)·nr·depth} long
     */
    public void packBTransposed(int depth, int cols, double[] bt, int btOff, int ldbt, double[] dst, int dstOff) {
        // A sliver of B is a panel of Bᵀ's rows, nr high: packA's layout with nr for mr.
        packPanels(nr, cols, depth, bt, btOff, ldbt, 1, dst, dstOff);
    }

    /** Panels of {@code height} rows of A, each stored column by column; see {@link #packA}. */
    private static void packPanels(
            int height, int rows, int depth, double[] a, int aOff, int ars, int acs, double[] dst, int dstOff) {
        int o = dstOff;
        for (int i0 = 0; i0 < rows; i0 += height) {
            int h = Math.min(height, rows - i0);
            int row0 = aOff + i0 * ars;
            if (h == height && acs == 1) {
                // rows of A at unit stride (a plain row-major A): read each row once, write with stride height
                for (int r = 0; r < height; r++) {
                    for (int p = 0, src = row0 + r * ars, d = o + r; p < depth; p++, d += height) {
                        dst[d] = a[src + p];
                    }
                }
            } else {
                for (int p = 0, col = row0, d = o; p < depth; p++, col += acs, d += height) {
                    int r = 0;
                    for (int src = col; r < h; r++, src += ars) {
                        dst[d + r] = a[src];
                    }
                    for (; r < height; r++) {
                        dst[d + r] = 0;
                    }
                }
            }
            o += height * depth;
        }
    }

    /**
     * Packs rows {@code [0, depth)} and columns {@code [0, cols)} of B (row {@code p} at
     * {@code b[bOff + p·ldb]}, unit column stride) into {@code dst} at {@code dstOff} as slivers
     * of {@link #nr} columns, sliver {@code s} at {@code dstOff + s·depth·nr}, each row by row,
     * the last sliver's missing columns zero.
     *
     * @param dst modified
     */
    public void packB(int depth, int cols, double[] b, int bOff, int ldb, double[] dst, int dstOff) {
        for (int j0 = 0, o = dstOff; j0 < cols; j0 += nr, o += depth * nr) {
            packSliver(depth, Math.min(nr, cols - j0), b, bOff + j0, ldb, dst, o);
        }
    }

    /** One sliver of {@link #packB}: {@code w ≤ nr} columns, zero-padded to {@code nr}. */
    public void packSliver(int depth, int w, double[] b, int bOff, int ldb, double[] dst, int dstOff) {
        for (int p = 0, src = bOff, d = dstOff; p < depth; p++, src += ldb, d += nr) {
            System.arraycopy(b, src, dst, d, w);
            if (w < nr) {
                Arrays.fill(dst, d + w, d + nr, 0.0);
            }
        }
    }

    /**
     * {@code C += A·B} for a {@code rows × cols} block of C from a packed row block of A
     * ({@link #packA}, {@code rows ≤ mc}) and packed slivers of B ({@link #packB} at
     * {@code bOff}), both of depth {@code depth}. Sliver by sliver, each passing every panel of A
     * while it stays in cache; partial tiles at the edges go through a small zero-padded copy of C.
     *
     * @param c modified
     */
    public void multiplyPacked(
            int rows, int cols, int depth, double[] pa, double[] pb, int bOff, double[] c, int cOff, int ldc) {
        multiplyPacked(rows, cols, depth, pa, 0, pb, bOff, c, cOff, ldc, null);
    }

    /**
     * {@link #multiplyPacked(int, int, int, double[], double[], int, double[], int, int)} with the
     * panels of A from {@code aOff} and, for the partial tiles, {@code edge} as the zero-padded
     * copy of C (at least {@code mr·nr} long; null to allocate one if needed) — callers that must
     * not allocate pass their own.
     *
     * @param c    modified
     * @param edge modified, scratch
     */
    public void multiplyPacked(
            int rows,
            int cols,
            int depth,
            double[] pa,
            int aOff,
            double[] pb,
            int bOff,
            double[] c,
            int cOff,
            int ldc,
            double[] edge) {
        for (int j0 = 0, bs = bOff; j0 < cols; j0 += nr, bs += depth * nr) {
            int w = Math.min(nr, cols - j0);
            for (int i0 = 0, as = aOff; i0 < rows; i0 += mr, as += mr * depth) {
                int h = Math.min(mr, rows - i0);
                int c0 = cOff + i0 * ldc + j0;
                if (h == mr && w == nr) {
                    tile.run(depth, pa, as, 1, mr, pb, bs, nr, c, c0, ldc);
                } else {
                    if (edge == null) {
                        edge = new double[mr * nr];
                    }
                    Arrays.fill(edge, 0, mr * nr, 0.0);
                    for (int r = 0; r < h; r++) {
                        System.arraycopy(c, c0 + r * ldc, edge, r * nr, w);
                    }
                    tile.run(depth, pa, as, 1, mr, pb, bs, nr, edge, 0, nr);
                    for (int r = 0; r < h; r++) {
                        System.arraycopy(edge, r * nr, c, c0 + r * ldc, w);
                    }
                }
            }
        }
    }

    /**
     * {@code C += A·B} on the calling thread through all five loops: {@code m × k} A through any
     * strides, {@code k × n} B and {@code m × n} C by rows at unit column stride.
     *
     * @param c modified
     */
    public void multiply(
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
        int panelCols = paddedColumns(Math.min(nc, n));
        double[] pb = new double[Math.min(kc, k) * panelCols];
        double[] pa = new double[(Math.min(mc, m) + mr - 1) / mr * mr * Math.min(kc, k)];
        for (int j0 = 0; j0 < n; j0 += nc) {
            int cols = Math.min(nc, n - j0);
            for (int p0 = 0; p0 < k; p0 += kc) {
                int depth = Math.min(kc, k - p0);
                packB(depth, cols, b, bOff + p0 * ldb + j0, ldb, pb, 0);
                for (int i0 = 0; i0 < m; i0 += mc) {
                    int rows = Math.min(mc, m - i0);
                    packA(rows, depth, a, aOff + i0 * ars + p0 * acs, ars, acs, pa);
                    multiplyPacked(rows, cols, depth, pa, pb, 0, c, cOff + i0 * ldc + j0, ldc);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "PackedGemm[" + mr + "x" + nr + ", kc=" + kc + ", mc=" + mc + ", nc=" + nc + "]";
    }
}
