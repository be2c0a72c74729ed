package dev.heed.encoding;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The correctly rounded power behind RotaryEncoding's frequencies: exact cases, agreement with
 * {@link Math#pow} to an ulp, and rounding checked with exact integer arithmetic. (The mpmath
 * values in {@code rotary.txt} are checked in RotaryEncodingReferenceTest.)
 */
class InverseFrequenciesTest {

    @Test
    void exactPowersComeOutExact() {
        assertThat(InverseFrequencies.pow(10000, 0.5)).isEqualTo(100.0);
        assertThat(InverseFrequencies.pow(10000, 0.25)).isEqualTo(10.0);
        assertThat(InverseFrequencies.pow(10000, 0.75)).isEqualTo(1000.0);
        assertThat(InverseFrequencies.pow(500000, 0.0)).isEqualTo(1.0);
        assertThat(InverseFrequencies.pow(2, 10)).isEqualTo(1024.0);
        assertThat(InverseFrequencies.pow(2, -3)).isEqualTo(0.125);
        assertThat(InverseFrequencies.pow(0.25, 0.5)).isEqualTo(0.5);
        assertThat(InverseFrequencies.of(8, 10000)).containsExactly(1.0, 0.1, 0.01, 0.001);
    }

    @Test
    void withinAnUlpOfMathPow() {
        SplittableRandom random = new SplittableRandom(5);
        for (int n = 0; n < 2000; n++) {
            double base = Math.exp(random.nextDouble(-20, 20));
            double exponent = random.nextDouble(0, 1);
            double expected = Math.pow(base, exponent);
            assertThat(Math.abs(InverseFrequencies.pow(base, exponent) - expected))
                    .as("pow(%s, %s)", base, exponent)
                    .isLessThanOrEqualTo(Math.ulp(expected));
        }
        // subnormal and huge bases
        assertThat(InverseFrequencies.pow(Double.MIN_VALUE, 0.5)).isEqualTo(Math.sqrt(Double.MIN_VALUE));
        assertThat(InverseFrequencies.pow(Double.MAX_VALUE, 0.5)).isEqualTo(Math.sqrt(Double.MAX_VALUE));
    }

    @Test
    void squareRootsAreCorrectlyRounded() {
        // For exponent 1/2 the correctly rounded power is Math.sqrt (IEEE 754 requires it to be
        // correctly rounded): an exact check over bases whose roots are not representable.
        SplittableRandom random = new SplittableRandom(6);
        for (int n = 0; n < 2000; n++) {
            double base = Math.exp(random.nextDouble(-600, 600));
            assertThat(InverseFrequencies.pow(base, 0.5)).as("sqrt(%s)", base).isEqualTo(Math.sqrt(base));
        }
    }

    @Test
    void dyadicPowersAreCorrectlyRoundedExactly() {
        // For exponent k/8 (the exponents 2i/dim of dim = 8 and 16 are such) rounding can be
        // checked with exact decimal arithmetic: r is the nearest double to base^(k/8) iff the
        // midpoints between r and its neighbours bracket it, i.e. lo^8 < base^k < hi^8.
        SplittableRandom random = new SplittableRandom(7);
        for (int n = 0; n < 300; n++) {
            double base = Math.exp(random.nextDouble(-20, 20));
            BigDecimal exactBase = new BigDecimal(base);
            for (int k = 1; k < 8; k++) {
                double r = InverseFrequencies.pow(base, k / 8.0);
                BigDecimal rr = new BigDecimal(r);
                BigDecimal lo = rr.add(new BigDecimal(Math.nextDown(r))).divide(BigDecimal.valueOf(2));
                BigDecimal hi = rr.add(new BigDecimal(Math.nextUp(r))).divide(BigDecimal.valueOf(2));
                BigDecimal power = exactBase.pow(k);
                assertThat(lo.pow(8).compareTo(power))
                        .as("pow(%s, %d/8) = %s too large", base, k, r)
                        .isNegative();
                assertThat(hi.pow(8).compareTo(power))
                        .as("pow(%s, %d/8) = %s too small", base, k, r)
                        .isPositive();
            }
        }
    }
}
