package dev.heed.internal.vector;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector GEMM micro-tiles, one specialised method per {@link GemmShape}, and the unpacked loops
 * over them. Not API; used by {@link PanamaKernelSupport}.
 *
 * <p>Each tile keeps its {@code rows × vectors} block of C in local vectors for the whole pass over
 * {@code k}: the shape is spelled out in code, not looped over, so C2 keeps every accumulator in a
 * register. A tile starts from C and adds {@code a(i, p)·b(p, j)} for {@code p = 0, 1, …} with one
 * fused multiply-add each; so every element of C is the same chain of FMAs whatever the shape, the
 * vector width, the blocking of {@code k} (a store and a reload are exact) or the thread that runs
 * it, and equals the scalar kernels' result bit for bit. A is read through any strides (its
 * elements are only broadcast), B and C by rows at unit stride. The edge tiles for the rows and
 * vectors left over are in {@link VectorEdgeTiles}.
 *
 * <p>The kernels call {@code DoubleVector.fromArray} themselves rather than through a helper: a
 * helper that C2 declines to inline (it may, once the helper is compiled on its own) would box a
 * vector at every step.
 */
final class VectorTiles {
    private static final VectorSpecies<Double> SPECIES = PanamaKernelSupport.SPECIES;
    private static final int LANES = SPECIES.length();

    private VectorTiles() {}

    /**
     * {@code C += A·B} for an {@code m × n} block of C, reading A and B where they lie (no packing):
     * full tiles of {@code shape}, then edge tiles. The loop over column panels is outside the one
     * over rows, so a {@code k × shape.columns} panel of B is reused by every row of A.
     */
    static void block(
            GemmShape shape,
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
        if (shape == GemmShape.EIGHT_BY_THREE) {
            block8x3(m, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc);
        } else if (shape == GemmShape.FOUR_BY_FOUR) {
            block4x4(m, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc);
        } else {
            block6x2(m, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc);
        }
    }

    /**
     * The full tile of {@code shape} for the packed product, which always passes A's micro-panel
     * ({@code ars = 1, acs = rows}) and B's sliver ({@code ldb = columns}): the sliver tiles of
     * {@link UnitStrideTiles}.
     */
    static PackedGemm.Tile tile(GemmShape shape) {
        if (shape == GemmShape.EIGHT_BY_THREE) {
            return (k, a, a0, ars, acs, b, b0, ldb, c, c0, ldc) ->
                    UnitStrideTiles.s8x3(k, a, a0, acs, b, b0, c, c0, ldc);
        } else if (shape == GemmShape.FOUR_BY_FOUR) {
            return (k, a, a0, ars, acs, b, b0, ldb, c, c0, ldc) ->
                    UnitStrideTiles.s4x4(k, a, a0, acs, b, b0, c, c0, ldc);
        }
        return (k, a, a0, ars, acs, b, b0, ldb, c, c0, ldc) -> UnitStrideTiles.s6x2(k, a, a0, acs, b, b0, c, c0, ldc);
    }

