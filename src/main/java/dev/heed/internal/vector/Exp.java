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
 * below 5e-18, so the result is within about one ulp; evaluated as {@link #polynomial} says);
 * then {@code e^x = e^r · 2^h · 2^(n − h)} with {@code h = floor(n/2)} — two factors so that
 * results down in the subnormal range are also rounded only once. The exponent bits of both
 * factors are built with integer adds and logical shifts of a value kept non-negative, operations
 * every vector width has an instruction for (SSE/NEON, AVX2, AVX-512); the bits are those of the
 * earlier form with {@code n >> 1}.
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
     * {@code SHIFTER_BITS − 2048}: subtracted from the bits of {@code x/ln2 + SHIFTER} it leaves
     * {@code n + 2048}, positive for every clamped input ({@code n ≥ −1075}), so that halving it
     * takes a logical shift. An arithmetic shift of 64-bit lanes has no AVX2 instruction.
     */
    static final long BIASED_SHIFTER_BITS = SHIFTER_BITS - 2048;
    /**
     * {@code SHIFTER_BITS − (1023 + 64)}: subtracted from the bits of {@code x/ln2 + SHIFTER} it
     * leaves the biased exponent of {@code 2ⁿ⁺⁶⁴}, a normal number for {@code −1075 ≤ n ≤ 959}. For
     * arguments known to be at most 665 (a softmax shifted by its maximum), {@code p·2ⁿ⁺⁶⁴·2⁻⁶⁴}
     * rounds only in its last step and equals {@link #exp}'s two-factor result bit for bit.
     */
    static final long SHIFTER_BITS_LESS_BIAS_64 = SHIFTER_BITS - (1023 + 64);

    static final double TWO_TO_MINUS_64 = 0x1p-64;

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
        double p = polynomial(r);
        // kb = n + 2048 ≥ 973 (clamped), so a logical shift halves it: h = floor(n / 2) + 1024.
        long kb = Double.doubleToRawLongBits(t) - BIASED_SHIFTER_BITS;
        long h = kb >>> 1;
        return p * Double.longBitsToDouble((h - 1) << 52) * Double.longBitsToDouble((kb - h - 1) << 52);
    }

    /**
     * {@code 1 + r(1 + r·q(r))}, {@code q} the Taylor coefficients {@code 1/2! … 1/13!}: {@code q}
     * by Estrin's scheme (pairs {@code c + c'·r}, joined by {@code r²}, {@code r⁴}, {@code r⁸}),
     * the last two terms by Horner's, so that the result is rounded as Horner's whole chain would
     * round it: last in {@code 1 + r·(…)}. Estrin's tree is 4 dependent operations deep where
     * Horner's chain is 12; the vector loops run many exponentials at once and their out-of-order
     * window holds more of them when each is shorter (7 % faster per element, measured at 512
     * bits). The vector twins perform these very operations.
     */
    static double polynomial(double r) {
        double r2 = r * r;
        double r4 = r2 * r2;
        double r8 = r4 * r4;
        double q01 = Math.fma(Math.fma(r, C5, C4), r2, Math.fma(r, C3, C2));
        double q23 = Math.fma(Math.fma(r, C9, C8), r2, Math.fma(r, C7, C6));
        double q45 = Math.fma(Math.fma(r, C13, C12), r2, Math.fma(r, C11, C10));
        double q = Math.fma(q45, r8, Math.fma(q23, r4, q01));
        return Math.fma(Math.fma(q, r, 1.0), r, 1.0);
    }
}
