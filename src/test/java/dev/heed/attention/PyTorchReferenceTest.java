package dev.heed.attention;

import static dev.heed.testing.ReferenceAssertions.assertMatches;
import static dev.heed.testing.ReferenceAssertions.assertNoNaN;
import static dev.heed.testing.ReferenceAssertions.assertUnchanged;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.Tensor;
import dev.heed.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ScaledDotProductAttention and ChunkedAttention (several tilings) against float64 references
 * computed with NumPy and cross-checked with PyTorch ({@code src/test/python/make_fixtures.py},
 * fixtures {@code sdpa.txt}); SimpleAttention against {@code simple.txt}.
 *
 * <p>Every case checks output, weights() and logSumExp() element by element within 1e-9 absolute +
 * 1e-9 relative, -inf exactly, and no NaN anywhere; and that the inputs are left unmodified.
 */
class PyTorchReferenceTest {

    /** A named way to build the kernel under test, with the case's custom scale when it has one. */
    record Kernel(String name, Function<OptionalDouble, Attention> factory) {
        Attention create(OptionalDouble scale) {
            return factory.apply(scale);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final int[][] CHUNKS = {{1, 1}, {3, 5}, {7, 2}, {2, 13}, {64, 64}};

    static List<Kernel> kernels() {
        List<Kernel> kernels = new ArrayList<>();
        kernels.add(new Kernel(
                "ScaledDotProductAttention()",
                scale -> scale.isPresent()
                        ? new ScaledDotProductAttention().withScale(scale.getAsDouble())
                        : new ScaledDotProductAttention()));
        kernels.add(new Kernel(
                "ChunkedAttention()",
                scale -> scale.isPresent()
                        ? new ChunkedAttention().withScale(scale.getAsDouble())
                        : new ChunkedAttention()));
        for (int[] qk : CHUNKS) {
            int qc = qk[0];
            int kc = qk[1];
            kernels.add(new Kernel(
                    "ChunkedAttention(" + qc + "," + kc + ")",
                    scale -> scale.isPresent()
                            ? new ChunkedAttention(qc, kc).withScale(scale.getAsDouble())
                            : new ChunkedAttention(qc, kc)));
        }
        return kernels;
    }

    static Stream<Arguments> sdpaCases() {
        List<Arguments> args = new ArrayList<>();
        for (Fixtures.Case c : Fixtures.load("sdpa.txt")) {
            for (Kernel kernel : kernels()) {
                args.add(Arguments.of(Named.of(c.name(), c), kernel));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} via {1}")
    @MethodSource("sdpaCases")
    void matchesReference(Fixtures.Case c, Kernel kernel) {
        Fixtures.TensorData qData = c.tensor("q");
        Fixtures.TensorData kData = c.tensor("k");
        Fixtures.TensorData vData = c.tensor("v");
        double[] qArr = qData.copyOfData();
        double[] kArr = kData.copyOfData();
        double[] vArr = vData.copyOfData();
        Tensor q = Tensor.of(qArr, qData.shape());
        Tensor k = Tensor.of(kArr, kData.shape());
        Tensor v = Tensor.of(vArr, vData.shape());
        if (c.optionalString("q_layout").filter("transposed"::equals).isPresent()) {
            q = q.transpose(-2, -1); // stored [..., d, L]: a non-contiguous [..., L, d] view
        }
        if (c.optionalString("k_layout").filter("transposed"::equals).isPresent()) {
            k = k.transpose(-2, -1);
        }
        Mask mask = FixtureMasks.of(c);
        OptionalDouble scale = c.optionalScalar("scale").map(OptionalDouble::of).orElse(OptionalDouble.empty());
        Attention attention = kernel.create(scale);
        String context = c.name() + " via " + kernel + " [mask " + c.string("mask") + "]";

        AttentionResult result = attention.apply(q, k, v, mask);

        assertThat(result).as("%s: result", context).isNotNull();
        assertMatches(context + " output", c.tensor("out"), result.output());
        assertMatches(context + " weights", c.tensor("weights"), result.weights());
        assertMatches(context + " logSumExp", c.tensor("lse"), result.logSumExp());
        assertNoNaN(context + " output", result.output());
        assertNoNaN(context + " weights", result.weights());
        assertNoNaN(context + " logSumExp", result.logSumExp());
        // asked twice, weights() gives the same answer (ChunkedAttention recomputes them)
        assertMatches(context + " weights (again)", c.tensor("weights"), result.weights());

        assertUnchanged(context + " q", qData.data(), qArr);
        assertUnchanged(context + " k", kData.data(), kArr);
        assertUnchanged(context + " v", vData.data(), vArr);
    }

    static Stream<Arguments> simpleCases() {
        return Fixtures.load("simple.txt").stream().map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    @ParameterizedTest(name = "SimpleAttention {0}")
    @MethodSource("simpleCases")
    void simpleAttentionMatchesReference(Fixtures.Case c) {
        Fixtures.TensorData qData = c.tensor("q");
        Fixtures.TensorData kData = c.tensor("k");
        Fixtures.TensorData vData = c.tensor("v");
        double[] qArr = qData.copyOfData();
        Tensor q = Tensor.of(qArr, qData.shape());
        Tensor k = Tensor.of(kData.copyOfData(), kData.shape());
        Tensor v = Tensor.of(vData.copyOfData(), vData.shape());
        String context = "SimpleAttention " + c.name();

        AttentionResult result = new SimpleAttention().apply(q, k, v, Mask.none());

        assertMatches(context + " output", c.tensor("out"), result.output());
        assertMatches(context + " weights", c.tensor("weights"), result.weights());
        assertNoNaN(context + " output", result.output());
        assertNoNaN(context + " weights", result.weights());
        if (c.hasTensor("lse")) { // only for [L, d] queries; the contract is silent for q [d]
            assertMatches(context + " logSumExp", c.tensor("lse"), result.logSumExp());
        }
        assertUnchanged(context + " q", qData.data(), qArr);
    }
}