    /** {@link #block} with 6 × 2 tiles, then 6-row tiles of fewer vectors, single rows, lone columns. */
    private static void block6x2(
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
        int nr = 2 * LANES;
        int j = 0;
        for (; j + nr <= n; j += nr) {
            int i = 0;
            if (ars == 1 && ldb == nr) {
                for (; i + 6 <= m; i += 6) {
                    UnitStrideTiles.s6x2(k, a, aOff + i, acs, b, bOff + j, c, cOff + i * ldc + j, ldc);
                }
            } else if (ars == 1) {
                for (; i + 6 <= m; i += 6) {
                    UnitStrideTiles.u6x2(k, a, aOff + i, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
                }
            }
            for (; i + 6 <= m; i += 6) {
                k6x2(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
            }
            if (i + 4 <= m) {
                // four rows left (64 = 10·6 + 4): one 4-row tile, not four single rows
                VectorEdgeTiles.k4x2(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
                i += 4;
            }
            for (; i < m; i++) {
                VectorEdgeTiles.k1x2(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
            }
        }
        int vectors = (n - j) / LANES;
        if (vectors > 0) {
            int i = 0;
            for (; i + 6 <= m; i += 6) {
                int ci = cOff + i * ldc + j;
                switch (vectors) {
                    case 1 -> VectorEdgeTiles.k6x1(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, ci, ldc);
                    default -> throw new AssertionError(vectors);
                }
            }
            for (; i < m; i++) {
                int ci = cOff + i * ldc + j;
                switch (vectors) {
                    case 1 -> VectorEdgeTiles.k1x1(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, ci, ldc);
                    default -> throw new AssertionError(vectors);
                }
            }
            j += vectors * LANES;
        }
        if (j < n) {
            ScalarKernelSupport.columns(m, j, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc);
        }
    }

    /** {@link #block} with 8 × 3 tiles, then 8-row tiles of fewer vectors, single rows, lone columns. */
    private static void block8x3(
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
        int nr = 3 * LANES;
        int j = 0;
        for (; j + nr <= n; j += nr) {
            int i = 0;
            if (ars == 1 && ldb == nr) {
                for (; i + 8 <= m; i += 8) {
                    UnitStrideTiles.s8x3(k, a, aOff + i, acs, b, bOff + j, c, cOff + i * ldc + j, ldc);
                }
            } else if (ars == 1) {
                for (; i + 8 <= m; i += 8) {
                    UnitStrideTiles.u8x3(k, a, aOff + i, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
                }
            }
            for (; i + 8 <= m; i += 8) {
                k8x3(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
            }
            for (; i < m; i++) {
                VectorEdgeTiles.k1x3(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
            }
        }
        int vectors = (n - j) / LANES;
        if (vectors > 0) {
            int i = 0;
            for (; i + 8 <= m; i += 8) {
                int ci = cOff + i * ldc + j;
                switch (vectors) {
                    case 1 -> VectorEdgeTiles.k8x1(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, ci, ldc);
                    case 2 -> VectorEdgeTiles.k8x2(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, ci, ldc);
                    default -> throw new AssertionError(vectors);
                }
            }
            for (; i < m; i++) {
                int ci = cOff + i * ldc + j;
                switch (vectors) {
                    case 1 -> VectorEdgeTiles.k1x1(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, ci, ldc);
                    case 2 -> VectorEdgeTiles.k1x2(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, ci, ldc);
                    default -> throw new AssertionError(vectors);
                }
            }
            j += vectors * LANES;
        }
        if (j < n) {
            ScalarKernelSupport.columns(m, j, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc);
        }
    }

    /** {@link #block} with 4 × 4 tiles, then 4-row tiles of fewer vectors, single rows, lone columns. */
    private static void block4x4(
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
        int nr = 4 * LANES;
        int j = 0;
        for (; j + nr <= n; j += nr) {
            int i = 0;
            if (ars == 1 && ldb == nr) {
                for (; i + 4 <= m; i += 4) {
                    UnitStrideTiles.s4x4(k, a, aOff + i, acs, b, bOff + j, c, cOff + i * ldc + j, ldc);
                }
            } else if (ars == 1) {
                for (; i + 4 <= m; i += 4) {
                    UnitStrideTiles.u4x4(k, a, aOff + i, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
                }
            }
            for (; i + 4 <= m; i += 4) {
                k4x4(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
            }
            for (; i < m; i++) {
                VectorEdgeTiles.k1x4(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc);
            }
        }
        int vectors = (n - j) / LANES;
        if (vectors > 0) {
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                int ci = cOff + i * ldc + j;
                switch (vectors) {
                    case 1 -> VectorEdgeTiles.k4x1(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, ci, ldc);
                    case 2 -> VectorEdgeTiles.k4x2(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, ci, ldc);
                    case 3 -> VectorEdgeTiles.k4x3(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, ci, ldc);
                    default -> throw new AssertionError(vectors);
                }
            }
            for (; i < m; i++) {
                int ci = cOff + i * ldc + j;
                switch (vectors) {
                    case 1 -> VectorEdgeTiles.k1x1(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, ci, ldc);
                    case 2 -> VectorEdgeTiles.k1x2(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, ci, ldc);
                    case 3 -> VectorEdgeTiles.k1x3(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, ci, ldc);
                    default -> throw new AssertionError(vectors);
                }
            }
            j += vectors * LANES;
        }
        if (j < n) {
            ScalarKernelSupport.columns(m, j, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc);
        }
    }

    /** {@code C += A·B} on 6 rows × 2 vectors: 12 accumulators, 2 of B, 1 broadcast. */
    static void k6x2(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        int o1 = c0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        int o4 = o3 + ldc;
        int o5 = o4 + ldc;
        DoubleVector c00 = DoubleVector.fromArray(SPECIES, c, c0);
        DoubleVector c01 = DoubleVector.fromArray(SPECIES, c, c0 + LANES);
        DoubleVector c10 = DoubleVector.fromArray(SPECIES, c, o1);
        DoubleVector c11 = DoubleVector.fromArray(SPECIES, c, o1 + LANES);
        DoubleVector c20 = DoubleVector.fromArray(SPECIES, c, o2);
        DoubleVector c21 = DoubleVector.fromArray(SPECIES, c, o2 + LANES);
        DoubleVector c30 = DoubleVector.fromArray(SPECIES, c, o3);
        DoubleVector c31 = DoubleVector.fromArray(SPECIES, c, o3 + LANES);
        DoubleVector c40 = DoubleVector.fromArray(SPECIES, c, o4);
        DoubleVector c41 = DoubleVector.fromArray(SPECIES, c, o4 + LANES);
        DoubleVector c50 = DoubleVector.fromArray(SPECIES, c, o5);
        DoubleVector c51 = DoubleVector.fromArray(SPECIES, c, o5 + LANES);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector bv1 = DoubleVector.fromArray(SPECIES, b, bp + LANES);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            c01 = av.fma(bv1, c01);
            av = DoubleVector.broadcast(SPECIES, a[ap + ars]);
            c10 = av.fma(bv0, c10);
            c11 = av.fma(bv1, c11);
            av = DoubleVector.broadcast(SPECIES, a[ap + 2 * ars]);
            c20 = av.fma(bv0, c20);
            c21 = av.fma(bv1, c21);
            av = DoubleVector.broadcast(SPECIES, a[ap + 3 * ars]);
            c30 = av.fma(bv0, c30);
            c31 = av.fma(bv1, c31);
            av = DoubleVector.broadcast(SPECIES, a[ap + 4 * ars]);
            c40 = av.fma(bv0, c40);
            c41 = av.fma(bv1, c41);
            av = DoubleVector.broadcast(SPECIES, a[ap + 5 * ars]);
            c50 = av.fma(bv0, c50);
            c51 = av.fma(bv1, c51);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + LANES);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + LANES);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + LANES);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + LANES);
        c40.intoArray(c, o4);
        c41.intoArray(c, o4 + LANES);
        c50.intoArray(c, o5);
        c51.intoArray(c, o5 + LANES);
    }

    /** {@code C += A·B} on 8 rows × 3 vectors: 24 accumulators, 3 of B, 1 broadcast. */
    static void k8x3(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        int o1 = c0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        int o4 = o3 + ldc;
        int o5 = o4 + ldc;
        int o6 = o5 + ldc;
        int o7 = o6 + ldc;
        DoubleVector c00 = DoubleVector.fromArray(SPECIES, c, c0);
        DoubleVector c01 = DoubleVector.fromArray(SPECIES, c, c0 + LANES);
        DoubleVector c02 = DoubleVector.fromArray(SPECIES, c, c0 + 2 * LANES);
        DoubleVector c10 = DoubleVector.fromArray(SPECIES, c, o1);
        DoubleVector c11 = DoubleVector.fromArray(SPECIES, c, o1 + LANES);
        DoubleVector c12 = DoubleVector.fromArray(SPECIES, c, o1 + 2 * LANES);
        DoubleVector c20 = DoubleVector.fromArray(SPECIES, c, o2);
        DoubleVector c21 = DoubleVector.fromArray(SPECIES, c, o2 + LANES);
        DoubleVector c22 = DoubleVector.fromArray(SPECIES, c, o2 + 2 * LANES);
        DoubleVector c30 = DoubleVector.fromArray(SPECIES, c, o3);
        DoubleVector c31 = DoubleVector.fromArray(SPECIES, c, o3 + LANES);
        DoubleVector c32 = DoubleVector.fromArray(SPECIES, c, o3 + 2 * LANES);
        DoubleVector c40 = DoubleVector.fromArray(SPECIES, c, o4);
        DoubleVector c41 = DoubleVector.fromArray(SPECIES, c, o4 + LANES);
        DoubleVector c42 = DoubleVector.fromArray(SPECIES, c, o4 + 2 * LANES);
        DoubleVector c50 = DoubleVector.fromArray(SPECIES, c, o5);
        DoubleVector c51 = DoubleVector.fromArray(SPECIES, c, o5 + LANES);
        DoubleVector c52 = DoubleVector.fromArray(SPECIES, c, o5 + 2 * LANES);
        DoubleVector c60 = DoubleVector.fromArray(SPECIES, c, o6);
        DoubleVector c61 = DoubleVector.fromArray(SPECIES, c, o6 + LANES);
        DoubleVector c62 = DoubleVector.fromArray(SPECIES, c, o6 + 2 * LANES);
        DoubleVector c70 = DoubleVector.fromArray(SPECIES, c, o7);
        DoubleVector c71 = DoubleVector.fromArray(SPECIES, c, o7 + LANES);
        DoubleVector c72 = DoubleVector.fromArray(SPECIES, c, o7 + 2 * LANES);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector bv1 = DoubleVector.fromArray(SPECIES, b, bp + LANES);
            DoubleVector bv2 = DoubleVector.fromArray(SPECIES, b, bp + 2 * LANES);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            c01 = av.fma(bv1, c01);
            c02 = av.fma(bv2, c02);
            av = DoubleVector.broadcast(SPECIES, a[ap + ars]);
            c10 = av.fma(bv0, c10);
            c11 = av.fma(bv1, c11);
            c12 = av.fma(bv2, c12);
            av = DoubleVector.broadcast(SPECIES, a[ap + 2 * ars]);
            c20 = av.fma(bv0, c20);
            c21 = av.fma(bv1, c21);
            c22 = av.fma(bv2, c22);
            av = DoubleVector.broadcast(SPECIES, a[ap + 3 * ars]);
            c30 = av.fma(bv0, c30);
            c31 = av.fma(bv1, c31);
            c32 = av.fma(bv2, c32);
            av = DoubleVector.broadcast(SPECIES, a[ap + 4 * ars]);
            c40 = av.fma(bv0, c40);
            c41 = av.fma(bv1, c41);
            c42 = av.fma(bv2, c42);
            av = DoubleVector.broadcast(SPECIES, a[ap + 5 * ars]);
            c50 = av.fma(bv0, c50);
            c51 = av.fma(bv1, c51);
            c52 = av.fma(bv2, c52);
            av = DoubleVector.broadcast(SPECIES, a[ap + 6 * ars]);
            c60 = av.fma(bv0, c60);
            c61 = av.fma(bv1, c61);
            c62 = av.fma(bv2, c62);
            av = DoubleVector.broadcast(SPECIES, a[ap + 7 * ars]);
            c70 = av.fma(bv0, c70);
            c71 = av.fma(bv1, c71);
            c72 = av.fma(bv2, c72);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + LANES);
        c02.intoArray(c, c0 + 2 * LANES);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + LANES);
        c12.intoArray(c, o1 + 2 * LANES);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + LANES);
        c22.intoArray(c, o2 + 2 * LANES);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + LANES);
        c32.intoArray(c, o3 + 2 * LANES);
        c40.intoArray(c, o4);
        c41.intoArray(c, o4 + LANES);
        c42.intoArray(c, o4 + 2 * LANES);
        c50.intoArray(c, o5);
        c51.intoArray(c, o5 + LANES);
        c52.intoArray(c, o5 + 2 * LANES);
        c60.intoArray(c, o6);
        c61.intoArray(c, o6 + LANES);
        c62.intoArray(c, o6 + 2 * LANES);
        c70.intoArray(c, o7);
        c71.intoArray(c, o7 + LANES);
        c72.intoArray(c, o7 + 2 * LANES);
    }

