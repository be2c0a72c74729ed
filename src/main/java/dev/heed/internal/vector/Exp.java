package dev.heed.internal.vector;

/**
 * {@code e^x} from exactly rounded operations only (fused multiply-add, multiply, add and bit
 * manipulation), with a vector twin in {@code PanamaKernelSupport} that performs the very same
 * operations lane by lane. Not API.
 *
 * <p>Why not {@code Math.exp} and the Vector API's {@code lanewise(EXP)}: those two may differ
 * by an ulp, and the Vector API computes EXP one way in interpreted code and another once C2 has
 * compiled it, so a query's result would depend on whether it landed in a vector lane or in the
 * scalar tail, and on JIT timing. Built from correctly rounded steps, this function gives the same
 * bits in every lane, tail, tier and thread.
 *
 * <p>Method: {@code x = n·ln2 + r} with {@code n = round(x / ln2)} (Cody–Waite, ln2 split in two
 * parts), {@code |r| ≤ ln2/2}; {@code e^r} by its Taylor series to degree 13 (truncation error
 * below 5e-18, so the result is within about one ulp); then {@code e^x = e^r · 2^(n/2) · 2^(n − n/2)}
 * — two factors so that results down in the subnormal range are also rounded only once.
 * {@code exp(-inf) = 0}, {@code exp(+inf) = +inf}, NaN gives NaN. Only lane-wise arithmetic is
 * used — no comparisons, masks or blends, whose vector forms C2 sometimes fails to intrinsify.
 */
public final class Exp {
    private Exp() {}

    static final double LOG2E = 0x1.71547652b82fep0;
    static final double LN2_HI = 0x1.62e42fefa39efp-1;
    static final double LN2_LO = 0x1.abc9e3b39803fp-56;
    /** 1.5·2⁵²: adding it rounds x/ln2 to an integer held in the low bits of the mantissa. */
    static final double SHIFTER = 0x1.8p52;

    static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
    /**
     * Inputs are clamped to [MIN_X, MAX_X]: beyond them the result is 0 or +inf anyway. At MIN_X
     * the steps below give 0.93·2⁻¹⁰⁷⁵, which rounds to exactly 0, as does every input below
     * ln(2⁻¹⁰⁷⁵) = −745.1332…, −∞ included: no separate test for underflow is needed.
     */
    static final double MIN_X = -745.2;

    static final double MAX_X = 709.8;

    static final double C2 = 1.0 / 2;
    static final double C3 = 1.0 / 6;
    static final double C4 = 1.0 / 24;
    static final double C5 = 1.0 / 120;
    static final double C6 = 1.0 / 720;
    static final double C7 = 1.0 / 5040;
    static final double C8 = 1.0 / 40320;
    static final double C9 = 1.0 / 362880;
    static final double C10 = 1.0 / 3628800;
    static final double C11 = 1.0 / 39916800;
    static final double C12 = 1.0 / 479001600;
    static final double C13 = 1.0 / 6227020800.0;

    /** {@code e^x}, within about one ulp, bitwise equal to the vector twin. */
    public static double exp(double x) {
        double xc = Math.min(Math.max(x, MIN_X), MAX_X);
        double t = Math.fma(xc, LOG2E, SHIFTER);
        double n = t - SHIFTER;
        double r = Math.fma(n, -LN2_HI, xc);
        r = Math.fma(n, -LN2_LO, r);
        double p = C13;
        p = Math.fma(p, r, C12);
        p = Math.fma(p, r, C11);
        p = Math.fma(p, r, C10);
        p = Math.fma(p, r, C9);
        p = Math.fma(p, r, C8);
        p = Math.fma(p, r, C7);
        p = Math.fma(p, r, C6);
        p = Math.fma(p, r, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1.0);
        p = Math.fma(p, r, 1.0);
        long k = Double.doubleToRawLongBits(t) - SHIFTER_BITS;
        long k1 = k >> 1;
        long k2 = k - k1;
        return p * Double.longBitsToDouble((k1 + 1023) << 52) * Double.longBitsToDouble((k2 + 1023) << 52);
    }
}
