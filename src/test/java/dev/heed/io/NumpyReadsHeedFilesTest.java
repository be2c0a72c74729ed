package dev.heed.io;

import static dev.heed.io.IoFixtures.assertSameBits;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.attention.AttentionResult;
import dev.heed.attention.Mask;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files Heed writes for NumPy and PyTorch: on every run they are written to a temporary
 * directory and checked here — each {@code .npy} byte for byte what {@code np.save} writes, every
 * value read back bit for bit, the archive's and the safetensors header's names in order, the
 * metadata, and the state dicts under PyTorch's own names and shapes, rebuilding the module that
 * wrote them.
 *
 * <p>The same files feed a check by NumPy and torch themselves, run by hand since the tests do not
 * need Python: {@code -Dheed.io.exportDir=DIR} writes them to {@code DIR} instead (and still checks
 * them), and the script loads them:
 * <pre>
 *   mvn -q test -Dtest=NumpyReadsHeedFilesTest -Dheed.io.exportDir=/tmp/heed-export
 *   /usr/bin/python3 src/test/python/make_io_fixtures.py --verify /tmp/heed-export
 * </pre>
 * The script's {@code verify} function lists what it expects of each file; the expectations here
 * are the same.
 */
class NumpyReadsHeedFilesTest {
    private static final Tensor BASE = Tensor.arange(24).scale(1.0 / 8).reshape(2, 3, 4);
    private static final double[] SPECIALS = {
        Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, Double.MIN_VALUE, Double.MAX_VALUE
    };
    private static final Map<String, String> METADATA = new LinkedHashMap<>();

    static {
        METADATA.put("format", "pt");
        METADATA.put("note", "quote \" backslash \\ and größe");
    }

    @TempDir
    static Path temporary;

    /** Where the files are: the export directory if one was given, else a temporary one. */
    private static Path dir;
    /** What was written to each {@code .npy} file. */
    private static final Map<String, Tensor> NPY = new LinkedHashMap<>();
    /** What was written to {@code arrays.npz}, {@code meta.safetensors} and {@code mha_io.npz}. */
    private static final Map<String, Tensor> ARRAYS = new LinkedHashMap<>();

    private static final Map<String, Tensor> NAMED = new LinkedHashMap<>();
    private static final Map<String, Tensor> IO = new LinkedHashMap<>();
    /** The exported modules by tag, and their heads. */
    private static final Map<String, MultiHeadAttention> MODULES = new LinkedHashMap<>();

    private static final Map<String, Integer> HEADS = Map.of("packed", 2, "kvdim", 3);

    @BeforeAll
    static void export() throws IOException {
        String target = System.getProperty("heed.io.exportDir");
        dir = target == null || target.isEmpty() ? temporary : Files.createDirectories(Path.of(target));

        NPY.put("c_order.npy", BASE);
        NPY.put("transposed.npy", BASE.permute(2, 0, 1));
        NPY.put("scalar.npy", Tensor.scalar(3.25));
        NPY.put("empty.npy", Tensor.zeros(0, 5));
        NPY.put("specials.npy", Tensor.of(SPECIALS.clone(), 6));
        for (Map.Entry<String, Tensor> e : NPY.entrySet()) {
            Npy.write(dir.resolve(e.getKey()), e.getValue());
        }
        ARRAYS.put("a", BASE);
        ARRAYS.put("b", Tensor.scalar(3.25));
        ARRAYS.put("sub/c", Tensor.zeros(0, 5));
        Npy.writeNpz(dir.resolve("arrays.npz"), ARRAYS);

        NAMED.put("größe", Tensor.scalar(3.25));
        NAMED.put("with \"quote\"", Tensor.zeros(0, 5));
        NAMED.put("base", BASE);
        SafeTensors.write(dir.resolve("meta.safetensors"), NAMED, METADATA);

        // modules, their state dicts, and Heed's outputs for torch to reproduce
        MODULES.put(
                "packed",
                MultiHeadAttention.builder(8, 2)
                        .seed(11)
                        .biases(
                                Tensor.random(1).normal(8),
                                Tensor.random(2).normal(8),
                                Tensor.random(3).normal(8),
                                Tensor.random(4).normal(8))
                        .build());
        MODULES.put(
                "kvdim",
                MultiHeadAttention.builder(6, 3)
                        .keyDim(5)
                        .valueDim(4)
                        .bias(false)
                        .seed(12)
                        .build());
        export(
                "packed",
                Tensor.random(5).normal(2, 4, 8),
                Tensor.random(6).normal(2, 5, 8),
                Tensor.random(7).normal(2, 5, 8));
        export(
                "kvdim",
                Tensor.random(8).normal(2, 3, 6),
                Tensor.random(9).normal(2, 4, 5),
                Tensor.random(10).normal(2, 4, 4));
        Npy.writeNpz(dir.resolve("mha_io.npz"), IO);
    }

