package dev.heed.internal.vector;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The full micro-tiles of {@link VectorTiles} for an A read at unit row stride
 * ({@code ars = 1}: a transposed matrix, such as the attention's score tile {@code Sᵀ} or its
 * keys transposed), unpacked: {@code a(i, p)} at {@code a[a0 + p·acs + i]} and row {@code p} of
 * B at {@code b[b0 + p·ldb]}. The row offsets {@code + i} are constants, so C2 folds them into
 * the addressing of one index per step, where the general tiles compute and range-check
 * {@code a0 + i·ars} for every row: measured in isolation at {@code k = 64}, 6 × 2 at 256 bits
 * 71 → 93 % of the FMA peak (docs/design-notes.md). The {@code s} tiles also take B from a
 * packed sliver, at a constant stride: at 128 bits that is worth as much again. They are also the
 * tiles of {@link PackedGemm}, whose A micro-panel is the case {@code acs = rows}. The same FMA
 * chain per element as every other tile. Not API.
 */
final class UnitStrideTiles {
    private static final VectorSpecies<Double> SPECIES = PanamaKernelSupport.SPECIES;
    private static final int LANES = SPECIES.length();

    private UnitStrideTiles() {}

    /** {@code C += A·B} on 6 rows × 2 vectors with A at unit row stride: {@code a(i, p) = a[a0 + p·acs + i]}. */
    static void u6x2(int k, double[] a, int a0, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
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
        for (int p = 0; p < k; p++) {
            int ap = a0 + p * acs;
            int bp = b0 + p * ldb;
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector bv1 = DoubleVector.fromArray(SPECIES, b, bp + LANES);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            c01 = av.fma(bv1, c01);
            av = DoubleVector.broadcast(SPECIES, a[ap + 1]);
            c10 = av.fma(bv0, c10);
            c11 = av.fma(bv1, c11);
            av = DoubleVector.broadcast(SPECIES, a[ap + 2]);
            c20 = av.fma(bv0, c20);
            c21 = av.fma(bv1, c21);
            av = DoubleVector.broadcast(SPECIES, a[ap + 3]);
            c30 = av.fma(bv0, c30);
            c31 = av.fma(bv1, c31);
            av = DoubleVector.broadcast(SPECIES, a[ap + 4]);
            c40 = av.fma(bv0, c40);
            c41 = av.fma(bv1, c41);
            av = DoubleVector.broadcast(SPECIES, a[ap + 5]);
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

    /** {@code C += A·B} on 8 rows × 3 vectors with A at unit row stride: {@code a(i, p) = a[a0 + p·acs + i]}. */
    static void u8x3(int k, double[] a, int a0, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
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
        for (int p = 0; p < k; p++) {
            int ap = a0 + p * acs;
            int bp = b0 + p * ldb;
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector bv1 = DoubleVector.fromArray(SPECIES, b, bp + LANES);
            DoubleVector bv2 = DoubleVector.fromArray(SPECIES, b, bp + 2 * LANES);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            c01 = av.fma(bv1, c01);
            c02 = av.fma(bv2, c02);
            av = DoubleVector.broadcast(SPECIES, a[ap + 1]);
            c10 = av.fma(bv0, c10);
            c11 = av.fma(bv1, c11);
            c12 = av.fma(bv2, c12);
            av = DoubleVector.broadcast(SPECIES, a[ap + 2]);
            c20 = av.fma(bv0, c20);
            c21 = av.fma(bv1, c21);
            c22 = av.fma(bv2, c22);
            av = DoubleVector.broadcast(SPECIES, a[ap + 3]);
            c30 = av.fma(bv0, c30);
            c31 = av.fma(bv1, c31);
            c32 = av.fma(bv2, c32);
            av = DoubleVector.broadcast(SPECIES, a[ap + 4]);
            c40 = av.fma(bv0, c40);
            c41 = av.fma(bv1, c41);
            c42 = av.fma(bv2, c42);
            av = DoubleVector.broadcast(SPECIES, a[ap + 5]);
            c50 = av.fma(bv0, c50);
            c51 = av.fma(bv1, c51);
            c52 = av.fma(bv2, c52);
            av = DoubleVector.broadcast(SPECIES, a[ap + 6]);
            c60 = av.fma(bv0, c60);
            c61 = av.fma(bv1, c61);
            c62 = av.fma(bv2, c62);
            av = DoubleVector.broadcast(SPECIES, a[ap + 7]);
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

    /** {@code C += A·B} on 4 rows × 4 vectors with A at unit row stride: {@code a(i, p) = a[a0 + p·acs + i]}. */
    static void u4x4(int k, double[] a, int a0, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
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
        for (int p = 0; p < k; p++) {
            int ap = a0 + p * acs;
            int bp = b0 + p * ldb;
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector bv1 = DoubleVector.fromArray(SPECIES, b, bp + LANES);
            DoubleVector bv2 = DoubleVector.fromArray(SPECIES, b, bp + 2 * LANES);
            DoubleVector bv3 = DoubleVector.fromArray(SPECIES, b, bp + 3 * LANES);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            c01 = av.fma(bv1, c01);
            c02 = av.fma(bv2, c02);
            c03 = av.fma(bv3, c03);
            av = DoubleVector.broadcast(SPECIES, a[ap + 1]);
            c10 = av.fma(bv0, c10);
            c11 = av.fma(bv1, c11);
            c12 = av.fma(bv2, c12);
            c13 = av.fma(bv3, c13);
            av = DoubleVector.broadcast(SPECIES, a[ap + 2]);
            c20 = av.fma(bv0, c20);
            c21 = av.fma(bv1, c21);
            c22 = av.fma(bv2, c22);
            c23 = av.fma(bv3, c23);
            av = DoubleVector.broadcast(SPECIES, a[ap + 3]);
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

    /**
     * {@link #u6x2} with B in a packed sliver ({@link PackedGemm#packB}: row {@code p} at
     * {@code b[b0 + p·2·LANES]}), whose constant stride lets C2 drop B's index arithmetic too.
     */
    static void s6x2(int k, double[] a, int a0, int acs, double[] b, int b0, double[] c, int c0, int ldc) {
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
        for (int p = 0; p < k; p++) {
            int ap = a0 + p * acs;
            int bp = b0 + p * (2 * LANES);
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector bv1 = DoubleVector.fromArray(SPECIES, b, bp + LANES);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            c01 = av.fma(bv1, c01);
            av = DoubleVector.broadcast(SPECIES, a[ap + 1]);
            c10 = av.fma(bv0, c10);
            c11 = av.fma(bv1, c11);
            av = DoubleVector.broadcast(SPECIES, a[ap + 2]);
            c20 = av.fma(bv0, c20);
            c21 = av.fma(bv1, c21);
            av = DoubleVector.broadcast(SPECIES, a[ap + 3]);
            c30 = av.fma(bv0, c30);
            c31 = av.fma(bv1, c31);
            av = DoubleVector.broadcast(SPECIES, a[ap + 4]);
            c40 = av.fma(bv0, c40);
            c41 = av.fma(bv1, c41);
            av = DoubleVector.broadcast(SPECIES, a[ap + 5]);
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

    /**
     * {@link #u8x3} with B in a packed sliver ({@link PackedGemm#packB}: row {@code p} at
     * {@code b[b0 + p·3·LANES]}), whose constant stride lets C2 drop B's index arithmetic too.
     */
    static void s8x3(int k, double[] a, int a0, int acs, double[] b, int b0, double[] c, int c0, int ldc) {
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
        for (int p = 0; p < k; p++) {
            int ap = a0 + p * acs;
            int bp = b0 + p * (3 * LANES);
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector bv1 = DoubleVector.fromArray(SPECIES, b, bp + LANES);
            DoubleVector bv2 = DoubleVector.fromArray(SPECIES, b, bp + 2 * LANES);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            c01 = av.fma(bv1, c01);
            c02 = av.fma(bv2, c02);
            av = DoubleVector.broadcast(SPECIES, a[ap + 1]);
            c10 = av.fma(bv0, c10);
            c11 = av.fma(bv1, c11);
            c12 = av.fma(bv2, c12);
            av = DoubleVector.broadcast(SPECIES, a[ap + 2]);
            c20 = av.fma(bv0, c20);
            c21 = av.fma(bv1, c21);
            c22 = av.fma(bv2, c22);
            av = DoubleVector.broadcast(SPECIES, a[ap + 3]);
            c30 = av.fma(bv0, c30);
            c31 = av.fma(bv1, c31);
            c32 = av.fma(bv2, c32);
            av = DoubleVector.broadcast(SPECIES, a[ap + 4]);
            c40 = av.fma(bv0, c40);
            c41 = av.fma(bv1, c41);
            c42 = av.fma(bv2, c42);
            av = DoubleVector.broadcast(SPECIES, a[ap + 5]);
            c50 = av.fma(bv0, c50);
            c51 = av.fma(bv1, c51);
            c52 = av.fma(bv2, c52);
            av = DoubleVector.broadcast(SPECIES, a[ap + 6]);
            c60 = av.fma(bv0, c60);
            c61 = av.fma(bv1, c61);
            c62 = av.fma(bv2, c62);
            av = DoubleVector.broadcast(SPECIES, a[ap + 7]);
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

    /**
     * {@link #u4x4} with B in a packed sliver ({@link PackedGemm#packB}: row {@code p} at
     * {@code b[b0 + p·4·LANES]}), whose constant stride lets C2 drop B's index arithmetic too.
     */
    static void s4x4(int k, double[] a, int a0, int acs, double[] b, int b0, double[] c, int c0, int ldc) {
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
        for (int p = 0; p < k; p++) {
            int ap = a0 + p * acs;
            int bp = b0 + p * (4 * LANES);
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector bv1 = DoubleVector.fromArray(SPECIES, b, bp + LANES);
            DoubleVector bv2 = DoubleVector.fromArray(SPECIES, b, bp + 2 * LANES);
            DoubleVector bv3 = DoubleVector.fromArray(SPECIES, b, bp + 3 * LANES);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            c01 = av.fma(bv1, c01);
            c02 = av.fma(bv2, c02);
            c03 = av.fma(bv3, c03);
            av = DoubleVector.broadcast(SPECIES, a[ap + 1]);
            c10 = av.fma(bv0, c10);
            c11 = av.fma(bv1, c11);
            c12 = av.fma(bv2, c12);
            c13 = av.fma(bv3, c13);
            av = DoubleVector.broadcast(SPECIES, a[ap + 2]);
            c20 = av.fma(bv0, c20);
            c21 = av.fma(bv1, c21);
            c22 = av.fma(bv2, c22);
            c23 = av.fma(bv3, c23);
            av = DoubleVector.broadcast(SPECIES, a[ap + 3]);
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
