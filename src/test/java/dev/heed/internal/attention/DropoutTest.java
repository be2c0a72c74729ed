package dev.heed.internal.attention;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The dropout generator's statistics and fixed values: the keep rate within binomial bounds over
 * about 10⁶ draws, uniforms spread evenly, no correlation between neighbouring keys, queries, heads,
 * batches or seeds, and a few hashes fixed here (the Python copy in make_dropout_fixtures.py writes
 * the same ones to dropout.txt, checked by DropoutFixturesTest).
 */
class DropoutTest {
    private static final int N = 1024;

    /** keep(row, key) over an N × N block of (query, key) for one (batch, head) of a seed. */
    private static boolean[] block(long seed, double p, int batch, int head, int queryShift, int keyShift) {
        boolean[] keep = new boolean[N * N];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                long h = Dropout.hash(seed, batch, head, i + queryShift, j + keyShift);
                keep[i * N + j] = Dropout.uniform(h) >= p;
            }
        }
        return keep;
    }

    /** Pearson correlation of two indicator sequences. */
    private static double correlation(boolean[] a, boolean[] b) {
        double n = a.length;
        double sa = 0;
        double sb = 0;
        double sab = 0;
        for (int x = 0; x < a.length; x++) {
            sa += a[x] ? 1 : 0;
            sb += b[x] ? 1 : 0;
            sab += a[x] && b[x] ? 1 : 0;
        }
        double ma = sa / n;
        double mb = sb / n;
        return (sab / n - ma * mb) / Math.sqrt(ma * (1 - ma) * mb * (1 - mb));
    }

    @Test
    void keepRateIsWithinBinomialBoundsOverAMillionDraws() {
        for (double p : new double[] {0.1, 0.3, 0.5, 0.9}) {
            boolean[] keep = block(12345, p, 1, 2, 0, 0);
            int kept = 0;
            for (boolean k : keep) {
                kept += k ? 1 : 0;
            }
            double n = keep.length;
            double mean = n * (1 - p);
            double sd = Math.sqrt(n * p * (1 - p));
            assertThat(Math.abs(kept - mean))
                    .as("p=%s kept %d of %d", p, kept, keep.length)
                    .isLessThan(5 * sd);
        }
    }

    @Test
    void uniformsFillSixteenBinsEvenly() {
        int[] bins = new int[16];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                bins[(int) (Dropout.uniform(Dropout.hash(7, 0, 0, i, j)) * 16)]++;
            }
        }
        double expected = N * N / 16.0;
        double chi2 = 0;
        for (int b : bins) {
            chi2 += (b - expected) * (b - expected) / expected;
        }
        // 15 degrees of freedom: P(chi2 > 44) < 1e-4
        assertThat(chi2).isLessThan(44);
    }

    @Test
    void neighbouringKeysQueriesHeadsBatchesAndSeedsAreUncorrelated() {
        double p = 0.3;
        boolean[] base = block(99, p, 3, 4, 0, 0);
        double bound = 5 / Math.sqrt(N * N); // 5 standard deviations of a null correlation
        boolean[][] neighbours = {
            block(99, p, 3, 4, 0, 1), // next key
            block(99, p, 3, 4, 1, 0), // next query
            block(99, p, 3, 5, 0, 0), // next head
            block(99, p, 4, 4, 0, 0), // next batch
            block(100, p, 3, 4, 0, 0), // next seed
            block(99, p, 4, 3, 0, 0) // batch and head swapped
        };
        String[] names = {"key", "query", "head", "batch", "seed", "swapped batch and head"};
        for (int t = 0; t < neighbours.length; t++) {
            assertThat(Math.abs(correlation(base, neighbours[t])))
                    .as("correlation with the next %s", names[t])
                    .isLessThan(bound);
        }
        // and not the same mask shifted: equal masks would have correlation 1
        assertThat(correlation(base, block(99, p, 3, 4, 0, 0))).isEqualTo(1.0);
    }

    @Test
    void fixedKnownValues() {
        // Written by make_dropout_fixtures.py's Python copy of the generator (also in dropout.txt).
        assertThat(Dropout.hash(0, 0, 0, 0, 0)).isEqualTo(0x552d806a62b97855L);
        assertThat(Dropout.hash(0, 0, 0, 0, 1)).isEqualTo(0x04688c00a6580de6L);
        assertThat(Dropout.hash(42, 3, 7, 100, 200)).isEqualTo(0x8ee6bedb1f0a7514L);
        assertThat(Dropout.hash(-1, 0, 0, 0, 0)).isEqualTo(0x267d54dedc53f876L);
        assertThat(Dropout.uniform(0x552d806a62b97855L)).isEqualTo(0.3327255496721814);
        assertThat(Dropout.uniform(-1L)).isLessThan(1.0).isEqualTo(1 - 0x1p-53);
        assertThat(Dropout.uniform(0L)).isZero();
    }

    @Test
    void factorsAndKeepsAgreeWithTheHash() {
        Dropout d = new Dropout(0.3, 5, 3); // scores [..., 3, L, S]: kernel batch element 7 is (batch 2, head 1)
        assertThat(d.factor).isEqualTo(1 / 0.7);
        double[] z = new double[4 * 5];
        d.factors(7, 10, 4, 20, 5, z);
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 5; c++) {
                boolean keep = Dropout.uniform(Dropout.hash(5, 2, 1, 10 + r, 20 + c)) >= 0.3;
                assertThat(z[r * 5 + c]).isEqualTo(keep ? 1 / 0.7 : 0.0);
                assertThat(d.keeps(7, 10 + r, 20 + c)).isEqualTo(keep);
            }
        }
        double[] x = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        d.apply(7, 11, 20, 25, x, 0, 2); // every other element: the row of query 11
        for (int c = 0; c < 5; c++) {
            assertThat(x[2 * c]).isEqualTo(z[5 + c]);
            assertThat(x[2 * c + 1]).isEqualTo(1.0);
        }
    }

    @Test
    void aWeightIsKeptExactlyWhenItsUniformIsAtLeastP() {
        // p set to a weight's own uniform u keeps it; the next double above u drops it.
        for (int j = 0; j < 200; j++) {
            double u = Dropout.uniform(Dropout.hash(3, 0, 1, 4, j));
            if (u == 0) {
                continue;
            }
            assertThat(new Dropout(u, 3, 2).keeps(1, 4, j))
                    .as("key %d, p = u = %s", j, u)
                    .isTrue();
            assertThat(new Dropout(Math.nextUp(u), 3, 2).keeps(1, 4, j))
                    .as("key %d, p just above u", j)
                    .isFalse();
            assertThat(new Dropout(Math.nextDown(u), 3, 2).keeps(1, 4, j))
                    .as("key %d, p below u", j)
                    .isTrue();
        }
    }
}
