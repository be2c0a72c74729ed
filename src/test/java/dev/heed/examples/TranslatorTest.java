package dev.heed.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.AttentionResult;
import dev.heed.examples.Translator.Corpus;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The translator's attention trained once from a fixed seed, then checked: alignment, snapshot, data. */
class TranslatorTest {
    static final Corpus TRAINING = Corpus.generate(2, 2000);
    static final Corpus HELD_OUT = Corpus.generate(3, 500);
    static Translator model;
    static Translator.Report report;

    @BeforeAll
    static void train() {
        model = new Translator(1);
        report = model.train(TRAINING, HELD_OUT);
    }

    @Test
    void learnsTheAlignmentFromTranslationsAlone() {
        assertThat(report.alignmentAccuracy()).isGreaterThanOrEqualTo(0.95);
        assertThat(report.alignedWeight()).isGreaterThan(0.9);
        assertThat(report.wordAccuracy()).isGreaterThanOrEqualTo(0.95);
        assertThat(report.seconds()).isLessThan(60);
    }

    @Test
    void theAttentionCrossesAtEveryAdjective() {
        // Alignment accuracy counted separately on the words that move: adjective and noun of a swapped pair.
        Tensor weights = model.forward(
                        HELD_OUT.source(), Translator.previousWords(HELD_OUT.target()), HELD_OUT.lengths())
                .weights()
                .value();
        int crossed = 0;
        int right = 0;
        for (int i = 0; i < HELD_OUT.size(); i++) {
            for (int t = 0; t < HELD_OUT.lengths()[i]; t++) {
                int s = HELD_OUT.alignment()[i][t];
                if (s != t) {
                    crossed++;
                    right += (int) weights.select(0, i).select(0, t).argmax(-1).item() == s ? 1 : 0;
                }
                for (int j = HELD_OUT.lengths()[i]; j < Translator.MAX_LENGTH; j++) {
                    assertThat(weights.get(i, t, j)).isEqualTo(0.0); // source padding
                }
            }
        }
        assertThat(crossed).isGreaterThan(500);
        assertThat((double) right / crossed).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void theSnapshotIsHeedsLuongGeneralAttentionWithTheTrainedWeights() {
        Translator.Snapshot snapshot = model.snapshot();
        Tensor trained = model.forward(
                        HELD_OUT.source(), Translator.previousWords(HELD_OUT.target()), HELD_OUT.lengths())
                .weights()
                .value();
        int sentencesTranslated = 0;
        for (int i = 0; i < 50; i++) {
            int n = HELD_OUT.lengths()[i];
            int[] source = Arrays.copyOf(HELD_OUT.source()[i], n);
            int[] target = Arrays.copyOf(HELD_OUT.target()[i], n);
            AttentionResult r = snapshot.align(source, target);
            Tensor expected = trained.select(0, i).slice(0, 0, n).slice(1, 0, n);
            assertThat(r.weights().allClose(expected, 0, 1e-12))
                    .as("sentence %d", i)
                    .isTrue();
            sentencesTranslated += Arrays.equals(snapshot.translate(source), target) ? 1 : 0;
        }
        assertThat(sentencesTranslated).isGreaterThanOrEqualTo(45);
        assertThat(snapshot.attention().score()).isEqualTo(dev.heed.attention.AlignmentAttention.Score.GENERAL);
    }

    @Test
    void everyPairIsAWordByWordTranslationWithAdjectivesMoved() {
        Map<String, String> lexicon = new HashMap<>();
        for (String[][] kind : List.of(
                Translator.DETERMINERS,
                Translator.NOUNS,
                Translator.ADJECTIVES,
                Translator.VERBS,
                Translator.PREPOSITIONS)) {
            for (String[] pair : kind) {
                lexicon.put(pair[0], pair[1]);
            }
        }
        List<String> adjectives =
                Arrays.stream(Translator.ADJECTIVES).map(p -> p[0]).toList();
        List<String> nouns = Arrays.stream(Translator.NOUNS).map(p -> p[0]).toList();
        Corpus corpus = Corpus.generate(9, 2000);
        int swaps = 0;
        for (int i = 0; i < corpus.size(); i++) {
            int n = corpus.lengths()[i];
            assertThat(n).isBetween(3, Translator.MAX_LENGTH);
            int[] source = Arrays.copyOf(corpus.source()[i], n);
            assertThat(Translator.alignment(source)).containsExactly(Arrays.copyOf(corpus.alignment()[i], n));
            assertThat(Translator.translation(source)).containsExactly(Arrays.copyOf(corpus.target()[i], n));
            boolean[] used = new boolean[n];
            for (int t = 0; t < Translator.MAX_LENGTH; t++) {
                if (t >= n) {
                    assertThat(corpus.source()[i][t]).isEqualTo(Translator.PAD);
                    assertThat(corpus.target()[i][t]).isEqualTo(Translator.PAD);
                    assertThat(corpus.alignment()[i][t]).isEqualTo(-1);
                    continue;
                }
                int s = corpus.alignment()[i][t];
                assertThat(used[s]).isFalse();
                used[s] = true;
                String sourceWord = Translator.SOURCE.word(corpus.source()[i][s]);
                assertThat(Translator.TARGET.word(corpus.target()[i][t])).isEqualTo(lexicon.get(sourceWord));
                // The source puts an adjective right after its noun; the target swaps the two.
                if (adjectives.contains(sourceWord)) {
                    assertThat(s).isEqualTo(t + 1);
                    assertThat(nouns).contains(Translator.SOURCE.word(corpus.source()[i][s - 1]));
                    swaps++;
                } else if (s + 1 < n && adjectives.contains(Translator.SOURCE.word(corpus.source()[i][s + 1]))) {
                    assertThat(s).isEqualTo(t - 1);
                } else {
                    assertThat(s).isEqualTo(t);
                }
            }
        }
        assertThat(swaps).isGreaterThan(1000);
        assertThat(Corpus.generate(9, 2000).targetText(77)).isEqualTo(corpus.targetText(77));
        assertThat(corpus.sourceText(0).split(" ")).hasSize(corpus.lengths()[0]);
    }

    @Test
    void badInputIsRejected() {
        assertThatThrownBy(() -> model.forward(new int[][] {{2, 3}}, new int[][] {{1, 2}}, new int[] {3}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length 3 of sentence 0");
        assertThatThrownBy(() -> model.forward(new int[][] {{2, 3}}, new int[][] {{1, 2}}, new int[] {1, 2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 lengths");
        assertThatThrownBy(() -> model.forward(new int[][] {new int[12]}, new int[][] {new int[12]}, new int[] {3}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 11");
        assertThatThrownBy(() -> Corpus.generate(1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> model.train(TRAINING, Corpus.generate(1, 0)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
