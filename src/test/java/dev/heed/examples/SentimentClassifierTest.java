package dev.heed.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.AttentionResult;
import dev.heed.examples.SentimentClassifier.Reviews;
import dev.heed.tensor.Tensor;
import dev.heed.train.Checkpoints;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tutorial's classifier trained once from a fixed seed, then checked: accuracy, attention, snapshot, data. */
class SentimentClassifierTest {
    static final Reviews TRAINING = Reviews.generate(2, 2000);
    static final Reviews HELD_OUT = Reviews.generate(3, 1000);
    static SentimentClassifier model;
    static SentimentClassifier.Report report;

    @TempDir
    Path dir;

    @BeforeAll
    static void train() {
        model = new SentimentClassifier(1);
        report = model.train(TRAINING, HELD_OUT);
    }

    @Test
    void reachesTheHeldOutAccuracyInTime() {
        assertThat(report.heldOutAccuracy()).isGreaterThanOrEqualTo(0.97);
        assertThat(report.trainingLoss()).isLessThan(0.05);
        assertThat(report.steps()).isEqualTo(10 * 63); // 2000 reviews in batches of 32, ten times
        assertThat(report.seconds()).isLessThan(60);
    }

    @Test
    void mostOfThePoolingWeightFallsOnTheDecidingWords() {
        assertThat(report.decidingWeight()).isGreaterThan(0.6);
        // In every kind of review the deciding words outweigh the rest, and padding gets exactly 0.
        Tensor weights =
                model.forward(HELD_OUT.ids(), HELD_OUT.lengths()).weights().value();
        double negated = 0;
        double plain = 0;
        int negatedCount = 0;
        int plainCount = 0;
        for (int i = 0; i < HELD_OUT.size(); i++) {
            double deciding = 0;
            boolean hasNot = false;
            for (int t = 0; t < SentimentClassifier.MAX_LENGTH; t++) {
                if (t >= HELD_OUT.lengths()[i]) {
                    assertThat(weights.get(i, t)).isEqualTo(0.0);
                } else if (HELD_OUT.deciding()[i][t]) {
                    deciding += weights.get(i, t);
                    hasNot |= HELD_OUT.ids()[i][t] == SentimentClassifier.NOT;
                }
            }
            if (hasNot) {
                negated += deciding;
                negatedCount++;
            } else {
                plain += deciding;
                plainCount++;
            }
        }
        assertThat(negatedCount).isGreaterThan(200);
        assertThat(negated / negatedCount)
                .as("weight on 'not X' in reviews with a negation")
                .isGreaterThan(0.5);
        assertThat(plain / plainCount)
                .as("weight on the sentiment words of reviews without")
                .isGreaterThan(0.5);
    }

