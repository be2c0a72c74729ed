package dev.heed.io;

import static dev.heed.io.IoFixtures.assertSameBits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SafeTensors} against files laid out like the reference implementation's, and round trips. */
class SafeTensorsTest {
    private static final String[] DTYPES = {
        "F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL"
    };

    @TempDir
    Path dir;

    @Test
    void readsEveryDtypeExactly() throws IOException {
        Map<String, Tensor> m = SafeTensors.read(IoFixtures.path("dtypes.safetensors"));
        for (String dtype : DTYPES) {
            assertSameBits(dtype, m.get("x_" + dtype), m.get("expected_" + dtype));
        }
        assertThat(m.get("empty").shape()).containsExactly(0, 3);
        assertThat(m.get("scalar").shape()).isEmpty();
        assertThat(m.get("scalar").item()).isEqualTo(-4.75);
        // the header lists names alphabetically (the data is laid out in another order); so does the map
        assertThat(m).isInstanceOf(LinkedHashMap.class);
        assertThat(new java.util.ArrayList<>(m.keySet())).isSorted().hasSize(2 * DTYPES.length + 2);
    }

    @Test
    void literalValuesOfTheNarrowTypes() throws IOException {
        Map<String, Tensor> m = SafeTensors.read(IoFixtures.path("dtypes.safetensors"));
        assertThat(m.get("x_BF16").toArray())
                .startsWith(
                        1.0, -3.140625, 9.969209968386869E37, -1.0010069081221042E-38, 0.0, Double.POSITIVE_INFINITY);
        assertThat(m.get("x_BF16").get(6)).isNaN();
        assertThat(m.get("x_F16").toArray()).startsWith(0.0, 1.0, -2.5, 0.0999755859375, 65504.0, 0x1p-14, 0x1p-24);
        assertThat(m.get("x_U64").toArray()).containsExactly(0, 0x1p64, 0x1p53, 0x1p63);
        assertThat(m.get("x_BOOL").toArray()).containsExactly(1, 0, 1);
    }

    @Test
    void readsMetadata() throws IOException {
        assertThat(SafeTensors.readMetadata(IoFixtures.path("dtypes.safetensors")))
                .containsExactly(Map.entry("format", "pt"), Map.entry("note", "dtype coverage"));
        assertThat(SafeTensors.readMetadata(IoFixtures.path("encoder_layer_f32.safetensors")))
                .isEmpty();
    }

    @Test
    void roundTripsWithMetadataAndAwkwardNames() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("z.weight", Tensor.random(1).normal(3, 4).transpose(0, 1));
        tensors.put(
                "größe \"quoted\" \\ \n\t\u0001 ✓ 𝛼",
                Tensor.of(new double[] {Double.NaN, -0.0, Double.NEGATIVE_INFINITY, Double.MIN_VALUE}, 2, 2));
        tensors.put("", Tensor.scalar(2));
        tensors.put("empty", Tensor.zeros(0, 7));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("ключ", "значение \"with quotes\" \\");
        Path p = dir.resolve("t.safetensors");
        SafeTensors.write(p, tensors, metadata);
        Map<String, Tensor> back = SafeTensors.read(p);
        assertThat(back.keySet()).containsExactlyElementsOf(tensors.keySet());
        for (String k : tensors.keySet()) {
            assertSameBits(k, back.get(k), tensors.get(k));
        }
        assertThat(SafeTensors.readMetadata(p)).containsExactlyEntriesOf(metadata);
    }

    @Test
    void writesAnAlignedHeaderAndLittleEndianF64() throws IOException {
        Path p = dir.resolve("w.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("b", Tensor.of(new double[] {1.5, -2}, 2));
        tensors.put("a", Tensor.scalar(3));
        SafeTensors.write(p, tensors);
        byte[] file = Files.readAllBytes(p);
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong(0);
        assertThat(n % 8).isZero();
        String header = new String(file, 8, (int) n, StandardCharsets.UTF_8);
        assertThat(header.strip())
                .isEqualTo("{\"b\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                        + "\"a\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[16,24]}}");
        assertThat(b.getDouble(8 + (int) n)).isEqualTo(1.5);
        assertThat(b.getDouble(8 + (int) n + 16)).isEqualTo(3.0);
        assertThat(file).hasSize(8 + (int) n + 24);
        SafeTensors.write(p, Map.of());
        assertThat(SafeTensors.read(p)).isEmpty();
    }

    @Test
    void argumentsAreChecked() {
        Path p = dir.resolve("x.safetensors");
        assertThatThrownBy(() -> SafeTensors.write(p, Map.of("__metadata__", Tensor.scalar(1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("__metadata__");
        assertThatThrownBy(() -> SafeTensors.write(p, Map.of("\ud800", Tensor.scalar(1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unpaired surrogate");
        Map<String, String> nullValue = new LinkedHashMap<>();
        nullValue.put("k", null);
        assertThatThrownBy(() -> SafeTensors.write(p, Map.of(), nullValue))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SafeTensors.read(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SafeTensors.read(dir.resolve("missing"))).isInstanceOf(IOException.class);
    }
}
