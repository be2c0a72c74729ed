package dev.heed.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.GroupedQueryAttention;
import dev.heed.attention.Mask;
import dev.heed.encoding.RotaryEncoding;
import dev.heed.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link GroupedQueryAttention} layer through safetensors files: saved with {@link SafeTensors#write}
 * under a model's prefix and loaded back bit for bit, and loaded from a file laid out as Hugging Face
 * writes checkpoints (float32, header keys sorted, data in another order, other layers beside it).
 */
class GroupedQueryAttentionSafeTensorsTest {
    private static final String PREFIX = "model.layers.0.self_attn.";

    private static GroupedQueryAttention qwenLike() {
        Tensor[] w = {
            Tensor.random(1).normal(16, 8), Tensor.random(2).normal(4, 8),
            Tensor.random(3).normal(4, 8), Tensor.random(4).normal(8, 16)
        };
        return GroupedQueryAttention.builder(8, 4, 1)
                .headDim(4)
                .rotary(RotaryEncoding.of(4).withBase(1_000_000))
                .weights(w[0], w[1], w[2], w[3])
                .biases(
                        Tensor.random(5).normal(16),
                        Tensor.random(6).normal(4),
                        Tensor.random(7).normal(4),
                        null)
                .build();
    }

    private static GroupedQueryAttention.Builder sameConfig() {
        return GroupedQueryAttention.builder(8, 4, 1)
                .headDim(4)
                .rotary(RotaryEncoding.of(4).withBase(1_000_000))
                .kernel(new ChunkedAttention(3, 2));
    }

    @Test
    void aSavedLayerLoadsBackBitForBitBesideTheRestOfTheModel(@TempDir Path dir) throws IOException {
        GroupedQueryAttention layer = qwenLike();
        Map<String, Tensor> model = new LinkedHashMap<>();
        model.put("model.embed_tokens.weight", Tensor.random(8).normal(11, 8));
        model.putAll(layer.parameters(PREFIX));
        model.put("model.layers.0.mlp.up_proj.weight", Tensor.random(9).normal(20, 8));
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, model);

        GroupedQueryAttention loaded =
                sameConfig().stateDict(SafeTensors.read(file), PREFIX).build();
        assertThat(loaded.parameters().keySet())
                .containsExactlyElementsOf(layer.parameters().keySet());
        layer.parameters()
                .forEach((name, t) -> assertThat(loaded.parameters().get(name).toArray())
                        .as(name)
                        .containsExactly(t.toArray()));
        Tensor x = Tensor.random(10).normal(2, 9, 8);
        assertThat(loaded.forward(x, 3, Mask.keyPadding(9, 5)).output().toArray())
                .as("the chunked kernel's output, to rounding")
                .usingComparatorWithPrecision(1e-12)
                .containsExactly(
                        layer.forward(x, 3, Mask.keyPadding(9, 5)).output().toArray());
    }

    @Test
    void aHuggingFaceStyleFloat32CheckpointLoads(@TempDir Path dir) throws IOException {
        GroupedQueryAttention layer = qwenLike();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("lm_head.weight", Tensor.random(11).normal(5, 8));
        tensors.putAll(layer.parameters(PREFIX));
        Path file = dir.resolve("model-00001-of-00001.safetensors");
        writeFloat32(file, tensors);

        GroupedQueryAttention loaded =
                sameConfig().stateDict(SafeTensors.read(file), PREFIX).build();
        // The float32 file holds each weight rounded to float: the loaded layer is that layer exactly.
        Map<String, Tensor> rounded = new LinkedHashMap<>();
        layer.parameters().forEach((name, t) -> rounded.put(name, t.map(v -> (float) v)));
        GroupedQueryAttention expected = sameConfig().stateDict(rounded, "").build();
        Tensor x = Tensor.random(12).normal(1, 7, 8);
        assertThat(loaded.forward(x).output().toArray())
                .containsExactly(expected.forward(x).output().toArray());
        assertThat(loaded.forward(x).output().allClose(layer.forward(x).output(), 1e-5, 1e-5))
                .isTrue();

        assertThatThrownBy(() -> sameConfig()
                        .stateDict(SafeTensors.read(file), "model.layers.1.self_attn.")
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no model.layers.1.self_attn.q_proj.weight");
    }

    /** A float32 safetensors file as transformers writes one: keys sorted in the header, data in map order. */
    private static void writeFloat32(Path file, Map<String, Tensor> tensors) throws IOException {
        Map<String, long[]> ranges = new TreeMap<>();
        List<Tensor> order = new ArrayList<>();
        long at = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            long bytes = 4L * e.getValue().size();
            ranges.put(e.getKey(), new long[] {at, at + bytes});
            order.add(e.getValue());
            at += bytes;
        }
        StringBuilder json = new StringBuilder("{");
        for (Map.Entry<String, long[]> r : ranges.entrySet()) {
            int[] shape = tensors.get(r.getKey()).shape();
            json.append(json.length() > 1 ? "," : "")
                    .append('"')
                    .append(r.getKey())
                    .append("\":{\"dtype\":\"F32\",\"shape\":")
                    .append(java.util.Arrays.toString(shape).replace(" ", ""))
                    .append(",\"data_offsets\":[")
                    .append(r.getValue()[0])
                    .append(',')
                    .append(r.getValue()[1])
                    .append("]}");
        }
        byte[] header = json.append('}').toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate((int) (8 + header.length + at)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length).put(header);
        for (Tensor t : order) {
            for (double v : t.toArray()) {
                buf.putFloat((float) v);
            }
        }
        Files.write(file, buf.array());
    }
}
