package dev.heed.internal.vector;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExpTest {

    static long ulps(double a, double b) {
        return Math.abs(Double.doubleToLongBits(a) - Double.doubleToLongBits(b));
    }

    @Test
    void withinOneUlpOfStrictMathAcrossTheWholeRange() {
        SplittableRandom random = new SplittableRandom(42);
        long worst = 0;
        for (int i = 0; i < 2_000_000; i++) {
            double x = i % 2 == 0 ? random.nextDouble(-746, 710) : random.nextDouble(-2, 2);
            long u = ulps(Exp.exp(x), StrictMath.exp(x));
            worst = Math.max(worst, u);
        }
        assertThat(worst).isLessThanOrEqualTo(1);
    }

    @Test
    void edgesAreExact() {
        assertThat(Exp.exp(0.0)).isEqualTo(1.0);
        assertThat(Exp.exp(-0.0)).isEqualTo(1.0);
        assertThat(Exp.exp(Double.NEGATIVE_INFINITY)).isEqualTo(0.0);
        assertThat(Exp.exp(Double.POSITIVE_INFINITY)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(Exp.exp(Double.NaN)).isNaN();
        assertThat(Exp.exp(-1e300)).isEqualTo(0.0);
        assertThat(Exp.exp(1e300)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(Exp.exp(709.78)).isEqualTo(StrictMath.exp(709.78));
        assertThat(Exp.exp(709.79)).isEqualTo(Double.POSITIVE_INFINITY);
        // The subnormal range rounds once: compare with StrictMath to an ulp.
        for (double x = -708.5; x > -745.2; x -= 0.37) {
            assertThat(ulps(Exp.exp(x), StrictMath.exp(x))).as("exp(%s)", x).isLessThanOrEqualTo(1);
        }
        for (double x : new double[] {-744.44, -745.0, -745.13, -745.1332, -745.134, -745.2}) {
            assertThat(Exp.exp(x)).as("exp(%s)", x).isEqualTo(StrictMath.exp(x));
        }
    }

    @Test
    void vectorLanesGiveTheSameBitsAsTheScalarTwin() {
        KernelSupport vector = VectorizationProvider.vector().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(vector != null, "Vector API not enabled in this JVM");
        SplittableRandom random = new SplittableRandom(7);
        for (int n : new int[] {1, 7, 8, 9, 64, 1000}) {
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = i % 5 == 0 ? random.nextDouble(-800, 700) : random.nextDouble(-40, 3);
            }
            x[0] = n > 3 ? Double.NEGATIVE_INFINITY : x[0];
            double[] e = x.clone();
            double sum = vector.expShiftSum(e, 0, n, 0.5);
            for (int i = 0; i < n; i++) {
                assertThat(Double.doubleToRawLongBits(e[i]))
                        .as("lane %d of %d", i, n)
                        .isEqualTo(Double.doubleToRawLongBits(Exp.exp(x[i] - 0.5)));
            }
            assertThat(sum).isFinite();
        }
    }
}
