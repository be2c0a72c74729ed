package dev.heed.io;

import static dev.heed.io.IoFixtures.assertSameBits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.heed.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Npy} against files written by NumPy ({@code make_io_fixtures.py}): every dtype, byte
 * order, format version, layout, 0-d and empty arrays; and Heed-written files read back bit for
 * bit, byte-identical to {@code np.save}.
 */
class NpyTest {
    @TempDir
    Path dir;

    private static Map<String, Tensor> expected() throws IOException {
        return Npy.readNpz(IoFixtures.path("npy_expected.npz"));
    }

    static Stream<String> cases() throws IOException {
        return expected().keySet().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void readsEveryNumpyCase(String name) throws IOException {
        Tensor expected = expected().get(name);
        Tensor actual = Npy.read(IoFixtures.path("npy/" + name + ".npy"));
        assertSameBits(name, actual, expected);
    }

    @Test
    void everyCaseFileHasAnExpectation() throws IOException {
        List<String> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(IoFixtures.path("npy"))) {
            s.forEach(p -> files.add(p.getFileName().toString().replace(".npy", "")));
        }
        assertThat(expected().keySet())
                .containsExactlyInAnyOrderElementsOf(files)
                .hasSizeGreaterThan(30);
    }

    @Test
    void halfPrecisionConvertsExactly() throws IOException {
        // values chosen in make_io_fixtures.py; the literals are exact binary16 values
        double[] expected = {
            0.0,
            -0.0,
            1.0,
            -2.5,
            65504.0,
            -65504.0,
            0x1p-14,
            0x1p-24,
            -0x1p-24,
            0x1p-15,
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            Double.NaN,
            0.0999755859375,
            0.333251953125
        };
        assertSameBits("f2_le", Npy.read(IoFixtures.path("npy/f2_le.npy")), new int[] {15}, expected);
        assertSameBits("f2_be", Npy.read(IoFixtures.path("npy/f2_be.npy")), new int[] {15}, expected);
    }

    @Test
    void sixtyFourBitIntegersRoundToNearestDouble() throws IOException {
        double[] unsigned = {0, 1, 0x1p53, 0x1p63, 0x1p64, 0x1p64 - 2048, 0x1p53 + 4};
        // 2^53+1 ties to even (2^53); 2^64-1 rounds up to 2^64; 2^64-2049 rounds to 2^64-2048 (spacing 2048)
        assertSameBits("u8_le", Npy.read(IoFixtures.path("npy/u8_le.npy")), new int[] {7}, unsigned);
        assertSameBits("u8_be", Npy.read(IoFixtures.path("npy/u8_be.npy")), new int[] {7}, unsigned);
        double[] signed = {0, -1, 0x1p53, -0x1p63, 0x1p63, 123456789012345.0};
        assertSameBits("i8_be", Npy.read(IoFixtures.path("npy/i8_be.npy")), new int[] {6}, signed);
    }