    /** {@code C += A·B} on 4 rows × 4 vectors: 16 accumulators, 4 of B, 1 broadcast. */
    static void k4x4(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        int o1 = c0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        DoubleVector c00 = DoubleVector.fromArray(SPECIES, c, c0);
        DoubleVector c01 = DoubleVector.fromArray(SPECIES, c, c0 + LANES);
        DoubleVector c02 = DoubleVector.fromArray(SPECIES, c, c0 + 2 * LANES);
        DoubleVector c03 = DoubleVector.fromArray(SPECIES, c, c0 + 3 * LANES);
        DoubleVector c10 = DoubleVector.fromArray(SPECIES, c, o1);
        DoubleVector c11 = DoubleVector.fromArray(SPECIES, c, o1 + LANES);
        DoubleVector c12 = DoubleVector.fromArray(SPECIES, c, o1 + 2 * LANES);
        DoubleVector c13 = DoubleVector.fromArray(SPECIES, c, o1 + 3 * LANES);
        DoubleVector c20 = DoubleVector.fromArray(SPECIES, c, o2);
        DoubleVector c21 = DoubleVector.fromArray(SPECIES, c, o2 + LANES);
        DoubleVector c22 = DoubleVector.fromArray(SPECIES, c, o2 + 2 * LANES);
        DoubleVector c23 = DoubleVector.fromArray(SPECIES, c, o2 + 3 * LANES);
        DoubleVector c30 = DoubleVector.fromArray(SPECIES, c, o3);
        DoubleVector c31 = DoubleVector.fromArray(SPECIES, c, o3 + LANES);
        DoubleVector c32 = DoubleVector.fromArray(SPECIES, c, o3 + 2 * LANES);
        DoubleVector c33 = DoubleVector.fromArray(SPECIES, c, o3 + 3 * LANES);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector bv1 = DoubleVector.fromArray(SPECIES, b, bp + LANES);
            DoubleVector bv2 = DoubleVector.fromArray(SPECIES, b, bp + 2 * LANES);
            DoubleVector bv3 = DoubleVector.fromArray(SPECIES, b, bp + 3 * LANES);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            c01 = av.fma(bv1, c01);
            c02 = av.fma(bv2, c02);
            c03 = av.fma(bv3, c03);
            av = DoubleVector.broadcast(SPECIES, a[ap + ars]);
            c10 = av.fma(bv0, c10);
            c11 = av.fma(bv1, c11);
            c12 = av.fma(bv2, c12);
            c13 = av.fma(bv3, c13);
            av = DoubleVector.broadcast(SPECIES, a[ap + 2 * ars]);
            c20 = av.fma(bv0, c20);
            c21 = av.fma(bv1, c21);
            c22 = av.fma(bv2, c22);
            c23 = av.fma(bv3, c23);
            av = DoubleVector.broadcast(SPECIES, a[ap + 3 * ars]);
            c30 = av.fma(bv0, c30);
            c31 = av.fma(bv1, c31);
            c32 = av.fma(bv2, c32);
            c33 = av.fma(bv3, c33);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + LANES);
        c02.intoArray(c, c0 + 2 * LANES);
        c03.intoArray(c, c0 + 3 * LANES);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + LANES);
        c12.intoArray(c, o1 + 2 * LANES);
        c13.intoArray(c, o1 + 3 * LANES);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + LANES);
        c22.intoArray(c, o2 + 2 * LANES);
        c23.intoArray(c, o2 + 3 * LANES);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + LANES);
        c32.intoArray(c, o3 + 2 * LANES);
        c33.intoArray(c, o3 + 3 * LANES);
    }
}
