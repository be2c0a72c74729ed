package dev.heed.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.layers.Embedding;
import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link HierarchicalAttention#backward}: central finite differences of the document vectors with
 * respect to the embedding table and both attentions' parameters, over odd sizes and padding (empty
 * sentences, padded sentences, a document with no real sentence, garbage ids in padded slots,
 * repeated ids); parameter names; the one-document forms; bad input.
 */
class HierarchicalAttentionBackwardTest {

    private static final List<String> NAMES = List.of(
            "embedding.weight",
            "wordAttention.projection.weight",
            "wordAttention.projection.bias",
            "wordAttention.scoreVector",
            "sentenceAttention.projection.weight",
            "sentenceAttention.projection.bias",
            "sentenceAttention.scoreVector");

    /** The model from its seven parameter tensors, in the order of {@link #NAMES}. */
    private static HierarchicalAttention model(Tensor... p) {
        return HierarchicalAttention.of(
                Embedding.of(p[0]),
                AdditiveAttentionPooling.of(Linear.of(p[1], p[2]), p[3]),
                AdditiveAttentionPooling.of(Linear.of(p[4], p[5]), p[6]));
    }

    private static Tensor[] parameters(int vocab, int e, int hidden, long seed) {
        return new Tensor[] {
            Tensor.random(seed).normal(vocab, e),
            Tensor.random(seed + 1).normal(hidden, e),
            Tensor.random(seed + 2).normal(hidden).scale(0.5),
            Tensor.random(seed + 3).normal(hidden),
            Tensor.random(seed + 4).normal(hidden, e),
            Tensor.random(seed + 5).normal(hidden).scale(0.5),
            Tensor.random(seed + 6).normal(hidden)
        };
    }

    static Stream<Arguments> sizes() {
        // vocab, E, H, B, N, W
        return Stream.of(
                Arguments.of(1, 1, 1, 1, 1, 1),
                Arguments.of(7, 3, 2, 2, 3, 4),
                Arguments.of(5, 2, 3, 3, 2, 5),
                Arguments.of(13, 4, 1, 2, 5, 3));
    }

    @ParameterizedTest(name = "V={0} E={1} H={2} B={3} N={4} W={5}")
    @MethodSource("sizes")
    void equalsCentralFiniteDifferencesWithPadding(int vocab, int e, int hidden, int batch, int sentences, int words) {
        java.util.Random random = new java.util.Random(31L * vocab + words);
        int[][][] documents = new int[batch][sentences][words];
        int[][] wordCounts = new int[batch][sentences];
        int[] sentenceCounts = new int[batch];
        for (int b = 0; b < batch; b++) {
            // document 1 has no real sentence; the others a count in [1, N]
            sentenceCounts[b] = b == 1 ? 0 : 1 + random.nextInt(sentences);
            for (int s = 0; s < sentences; s++) {
                wordCounts[b][s] = s == 1 ? 0 : random.nextInt(words + 1); // sentence 1 is always empty
                for (int w = 0; w < words; w++) {
                    // ids from a small range, so they repeat; garbage in padded slots
                    documents[b][s][w] = w < wordCounts[b][s] && s < sentenceCounts[b] ? random.nextInt(vocab) : -7;
                }
            }
        }
        if (batch == 1) {
            sentenceCounts[0] = sentences;
            wordCounts[0][0] = words;
            Arrays.fill(documents[0][0], 0);
        }
        Tensor gradOutput = Tensor.random(3).normal(batch, e);
        Tensor[] p = parameters(vocab, e, hidden, 17L * vocab + e);
        HierarchicalAttention.Gradients g = model(p).backward(documents, wordCounts, sentenceCounts, gradOutput);
        assertThat(g.parameters().keySet()).containsExactlyElementsOf(NAMES);
        FiniteDifferences.ScalarFunction f = x -> FiniteDifferences.dot(
                model(x).forward(documents, wordCounts, sentenceCounts).documentVectors(), gradOutput);
        for (int i = 0; i < NAMES.size(); i++) {
            FiniteDifferences.assertGradient(NAMES.get(i), g.parameters().get(NAMES.get(i)), f, i, p);
        }
        // ids never looked up get exactly zero
        boolean[] used = new boolean[vocab];
        for (int b = 0; b < batch; b++) {
            for (int s = 0; s < sentenceCounts[b]; s++) {
                for (int w = 0; w < wordCounts[b][s]; w++) {
                    used[documents[b][s][w]] = true;
                }
            }
        }
        Tensor table = g.parameters().get("embedding.weight");
        for (int id = 0; id < vocab; id++) {
            if (!used[id]) {
                assertThat(table.select(0, id).toArray()).as("id %d", id).containsOnly(0.0);
            }
        }
    }

