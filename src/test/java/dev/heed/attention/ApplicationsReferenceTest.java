package dev.heed.attention;

import static dev.heed.testing.ReferenceAssertions.assertMatches;
import static dev.heed.testing.ReferenceAssertions.assertNoNaN;
import static dev.heed.testing.ReferenceAssertions.assertUnchanged;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.layers.Embedding;
import dev.heed.layers.Linear;
import dev.heed.metrics.Metrics;
import dev.heed.tensor.Tensor;
import dev.heed.testing.Fixtures;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Additive pooling, alignment attention, hierarchical attention and the spread metrics against
 * PyTorch / NumPy float64 references ({@code applications.txt}, written by
 * {@code src/test/python/make_application_fixtures.py}, which checks torch against plain loops
 * before writing). Everything must match within 1e-9 absolute + 1e-9 relative, with no NaN.
 */
class ApplicationsReferenceTest {

    static Stream<Arguments> cases(String kind) {
        return Fixtures.load("applications.txt").stream()
                .filter(c -> c.string("kind").equals(kind))
                .map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    static Stream<Arguments> poolingCases() {
        return cases("pooling");
    }

    static Stream<Arguments> alignmentCases() {
        return cases("alignment");
    }

    static Stream<Arguments> hierarchicalCases() {
        return cases("hierarchical");
    }

    static Stream<Arguments> metricsCases() {
        return cases("metrics");
    }

    private static Tensor tensor(Fixtures.Case c, String name) {
        Fixtures.TensorData t = c.tensor(name);
        return Tensor.of(t.copyOfData(), t.shape());
    }

    private static Tensor optional(Fixtures.Case c, String name) {
        return c.hasTensor(name) ? tensor(c, name) : null;
    }

    private static void assertResult(String context, Fixtures.Case c, AttentionResult r) {
        assertMatches(context + " context", c.tensor("context"), r.output());
        assertMatches(context + " weights", c.tensor("weights"), r.weights());
        assertMatches(context + " logSumExp", c.tensor("lse"), r.logSumExp());
        assertNoNaN(context + " context", r.output());
        assertNoNaN(context + " weights", r.weights());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("poolingCases")
    void poolingMatchesTorch(Fixtures.Case c) {
        AdditiveAttentionPooling pool = c.string("form").equals("single_vector")
                ? AdditiveAttentionPooling.singleVector(tensor(c, "w"))
                : AdditiveAttentionPooling.of(Linear.of(tensor(c, "w"), optional(c, "b")), tensor(c, "v"));
        Fixtures.TensorData xData = c.tensor("x");
        double[] xArr = xData.copyOfData();
        Tensor x = Tensor.of(xArr, xData.shape());
        if (c.optionalString("x_layout").filter("transposed"::equals).isPresent()) {
            x = x.transpose(-2, -1);
        }
        AttentionResult r =
                Boolean.parseBoolean(c.string("padded")) ? pool.forward(x, c.ints("lengths")) : pool.forward(x);
        String context = "pooling " + c.name();
        assertMatches(context + " scores", c.tensor("scores"), pool.scores(x));
        assertResult(context, c, r);
        assertUnchanged(context + " x", xData.data(), xArr);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("alignmentCases")
    void alignmentMatchesTorch(Fixtures.Case c) {
        AlignmentAttention attention = switch (c.string("score")) {
            case "dot" -> AlignmentAttention.dot();
            case "general" -> AlignmentAttention.general(tensor(c, "wa"));
            case "concat" -> AlignmentAttention.concat(Linear.of(tensor(c, "wa"), optional(c, "ba")), tensor(c, "va"));
            case "additive" ->
                AlignmentAttention.additive(
                        Linear.of(tensor(c, "wa"), optional(c, "ba")),
                        Linear.of(tensor(c, "ua"), optional(c, "bu")),
                        tensor(c, "va"));
            default -> throw new IllegalArgumentException(c + ": unknown score " + c.string("score"));
        };
        Tensor decoder = tensor(c, "decoder");
        Tensor encoder = tensor(c, "encoder");
        String context = "alignment " + c.name() + " [mask " + c.string("mask") + "]";
        assertMatches(context + " scores", c.tensor("scores"), attention.scores(decoder, encoder));
        assertResult(context, c, attention.forward(decoder, encoder, FixtureMasks.of(c)));
        if (c.string("mask").equals("keyPadding:source_lengths")) {
            assertResult(context + " via lengths", c, attention.forward(decoder, encoder, c.ints("source_lengths")));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hierarchicalCases")
    void hierarchicalMatchesTorch(Fixtures.Case c) {
        Embedding embedding = Embedding.of(tensor(c, "table"));
        AdditiveAttentionPooling words =
                AdditiveAttentionPooling.of(Linear.of(tensor(c, "word_w"), tensor(c, "word_b")), tensor(c, "word_v"));
        AdditiveAttentionPooling sentences = AdditiveAttentionPooling.of(
                Linear.of(tensor(c, "sentence_w"), tensor(c, "sentence_b")), tensor(c, "sentence_v"));
        HierarchicalAttention model = HierarchicalAttention.of(embedding, words, sentences);
        int[] shape = c.ints("ids_shape");
        int[] flatIds = c.ints("ids");
        int[] flatCounts = c.ints("word_counts");
        int[][][] ids = new int[shape[0]][shape[1]][shape[2]];
        int[][] counts = new int[shape[0]][shape[1]];
        for (int b = 0, p = 0; b < shape[0]; b++) {
            for (int s = 0; s < shape[1]; s++) {
                counts[b][s] = flatCounts[b * shape[1] + s];
                for (int w = 0; w < shape[2]; w++) {
                    ids[b][s][w] = flatIds[p++];
                }
            }
        }
        HierarchicalAttention.Result r = model.forward(ids, counts, c.ints("sentence_counts"));
        String context = "hierarchical " + c.name();
        assertMatches(context + " document", c.tensor("document"), r.documentVectors());
        assertMatches(context + " sentence vectors", c.tensor("sentence_vectors"), r.sentenceVectors());
        assertMatches(context + " sentence weights", c.tensor("sentence_weights"), r.sentenceWeights());
        assertMatches(context + " word weights", c.tensor("word_weights"), r.wordWeights());
        assertNoNaN(context + " document", r.documentVectors());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("metricsCases")
    void spreadMetricsMatchNumPy(Fixtures.Case c) {
        Fixtures.TensorData wData = c.tensor("weights");
        double[] wArr = wData.copyOfData();
        Tensor w = Tensor.of(wArr, wData.shape());
        String context = "metrics " + c.name();
        assertMatches(
                context + " normalizedEntropy",
                c.tensor("normalized_entropy"),
                Metrics.normalizedEntropy(w),
                1e-12,
                1e-12);
        assertMatches(
                context + " topKMass", c.tensor("top_k_mass"), Metrics.topKMass(w, c.intScalar("k")), 1e-12, 1e-12);
        assertMatches(
                context + " meanAttentionDistance",
                c.tensor("mean_distance"),
                Metrics.meanAttentionDistance(w),
                1e-12,
                1e-12);
        if (c.hasTensor("head_mean_distance")) {
            assertMatches(
                    context + " headMeanAttentionDistance",
                    c.tensor("head_mean_distance"),
                    Metrics.headMeanAttentionDistance(w),
                    1e-12,
                    1e-12);
        }
        assertUnchanged(context + " weights", wData.data(), wArr);
        assertThat(c.file()).isEqualTo("applications.txt");
    }
}
