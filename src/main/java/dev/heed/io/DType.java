package dev.heed.io;

import java.nio.ByteBuffer;

/**
 * The element types Heed reads from files, each converted to {@code double} on the way in. Not API.
 *
 * <p>Conversions are exact except for the two 64-bit integer types, whose values above
 * 2<sup>53</sup> in magnitude are rounded to the nearest double (ties to even), as NumPy's
 * {@code astype(np.float64)} rounds them. Booleans read as 1.0 for any nonzero byte and 0.0 for
 * zero, which is how NumPy views a bool byte that is neither 0 nor 1.
 */
enum DType {
    FLOAT64(8),
    FLOAT32(4),
    FLOAT16(2),
    BFLOAT16(2),
    INT64(8),
    INT32(4),
    INT16(2),
    INT8(1),
    UINT64(8),
    UINT32(4),
    UINT16(2),
    UINT8(1),
    BOOL(1);

    /** Bytes per element. */
    final int size;

    DType(int size) {
        this.size = size;
    }

    /**
     * Converts {@code count} elements from {@code src} (at its position, in its byte order) into
     * {@code dst[off, off + count)}.
     *
     * @param src advanced by {@code count · size} bytes
     * @param dst modified
     */
    void decode(ByteBuffer src, double[] dst, int off, int count) {
        int end = off + count;
        switch (this) {
            case FLOAT64:
                src.asDoubleBuffer().get(dst, off, count);
                src.position(src.position() + count * 8);
                break;
            case FLOAT32:
                for (int i = off; i < end; i++) {
                    dst[i] = src.getFloat();
                }
                break;
            case FLOAT16:
                for (int i = off; i < end; i++) {
                    dst[i] = halfToDouble(src.getShort());
                }
                break;
            case BFLOAT16:
                for (int i = off; i < end; i++) {
                    dst[i] = Float.intBitsToFloat((src.getShort() & 0xffff) << 16);
                }
                break;
            case INT64:
                for (int i = off; i < end; i++) {
                    dst[i] = src.getLong();
                }
                break;
            case INT32:
                for (int i = off; i < end; i++) {
                    dst[i] = src.getInt();
                }
                break;
            case INT16:
                for (int i = off; i < end; i++) {
                    dst[i] = src.getShort();
                }
                break;
            case INT8:
                for (int i = off; i < end; i++) {
                    dst[i] = src.get();
                }
                break;
            case UINT64:
                for (int i = off; i < end; i++) {
                    dst[i] = unsignedLongToDouble(src.getLong());
                }
                break;
            case UINT32:
                for (int i = off; i < end; i++) {
                    dst[i] = src.getInt() & 0xffff_ffffL;
                }
                break;
            case UINT16:
                for (int i = off; i < end; i++) {
                    dst[i] = src.getShort() & 0xffff;
                }
                break;
            case UINT8:
                for (int i = off; i < end; i++) {
                    dst[i] = src.get() & 0xff;
                }
                break;
            case BOOL:
                for (int i = off; i < end; i++) {
                    dst[i] = src.get() != 0 ? 1.0 : 0.0;
                }
                break;
            default:
                throw new AssertionError(this);
        }
    }

    /**
     * The exact value of an IEEE 754 binary16 number. Subnormals, signed zeros and infinities
     * convert exactly; a NaN keeps its sign and its payload, shifted into the high mantissa bits
     * (as NumPy's {@code npy_halfbits_to_doublebits} does).
     */
    static double halfToDouble(short bits) {
        int h = bits & 0xffff;
        long sign = (long) (h >>> 15) << 63;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            // infinity (mantissa 0) or NaN: the same bit pattern widened
            return Double.longBitsToDouble(sign | 0x7ff0_0000_0000_0000L | (long) mantissa << 42);
        }
        double magnitude = exponent == 0
                ? mantissa * 0x1p-24 // subnormal or zero
                : Math.scalb((double) (0x400 | mantissa), exponent - 25); // (1 + m/1024) · 2^(e-15)
        return sign != 0 ? -magnitude : magnitude;
    }

    /** An unsigned 64-bit integer, rounded to the nearest double (ties to even). */
    static double unsignedLongToDouble(long x) {
        if (x >= 0) {
            return x;
        }
        // Halve (keeping the lowest bit as a sticky bit so rounding stays correct), convert, double.
        return ((x >>> 1) | (x & 1)) * 2.0;
    }
}