    @Test
    void notFlipsTheSentimentWordRightAfterItOnly() {
        int[][] ids = {
            SentimentClassifier.VOCABULARY.ids("the movie was good"),
            SentimentClassifier.VOCABULARY.ids("the movie was not good"),
            SentimentClassifier.VOCABULARY.ids("the movie was bad"),
            SentimentClassifier.VOCABULARY.ids("the movie was not bad"),
            SentimentClassifier.VOCABULARY.ids("not the movie but the acting was bad")
        };
        int[] lengths = Arrays.stream(ids).mapToInt(a -> a.length).toArray();
        int[][] padded = new int[ids.length][SentimentClassifier.MAX_LENGTH];
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(ids[i], 0, padded[i], 0, ids[i].length);
        }
        assertThat(model.snapshot().predict(padded, lengths)).containsExactly(1, 0, 0, 1, 0);
    }

    @Test
    void theSnapshotIsHeedsAdditivePoolingWithTheTrainedWeights() {
        SentimentClassifier.Snapshot snapshot = model.snapshot();
        AttentionResult pooled = snapshot.pool(HELD_OUT.ids(), HELD_OUT.lengths());
        Tensor trained =
                model.forward(HELD_OUT.ids(), HELD_OUT.lengths()).weights().value();
        assertThat(pooled.weights().allClose(trained, 0, 1e-12)).isTrue();
        int[] predicted = snapshot.predict(HELD_OUT.ids(), HELD_OUT.lengths());
        Tensor logits =
                model.forward(HELD_OUT.ids(), HELD_OUT.lengths()).logits().value();
        for (int i = 0; i < predicted.length; i++) {
            assertThat(predicted[i])
                    .isEqualTo((int) logits.select(0, i).argmax(-1).item());
        }
        assertThat(snapshot.pooling().hiddenDim()).isEqualTo(SentimentClassifier.ATTENTION_DIM);
    }

    @Test
    void trainingIsDeterministicForASeed() {
        SentimentClassifier again = new SentimentClassifier(1);
        SentimentClassifier.Report second = again.train(TRAINING, HELD_OUT);
        assertThat(Double.doubleToRawLongBits(second.trainingLoss()))
                .isEqualTo(Double.doubleToRawLongBits(report.trainingLoss()));
        assertThat(second.heldOutAccuracy()).isEqualTo(report.heldOutAccuracy());
        assertThat(second.decidingWeight()).isEqualTo(report.decidingWeight());
    }

    @Test
    void aCheckpointRestoresTheTrainedModel() throws IOException {
        Path file = dir.resolve("sentiment.safetensors");
        Checkpoints.save(file, model);
        SentimentClassifier restored = new SentimentClassifier(99);
        Checkpoints.load(file, restored);
        assertThat(restored.evaluate(HELD_OUT)).isEqualTo(model.evaluate(HELD_OUT));
        assertThat(restored.parameters().keySet())
                .containsExactly(
                        "embedding.weight",
                        "context.weight",
                        "context.bias",
                        "attention.weight",
                        "attention.bias",
                        "score.weight",
                        "head.weight",
                        "head.bias");
    }

    @Test
    void everyReviewFollowsTheLabelRule() {
        Reviews reviews = Reviews.generate(7, 3000);
        Vocabulary v = SentimentClassifier.VOCABULARY;
        int twoPhrases = 0;
        int distractors = 0;
        for (int i = 0; i < reviews.size(); i++) {
            int length = reviews.lengths()[i];
            assertThat(length).isBetween(SentimentClassifier.MIN_LENGTH, SentimentClassifier.MAX_LENGTH);
            int phrases = 0;
            for (int t = 0; t < SentimentClassifier.MAX_LENGTH; t++) {
                int id = reviews.ids()[i][t];
                if (t >= length) {
                    assertThat(id).isEqualTo(SentimentClassifier.PAD);
                    assertThat(reviews.deciding()[i][t]).isFalse();
                    continue;
                }
                String word = v.word(id);
                boolean sentiment =
                        SentimentClassifier.POSITIVE.contains(word) || SentimentClassifier.NEGATIVE.contains(word);
                boolean negated = t > 0 && reviews.ids()[i][t - 1] == SentimentClassifier.NOT;
                if (sentiment) {
                    phrases++;
                    boolean positive = SentimentClassifier.POSITIVE.contains(word) != negated;
                    assertThat(positive ? 1 : 0).as(reviews.text(i)).isEqualTo(reviews.labels()[i]);
                    assertThat(reviews.deciding()[i][t]).isTrue();
                } else if (word.equals("not")) {
                    boolean beforeSentiment = t + 1 < length && isSentiment(v.word(reviews.ids()[i][t + 1]));
                    assertThat(reviews.deciding()[i][t]).isEqualTo(beforeSentiment);
                    distractors += beforeSentiment ? 0 : 1;
                } else {
                    assertThat(reviews.deciding()[i][t]).isFalse();
                }
            }
            assertThat(phrases).isBetween(1, 2);
            twoPhrases += phrases == 2 ? 1 : 0;
        }
        assertThat(twoPhrases).isBetween(1300, 1700);
        assertThat(distractors).isBetween(700, 1100);
        assertThat(Reviews.generate(7, 3000).text(123)).isEqualTo(reviews.text(123));
    }

    private static boolean isSentiment(String word) {
        return SentimentClassifier.POSITIVE.contains(word) || SentimentClassifier.NEGATIVE.contains(word);
    }

    @Test
    void badInputIsRejectedWithItsShape() {
        int[][] ragged = {{2, 3, 4}, {2, 3}};
        assertThatThrownBy(() -> model.forward(ragged, new int[] {3, 2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rectangular");
        assertThatThrownBy(() -> model.forward(new int[][] {{2, 3}}, new int[] {3}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length 3");
        assertThatThrownBy(() -> model.forward(new int[][] {{2, 300}}, new int[] {2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("300");
        assertThatThrownBy(() -> Reviews.generate(1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> model.train(Reviews.generate(1, 0), HELD_OUT))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(List.of(SentimentClassifier.VOCABULARY.word(0), SentimentClassifier.VOCABULARY.word(1)))
                .containsExactly("<pad>", "not");
    }
}
