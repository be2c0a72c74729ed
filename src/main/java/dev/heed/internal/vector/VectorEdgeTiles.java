package dev.heed.internal.vector;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The edge tiles of {@link VectorTiles}: the full shapes' rows with fewer vectors and single rows
 * (the columns left over after the last whole vector go to {@link ScalarKernelSupport#columns}).
 * Same chain of FMAs per element as the full tiles, so an element of C gets the same bits wherever
 * the edges fall. Not API.
 */
final class VectorEdgeTiles {
    private static final VectorSpecies<Double> SPECIES = PanamaKernelSupport.SPECIES;
    private static final int LANES = SPECIES.length();

    private VectorEdgeTiles() {}

    /** {@code C += A·B} on 8 rows × 2 vectors. */
    static void k8x2(
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
        DoubleVector c60 = DoubleVector.fromArray(SPECIES, c, o6);
        DoubleVector c61 = DoubleVector.fromArray(SPECIES, c, o6 + LANES);
        DoubleVector c70 = DoubleVector.fromArray(SPECIES, c, o7);
        DoubleVector c71 = DoubleVector.fromArray(SPECIES, c, o7 + LANES);
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
            av = DoubleVector.broadcast(SPECIES, a[ap + 6 * ars]);
            c60 = av.fma(bv0, c60);
            c61 = av.fma(bv1, c61);
            av = DoubleVector.broadcast(SPECIES, a[ap + 7 * ars]);
            c70 = av.fma(bv0, c70);
            c71 = av.fma(bv1, c71);
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
        c60.intoArray(c, o6);
        c61.intoArray(c, o6 + LANES);
        c70.intoArray(c, o7);
        c71.intoArray(c, o7 + LANES);
    }

    /** {@code C += A·B} on 8 rows × 1 vector. */
    static void k8x1(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        int o1 = c0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        int o4 = o3 + ldc;
        int o5 = o4 + ldc;
        int o6 = o5 + ldc;
        int o7 = o6 + ldc;
        DoubleVector c00 = DoubleVector.fromArray(SPECIES, c, c0);
        DoubleVector c10 = DoubleVector.fromArray(SPECIES, c, o1);
        DoubleVector c20 = DoubleVector.fromArray(SPECIES, c, o2);
        DoubleVector c30 = DoubleVector.fromArray(SPECIES, c, o3);
        DoubleVector c40 = DoubleVector.fromArray(SPECIES, c, o4);
        DoubleVector c50 = DoubleVector.fromArray(SPECIES, c, o5);
        DoubleVector c60 = DoubleVector.fromArray(SPECIES, c, o6);
        DoubleVector c70 = DoubleVector.fromArray(SPECIES, c, o7);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            av = DoubleVector.broadcast(SPECIES, a[ap + ars]);
            c10 = av.fma(bv0, c10);
            av = DoubleVector.broadcast(SPECIES, a[ap + 2 * ars]);
            c20 = av.fma(bv0, c20);
            av = DoubleVector.broadcast(SPECIES, a[ap + 3 * ars]);
            c30 = av.fma(bv0, c30);
            av = DoubleVector.broadcast(SPECIES, a[ap + 4 * ars]);
            c40 = av.fma(bv0, c40);
            av = DoubleVector.broadcast(SPECIES, a[ap + 5 * ars]);
            c50 = av.fma(bv0, c50);
            av = DoubleVector.broadcast(SPECIES, a[ap + 6 * ars]);
            c60 = av.fma(bv0, c60);
            av = DoubleVector.broadcast(SPECIES, a[ap + 7 * ars]);
            c70 = av.fma(bv0, c70);
        }
        c00.intoArray(c, c0);
        c10.intoArray(c, o1);
        c20.intoArray(c, o2);
        c30.intoArray(c, o3);
        c40.intoArray(c, o4);
        c50.intoArray(c, o5);
        c60.intoArray(c, o6);
        c70.intoArray(c, o7);
    }

    /** {@code C += A·B} on 6 rows × 1 vector. */
    static void k6x1(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        int o1 = c0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        int o4 = o3 + ldc;
        int o5 = o4 + ldc;
        DoubleVector c00 = DoubleVector.fromArray(SPECIES, c, c0);
        DoubleVector c10 = DoubleVector.fromArray(SPECIES, c, o1);
        DoubleVector c20 = DoubleVector.fromArray(SPECIES, c, o2);
        DoubleVector c30 = DoubleVector.fromArray(SPECIES, c, o3);
        DoubleVector c40 = DoubleVector.fromArray(SPECIES, c, o4);
        DoubleVector c50 = DoubleVector.fromArray(SPECIES, c, o5);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            av = DoubleVector.broadcast(SPECIES, a[ap + ars]);
            c10 = av.fma(bv0, c10);
            av = DoubleVector.broadcast(SPECIES, a[ap + 2 * ars]);
            c20 = av.fma(bv0, c20);
            av = DoubleVector.broadcast(SPECIES, a[ap + 3 * ars]);
            c30 = av.fma(bv0, c30);
            av = DoubleVector.broadcast(SPECIES, a[ap + 4 * ars]);
            c40 = av.fma(bv0, c40);
            av = DoubleVector.broadcast(SPECIES, a[ap + 5 * ars]);
            c50 = av.fma(bv0, c50);
        }
        c00.intoArray(c, c0);
        c10.intoArray(c, o1);
        c20.intoArray(c, o2);
        c30.intoArray(c, o3);
        c40.intoArray(c, o4);
        c50.intoArray(c, o5);
    }

    /** {@code C += A·B} on 4 rows × 3 vectors. */
    static void k4x3(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        int o1 = c0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
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
    }

    /** {@code C += A·B} on 4 rows × 2 vectors. */
    static void k4x2(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        int o1 = c0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        DoubleVector c00 = DoubleVector.fromArray(SPECIES, c, c0);
        DoubleVector c01 = DoubleVector.fromArray(SPECIES, c, c0 + LANES);
        DoubleVector c10 = DoubleVector.fromArray(SPECIES, c, o1);
        DoubleVector c11 = DoubleVector.fromArray(SPECIES, c, o1 + LANES);
        DoubleVector c20 = DoubleVector.fromArray(SPECIES, c, o2);
        DoubleVector c21 = DoubleVector.fromArray(SPECIES, c, o2 + LANES);
        DoubleVector c30 = DoubleVector.fromArray(SPECIES, c, o3);
        DoubleVector c31 = DoubleVector.fromArray(SPECIES, c, o3 + LANES);
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
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + LANES);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + LANES);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + LANES);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + LANES);
    }

    /** {@code C += A·B} on 4 rows × 1 vector. */
    static void k4x1(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        int o1 = c0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        DoubleVector c00 = DoubleVector.fromArray(SPECIES, c, c0);
        DoubleVector c10 = DoubleVector.fromArray(SPECIES, c, o1);
        DoubleVector c20 = DoubleVector.fromArray(SPECIES, c, o2);
        DoubleVector c30 = DoubleVector.fromArray(SPECIES, c, o3);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            av = DoubleVector.broadcast(SPECIES, a[ap + ars]);
            c10 = av.fma(bv0, c10);
            av = DoubleVector.broadcast(SPECIES, a[ap + 2 * ars]);
            c20 = av.fma(bv0, c20);
            av = DoubleVector.broadcast(SPECIES, a[ap + 3 * ars]);
            c30 = av.fma(bv0, c30);
        }
        c00.intoArray(c, c0);
        c10.intoArray(c, o1);
        c20.intoArray(c, o2);
        c30.intoArray(c, o3);
    }

    /** {@code C += A·B} on 1 row × 4 vectors. */
    static void k1x4(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        DoubleVector c00 = DoubleVector.fromArray(SPECIES, c, c0);
        DoubleVector c01 = DoubleVector.fromArray(SPECIES, c, c0 + LANES);
        DoubleVector c02 = DoubleVector.fromArray(SPECIES, c, c0 + 2 * LANES);
        DoubleVector c03 = DoubleVector.fromArray(SPECIES, c, c0 + 3 * LANES);
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
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + LANES);
        c02.intoArray(c, c0 + 2 * LANES);
        c03.intoArray(c, c0 + 3 * LANES);
    }

    /** {@code C += A·B} on 1 row × 3 vectors. */
    static void k1x3(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        DoubleVector c00 = DoubleVector.fromArray(SPECIES, c, c0);
        DoubleVector c01 = DoubleVector.fromArray(SPECIES, c, c0 + LANES);
        DoubleVector c02 = DoubleVector.fromArray(SPECIES, c, c0 + 2 * LANES);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector bv1 = DoubleVector.fromArray(SPECIES, b, bp + LANES);
            DoubleVector bv2 = DoubleVector.fromArray(SPECIES, b, bp + 2 * LANES);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            c01 = av.fma(bv1, c01);
            c02 = av.fma(bv2, c02);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + LANES);
        c02.intoArray(c, c0 + 2 * LANES);
    }

    /** {@code C += A·B} on 1 row × 2 vectors. */
    static void k1x2(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        DoubleVector c00 = DoubleVector.fromArray(SPECIES, c, c0);
        DoubleVector c01 = DoubleVector.fromArray(SPECIES, c, c0 + LANES);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector bv1 = DoubleVector.fromArray(SPECIES, b, bp + LANES);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
            c01 = av.fma(bv1, c01);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + LANES);
    }

    /** {@code C += A·B} on 1 row × 1 vector. */
    static void k1x1(
            int k, double[] a, int a0, int ars, int acs, double[] b, int b0, int ldb, double[] c, int c0, int ldc) {
        DoubleVector c00 = DoubleVector.fromArray(SPECIES, c, c0);
        for (int p = 0, bp = b0, ap = a0; p < k; p++, bp += ldb, ap += acs) {
            DoubleVector bv0 = DoubleVector.fromArray(SPECIES, b, bp);
            DoubleVector av = DoubleVector.broadcast(SPECIES, a[ap]);
            c00 = av.fma(bv0, c00);
        }
        c00.intoArray(c, c0);
    }
}
