package dev.heed.io;

import static dev.heed.io.IoFixtures.assertSameBits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.AttentionResult;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StateDicts}: modules loaded from state dicts that PyTorch wrote (through NumPy's .npz and
 * hand-written safetensors, see {@code make_io_fixtures.py}) give PyTorch's outputs; export gives
 * back the same state dict; bad entries are refused naming the key and shapes.
 */
class StateDictsTest {
    private static final double TOL = 1e-12;

    private static Map<String, Tensor> io;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws IOException {
        io = Npy.readNpz(IoFixtures.path("mha_io.npz"));
    }

    private static void assertClose(String what, Tensor actual, Tensor expected) {
        assertThat(actual.shape()).as(what).containsExactly(expected.shape());
        assertThat(actual.allClose(expected, TOL, TOL))
                .as("%s:%nactual %s%nexpected %s", what, actual, expected)
                .isTrue();
    }

    private static Mask packedMask() {
        // torch's bool masks: True = blocked; key_padding_mask [B, S] broadcasts as [B, 1, 1, S]
        return Mask.block(io.get("packed.attn_mask"))
                .and(Mask.block(io.get("packed.key_padding_mask").reshape(2, 1, 1, 5)));
    }

    private static void matchesTorchPacked(MultiHeadAttention mha, String source) {
        AttentionResult r =
                mha.forward(io.get("packed.query"), io.get("packed.key"), io.get("packed.value"), packedMask());
        assertClose(source + " output", r.output(), io.get("packed.output"));
        assertClose(source + " weights", r.weights(), io.get("packed.weights"));
    }

    @Test
    void packedModuleFromNumpyAndSafetensorsMatchesTorch() throws IOException {
        Map<String, Tensor> npz = Npy.readNpz(IoFixtures.path("mha_packed.npz"));
        Map<String, Tensor> st = SafeTensors.read(IoFixtures.path("mha_packed.safetensors"));
        assertThat(npz.keySet()).containsExactly("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias");
        assertThat(st.keySet()).containsExactlyInAnyOrderElementsOf(npz.keySet());
        for (String k : npz.keySet()) {
            assertSameBits(k, st.get(k), npz.get(k));
        }
        MultiHeadAttention mha = StateDicts.multiHeadAttention(npz, 2);
        assertThat(mha.embedDim()).isEqualTo(8);
        assertThat(mha.numHeads()).isEqualTo(2);
        assertThat(mha.hasBias()).isTrue();
        matchesTorchPacked(mha, "npz");
        matchesTorchPacked(StateDicts.multiHeadAttention(st, 2, ""), "safetensors");
        matchesTorchPacked(
                StateDicts.multiHeadAttentionBuilder(npz, 2, "")
                        .kernel(new ChunkedAttention(2, 3))
                        .build(),
                "npz, chunked kernel");
        assertThat(SafeTensors.readMetadata(IoFixtures.path("mha_packed.safetensors")))
                .containsEntry("source", "torch.nn.MultiheadAttention(8, 2)");
    }

    @Test
    void separateProjectionsWithoutBiasMatchTorch() throws IOException {
        Map<String, Tensor> sd = Npy.readNpz(IoFixtures.path("mha_kvdim.npz"));
        assertThat(sd.keySet()).containsExactly("q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight");
        MultiHeadAttention mha = StateDicts.multiHeadAttention(sd, 3);
        assertThat(mha.keyDim()).isEqualTo(5);
        assertThat(mha.valueDim()).isEqualTo(4);
        assertThat(mha.hasBias()).isFalse();
        AttentionResult r = mha.forward(io.get("kvdim.query"), io.get("kvdim.key"), io.get("kvdim.value"));
        assertClose("output", r.output(), io.get("kvdim.output"));
        assertClose("weights", r.weights(), io.get("kvdim.weights"));
    }

    @Test
    void attentionInsideAFloat32ModelUnderAPrefix() throws IOException {
        Map<String, Tensor> sd = SafeTensors.read(IoFixtures.path("encoder_layer_f32.safetensors"));
        assertThat(sd).containsKeys("linear1.weight", "norm2.bias", "self_attn.in_proj_weight");
        MultiHeadAttention mha = StateDicts.multiHeadAttention(sd, 2, "self_attn.");
        Tensor x = io.get("encoder.x");
        AttentionResult r = mha.forward(x);
        assertClose("unbatched output", r.output(), io.get("encoder.output"));
        assertClose("unbatched weights", r.weights(), io.get("encoder.weights"));
    }

    @Test
    void exportGivesBackTheStateDict() throws IOException {
        for (String name : new String[] {"mha_packed.npz", "mha_kvdim.npz"}) {
            Map<String, Tensor> sd = Npy.readNpz(IoFixtures.path(name));
            int heads = name.contains("packed") ? 2 : 3;
            Map<String, Tensor> exported = StateDicts.of(StateDicts.multiHeadAttention(sd, heads));
            assertThat(exported.keySet()).as(name).containsExactlyElementsOf(sd.keySet());
            for (String k : sd.keySet()) {
                assertSameBits(name + " " + k, exported.get(k), sd.get(k));
            }
            Map<String, Tensor> prefixed = StateDicts.of(StateDicts.multiHeadAttention(sd, heads), "enc.0.attn.");
            assertThat(prefixed.keySet()).allMatch(k -> k.startsWith("enc.0.attn."));
            assertThat(StateDicts.of(StateDicts.multiHeadAttention(prefixed, heads, "enc.0.attn."))
                            .keySet())
                    .containsExactlyElementsOf(sd.keySet());
        }
    }

