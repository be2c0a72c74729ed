package dev.heed.attention;

import static dev.heed.testing.ReferenceAssertions.assertMatches;
import static dev.heed.testing.ReferenceAssertions.assertNoNaN;
import static dev.heed.testing.ReferenceAssertions.assertUnchanged;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.Tensor;
import dev.heed.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MultiHeadAttention against {@code torch.nn.MultiheadAttention} in float64 (batch_first,
 * average_attn_weights=False), fixtures {@code mha.txt}, weights in PyTorch layout. Cases whose
 * rows may attend to nothing come from a NumPy reference (torch 1.13 gives NaN there): those rows
 * must carry just the output bias, with weights 0.
 *
 * <p>Each case runs with the default kernel and with explicitly chosen kernels; output and
 * per-head weights must match within 1e-9 absolute + 1e-9 relative, with no NaN.
 */
class MultiHeadAttentionReferenceTest {

    /** A named kernel choice; {@code null} supplier means "do not call kernel(...)". */
    record KernelChoice(String name, Supplier<Attention> kernel) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<KernelChoice> kernels() {
        return List.of(
                new KernelChoice("default kernel", null),
                new KernelChoice("ScaledDotProductAttention()", ScaledDotProductAttention::new),
                new KernelChoice("ChunkedAttention(3,2)", () -> new ChunkedAttention(3, 2)));
    }

    static Stream<Arguments> cases() {
        List<Arguments> args = new ArrayList<>();
        for (Fixtures.Case c : Fixtures.load("mha.txt")) {
            for (KernelChoice kernel : kernels()) {
                args.add(Arguments.of(Named.of(c.name(), c), kernel));
            }
        }
        return args.stream();
    }

    private static Tensor tensor(Fixtures.Case c, String name) {
        Fixtures.TensorData t = c.tensor(name);
        return Tensor.of(t.copyOfData(), t.shape());
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("cases")
    void matchesTorch(Fixtures.Case c, KernelChoice kernel) {
        int embedDim = c.intScalar("embed_dim");
        int numHeads = c.intScalar("num_heads");
        int kdim = c.intScalar("kdim");
        int vdim = c.intScalar("vdim");
        boolean bias = Boolean.parseBoolean(c.string("bias"));
        boolean selfAttention = Boolean.parseBoolean(c.string("self_attention"));
        String context = c.name() + " (" + c.string("source") + " reference) with " + kernel + " [mask "
                + c.string("mask") + "]";

        MultiHeadAttention.Builder builder = MultiHeadAttention.builder(embedDim, numHeads);
        if (kdim != embedDim) {
            builder.keyDim(kdim);
        }
        if (vdim != embedDim) {
            builder.valueDim(vdim);
        }
        builder.bias(bias).weights(tensor(c, "wq"), tensor(c, "wk"), tensor(c, "wv"), tensor(c, "wo"));
        if (bias) {
            builder.biases(tensor(c, "bq"), tensor(c, "bk"), tensor(c, "bv"), tensor(c, "bo"));
        }
        if (kernel.kernel() != null) {
            builder.kernel(kernel.kernel().get());
        }
        MultiHeadAttention mha = builder.build();

        Fixtures.TensorData qData = c.tensor("query");
        double[] qArr = qData.copyOfData();
        Tensor query = Tensor.of(qArr, qData.shape());
        Tensor key;
        Tensor value;
        if (selfAttention) { // the very same tensor three times, as in self-attention
            key = query;
            value = query;
        } else {
            key = tensor(c, "key");
            value = tensor(c, "value");
        }

        AttentionResult result = mha.forward(query, key, value, FixtureMasks.of(c));

        assertThat(result).as("%s: result", context).isNotNull();
        assertMatches(context + " output", c.tensor("out"), result.output());
        assertMatches(context + " weights", c.tensor("weights"), result.weights());
        assertNoNaN(context + " output", result.output());
        assertNoNaN(context + " weights", result.weights());
        assertUnchanged(context + " query", qData.data(), qArr);
    }
}
