package dev.heed.tour;

import dev.heed.attention.AlignmentAttention;
import dev.heed.attention.AttentionResult;
import dev.heed.examples.InductionTransformer;
import dev.heed.examples.InductionTransformer.Sequences;
import dev.heed.examples.SentimentClassifier;
import dev.heed.examples.SentimentClassifier.Reviews;
import dev.heed.examples.Translator;
import dev.heed.examples.Translator.Corpus;
import dev.heed.examples.Vocabulary;
import dev.heed.tensor.Tensor;
import dev.heed.viz.Heatmap;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The tour's trained models: the tutorial's classifier (section 5), its translator attention
 * (section 6) and the induction head of a small transformer (section 7), each trained from scratch
 * by {@link dev.heed.examples} while the tour runs, then drawn with Heed's own classes.
 */
final class TrainedModels {
    private final Narrator n;

    TrainedModels(Narrator narrator) {
        this.n = narrator;
    }

    /** The seeds of the trained models' parameters and data: fixed, so the tour prints the same numbers each run. */
    static final long CLASSIFIER_SEED = 1;

    static final long TRANSLATOR_SEED = 1;
    static final long TRANSFORMER_SEED = 1;

    void textClassification() throws IOException {
        n.section(5, "Text classification: additive attention pooling");
        n.say("Score each word with u = v tanh(W h + b), softmax over the review, and classify the");
        n.say("weighted average of the word vectors h. Trained here from scratch on generated film");
        n.say("reviews: filler words, one or two sentiment words that decide, and \"not\" just before a");
        n.say("sentiment word flips it (\"not boring\" is positive; \"not\" before a filler word does nothing).");
        n.say("Model: embedding (16) -> h_i = tanh(C [e_i-1; e_i; e_i+1] + c) -> additive pooling -> linear.");
        n.say("The window of neighbours is not in the tutorial: pooled over word vectors alone, the logit is");
        n.say("a weighted average of one number per word, and \"not bad\" could never be positive when");
        n.say("\"not good\" and \"bad\" are negative.");
        Reviews training = Reviews.generate(CLASSIFIER_SEED + 1, 2000);
        Reviews heldOut = Reviews.generate(CLASSIFIER_SEED + 2, 1000);
        SentimentClassifier model = new SentimentClassifier(CLASSIFIER_SEED);
        SentimentClassifier.Report report = model.train(training, heldOut);
        n.say(
                "Trained on %,d reviews: %d AdamW steps in %.1f s, final training loss %.4f.",
                training.size(), report.steps(), report.seconds(), report.trainingLoss());
        n.say("held-out accuracy: %.3f", report.heldOutAccuracy());
        n.say(
                "mean pooling weight on the deciding words: %.3f (%,d held-out reviews; for \"not X\",",
                report.decidingWeight(), heldOut.size());
        n.say("\"not\" and X are counted together)");

        Vocabulary words = SentimentClassifier.VOCABULARY;
        String[] reviews = {"the movie was not bad and the acting was great", "the acting was really not good"};
        int slots = SentimentClassifier.MAX_LENGTH;
        int[][] ids = new int[reviews.length][slots];
        int[] lengths = new int[reviews.length];
        for (int b = 0; b < reviews.length; b++) {
            int[] review = words.ids(reviews[b]);
            System.arraycopy(review, 0, ids[b], 0, review.length);
            lengths[b] = review.length;
        }
        SentimentClassifier.Snapshot trained = model.snapshot();
        AttentionResult r = trained.pool(ids, lengths);
        int[] labels = trained.predict(ids, lengths);
        n.say("Two new reviews, padded to %d slots, through the trained AdditiveAttentionPooling:", slots);
        for (int b = 0; b < reviews.length; b++) {
            n.say(
                    "review %d: %s",
                    b + 1, wordWeights(words, ids[b], lengths[b], r.weights().select(0, b)));
            n.say("          -> %s", labels[b] == SentimentClassifier.POSITIVE_LABEL ? "positive" : "negative");
        }
        double onPadding = 0;
        for (int b = 0; b < reviews.length; b++) {
            onPadding += r.weights().select(0, b).slice(0, lengths[b], slots).sum();
        }
        n.say(
                "The %d padded slots get weight %s in all, and each row sums to 1 over its real words.",
                2 * slots - lengths[0] - lengths[1], onPadding);
        for (int b = 0; b < reviews.length; b++) {
            List<String> columns = words.words(ids[b], lengths[b]);
            n.picture(
                    "05-review-" + (b + 1),
                    Heatmap.of(r.weights().slice(0, b, b + 1).slice(1, 0, lengths[b]))
                            .columnLabels(columns)
                            .rowLabels(List.of("weight"))
                            .range(0, 1)
                            .annotate(2)
                            .title("Trained attention pooling over review " + (b + 1)),
                    b == 0
                            ? "most weight on \"great\", some on the \"not\" of \"not bad\"; the filler words dark."
                            : "the weight on \"not good\"; the filler words dark.");
        }
        Tensor scores =
                trained.pooling().scores(trained.features(ids)).select(0, 0).slice(0, 0, lengths[0]);
        double cap = Math.exp(2) / (Math.exp(2) + lengths[0] - 1);
        n.say(
                "The trained scores u of review 1 run from %.1f to %.1f. The tutorial's form, u = tanh(w . x),",
                scores.min(), scores.max());
        n.say("caps every score at +-1, so no word can get more than e^2 = 7.4 times another's weight: in");
        n.say("a review of %d words, one word could take at most %.2f of the weight.", lengths[0], cap);
    }