    @Test
    void roundTripThroughFiles() throws IOException {
        MultiHeadAttention original =
                MultiHeadAttention.builder(12, 4).keyDim(7).valueDim(5).seed(9).build();
        Map<String, Tensor> sd = StateDicts.of(original, "m.");
        Path npz = dir.resolve("m.npz");
        Path st = dir.resolve("m.safetensors");
        Npy.writeNpz(npz, sd);
        SafeTensors.write(st, sd, Map.of("framework", "heed"));
        for (Map<String, Tensor> loaded : java.util.List.of(Npy.readNpz(npz), SafeTensors.read(st))) {
            MultiHeadAttention back = StateDicts.multiHeadAttention(loaded, 4, "m.");
            assertSameBits("Wq", back.queryWeight(), original.queryWeight());
            assertSameBits("Wk", back.keyWeight(), original.keyWeight());
            assertSameBits("Wv", back.valueWeight(), original.valueWeight());
            assertSameBits("Wo", back.outputWeight(), original.outputWeight());
            assertSameBits("bv", back.valueBias(), original.valueBias());
            Tensor q = Tensor.random(1).normal(2, 3, 12);
            Tensor k = Tensor.random(2).normal(2, 6, 7);
            Tensor v = Tensor.random(3).normal(2, 6, 5);
            assertSameBits(
                    "output",
                    back.forward(q, k, v).output(),
                    original.forward(q, k, v).output());
        }
    }

    private static Map<String, Tensor> packed() throws IOException {
        return new LinkedHashMap<>(Npy.readNpz(IoFixtures.path("mha_packed.npz")));
    }

    private static void rejects(Map<String, Tensor> sd, int heads, String prefix, String... fragments) {
        assertThatThrownBy(() -> StateDicts.multiHeadAttention(sd, heads, prefix))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll(fragments);
    }

    @Test
    void missingOrMisshapedEntriesAreNamed() throws IOException {
        Map<String, Tensor> sd = packed();
        sd.remove("out_proj.weight");
        rejects(sd, 2, "", "missing 'out_proj.weight'", "[E, E]", "keys present: [in_proj_weight");

        sd = packed();
        sd.remove("in_proj_weight");
        rejects(sd, 2, "", "missing 'in_proj_weight'", "q_proj_weight");

        sd = packed();
        sd.put("in_proj_weight", Tensor.zeros(23, 8));
        rejects(sd, 2, "", "'in_proj_weight' must have shape [3E, E] = [24, 8], got [23, 8]");

        sd = packed();
        sd.put("in_proj_bias", Tensor.zeros(8));
        rejects(sd, 2, "", "'in_proj_bias' must have shape [3E] = [24], got [8]");

        sd = packed();
        sd.put("out_proj.weight", Tensor.zeros(8, 7));
        rejects(sd, 2, "", "'out_proj.weight' must have shape [E, E] with E > 0, got [8, 7]");

        sd = packed();
        sd.put("q_proj_weight", Tensor.zeros(8, 8));
        rejects(sd, 2, "", "both 'in_proj_weight' and separate q/k/v");

        sd = packed();
        sd.remove("out_proj.bias");
        rejects(sd, 2, "", "'in_proj_bias' is present but 'out_proj.bias' is missing");

        sd = packed();
        sd.put("bias_k", Tensor.zeros(1, 1, 8));
        rejects(sd, 2, "", "'bias_k' is present", "add_bias_kv");

        rejects(packed(), 3, "", "numHeads 3 does not divide", "E = 8");
        rejects(
                packed(),
                2,
                "encoder.",
                "missing 'encoder.out_proj.weight'",
                "no key starts with the prefix 'encoder.'");
    }

    @Test
    void separateProjectionsAreChecked() throws IOException {
        Map<String, Tensor> sd = new LinkedHashMap<>(Npy.readNpz(IoFixtures.path("mha_kvdim.npz")));
        sd.put("k_proj_weight", Tensor.zeros(5, 5));
        rejects(sd, 3, "", "'k_proj_weight' must have shape [E, kdim] with E = 6", "got [5, 5]");
        sd = new LinkedHashMap<>(Npy.readNpz(IoFixtures.path("mha_kvdim.npz")));
        sd.remove("v_proj_weight");
        rejects(sd, 3, "", "missing 'v_proj_weight'");
        sd = new LinkedHashMap<>(Npy.readNpz(IoFixtures.path("mha_kvdim.npz")));
        sd.put("q_proj_weight", Tensor.zeros(6));
        rejects(sd, 3, "", "'q_proj_weight' must have shape [E, E] = [6, 6], got [6]");
    }

    @Test
    void nullArguments() {
        assertThatThrownBy(() -> StateDicts.multiHeadAttention(null, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StateDicts.multiHeadAttention(Map.of(), 2, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StateDicts.of(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
