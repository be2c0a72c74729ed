package dev.heed.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The fixtures written by {@code src/test/python/make_io_fixtures.py} (under
 * {@code /dev/heed/io/} on the test classpath), and helpers to build files byte by byte.
 */
final class IoFixtures {
    private IoFixtures() {}

    /** The path of fixture {@code name}, e.g. {@code "npy/f8_le.npy"}. */
    static Path path(String name) {
        URL url = IoFixtures.class.getResource("/dev/heed/io/" + name);
        assertThat(url)
                .as("fixture %s (run src/test/python/make_io_fixtures.py)", name)
                .isNotNull();
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A {@code .npy} file: magic, version, header length, {@code header} padded to 64, then {@code data}. */
    static byte[] npy(int major, String header, byte[] data) {
        byte[] h = header.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int prefix = major == 1 ? 10 : 12;
        int padded = ((prefix + h.length + 1 + 63) / 64) * 64 - prefix;
        ByteBuffer b = ByteBuffer.allocate(prefix + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) padded);
        } else {
            b.putInt(padded);
        }
        b.put(h);
        for (int i = h.length; i < padded - 1; i++) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n').put(data);
        return b.array();
    }

    /** A version 1.0 {@code .npy} file with the given header text and data. */
    static byte[] npy(String header, byte[] data) {
        return npy(1, header, data);
    }

    /** {@code n} little-endian float64 values {@code 0, 1, …}. */
    static byte[] float64s(int n) {
        ByteBuffer b = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putDouble(i);
        }
        return b.array();
    }

    /** A safetensors file: the 8-byte length of {@code header}, the header, then {@code data}. */
    static byte[] safetensors(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length)
                .put(h)
                .put(data)
                .array();
    }

    /** Asserts that {@code actual} has {@code shape} and, element by element, the bits of {@code expected}. */
    static void assertSameBits(String context, Tensor actual, int[] shape, double[] expected) {
        assertThat(actual.shape()).as("%s: shape", context).containsExactly(shape);
        double[] a = actual.toArray();
        assertThat(a).as("%s: size", context).hasSize(expected.length);
        for (int i = 0; i < a.length; i++) {
            boolean same = Double.isNaN(expected[i])
                    ? Double.isNaN(a[i])
                    : Double.doubleToLongBits(a[i]) == Double.doubleToLongBits(expected[i]);
            if (!same) {
                throw new AssertionError(context + ": element " + i + " is " + a[i] + ", expected " + expected[i]
                        + (expected.length <= 32 ? " (of " + Arrays.toString(expected) + ")" : ""));
            }
        }
    }

    /** As {@link #assertSameBits(String, Tensor, int[], double[])} against another tensor. */
    static void assertSameBits(String context, Tensor actual, Tensor expected) {
        assertSameBits(context, actual, expected.shape(), expected.toArray());
    }
}
