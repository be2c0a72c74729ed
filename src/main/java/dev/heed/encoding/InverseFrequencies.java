package dev.heed.encoding;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * The inverse frequencies of rotary positions, {@code 1 / base^(2i/dim)}, computed with PyTorch's
 * order of operations ({@code 1.0 / (base ** (torch.arange(0, dim, 2) / dim))} in float64) but
 * with a correctly rounded power: exponent {@code 2i/dim} rounded to a double, the power rounded
 * to the nearest double, then one division.
 *
 * <p>Why not {@link Math#pow}: it may be off by one ulp and differs between JVMs and platforms
 * ({@link StrictMath#pow} is reproducible but off by one ulp for about 8% of rotary frequencies).
 * At position 10⁶ one ulp of a frequency moves the angle by up to 10⁻¹⁰ radians, so the power
 * decides how closely far positions agree with a reference. The power here is evaluated in
 * {@link #DIGITS}-digit decimal arithmetic and rounded once, so the same bits come out everywhere
 * (a correctly rounded libm, such as glibc's {@code pow}, gives the same). Package-private.
 */
final class InverseFrequencies {
    /**
     * Working precision in decimal digits, more than twice a double's 17. The series below lose a
     * few digits to rounding; with 40 the power is known to about 1e-35 relative, so rounding it to
     * 53 bits goes wrong only if the exact power lay within 1e-35 of a midpoint between two doubles
     * (checked against 230,000 correctly rounded powers: none did). About 60 µs a power.
     */
    static final int DIGITS = 40;

    private static final MathContext MC = new MathContext(DIGITS, RoundingMode.HALF_EVEN);
    /** Series stop once a term drops below this (absolute; every sum here is below 1 in size). */
    private static final BigDecimal NEGLIGIBLE = BigDecimal.ONE.movePointLeft(DIGITS + 10);

    private static final BigDecimal TWO = BigDecimal.valueOf(2);
    /** ln 2 = 2 atanh(1/3). */
    private static final BigDecimal LN2 = twiceAtanh(BigDecimal.ONE.divide(BigDecimal.valueOf(3), MC));
    /** sqrt(2), rounded down: the mantissa is brought into [sqrt(1/2), sqrt(2)] for a faster series. */
    private static final double SQRT2 = 1.4142135623730951;

    private InverseFrequencies() {}

    /**
     * {@code 1.0 / pow(base, (2.0 * i) / dim)} for {@code i = 0 … dim/2 - 1}, the power correctly
     * rounded.
     *
     * @param dim  even, ≥ 2 (checked by the caller)
     * @param base finite, &gt; 0 (checked by the caller)
     * @return a new array of {@code dim / 2} values; entry 0 is exactly 1
     */
    static double[] of(int dim, double base) {
        double[] inverse = new double[dim / 2];
        BigDecimal logBase = log(base);
        for (int i = 0; i < inverse.length; i++) {
            double exponent = (2.0 * i) / dim; // torch: arange(0, dim, 2) / dim, one rounded division
            inverse[i] = 1.0 / exp(logBase.multiply(new BigDecimal(exponent), MC));
        }
        return inverse;
    }

    /**
     * {@code base^exponent} rounded to the nearest double.
     *
     * @param base     finite, &gt; 0
     * @param exponent finite, with {@code |exponent · ln base|} below about 700 (no overflow)
     * @return the correctly rounded power
     */
    static double pow(double base, double exponent) {
        return exp(log(base).multiply(new BigDecimal(exponent), MC));
    }

    /** ln x for a finite x &gt; 0, to {@link #DIGITS} digits. */
    static BigDecimal log(double x) {
        int e = Math.getExponent(x);
        if (e < Double.MIN_EXPONENT) {
            // A subnormal: scale into the normal range exactly, then take the scale back off.
            return log(x * 0x1p64).subtract(LN2.multiply(BigDecimal.valueOf(64), MC), MC);
        }
        double m = Math.scalb(x, -e); // exact, in [1, 2)
        if (m > SQRT2) {
            m /= 2; // exact
            e++;
        }
        BigDecimal mantissa = new BigDecimal(m);
        // ln m = 2 atanh((m - 1) / (m + 1)), with |(m - 1) / (m + 1)| <= 0.172: about 33 terms.
        BigDecimal z = mantissa.subtract(BigDecimal.ONE).divide(mantissa.add(BigDecimal.ONE), MC);
        return twiceAtanh(z).add(LN2.multiply(BigDecimal.valueOf(e), MC), MC);
    }

    /** e^y rounded to the nearest double, for |y| below about 700. */
    static double exp(BigDecimal y) {
        // y = k ln 2 + r with |r| <= ln(2)/2, so e^y = 2^k e^r and the Taylor series of e^r
        // converges in about 35 terms.
        int k = y.divide(LN2, MC).setScale(0, RoundingMode.HALF_EVEN).intValueExact();
        BigDecimal r = y.subtract(LN2.multiply(BigDecimal.valueOf(k), MC), MC);
        BigDecimal sum = BigDecimal.ONE;
        BigDecimal term = BigDecimal.ONE;
        for (int n = 1; term.abs().compareTo(NEGLIGIBLE) >= 0; n++) {
            term = term.multiply(r, MC).divide(BigDecimal.valueOf(n), MC);
            sum = sum.add(term, MC);
        }
        // 2^k is an exact decimal either way (2^-k = 5^k / 10^k), so the only rounding to a double
        // is the last one, in doubleValue().
        BigDecimal scale =
                k >= 0 ? TWO.pow(k) : new BigDecimal(BigInteger.valueOf(5).pow(-k), -k);
        return sum.multiply(scale, MC).doubleValue();
    }

    /** 2 atanh(z) = 2 (z + z³/3 + z⁵/5 + …) for |z| &lt; 1/2. */
    private static BigDecimal twiceAtanh(BigDecimal z) {
        BigDecimal z2 = z.multiply(z, MC);
        BigDecimal power = z;
        BigDecimal sum = z;
        for (int n = 3; power.abs().compareTo(NEGLIGIBLE) >= 0; n += 2) {
            power = power.multiply(z2, MC);
            sum = sum.add(power.divide(BigDecimal.valueOf(n), MC), MC);
        }
        return sum.multiply(TWO);
    }
}