    private static void export(String tag, Tensor q, Tensor k, Tensor v) throws IOException {
        Map<String, Tensor> sd = StateDicts.of(MODULES.get(tag));
        Npy.writeNpz(dir.resolve("mha_" + tag + ".npz"), sd);
        SafeTensors.write(dir.resolve("mha_" + tag + ".safetensors"), sd);
        AttentionResult r = MODULES.get(tag).forward(q, k, v, Mask.none());
        IO.put(tag + ".query", q);
        IO.put(tag + ".key", k);
        IO.put(tag + ".value", v);
        IO.put(tag + ".output", r.output());
        IO.put(tag + ".weights", r.weights());
    }

    /**
     * What {@code np.save} writes for a float64 array: NumPy's {@code format.py}
     * ({@code _write_array_header}, {@code _wrap_header}) written out again. The header is the
     * dict literal with sorted keys, then room for axis 0 to grow to 21 digits, then spaces and a
     * newline so that the data starts at a multiple of 64 bytes; the data is little-endian, C order.
     */
    private static byte[] numpySave(int[] shape, double[] values) {
        StringBuilder shapeText = new StringBuilder("(");
        for (int k = 0; k < shape.length; k++) {
            shapeText.append(k == 0 ? "" : ", ").append(shape[k]);
        }
        shapeText.append(shape.length == 1 ? ",)" : ")");
        String header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shapeText + ", }";
        if (shape.length > 0) {
            header += " ".repeat(21 - Integer.toString(shape[0]).length());
        }
        int prefix = 10; // magic (6), version (2), header length (2)
        int padding = 64 - (prefix + header.length() + 1) % 64;
        byte[] text = (header + " ".repeat(padding) + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer file =
                ByteBuffer.allocate(prefix + text.length + 8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        file.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0})
                .putShort((short) text.length)
                .put(text);
        for (double v : values) {
            file.putDouble(v);
        }
        return file.array();
    }

    @Test
    void theReferenceWritesWhatNumpyWrote() {
        // the committed fixture was written by np.save itself (make_io_fixtures.py)
        assertThat(numpySave(new int[] {2, 3}, new double[] {0, 0.25, 0.5, 0.75, 1, 1.25}))
                .isEqualTo(IoFixtures.bytes("float64_2x3.npy"));
    }

    @Test
    void npyFilesAreByteForByteWhatNumpySaveWrites() throws IOException {
        assertThat(NPY).hasSize(5);
        for (Map.Entry<String, Tensor> e : NPY.entrySet()) {
            Tensor t = e.getValue();
            assertThat(Files.readAllBytes(dir.resolve(e.getKey())))
                    .as(e.getKey())
                    .isEqualTo(numpySave(t.shape(), t.toArray()));
        }
    }

