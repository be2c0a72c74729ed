package dev.heed.internal.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The GEMM of every micro-tile shape — the scalar 4 × 4 tile always, and in the Vector API run
 * each {@link GemmShape} at this JVM's width (run it with {@code -Dtest.jvm.args=-XX:MaxVectorSize=16}
 * or {@code -XX:UseAVX=2} for the narrower ones) — against a naive triple loop, bit for bit: each
 * element of C must be the chain of fused multiply-adds in the order of {@code k}, starting from
 * C (accumulate) or zero, whatever the shape, packing, blocking or edges.
 */
class GemmShapesTest {
    static final int[] ODD = {1, 3, 7, 13, 64, 65};

    /** The scalar kernels and, when this JVM has the Vector API, one Panama kernel set per shape. */
    static List<KernelSupport> kernels() {
        List<KernelSupport> all = new ArrayList<>();
        all.add(new ScalarKernelSupport());
        if (VectorizationProvider.vector().isPresent()) {
            for (GemmShape shape : GemmShape.ALL) {
                all.add(panama(shape));
            }
        }
        return all;
    }

    /** Built reflectively, so the scalar run never links the Panama class. */
    static KernelSupport panama(GemmShape shape) {
        try {
            return (KernelSupport) Class.forName("dev.heed.internal.vector.PanamaKernelSupport")
                    .getDeclaredConstructor(GemmShape.class)
                    .newInstance(shape);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    static String label(KernelSupport k) {
        return k instanceof ScalarKernelSupport ? "scalar" : k.name() + " " + PackedGemm.of(k);
    }

    static double[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextDouble(-2, 2);
        }
        return x;
    }

    /** How A is laid out: row-major, transposed (column-major), or rows and columns both strided. */
    enum Layout {
        ROWS,
        TRANSPOSED,
        STRIDED
    }

    /** One product and its naive reference; {@code product} runs the kernel under test on (a, b, c). */
    interface Product {
        void run(
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
                boolean accumulate);
    }

    /** Runs {@code product} on seeded data; C must equal the naive FMA chain bit for bit, nothing else may move. */
    static void check(String what, Product product, int m, int n, int k, Layout layout, boolean accumulate) {
        check(what, product, m, n, k, layout, accumulate, n + 3);
    }

    /** {@link #check} with B's row stride {@code ldb ≥ n} given. */
    static void check(String what, Product product, int m, int n, int k, Layout layout, boolean accumulate, int ldb) {
        int aOff = 3;
        int ars;
        int acs;
        switch (layout) {
            case ROWS -> {
                ars = k + 1;
                acs = 1;
            }
            case TRANSPOSED -> {
                ars = 1;
                acs = m + 2;
            }
            default -> {
                ars = 2 * k + 1;
                acs = 2;
            }
        }
        int ldc = n + 2;
        int bOff = 1;
        int cOff = 4;
        double[] a = random(31L * m + 7L * k + layout.ordinal(), aOff + (m - 1) * ars + (k - 1) * acs + 2);
        double[] b = random(17L * n + k, bOff + k * ldb + 1);
        double[] c = random(5L * m + n, cOff + m * ldc + 1);
        double[] before = c.clone();
        double[] aBefore = a.clone();
        double[] bBefore = b.clone();
        product.run(m, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc, accumulate);
        for (int p = 0; p < c.length; p++) {
            int rel = p - cOff;
            int i = rel / ldc;
            int j = rel % ldc;
            if (rel < 0 || i >= m || j >= n) {
                if (Double.doubleToRawLongBits(c[p]) != Double.doubleToRawLongBits(before[p])) {
                    fail(
                            "%s m=%d n=%d k=%d %s acc=%s: C[%d] outside the block changed",
                            what, m, n, k, layout, accumulate, p);
                }
                continue;
            }
            double s = accumulate ? before[p] : 0.0;
            for (int q = 0; q < k; q++) {
                s = Math.fma(a[aOff + i * ars + q * acs], b[bOff + q * ldb + j], s);
            }
            if (Double.doubleToRawLongBits(c[p]) != Double.doubleToRawLongBits(s)) {
                fail(
                        "%s m=%d n=%d k=%d %s acc=%s: C[%d][%d] = %s, the FMA chain gives %s",
                        what, m, n, k, layout, accumulate, i, j, c[p], s);
            }
        }
        assertThat(a).containsExactly(aBefore);
        assertThat(b).containsExactly(bBefore);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void everyShapeIsTheFmaChainOverOddSizes(KernelSupport kernels) {
        for (int m : ODD) {
            for (int n : ODD) {
                for (int k : new int[] {1, 7, 64, 65}) {
                    for (Layout layout : Layout.values()) {
                        check(label(kernels), kernels::gemm, m, n, k, layout, false);
                        check(label(kernels), kernels::gemm, m, n, k, layout, true);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void aTransposedATimesASliverIsTheFmaChain(KernelSupport kernels) {
        // A at unit row stride and B one sliver wide (ldb = the tile's columns): the tiles with
        // constant strides (UnitStrideTiles' s tiles), their edges, and partial slivers.
        int nr = PackedGemm.of(kernels).nr();
        for (int m : ODD) {
            for (int n : new int[] {nr, nr - 1, 1}) {
                for (int k : new int[] {1, 7, 64}) {
                    if (n >= 1) {
                        check(label(kernels) + " sliver", kernels::gemm, m, n, k, Layout.TRANSPOSED, false, nr);
                        check(label(kernels) + " sliver", kernels::gemm, m, n, k, Layout.TRANSPOSED, true, nr);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void everyShapeAcrossThePackingThresholdAndTheBlocks(KernelSupport kernels) {
        PackedGemm packed = PackedGemm.of(kernels);
        int kc = packed.kc();
        int mc = packed.mc();
        int[][] shapes = {
            {255, 256, 256}, // m·n·k just below the packing threshold: unpacked
            {256, 256, 256}, // at it: packed
            {mc + 1, 2 * packed.nr() + 3, kc + 1}, // straddles the row block and the slice depth
            {mc - 1, 3 * packed.nr() - 1, 2 * kc - 1},
            {2 * packed.mr() + 1, 2 * packed.nr() + 1, 257},
            {257, 7, 257}, // too narrow to pack
            {7, 257, 257},
            {257, 65, 13}
        };
        assertThat(packed.worthPacking(255, 256, 256)).isFalse();
        assertThat(packed.worthPacking(256, 256, 256)).isTrue();
        // one layout per size, in turn, to keep the naive reference cheap; accumulate on every other
        for (int t = 0; t < shapes.length; t++) {
            int[] s = shapes[t];
            Layout layout = Layout.values()[t % 3];
            check(label(kernels), kernels::gemm, s[0], s[1], s[2], layout, t % 2 == 1);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void packedPanelsFromAnOffsetWithTheCallersEdgeBuffer(KernelSupport kernels) {
        // The attention kernels' use: A packed at an offset into a larger array, B in slivers at
        // an offset, one call of multiplyPacked with a caller-owned edge buffer holding garbage.
        PackedGemm pg = PackedGemm.of(kernels);
        int mr = pg.mr();
        int nr = pg.nr();
        Product product = (m, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc, accumulate) -> {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
                }
            }
            int panelsAt = 3 * mr * k + 5;
            double[] pa = random(m + 1L, panelsAt + pg.paddedRows(m) * k + 7);
            pg.packA(m, k, a, aOff, ars, acs, pa, panelsAt);
            int sliversAt = 11;
            double[] pb = random(n + 2L, sliversAt + pg.paddedColumns(n) * k + 3);
            pg.packB(k, n, b, bOff, ldb, pb, sliversAt);
            double[] edge = random(7, mr * nr);
            pg.multiplyPacked(m, n, k, pa, panelsAt, pb, sliversAt, c, cOff, ldc, edge);
        };
        for (int m : new int[] {1, mr - 1, mr, 2 * mr + 1, 64}) {
            for (int n : new int[] {1, nr - 1, nr + 1, 64}) {
                for (int k : new int[] {1, 13, 64}) {
                    if (m < 1 || n < 1) {
                        continue;
                    }
                    for (Layout layout : Layout.values()) {
                        check(label(kernels) + " panels at an offset", product, m, n, k, layout, false);
                        check(label(kernels) + " panels at an offset", product, m, n, k, layout, true);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void sliversOfATransposedBAreThoseOfBItself(KernelSupport kernels) {
        // packBTransposed reads Bᵀ row by row (the attention packs Qᵀ straight from Q): every
        // sliver element, the zero padding of a partial sliver included, and nothing outside
        // [dstOff, dstOff + paddedColumns·depth) written.
        PackedGemm pg = PackedGemm.of(kernels);
        int nr = pg.nr();
        for (int cols : new int[] {1, nr - 1, nr, nr + 1, 2 * nr + 3, 64, 65}) {
            for (int depth : new int[] {1, 3, 13, 64}) {
                if (cols < 1) {
                    continue;
                }
                int ldbt = depth + 5; // rows of Bᵀ apart, with a gap between them
                int btOff = 7;
                double[] bt = random(cols * 31L + depth, btOff + cols * ldbt);
                double[] b = new double[depth * cols]; // B itself, row-major
                for (int p = 0; p < depth; p++) {
                    for (int j = 0; j < cols; j++) {
                        b[p * cols + j] = bt[btOff + j * ldbt + p];
                    }
                }
                int dstOff = 3;
                int size = pg.paddedColumns(cols) * depth;
                double[] expected = random(99, dstOff + size + 4);
                double[] actual = expected.clone();
                pg.packB(depth, cols, b, 0, cols, expected, dstOff);
                pg.packBTransposed(depth, cols, bt, btOff, ldbt, actual, dstOff);
                assertThat(actual)
                        .as("%s: %d columns, depth %d", label(kernels), cols, depth)
                        .containsExactly(expected);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void packedLoopsWithTinyBlocksCoverEveryEdge(KernelSupport kernels) {
        PackedGemm base = PackedGemm.of(kernels);
        int mr = base.mr();
        int nr = base.nr();
        PackedGemm tiny = base.withBlocking(5, 2 * mr, 2 * nr);
        Product product = (m, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc, accumulate) -> {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
                }
            }
            tiny.multiply(m, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc);
        };
        for (int m : new int[] {1, mr - 1, mr, 2 * mr + 1, 5 * mr + 3}) {
            for (int n : new int[] {1, nr - 1, nr + 1, 4 * nr + 5}) {
                for (int k : new int[] {1, 4, 5, 6, 13}) {
                    if (m < 1 || n < 1) {
                        continue;
                    }
                    for (Layout layout : Layout.values()) {
                        check(label(kernels) + " " + tiny, product, m, n, k, layout, false);
                        check(label(kernels) + " " + tiny, product, m, n, k, layout, true);
                    }
                }
            }
        }
    }

    @Test
    void everyShapeGivesTheSameBitsAsTheScalarKernels() {
        List<KernelSupport> all = kernels();
        int m = 67;
        int n = 101;
        int k = 300;
        double[] a = random(1, m * k);
        double[] b = random(2, k * n);
        double[] first = null;
        for (KernelSupport kernels : all) {
            double[] c = random(3, m * n);
            kernels.gemm(m, n, k, a, 0, 1, m, b, 0, n, c, 0, n, true);
            if (first == null) {
                first = c;
            } else {
                assertThat(c).as(label(kernels)).containsExactly(first);
            }
        }
    }

    @Test
    void theShapeFollowsTheWidthAndTheArchitecture() {
        assertThat(GemmShape.forWidth(512, "amd64", null)).isEqualTo(GemmShape.EIGHT_BY_THREE);
        assertThat(GemmShape.forWidth(256, "amd64", null)).isEqualTo(GemmShape.SIX_BY_TWO);
        assertThat(GemmShape.forWidth(128, "amd64", "")).isEqualTo(GemmShape.SIX_BY_TWO);
        assertThat(GemmShape.forWidth(128, "aarch64", null)).isEqualTo(GemmShape.EIGHT_BY_THREE);
        assertThat(GemmShape.forWidth(512, "amd64", " 4X4 ")).isSameAs(GemmShape.FOUR_BY_FOUR);
        assertThat(GemmShape.forWidth(128, "aarch64", "6x2")).isSameAs(GemmShape.SIX_BY_TWO);
        assertThatThrownBy(() -> GemmShape.parse("5x5"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dev.heed.gemm.shape=5x5")
                .hasMessageContaining("6x2");
        assertThat(GemmShape.EIGHT_BY_THREE.columns(8)).isEqualTo(24);
    }

    @Test
    void attentionTilesAreWholeSliversOfTheDefaultTiles() {
        // The default support's attention kernels: slivers that divide the 64-wide default tiles
        // (at 512 bits the 4 × 4 twin of 8 × 3), same width; an explicit shape keeps its own.
        KernelSupport support = VectorizationProvider.support();
        KernelSupport tiles = support.attentionTiles();
        assertThat(tiles.attentionTiles()).isSameAs(tiles);
        assertThat(tiles.vectorBits()).isEqualTo(support.vectorBits());
        assertThat(support.attentionTiles()).isSameAs(tiles);
        if (support.vectorBits() > 64
                && (System.getProperty(GemmShape.PROPERTY) == null
                        || System.getProperty(GemmShape.PROPERTY).isBlank())) {
            assertThat(64 % PackedGemm.of(tiles).nr())
                    .as("%s", PackedGemm.of(tiles))
                    .isZero();
            if (64 % PackedGemm.of(support).nr() == 0) {
                assertThat(tiles).isSameAs(support);
            }
        }
        for (KernelSupport kernels : kernels()) {
            assertThat(kernels.attentionTiles()).as(label(kernels)).isSameAs(kernels);
        }
    }

    @Test
    void blockSizesFitTheCacheBudgets() {
        for (KernelSupport kernels : kernels()) {
            PackedGemm p = PackedGemm.of(kernels);
            assertThat((long) p.kc() * p.mr() * Double.BYTES)
                    .as("A micro-panel of %s", p)
                    .isLessThanOrEqualTo(PackedGemm.L1_BUDGET);
            assertThat((long) p.mc() * p.kc() * Double.BYTES)
                    .as("A block of %s", p)
                    .isLessThanOrEqualTo(PackedGemm.L2_BUDGET);
            assertThat(p.mc() % p.mr()).isZero();
            assertThat(p.nc() % p.nr()).isZero();
        }
        // Slices deepen with the width (C's traffic per cycle held), within the micro-panel budget.
        assertThat(PackedGemm.sliceDepth(8, 8)).as("8 x 3 at 512 bits").isEqualTo(512);
        assertThat(PackedGemm.sliceDepth(6, 4)).as("6 x 2 at 256 bits").isEqualTo(256);
        assertThat(PackedGemm.sliceDepth(8, 2)).as("8 x 3 on NEON").isEqualTo(256);
        assertThat(PackedGemm.sliceDepth(4, 1)).as("scalar 4 x 4").isEqualTo(256);
        assertThat(PackedGemm.sliceDepth(16, 8))
                .as("a panel that would overflow L1")
                .isEqualTo(256);
        PackedGemm p = PackedGemm.of(new ScalarKernelSupport());
        assertThatThrownBy(() -> p.withBlocking(4, 3, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mc=3");
    }

    @Test
    void theWidthPropertyNamesASpeciesNoWiderThanTheJvms() throws ReflectiveOperationException {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                VectorizationProvider.vector().isPresent());
        java.lang.reflect.Method species = Class.forName("dev.heed.internal.vector.PanamaKernelSupport")
                .getDeclaredMethod("species", String.class);
        int preferred = VectorizationProvider.vector().get().vectorBits();
        assertThat(species.invoke(null, "128").toString()).contains("128");
        assertThat(species.invoke(null, (Object) null).toString()).contains(Integer.toString(preferred));
        for (String bad : new String[] {"64", "1024", "wide"}) {
            assertThatThrownBy(() -> species.invoke(null, bad))
                    .hasCauseInstanceOf(IllegalArgumentException.class)
                    .cause()
                    .hasMessageContaining("dev.heed.vector.bits=" + bad);
        }
        if (preferred < 512) {
            assertThatThrownBy(() -> species.invoke(null, "512"))
                    .cause()
                    .hasMessageContaining("wider than this JVM's " + preferred + "-bit vectors");
        }
    }
}
