package dev.heed.internal.vector;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
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

    /**
     * The exponential before the exponent bits were built with a logical shift (issue 11): the same
     * steps with {@code k >> 1}, which on 64-bit vector lanes has no AVX2 instruction. Kept here as
     * the reference that the rewrite changed no bit.
     */
    static double expWithArithmeticShift(double x) {
        double xc = Math.min(Math.max(x, Exp.MIN_X), Exp.MAX_X);
        double t = Math.fma(xc, Exp.LOG2E, Exp.SHIFTER);
        double n = t - Exp.SHIFTER;
        double r = Math.fma(n, -Exp.LN2_HI, xc);
        r = Math.fma(n, -Exp.LN2_LO, r);
        // The polynomial is Exp's own (its accuracy is the whole-range test's business): this
        // reference is about the exponent bits.
        double p = Exp.polynomial(r);
        long k = Double.doubleToRawLongBits(t) - Exp.SHIFTER_BITS;
        long k1 = k >> 1;
        long k2 = k - k1;
        return p * Double.longBitsToDouble((k1 + 1023) << 52) * Double.longBitsToDouble((k2 + 1023) << 52);
    }

    @Test
    void sameBitsAsTheArithmeticShiftFormAtEveryExponent() {
        SplittableRandom random = new SplittableRandom(11);
        List<Double> xs = new ArrayList<>(List.of(
                Double.NEGATIVE_INFINITY,
                Double.POSITIVE_INFINITY,
                Double.NaN,
                -0.0,
                0.0,
                Double.MIN_VALUE,
                -Double.MAX_VALUE,
                Double.MAX_VALUE,
                Exp.MIN_X,
                Exp.MAX_X,
                Math.nextDown(Exp.MIN_X),
                Math.nextUp(Exp.MAX_X)));
        // Every n = round(x / ln2) the clamp allows, odd and even (where k >> 1 and the logical shift
        // could part), at, just beside and half-way between its rounding boundaries.
        for (int n = -1076; n <= 1025; n++) {
            double centre = n * Math.log(2);
            double edge = (n + 0.5) * Math.log(2);
            for (double x : new double[] {centre, edge, Math.nextDown(edge), Math.nextUp(edge), edge - 1e-9}) {
                xs.add(x);
            }
        }
        for (int i = 0; i < 1_000_000; i++) {
            xs.add(i % 2 == 0 ? random.nextDouble(-800, 800) : random.nextDouble(-40, 1));
        }
        for (double x : xs) {
            assertThat(Double.doubleToRawLongBits(Exp.exp(x)))
                    .as("exp(%s)", x)
                    .isEqualTo(Double.doubleToRawLongBits(expWithArithmeticShift(x)));
        }
    }

    @Test
    void everyVectorLoopGivesTheArithmeticShiftFormsBits() {
        KernelSupport vector = VectorizationProvider.vector().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(vector != null, "Vector API not enabled in this JVM");
        SplittableRandom random = new SplittableRandom(13);
        for (int n : new int[] {1, 3, 7, 13, 64, 65, 257, 2101}) {
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                // i - 1100 walks n through every exponent of the clamped range when the row is long.
                x[i] = i % 3 == 0 ? (i - 1100) * Math.log(2) : random.nextDouble(-800, 720);
            }
            double[] e = x.clone();
            vector.expShiftSum(e, 0, n, 0.0);
            // expShiftAccumulate's arguments are shifted by a running maximum: at most 665 (its
            // contract), here down from 0 and 665 through every exponent.
            double[] a = x.clone();
            double[] shifts = new double[n];
            for (int i = 0; i < n; i++) {
                shifts[i] = i % 2 == 0 ? 720 : 55;
            }
            vector.expShiftAccumulate(a, 0, 1, n, 1.0, shifts, new double[n]);
            double[] m = x.clone();
            double[] g = new double[n];
            java.util.Arrays.fill(g, 1.0);
            vector.expSubtractMultiply(m, 0, n, 1.0, 0.0, g, 0, 0.0);
            for (int i = 0; i < n; i++) {
                long expected = Double.doubleToRawLongBits(expWithArithmeticShift(x[i]));
                assertThat(Double.doubleToRawLongBits(e[i]))
                        .as("expShiftSum lane %d of %d", i, n)
                        .isEqualTo(expected);
                assertThat(Double.doubleToRawLongBits(a[i]))
                        .as("expShiftAccumulate lane %d of %d", i, n)
                        .isEqualTo(Double.doubleToRawLongBits(expWithArithmeticShift(x[i] - shifts[i])));
                assertThat(Double.doubleToRawLongBits(m[i]))
                        .as("expSubtractMultiply lane %d of %d", i, n)
                        .isEqualTo(expected);
            }
        }
    }
}