    @Test
    void npyFilesReadBackBitForBit() throws IOException {
        assertSameBits("c_order", Npy.read(dir.resolve("c_order.npy")), new int[] {2, 3, 4}, BASE.toArray());
        Tensor transposed = Npy.read(dir.resolve("transposed.npy"));
        assertThat(transposed.shape()).containsExactly(4, 2, 3);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 2; j++) {
                for (int k = 0; k < 3; k++) {
                    assertThat(transposed.get(i, j, k))
                            .as("(%d, %d, %d)", i, j, k)
                            .isEqualTo((j * 12 + k * 4 + i) / 8.0);
                }
            }
        }
        assertSameBits("scalar", Npy.read(dir.resolve("scalar.npy")), new int[] {}, new double[] {3.25});
        assertSameBits("empty", Npy.read(dir.resolve("empty.npy")), new int[] {0, 5}, new double[0]);
        Tensor specials = Npy.read(dir.resolve("specials.npy"));
        assertSameBits("specials", specials, new int[] {6}, SPECIALS);
        assertThat(Double.doubleToRawLongBits(specials.get(3)))
                .as("-0.0 keeps its sign")
                .isEqualTo(Double.doubleToRawLongBits(-0.0));
    }

    @Test
    void npzKeepsItsNamesInOrderAndHoldsNumpysFiles() throws IOException {
        Path archive = dir.resolve("arrays.npz");
        Map<String, Tensor> back = Npy.readNpz(archive);
        assertThat(back.keySet()).containsExactly("a", "b", "sub/c");
        for (String name : ARRAYS.keySet()) {
            assertSameBits(name, back.get(name), ARRAYS.get(name));
        }
        List<String> entries = new ArrayList<>();
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            for (ZipEntry entry : zip.stream().toList()) {
                entries.add(entry.getName());
                Tensor t = ARRAYS.get(entry.getName().replaceFirst("\\.npy$", ""));
                assertThat(zip.getInputStream(entry).readAllBytes())
                        .as(entry.getName())
                        .isEqualTo(numpySave(t.shape(), t.toArray()));
            }
        }
        assertThat(entries).containsExactly("a.npy", "b.npy", "sub/c.npy");
    }

    @Test
    void safetensorsKeepsItsHeaderOrderMetadataAndValues() throws IOException {
        Path file = dir.resolve("meta.safetensors");
        assertThat(SafeTensors.readMetadata(file)).isEqualTo(METADATA);
        Map<String, Tensor> back = SafeTensors.read(file);
        assertThat(back.keySet()).containsExactlyInAnyOrderElementsOf(NAMED.keySet());
        for (String name : NAMED.keySet()) {
            assertSameBits(name, back.get(name), NAMED.get(name));
        }
        // the header lists the tensors in the order written (the script checks the same)
        byte[] bytes = Files.readAllBytes(file);
        long headerLength =
                ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        int metadata = header.indexOf("\"__metadata__\"");
        int first = header.indexOf("\"größe\"");
        int second = header.indexOf("\"with \\\"quote\\\"\"");
        int third = header.indexOf("\"base\"");
        assertThat(new int[] {metadata, first, second, third}).as(header).doesNotContain(-1);
        assertThat(first).isLessThan(second);
        assertThat(second).isLessThan(third);
    }

    @Test
    void stateDictsHaveTorchsNamesAndShapesAndRebuildTheirModules() throws IOException {
        Map<String, Tensor> io = Npy.readNpz(dir.resolve("mha_io.npz"));
        assertThat(io.keySet()).containsExactlyElementsOf(IO.keySet());
        for (String tag : MODULES.keySet()) {
            // torch.nn.MultiheadAttention's own state dict for the same sizes, saved by make_io_fixtures.py
            Map<String, Tensor> torch = Npy.readNpz(IoFixtures.path("mha_" + tag + ".npz"));
            Map<String, Tensor> written = StateDicts.of(MODULES.get(tag));
            for (Map<String, Tensor> sd : List.of(
                    Npy.readNpz(dir.resolve("mha_" + tag + ".npz")),
                    SafeTensors.read(dir.resolve("mha_" + tag + ".safetensors")))) {
                assertThat(sd.keySet()).as(tag).containsExactlyInAnyOrderElementsOf(torch.keySet());
                for (String name : torch.keySet()) {
                    assertSameBits(tag + " " + name, sd.get(name), written.get(name));
                    assertThat(sd.get(name).shape())
                            .as(tag + " " + name)
                            .containsExactly(torch.get(name).shape());
                }
                MultiHeadAttention rebuilt = StateDicts.multiHeadAttention(sd, HEADS.get(tag));
                AttentionResult r = rebuilt.forward(
                        io.get(tag + ".query"), io.get(tag + ".key"), io.get(tag + ".value"), Mask.none());
                assertSameBits(tag + " output", r.output(), io.get(tag + ".output"));
                assertSameBits(tag + " weights", r.weights(), io.get(tag + ".weights"));
            }
            assertThat(Npy.readNpz(dir.resolve("mha_" + tag + ".npz")).keySet())
                    .as("npz order, as torch's")
                    .containsExactlyElementsOf(torch.keySet());
        }
    }
}
