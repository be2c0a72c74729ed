package dev.heed.attention;

import static dev.heed.attention.AdditiveAttentionPoolingTest.assertClose;
import static dev.heed.attention.AdditiveAttentionPoolingTest.matrix;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.layers.Embedding;
import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HierarchicalAttentionTest {

    /** Naive pooling with the parameters of {@code pool} over x[n][E], first {@code len} positions real. */
    static double[][] pool(AdditiveAttentionPooling pool, double[][] x, int len) {
        Linear p = pool.projection();
        return AdditiveAttentionPoolingTest.naive(
                x,
                len,
                matrix(p.weight()),
                p.hasBias() ? p.bias().toArray() : null,
                pool.scoreVector().toArray());
    }

    /**
     * One document the long way: embed the real words, pool each sentence, then pool only the
     * sentences that have a word (compacted, so no mask is involved). Returns
     * {document [1][E], sentence vectors [N][E], sentence weights [1][N], word weights [N][W]}.
     */
    static double[][][] naive(HierarchicalAttention model, int[][] doc, int[] wordCounts, int sentenceCount) {
        double[][] table = matrix(model.embedding().table());
        int n = doc.length;
        int w = n == 0 ? 0 : doc[0].length;
        int e = table[0].length;
        double[][] sentenceVectors = new double[n][e];
        double[][] wordWeights = new double[n][w];
        int[] real = new int[n];
        int realCount = 0;
        for (int s = 0; s < n; s++) {
            int count = s < sentenceCount ? wordCounts[s] : 0;
            if (count == 0) {
                continue;
            }
            double[][] x = new double[count][];
            for (int j = 0; j < count; j++) {
                x[j] = table[doc[s][j]];
            }
            double[][] r = pool(model.wordAttention(), x, count);
            sentenceVectors[s] = r[0];
            System.arraycopy(r[1], 0, wordWeights[s], 0, count);
            real[realCount++] = s;
        }
        double[][] compact = new double[realCount][];
        for (int k = 0; k < realCount; k++) {
            compact[k] = sentenceVectors[real[k]];
        }
        double[] sentenceWeights = new double[n];
        double[] document = new double[e];
        if (realCount > 0) {
            double[][] r = pool(model.sentenceAttention(), compact, realCount);
            document = r[0];
            for (int k = 0; k < realCount; k++) {
                sentenceWeights[real[k]] = r[1][k];
            }
        }
        return new double[][][] {{document}, sentenceVectors, {sentenceWeights}, wordWeights};
    }

    static double[] flat(double[][] m) {
        return AlignmentAttentionTest.flat(m);
    }

    @ParameterizedTest(name = "B={0} N={1} W={2} E={3} H={4}")
    @CsvSource({"1,1,1,1,1", "3,7,13,3,5", "2,3,7,13,1", "4,13,3,7,3"})
    void matchesNaiveTwoLevelPoolingWithPadding(int batch, int sentences, int words, int e, int hidden) {
        int vocab = 11;
        HierarchicalAttention model = HierarchicalAttention.seeded(vocab, e, hidden, sentences * 31L + words);
        Random random = new Random(batch * 7L + e);
        int[][][] docs = new int[batch][sentences][words];
        int[][] wordCounts = new int[batch][sentences];
        int[] sentenceCounts = new int[batch];
        for (int b = 0; b < batch; b++) {
            sentenceCounts[b] = b == 0 ? sentences : b == 1 ? 0 : random.nextInt(sentences + 1);
            for (int s = 0; s < sentences; s++) {
                wordCounts[b][s] = b == 0 && s == 0 ? words : random.nextInt(words + 1);
                for (int j = 0; j < words; j++) {
                    docs[b][s][j] = j < wordCounts[b][s] ? random.nextInt(vocab) : -1; // -1 pads
                }
            }
        }
        HierarchicalAttention.Result r = model.forward(docs, wordCounts, sentenceCounts);
        assertThat(r.documentVectors().shape()).containsExactly(batch, e);
        assertThat(r.sentenceVectors().shape()).containsExactly(batch, sentences, e);
        assertThat(r.sentenceWeights().shape()).containsExactly(batch, sentences);
        assertThat(r.wordWeights().shape()).containsExactly(batch, sentences, words);
        for (int b = 0; b < batch; b++) {
            double[][][] expected = naive(model, docs[b], wordCounts[b], sentenceCounts[b]);
            String doc = "document " + b;
            assertClose(doc + " vector", r.documentVectors().select(0, b).toArray(), expected[0][0], 1e-13);
            assertClose(
                    doc + " sentence vectors", r.sentenceVectors().select(0, b).toArray(), flat(expected[1]), 1e-13);
            assertClose(
                    doc + " sentence weights", r.sentenceWeights().select(0, b).toArray(), expected[2][0], 1e-14);
            assertClose(doc + " word weights", r.wordWeights().select(0, b).toArray(), flat(expected[3]), 1e-14);
            for (int s = 0; s < sentences; s++) {
                boolean realSentence = s < sentenceCounts[b] && wordCounts[b][s] > 0;
                if (!realSentence) {
                    assertThat(r.sentenceWeights().get(b, s))
                            .as("%s sentence %d", doc, s)
                            .isEqualTo(0.0);
                    assertThat(r.wordWeights().select(0, b).select(0, s).toArray())
                            .containsOnly(0.0);
                }
                for (int j = s < sentenceCounts[b] ? wordCounts[b][s] : 0; j < words; j++) {
                    assertThat(r.wordWeights().get(b, s, j)).isEqualTo(0.0);
                }
            }
        }
        assertThat(r.documentVectors().select(0, Math.min(1, batch - 1)).toArray())
                .doesNotContain(Double.NaN);
    }

    @Test
    void oneDocumentDropsTheBatchAxis() {
        HierarchicalAttention model = HierarchicalAttention.seeded(20, 4, 3, 5);
        int[][] doc = {{1, 2, 3, 0}, {4, 5, 0, 0}, {0, 0, 0, 0}, {6, 7, 8, 9}};
        int[] counts = {3, 2, 0, 4};
        HierarchicalAttention.Result one = model.forward(doc, counts);
        assertThat(one.documentVectors().shape()).containsExactly(4);
        assertThat(one.sentenceVectors().shape()).containsExactly(4, 4);
        assertThat(one.sentenceWeights().shape()).containsExactly(4);
        assertThat(one.wordWeights().shape()).containsExactly(4, 4);
        HierarchicalAttention.Result batch = model.forward(new int[][][] {doc}, new int[][] {counts}, new int[] {4});
        assertThat(one.documentVectors().toArray())
                .containsExactly(batch.documentVectors().toArray());
        assertThat(one.wordWeights().toArray())
                .containsExactly(batch.wordWeights().toArray());
        assertThat(one.sentenceWeights().get(2)).as("the empty sentence").isEqualTo(0.0);
        assertThat(one.sentenceWeights().sum()).isCloseTo(1.0, within(1e-15));
        // without padding every slot is a word
        HierarchicalAttention.Result full = model.forward(doc);
        assertThat(full.wordWeights().toArray()).doesNotContain(0.0);
        assertThat(full.documentVectors().toArray())
                .containsExactly(model.forward(new int[][][] {doc})
                        .documentVectors()
                        .select(0, 0)
                        .toArray());
    }

    @Test
    void documentWordWeightsAndTopSentencesSummarise() {
        HierarchicalAttention model = HierarchicalAttention.seeded(30, 6, 4, 2);
        int[][] doc = {{1, 2, 3}, {4, 5, 6}, {7, 8, 0}, {9, 10, 11}, {0, 0, 0}};
        HierarchicalAttention.Result r = model.forward(doc, new int[] {3, 3, 2, 3, 0});
        Tensor shares = r.documentWordWeights();
        assertThat(shares.shape()).containsExactly(5, 3);
        assertThat(shares.sum()).isCloseTo(1.0, within(1e-15));
        for (int s = 0; s < 5; s++) {
            for (int j = 0; j < 3; j++) {
                assertThat(shares.get(s, j))
                        .isEqualTo(r.sentenceWeights().get(s) * r.wordWeights().get(s, j));
            }
        }
        double[] w = r.sentenceWeights().toArray();
        int[] top2 = r.topSentences(0, 2);
        assertThat(top2).hasSize(2).isSorted();
        for (int s = 0; s < 5; s++) {
            boolean chosen = s == top2[0] || s == top2[1];
            if (!chosen) {
                assertThat(w[s]).isLessThanOrEqualTo(Math.min(w[top2[0]], w[top2[1]]));
            }
        }
        assertThat(r.topSentences(0, 10)).containsExactly(0, 1, 2, 3); // never the empty sentence
        assertThat(r.topSentences(0, 0)).isEmpty();
        assertThatThrownBy(() -> r.topSentences(1, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("document 1");
        assertThatThrownBy(() -> r.topSentences(0, -1)).isInstanceOf(IllegalArgumentException.class);
        // ties go to the earlier sentence
        HierarchicalAttention.Result tie = model.forward(new int[][] {{5, 5}, {5, 5}, {5, 5}});
        assertThat(tie.topSentences(0, 2)).containsExactly(0, 1);
    }

    @Test
    void emptyDocumentsGiveZerosNeverNaN() {
        HierarchicalAttention model = HierarchicalAttention.seeded(10, 3, 2, 1);
        HierarchicalAttention.Result r = model.forward(
                new int[][][] {{{1, 2}, {3, 4}}, {{-1, -1}, {-1, -1}}}, new int[][] {{2, 2}, {0, 0}}, new int[] {2, 2});
        assertThat(r.documentVectors().select(0, 1).toArray()).containsOnly(0.0);
        assertThat(r.sentenceWeights().select(0, 1).toArray()).containsOnly(0.0);
        assertThat(r.wordWeights().select(0, 1).toArray()).containsOnly(0.0);
        assertThat(r.sentenceVectors().select(0, 1).toArray()).containsOnly(0.0);
        assertThat(r.documentWordWeights().toArray()).doesNotContain(Double.NaN);
        // no sentences at all, and no documents at all
        HierarchicalAttention.Result none = model.forward(new int[0][]);
        assertThat(none.documentVectors().shape()).containsExactly(3);
        assertThat(none.documentVectors().toArray()).containsOnly(0.0);
        assertThat(none.sentenceWeights().shape()).containsExactly(0);
        assertThat(model.forward(new int[0][][]).documentVectors().shape()).containsExactly(0, 3);
    }

    @Test
    void paddedIdsAreNeverLookedUp() {
        HierarchicalAttention model = HierarchicalAttention.seeded(10, 3, 2, 1);
        HierarchicalAttention.Result padded = model.forward(new int[][] {{1, 2, 999}, {-7, 0, 0}}, new int[] {2, 0});
        HierarchicalAttention.Result clean = model.forward(new int[][] {{1, 2}}, new int[] {2});
        assertThat(padded.documentVectors().toArray())
                .containsExactly(clean.documentVectors().toArray());
        // a padded sentence past the sentence count is ignored, whatever its word count says
        HierarchicalAttention.Result batch =
                model.forward(new int[][][] {{{1, 2, 3}, {77, 77, 77}}}, new int[][] {{2, 3}}, new int[] {1});
        assertThat(batch.documentVectors().select(0, 0).toArray())
                .containsExactly(clean.documentVectors().toArray());
        assertThat(batch.sentenceWeights().toArray()).containsExactly(1.0, 0.0);
    }

    @Test
    void composedFromGivenPartsAndSeededReproducibly() {
        Random random = new Random(4);
        Embedding embedding = Embedding.seeded(12, 5, random);
        AdditiveAttentionPooling words = AdditiveAttentionPooling.seeded(5, 3, random);
        AdditiveAttentionPooling sentences = AdditiveAttentionPooling.seeded(5, 3, random);
        HierarchicalAttention composed = HierarchicalAttention.of(embedding, words, sentences);
        HierarchicalAttention seeded = HierarchicalAttention.seeded(12, 5, 3, 4);
        int[][] doc = {{1, 2, 3}, {4, 5, 11}};
        assertThat(composed.forward(doc).documentVectors().toArray())
                .containsExactly(seeded.forward(doc).documentVectors().toArray());
        assertThat(HierarchicalAttention.seeded(12, 5, 3, 5)
                        .forward(doc)
                        .documentVectors()
                        .toArray())
                .isNotEqualTo(seeded.forward(doc).documentVectors().toArray());
        assertThat(composed.embedding()).isSameAs(embedding);
        assertThat(composed.toString()).contains("Embedding{vocabSize=12, embedDim=5}");
    }

    @Test
    void oneModelServesManyThreadsAtOnce() throws Exception {
        HierarchicalAttention model = HierarchicalAttention.seeded(50, 8, 4, 6);
        int[][][] docs = new int[3][4][5];
        Random random = new Random(1);
        for (int[][] doc : docs) {
            for (int[] sentence : doc) {
                for (int j = 0; j < sentence.length; j++) {
                    sentence[j] = random.nextInt(50);
                }
            }
        }
        int[][] counts = {{5, 3, 1, 0}, {2, 2, 2, 2}, {5, 5, 5, 5}};
        int[] sentenceCounts = {4, 3, 2};
        double[] expected =
                model.forward(docs, counts, sentenceCounts).wordWeights().toArray();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<double[]>> results = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                results.add(pool.submit(() -> model.forward(docs, counts, sentenceCounts)
                        .wordWeights()
                        .toArray()));
            }
            for (Future<double[]> f : results) {
                assertThat(f.get()).containsExactly(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badArgumentsAreNamed() {
        HierarchicalAttention model = HierarchicalAttention.seeded(10, 3, 2, 1);
        assertThatThrownBy(() -> model.forward(new int[][] {{1, 2}, {3}}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("same number of words");
        assertThatThrownBy(() -> model.forward(new int[][][] {{{1}}, {{1}, {2}}}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("same number of sentences");
        assertThatThrownBy(() -> model.forward(new int[][] {{1, 10}}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id 10")
                .hasMessageContaining("sentence 0, word 1")
                .hasMessageContaining("vocabulary of 10");
        assertThatThrownBy(() -> model.forward(new int[][] {{1, 2}}, new int[] {3}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("word count 3")
                .hasMessageContaining("[0, 2]");
        assertThatThrownBy(() -> model.forward(new int[][] {{1, 2}}, new int[] {1, 1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("one count per sentence");
        assertThatThrownBy(() -> model.forward(new int[][][] {{{1, 2}}}, new int[][] {{1}}, new int[] {2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length 2");
        assertThatThrownBy(() -> model.forward(new int[][][] {{{1, 2}}}, new int[][] {{1}}, new int[] {1, 1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 document");
        assertThatThrownBy(() -> model.forward(new int[][][] {{{1, 2}}}, null, new int[] {1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("wordCounts");
        assertThatThrownBy(() -> model.forward((int[][]) null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> model.forward((int[][][]) null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HierarchicalAttention.of(
                        Embedding.seeded(5, 4, 1),
                        AdditiveAttentionPooling.seeded(3, 2, 1),
                        AdditiveAttentionPooling.seeded(4, 2, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("embedding size 4");
        assertThatThrownBy(() -> HierarchicalAttention.of(null, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HierarchicalAttention.seeded(0, 3, 2, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