    private static String wordWeights(Vocabulary words, int[] ids, int length, Tensor weights) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            text.append(String.format(Locale.ROOT, "%s %.3f  ", words.word(ids[i]), weights.get(i)));
        }
        return text.toString().strip();
    }

    // ---- 6 ----------------------------------------------------------------------------------

    void translationAlignment() throws IOException {
        n.section(6, "Translation: alignment attention");
        n.say("While writing each target word, the decoder attends over the source words. Trained here");
        n.say("from scratch on generated sentence pairs: a French-like language whose adjectives follow");
        n.say("their nouns, translated word by word into English, which puts them before, so \"chat noir\"");
        n.say("crosses \"black cat\". Nobody tells the model which word translates which.");
        n.say("Encoder state h_s = word vector + sinusoidal position; decoder state h_t = vector of the");
        n.say("previous target word + position; Luong's general score h_t W_a h_s, W_a learned from 0;");
        n.say("the context predicts the next target word.");
        Corpus training = Corpus.generate(TRANSLATOR_SEED + 1, 2000);
        Corpus heldOut = Corpus.generate(TRANSLATOR_SEED + 2, 500);
        Translator model = new Translator(TRANSLATOR_SEED);
        Translator.Report report = model.train(training, heldOut);
        n.say(
                "Trained on %,d sentence pairs: %d AdamW steps in %.1f s, final training loss %.4f.",
                training.size(), report.steps(), report.seconds(), report.trainingLoss());
        n.say("alignment accuracy: %.3f", report.alignmentAccuracy());
        n.say("(the fraction of held-out target words whose attention argmax is the source word that");
        n.say(
                "produced them; mean weight on that word %.3f; next word right %.3f of the time)",
                report.alignedWeight(), report.wordAccuracy());

        String sourceText = "le chat noir voit un oiseau rouge sur mon arbre";
        int[] source = Translator.SOURCE.ids(sourceText);
        Translator.Snapshot trained = model.snapshot();
        int[] target = trained.translate(source);
        int[] aligned = Translator.alignment(source);
        List<String> sourceWords = Translator.SOURCE.words(source, source.length);
        List<String> targetWords = Translator.TARGET.words(target, target.length);
        n.say("A new sentence, translated greedily by the trained model:");
        n.say("  %s", sourceText);
        n.say(
                "  %s   (%s)",
                String.join(" ", targetWords),
                Arrays.equals(target, Translator.translation(source)) ? "right" : "wrong");
        AttentionResult general = trained.align(source, target);
        n.show("trained AlignmentAttention.general weights (rounded)", Tour.rounded(general.weights(), 2));
        for (int t = 0; t < target.length; t++) {
            int s = Tour.argmax(general.weights().select(0, t));
            n.say(
                    "  %-8s -> %-7s %.3f",
                    targetWords.get(t), sourceWords.get(s), general.weights().get(t, s));
        }
        AttentionResult dot =
                AlignmentAttention.dot().forward(trained.decoderStates(target), trained.encoderStates(source));
        n.say(
                "  trained W_a:              %d/%d target words find their source",
                countAligned(general.weights(), aligned), target.length);
        n.say(
                "  the dot score, W_a = I:   %d/%d on the same states",
                countAligned(dot.weights(), aligned), target.length);
        n.picture(
                "06-alignment-luong-general",
                Heatmap.of(general.weights())
                        .rowLabels(targetWords)
                        .columnLabels(sourceWords)
                        .range(0, 1)
                        .annotate(2)
                        .title("Trained alignment, Luong general score: target (rows) × source (columns)"),
                "a bright diagonal that crosses at each adjective (black -> noir, cat -> chat; red -> rouge, "
                        + "bird -> oiseau).");
        handSetBahdanau();
    }

    /** How many rows {@code t} of {@code weights} have their argmax at {@code aligned[t]}. */
    private static int countAligned(Tensor weights, int[] aligned) {
        int right = 0;
        for (int t = 0; t < aligned.length; t++) {
            right += Tour.argmax(weights.select(0, t)) == aligned[t] ? 1 : 0;
        }
        return right;
    }

    /** Bahdanau's additive score with hand-set weights: what its tanh units can compute. */
    private void handSetBahdanau() throws IOException {
        n.say("Bahdanau's additive score v tanh(W_a h_t + U_a h_s), with hand-set weights on hand-set");
        n.say("states (each target state the position encoding of its source word), shows what its tanh");
        n.say("units can compute: pairs tanh(a z + b) - tanh(a z - b), z = h_t - h_s, make a bump around");
        n.say("z = 0, so the score is largest where the two states agree.");
        List<String> source = List.of("le", "chat", "noir", "est", "assis", "sur", "le", "tapis");
        List<String> target = List.of("the", "black", "cat", "is", "sitting", "on", "the", "mat");
        int[] aligned = {0, 2, 1, 3, 4, 5, 6, 7};
        AttentionResult additive =
                Handmade.bumpAdditive().forward(Handmade.decoderStates(aligned), Handmade.encoderStates(source.size()));
        n.say(
                "  hand-set Bahdanau: %d/%d target words find their source",
                countAligned(additive.weights(), aligned), aligned.length);
        n.picture(
                "06-alignment-bahdanau-hand-set",
                Heatmap.of(additive.weights())
                        .rowLabels(target)
                        .columnLabels(source)
                        .range(0, 1)
                        .annotate(2)
                        .title("Alignment, Bahdanau additive score with hand-set weights"),
                "the diagonal and its crossing, from weights set by hand rather than trained.");
    }

    /** A two-layer attention-only transformer trained on repeated sequences, and the induction head it grows. */
    void inductionHead() throws IOException {
        int vocab = InductionTransformer.VOCAB;
        n.say("Now trained: a two-layer, attention-only causal transformer (token and position vectors,");
        n.say(
                "%d layers of %d heads with residual connections, no MLP) learns to continue sequences whose",
                InductionTransformer.LAYERS, InductionTransformer.HEADS);
        n.say(
                "second half repeats the first: N = %d..%d distinct random tokens of %d, then the same N again.",
                InductionTransformer.MIN_HALF, InductionTransformer.MAX_HALF, vocab);
        InductionTransformer model = new InductionTransformer(TRANSFORMER_SEED);
        InductionTransformer.Report report = model.train(Sequences.generate(TRANSFORMER_SEED + 2, 200));
        n.say(
                "Trained for %d AdamW steps on fresh batches in %.1f s. On 200 held-out sequences:",
                report.steps(), report.seconds());
        n.say(
                "  loss on the repeated half: %.3f   (ln %d = %.3f for a model that cannot copy)",
                report.repeatedHalfLoss(), vocab, Math.log(vocab));
        n.say(
                "  loss on the first half:    %.3f   (random: no model can beat %.3f there)",
                report.firstHalfLoss(), report.firstHalfFloor());
        n.say("Induction score: mean attention from a token of the repeated half to the token right after");
        n.say("its first occurrence (1 = all of it).");
        for (int l = 0; l < InductionTransformer.LAYERS; l++) {
            StringBuilder line = new StringBuilder("  layer " + l + ":");
            for (int h = 0; h < InductionTransformer.HEADS; h++) {
                line.append(String.format(Locale.ROOT, "  head %d %.3f", h, report.inductionScores()[l][h]));
            }
            n.say("%s", line);
        }
        int bestLayer = report.bestLayer();
        int bestHead = report.bestHead();
        n.say("induction head: layer %d head %d, score %.3f", bestLayer, bestHead, report.bestScore());
        int partner = 0;
        double partnerScore = -1;
        for (int h = 0; h < InductionTransformer.HEADS; h++) {
            double score = Math.max(report.previousTokenScores()[0][h], report.duplicateTokenScores()[0][h]);
            if (score > partnerScore) {
                partner = h;
                partnerScore = score;
            }
        }
        double previous = report.previousTokenScores()[0][partner];
        double duplicate = report.duplicateTokenScores()[0][partner];
        if (duplicate > previous) {
            n.say(
                    "Its partner is layer 0's head %d, a duplicate-token head: %.3f of a repeated token's",
                    partner, duplicate);
            n.say("attention goes to its earlier occurrence, whose position it passes on; the induction head");
            n.say("looks one place further (Olsson et al. 2022 also find the other partner, a previous-token head).");
        } else {
            n.say(
                    "Its partner is layer 0's head %d, a previous-token head: %.3f of a token's attention goes",
                    partner, previous);
            n.say("to the token before it, which it writes into that position; the induction head looks for its");
            n.say("own token there (the circuit of Olsson et al. 2022).");
        }

        int[] sequence = firstWithHalf(Sequences.generate(TRANSFORMER_SEED + 3, 40), 8);
        List<String> labels = new ArrayList<>();
        for (int token : sequence) {
            labels.add(Integer.toString(token));
        }
        List<AttentionResult> layers = model.snapshot().attend(sequence);
        Tensor induction = layers.get(bestLayer).weights().select(0, bestHead);
        int half = sequence.length / 2;
        double onTarget = 0;
        for (int i = half; i < sequence.length - 1; i++) {
            onTarget += induction.get(i, i - half + 1);
        }
        n.say(
                "On a new sequence of 2 x %d tokens, the trained MultiHeadAttention's head %d of layer %d puts",
                half, bestHead, bestLayer);
        n.say(
                "%.3f of each repeated token's attention on the token after its first occurrence.",
                onTarget / (half - 1));
        n.picture(
                "07-induction-head",
                Heatmap.of(induction)
                        .labels(labels)
                        .range(0, 1)
                        .title("Trained induction head (layer " + bestLayer + ", head " + bestHead
                                + ") on a repeated sequence"),
                "in the lower rows (the repeat) a bright stripe N - 1 places left of the diagonal: each repeated "
                        + "token looks at the token that followed it the first time.");
        n.picture(
                "07-induction-partner",
                Heatmap.of(layers.get(0).weights().select(0, partner))
                        .labels(labels)
                        .range(0, 1)
                        .title("Its partner, layer 0 head " + partner),
                duplicate > previous
                        ? "the diagonal in the first half, then a stripe N places left: each repeated token finds "
                                + "its earlier self."
                        : "a stripe just left of the diagonal: each token looks at the one before it.");
    }

    /** The first of {@code s} whose halves have {@code half} tokens. */
    private static int[] firstWithHalf(Sequences s, int half) {
        for (int b = 0; b < s.size(); b++) {
            if (s.halves()[b] == half) {
                return s.sequence(b);
            }
        }
        throw new IllegalStateException("no sequence with halves of " + half);
    }
}
