package dev.heed.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Reading elements from a stream into {@code double[]}, and the size checks around it. Not API. */
final class Elements {
    /** Bytes converted per read: large enough to amortise the call, small enough to stay in cache. */
    private static final int CHUNK_BYTES = 1 << 16;
    /** Smallest growth step when the stream's length is not known in advance. */
    private static final int MIN_CAPACITY = 1 << 13;

    private Elements() {}

    /**
     * The number of elements of {@code shape}, or an {@link IOException} naming the shape when it
     * is more than a {@code Tensor} holds (2³¹−1). The dimensions must be non-negative.
     */
    static int count(int[] shape, String where) throws IOException {
        long n = 1;
        boolean tooMany = false;
        for (int d : shape) {
            if (d == 0) {
                return 0;
            }
            if (n > Integer.MAX_VALUE / d) {
                tooMany = true; // keep scanning: a later 0 makes the array empty
            } else {
                n *= d;
            }
        }
        if (tooMany || n > Integer.MAX_VALUE) {
            throw new IOException(where + ": shape " + Arrays.toString(shape)
                    + " has more than 2^31-1 elements, the most a Tensor holds");
        }
        return (int) n;
    }

    /** {@code shape} as {@code int[]}; each dimension must be at most 2³¹−1 and not negative. */
    static int[] toIntShape(long[] shape, String where) throws IOException {
        int[] out = new int[shape.length];
        for (int k = 0; k < shape.length; k++) {
            if (shape[k] < 0 || shape[k] > Integer.MAX_VALUE) {
                throw new IOException(where + ": dimension " + shape[k] + " of shape " + Arrays.toString(shape)
                        + (shape[k] < 0 ? " is negative" : " exceeds 2^31-1"));
            }
            out[k] = (int) shape[k];
        }
        return out;
    }

    /**
     * Reads {@code n} elements of {@code type} from {@code in} into a new array of length {@code n}.
     *
     * <p>At first only as many elements as {@code backedBytes} covers are allocated; the array
     * grows (doubling) as more data actually arrives. So a stream whose length was checked
     * ({@code backedBytes} = the bytes needed) costs one allocation, and a stream that only claims
     * to be long (a compressed zip entry) can never make this allocate much more than it delivers.
     *
     * @throws IOException naming {@code where} if the stream ends before {@code n} elements
     */
    static double[] read(InputStream in, DType type, ByteOrder order, int n, long backedBytes, String where)
            throws IOException {
        long needed = (long) n * type.size;
        int capacity = (int) Math.min(n, Math.max(backedBytes / type.size, MIN_CAPACITY));
        double[] out = new double[capacity];
        if (n == 0) {
            return out;
        }
        byte[] buf = new byte[(int) Math.min(CHUNK_BYTES, needed)];
        ByteBuffer bb = ByteBuffer.wrap(buf).order(order);
        int perChunk = buf.length / type.size;
        int done = 0;
        while (done < n) {
            int count = Math.min(n - done, perChunk);
            int len = count * type.size;
            int got = in.readNBytes(buf, 0, len);
            if (got < len) {
                throw new IOException(where + ": truncated data: " + ((long) done * type.size + got)
                        + " bytes present, " + needed + " needed");
            }
            if (done + count > out.length) {
                out = Arrays.copyOf(out, (int) Math.min(n, Math.max(2L * out.length, done + count)));
            }
            bb.clear();
            type.decode(bb, out, done, count);
            done += count;
        }
        return out;
    }
}
