package dev.heed.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.autograd.Variable;
import dev.heed.io.SafeTensors;
import dev.heed.layers.Module;
import dev.heed.layers.TrainableEmbedding;
import dev.heed.layers.TrainableLinear;
import dev.heed.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {
    @TempDir
    Path dir;

    /** embedding [7, 3] → fc [3 → 5] → out [5 → 2, no bias], initialised from {@code seed}. */
    static final class Net implements Module {
        final TrainableEmbedding embedding;
        final TrainableLinear fc;
        final TrainableLinear out;

        Net(long seed, int hidden) {
            embedding = TrainableEmbedding.seeded(7, 3, seed);
            fc = TrainableLinear.seeded(3, hidden, true, seed + 1);
            out = TrainableLinear.seeded(hidden, 2, false, seed + 2);
        }

        @Override
        public Map<String, Variable> parameters() {
            return Module.builder()
                    .add("embedding", embedding)
                    .add("fc", fc)
                    .add("out", out)
                    .build();
        }
    }

    private static void assertBitExact(Module a, Module b) {
        assertThat(b.parameters().keySet())
                .containsExactlyElementsOf(a.parameters().keySet());
        for (String name : a.parameters().keySet()) {
            double[] x = a.parameters().get(name).value().toArray();
            double[] y = b.parameters().get(name).value().toArray();
            assertThat(y.length).isEqualTo(x.length);
            for (int i = 0; i < x.length; i++) {
                assertThat(Double.doubleToRawLongBits(y[i]))
                        .as("%s[%d]", name, i)
                        .isEqualTo(Double.doubleToRawLongBits(x[i]));
            }
        }
    }

    @Test
    void roundTripIsBitExactUnderPyTorchNames() throws IOException {
        Net trained = new Net(1, 5);
        // awkward values: -0.0, a subnormal, the extremes
        trained.out
                .weight()
                .assign(Tensor.of(
                        new double[] {
                            -0.0,
                            Double.MIN_VALUE,
                            Double.MAX_VALUE,
                            -Double.MAX_VALUE,
                            1e-310,
                            Math.PI,
                            -1.0 / 3,
                            1e300,
                            -7,
                            0.1
                        },
                        2,
                        5));
        Path file = dir.resolve("net.safetensors");
        Checkpoints.save(file, trained);

        Map<String, Tensor> raw = SafeTensors.read(file);
        assertThat(raw.keySet()).containsExactly("embedding.weight", "fc.weight", "fc.bias", "out.weight");
        assertThat(raw.get("fc.weight").shape()).containsExactly(5, 3);

        Net fresh = new Net(99, 5);
        Tensor before = fresh.fc.weight().value();
        Checkpoints.load(file, fresh);
        assertBitExact(trained, fresh);
        assertThat(fresh.fc.weight().value()).isSameAs(before); // loaded in place
    }

    @Test
    void loadsAFileWrittenByOtherCodeInAnotherOrder() throws IOException {
        Net net = new Net(3, 5);
        Map<String, Tensor> reversed = new LinkedHashMap<>();
        reversed.put("out.weight", Tensor.full(2, 2, 5));
        reversed.put("fc.bias", Tensor.full(3, 5));
        reversed.put("fc.weight", Tensor.full(4, 5, 3));
        reversed.put("embedding.weight", Tensor.full(5, 7, 3));
        Path file = dir.resolve("other.safetensors");
        SafeTensors.write(file, reversed);
        Checkpoints.load(file, net);
        assertThat(net.fc.bias().value().toArray()).containsOnly(3.0);
        assertThat(net.embedding.weight().value().toArray()).containsOnly(5.0);
    }

    @Test
    void mismatchesAreAllNamedAndNothingIsLoaded() throws IOException {
        Path file = dir.resolve("wide.safetensors");
        Checkpoints.save(file, new Net(1, 5));
        Map<String, Tensor> edited = new LinkedHashMap<>(SafeTensors.read(file));
        edited.remove("fc.bias");
        edited.put("extra.weight", Tensor.zeros(1));
        Path broken = dir.resolve("broken.safetensors");
        SafeTensors.write(broken, edited);

        Net narrow = new Net(2, 4); // fc is [4, 3] here, [5, 3] in the file
        double[] before = narrow.embedding.weight().value().toArray();
        assertThatThrownBy(() -> Checkpoints.load(broken, narrow))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing [fc.bias]")
                .hasMessageContaining("unexpected [extra.weight]")
                .hasMessageContaining("fc.weight is [5, 3] in the file but [4, 3] in the module")
                .hasMessageContaining("out.weight is [2, 5] in the file but [2, 4] in the module");
        // embedding.weight fits, but nothing is loaded when anything does not
        assertThat(narrow.embedding.weight().value().toArray()).containsExactly(before);
    }

    @Test
    void loadingInvalidatesGraphsRecordedBefore() throws IOException {
        Net net = new Net(1, 5);
        Path file = dir.resolve("net.safetensors");
        Checkpoints.save(file, net);
        Variable loss =
                net.out.forward(net.fc.forward(net.embedding.forward(1, 2))).sum();
        Checkpoints.load(file, net);
        assertThatThrownBy(loss::backward).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void badFilesAndArguments() throws IOException {
        Net net = new Net(1, 5);
        Path garbage = dir.resolve("garbage.safetensors");
        Files.write(garbage, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> Checkpoints.load(garbage, net)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Checkpoints.load(dir.resolve("absent"), net)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Checkpoints.save(null, net)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Checkpoints.load(garbage, null)).isInstanceOf(IllegalArgumentException.class);
    }
}