    @Test
    void oneDocumentFormsEqualABatchOfOne() {
        Tensor[] p = parameters(6, 3, 2, 5);
        HierarchicalAttention m = model(p);
        int[][] document = {{0, 1, 2, 5}, {3, 3, -1, -1}, {4, 0, 1, -1}};
        int[] wordCounts = {4, 2, 3};
        Tensor gradOutput = Tensor.random(6).normal(3);
        HierarchicalAttention.Gradients one = m.backward(document, wordCounts, gradOutput);
        HierarchicalAttention.Gradients batch =
                m.backward(new int[][][] {document}, new int[][] {wordCounts}, new int[] {3}, gradOutput.unsqueeze(0));
        for (String n : NAMES) {
            AttentionChecks.assertBitwise(
                    n, batch.parameters().get(n), one.parameters().get(n));
        }
        int[][] full = {{0, 1, 2}, {3, 3, 4}};
        HierarchicalAttention.Gradients unpadded = m.backward(full, gradOutput);
        HierarchicalAttention.Gradients counted = m.backward(full, new int[] {3, 3}, gradOutput);
        HierarchicalAttention.Gradients batched = m.backward(new int[][][] {full}, gradOutput.unsqueeze(0));
        for (String n : NAMES) {
            AttentionChecks.assertBitwise(
                    n, counted.parameters().get(n), unpadded.parameters().get(n));
            AttentionChecks.assertBitwise(
                    n, counted.parameters().get(n), batched.parameters().get(n));
        }
        assertThat(one.toString()).contains("embedding.weight=[6, 3]", "sentenceAttention.scoreVector=[2]");
        // the seeded model's word and sentence attentions have biases too
        HierarchicalAttention seeded = HierarchicalAttention.seeded(9, 4, 3, 1);
        assertThat(seeded.backward(full, Tensor.ones(4)).parameters().keySet()).containsExactlyElementsOf(NAMES);
        // an empty batch
        HierarchicalAttention.Gradients empty = m.backward(new int[0][][], Tensor.zeros(0, 3));
        assertThat(empty.parameters().get("embedding.weight").toArray()).containsOnly(0.0);
    }

    @Test
    void badInputIsRefused() {
        HierarchicalAttention m = model(parameters(6, 3, 2, 5));
        int[][] document = {{0, 1}, {2, 3}};
        assertRefused(() -> m.backward(document, (Tensor) null), "must not be null");
        assertRefused(() -> m.backward(document, Tensor.zeros(4)), "[3]", "[4]");
        assertRefused(() -> m.backward(new int[][][] {document}, Tensor.zeros(3)), "[1, 3]", "[3]");
        assertRefused(() -> m.backward(new int[][] {{0, 9}}, Tensor.zeros(3)), "token id 9");
        assertRefused(() -> m.backward(document, new int[] {3, 1}, Tensor.zeros(3)), "word count 3");
        assertRefused(() -> m.backward((int[][]) null, Tensor.zeros(3)), "document is null");
        assertRefused(
                () -> m.backward(new int[][][] {document}, new int[][] {{1, 1}}, new int[] {3}, Tensor.zeros(1, 3)),
                "length 3");
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String... parts) {
        var a = assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class);
        for (String p : parts) {
            a.hasMessageContaining(p);
        }
    }
}