    @Test
    void fortranOrderGivesColumnMajorStridesOverAFreshArray() throws IOException {
        Tensor t = Npy.read(IoFixtures.path("npy/f8_fortran.npy"));
        assertThat(t.shape()).containsExactly(2, 3, 4);
        assertThat(t.strides()).containsExactly(1, 2, 6);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) {
                    assertThat(t.get(i, j, k)).isEqualTo((i * 12 + j * 4 + k) / 8.0);
                }
            }
        }
        Tensor be = Npy.read(IoFixtures.path("npy/i2_fortran_be.npy"));
        assertThat(be.contiguous().toArray()).containsExactly(-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5);
    }

    @Test
    void zeroDimensionalAndEmptyArrays() throws IOException {
        Tensor scalar = Npy.read(IoFixtures.path("npy/f8_0d.npy"));
        assertThat(scalar.shape()).isEmpty();
        assertThat(scalar.item()).isEqualTo(2.5);
        assertThat(Npy.read(IoFixtures.path("npy/i4_0d.npy")).item()).isEqualTo(-3.0);
        assertThat(Npy.read(IoFixtures.path("npy/f8_empty.npy")).shape()).containsExactly(0, 3);
        assertThat(Npy.read(IoFixtures.path("npy/u1_empty_1d.npy")).shape()).containsExactly(0);
        assertThat(Npy.read(IoFixtures.path("npy/f4_empty_fortran.npy")).shape())
                .containsExactly(3, 0, 2);
    }

    @Test
    void versionsTwoAndThreeAndOddHeaders() throws IOException {
        Tensor v1 = Npy.read(IoFixtures.path("npy/f8_le.npy"));
        assertSameBits("v2", Npy.read(IoFixtures.path("npy/f8_v2.npy")), v1);
        assertThat(Npy.read(IoFixtures.path("npy/f4_be_v3.npy")).allClose(v1, 1e-7, 0))
                .isTrue();
        assertThat(Npy.read(IoFixtures.path("npy/i4_py2_long.npy")).toArray()).containsExactly(0, 1, 2, 3, 4, 5);
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "the '=f8' fixture holds little-endian data");
        assertSameBits("native", Npy.read(IoFixtures.path("npy/f8_native.npy")), v1);
    }

    @Test
    void utf8HeaderOfVersionThree() throws IOException {
        // a version 3.0 header is UTF-8: a non-ASCII character decodes (and then, in 'descr', is refused by name)
        Path p = dir.resolve("v3.npy");
        Files.write(
                p,
                IoFixtures.npy(3, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", IoFixtures.float64s(2)));
        assertThat(Npy.read(p).toArray()).containsExactly(0, 1);
        Files.write(
                p,
                IoFixtures.npy(
                        3, "{'descr': '<f8\u00e9', 'fortran_order': False, 'shape': (2,)}", IoFixtures.float64s(2)));
        assertThatThrownBy(() -> Npy.read(p)).isInstanceOf(IOException.class).hasMessageContaining("'<f8\\u00e9'");
    }

    @Test
    void writesExactlyWhatNumpySaveWrites() throws IOException {
        Path p = dir.resolve("out.npy");
        Npy.write(p, Tensor.arange(6).reshape(2, 3).scale(0.25));
        assertThat(Files.readAllBytes(p)).isEqualTo(IoFixtures.bytes("float64_2x3.npy"));
    }

    @Test
    void headersAreAlignedLikeNumpys() {
        // NumPy pads with 1 to 64 spaces (never 0) after leaving 21 digits of room for axis 0
        for (int[] shape : new int[][] {{}, {0}, {7}, {2, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {123456789, 0}}) {
            byte[] h = Npy.header(shape);
            assertThat(h.length % 64).isZero();
            assertThat(h[h.length - 1]).isEqualTo((byte) '\n');
            assertThat(h[6]).isEqualTo((byte) 1);
        }
        int[] big = new int[30000];
        java.util.Arrays.fill(big, 1);
        byte[] h = Npy.header(big);
        assertThat(h[6]).as("a header over 64 KiB needs version 2.0").isEqualTo((byte) 2);
        assertThat(h.length % 64).isZero();
    }

    @Test
    void roundTripsBitForBit() throws IOException {
        Path p = dir.resolve("t.npy");
        double[] specials = {
            Double.NaN,
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            -0.0,
            Double.MIN_VALUE,
            Double.MAX_VALUE,
            0.1,
            -1e-300
        };
        Tensor base = Tensor.random(3).normal(2, 3, 4);
        Tensor[] tensors = {
            Tensor.of(specials, 2, 4),
            base,
            base.transpose(0, 2),
            base.slice(2, 1, 4, 2),
            base.select(2, 1),
            Tensor.scalar(-0.0),
            Tensor.zeros(0, 5),
            Tensor.zeros(3, 0),
            base.broadcastTo(2, 2, 3, 4),
            Tensor.random(4).normal(70000)
        };
        for (Tensor t : tensors) {
            Npy.write(p, t);
            assertSameBits(t.toString(), Npy.read(p), t);
            assertThat(Files.size(p)).isEqualTo(Npy.header(t.shape()).length + 8L * t.size());
        }
        int[] bigRank = new int[30000];
        java.util.Arrays.fill(bigRank, 1);
        Tensor t = Tensor.full(4.5, bigRank);
        Npy.write(p, t);
        assertThat(Npy.read(p).shape()).hasSize(30000);
    }

    @Test
    void readsNpzStoredAndDeflated() throws IOException {
        for (String name : new String[] {"arrays.npz", "arrays_compressed.npz"}) {
            Map<String, Tensor> m = Npy.readNpz(IoFixtures.path(name));
            assertThat(m).isInstanceOf(LinkedHashMap.class);
            assertThat(m.keySet()).as(name).containsExactly("a", "b", "c", "sub/d");
            assertThat(m.get("a").shape()).containsExactly(2, 3);
            assertThat(m.get("b").contiguous().toArray()).containsExactly(0, 1, 2, 3, 4, 5);
            assertThat(m.get("b").strides()).as("Fortran order").containsExactly(1, 3);
            assertThat(m.get("c").item()).isEqualTo(1.25);
            assertThat(m.get("sub/d").shape()).containsExactly(0, 4);
        }
        Map<String, Tensor> stored = Npy.readNpz(IoFixtures.path("arrays.npz"));
        Map<String, Tensor> deflated = Npy.readNpz(IoFixtures.path("arrays_compressed.npz"));
        for (String k : stored.keySet()) {
            assertSameBits(k, deflated.get(k), stored.get(k));
        }
    }

    @Test
    void writesNpzInMapOrderStoredAndReproducibly() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("z", Tensor.random(1).normal(3, 2));
        m.put("a/b", Tensor.scalar(7));
        m.put("", Tensor.zeros(0));
        m.put("m", Tensor.random(2).normal(4, 3).transpose(0, 1));
        Path p = dir.resolve("w.npz");
        Npy.writeNpz(p, m);
        Map<String, Tensor> back = Npy.readNpz(p);
        assertThat(back.keySet()).containsExactly("z", "a/b", "", "m");
        for (String k : m.keySet()) {
            assertSameBits(k, back.get(k), m.get(k));
        }
        try (ZipFile zip = new ZipFile(p.toFile())) {
            assertThat(zip.stream().map(ZipEntry::getMethod)).containsOnly(ZipEntry.STORED);
        }
        Path again = dir.resolve("w2.npz");
        Npy.writeNpz(again, m);
        assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(p));
    }

    @Test
    void argumentsAreChecked() {
        Path p = dir.resolve("x.npy");
        assertThatThrownBy(() -> Npy.read(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Npy.write(p, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Npy.write(null, Tensor.scalar(1))).isInstanceOf(IllegalArgumentException.class);
        Map<String, Tensor> withNull = new LinkedHashMap<>();
        withNull.put("a", null);
        assertThatThrownBy(() -> Npy.writeNpz(p, withNull))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a'");
        assertThatThrownBy(() -> Npy.read(dir.resolve("missing.npy"))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Npy.read(dir)).isInstanceOf(IOException.class);
    }
}
