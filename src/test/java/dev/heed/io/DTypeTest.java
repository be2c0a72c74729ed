package dev.heed.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The element conversions against independent references, over every or many bit patterns. */
class DTypeTest {
    /** binary16 by its definition: (-1)^s · 2^(e-15) · (1 + m/1024), subnormals 2^-14 · m/1024. */
    private static double halfByDefinition(int h) {
        int s = h >>> 15;
        int e = (h >>> 10) & 0x1f;
        int m = h & 0x3ff;
        double sign = s == 0 ? 1 : -1;
        if (e == 0x1f) {
            return m == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
        }
        return e == 0 ? sign * Math.pow(2, -14) * (m / 1024.0) : sign * Math.pow(2, e - 15) * (1 + m / 1024.0);
    }

    @Test
    void everyHalfConvertsExactly() {
        for (int h = 0; h < 0x10000; h++) {
            double actual = DType.halfToDouble((short) h);
            double expected = halfByDefinition(h);
            if (Double.isNaN(expected)) {
                assertThat(actual).as("0x%04x", h).isNaN();
                long bits = Double.doubleToRawLongBits(actual);
                assertThat(bits >>> 63).as("sign of NaN 0x%04x", h).isEqualTo(h >>> 15);
                assertThat((bits >>> 42) & 0x3ff).as("payload of NaN 0x%04x", h).isEqualTo(h & 0x3ff);
            } else {
                assertThat(Double.doubleToLongBits(actual))
                        .as("0x%04x", h)
                        .isEqualTo(Double.doubleToLongBits(expected));
            }
        }
    }

    @Test
    void unsignedLongsRoundToNearestEven() {
        Random r = new Random(1);
        long[] edges = {
            0,
            1,
            -1,
            -2,
            Long.MIN_VALUE,
            Long.MAX_VALUE,
            (1L << 53) + 1,
            -(1L << 11) - 1,
            -(1L << 11),
            -(1L << 11) + 1,
            0x8000_0000_0000_0400L,
            0x8000_0000_0000_0401L,
            0x8000_0000_0000_0C00L
        };
        for (int i = 0; i < 200_000; i++) {
            long x = i < edges.length ? edges[i] : r.nextLong() >>> r.nextInt(64);
            double expected = new BigDecimal(Long.toUnsignedString(x)).doubleValue(); // correctly rounded
            assertThat(DType.unsignedLongToDouble(x))
                    .as(Long.toUnsignedString(x))
                    .isEqualTo(expected);
        }
    }

    @Test
    void decodesBothByteOrders() {
        ByteBuffer b = ByteBuffer.allocate(16);
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            b.clear();
            b.order(order)
                    .putShort((short) -2)
                    .putInt(-3)
                    .putShort((short) 0x3c00)
                    .putLong(-1);
            b.flip();
            double[] out = new double[4];
            DType.INT16.decode(b, out, 0, 1);
            DType.UINT32.decode(b, out, 1, 1);
            DType.FLOAT16.decode(b, out, 2, 1);
            DType.UINT64.decode(b, out, 3, 1);
            assertThat(out).containsExactly(-2, 4294967293.0, 1.0, 0x1p64);
            assertThat(b.remaining()).isZero();
        }
    }
}
