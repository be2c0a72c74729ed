package dev.heed.examples;

import dev.heed.attention.AdditiveAttentionPooling;
import dev.heed.attention.AttentionResult;
import dev.heed.autograd.Variable;
import dev.heed.layers.Embedding;
import dev.heed.layers.Linear;
import dev.heed.layers.Module;
import dev.heed.layers.TrainableEmbedding;
import dev.heed.layers.TrainableLinear;
import dev.heed.tensor.Tensor;
import dev.heed.train.AdamW;
import dev.heed.train.GradientClipping;
import dev.heed.train.Losses;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The tutorial's text classifier, trained: word embeddings, additive attention pooling over the
 * words, and a linear layer on the pooled vector, learning positive from negative on generated
 * film reviews.
 *
 * <p><b>The task.</b> A review ({@link Reviews#generate}) is 4 to 12 words: filler words that
 * say nothing, and one or two sentiment words that decide the label. {@code "not"} directly
 * before a sentiment word flips it ({@code "not boring"} is positive); {@code "not"} before a
 * filler word changes nothing. With two sentiment words, both lean the same way.
 *
 * <p><b>The model.</b> For the words {@code w_1 … w_n} of a review:
 * <pre>
 *   e_i = E[w_i]                                   embedding, size 16
 *   h_i = tanh(C [e_{i−1}; e_i; e_{i+1}] + c)       the word and its neighbours (&lt;pad&gt; beyond the ends)
 *   u_i = vᵀ tanh(W h_i + b)                       additive attention score
 *   a   = softmax(u) over the real words            padding gets weight exactly 0
 *   logits = H (Σ_i a_i h_i) + d                   two classes: 0 negative, 1 positive
 * </pre>
 * The step {@code h_i}, which the tutorial does not have, is what lets the model read
 * {@code "not"}: pooled over word vectors alone, the logit difference is
 * {@code Σ a_i f(e_i)} for one linear {@code f}, a weighted average of one number per word, so
 * if {@code "good"} and {@code "not"} average to negative and {@code "bad"} is negative,
 * {@code "not bad"} cannot be positive. Seeing its neighbours, {@code h_i} of {@code "bad"} in
 * {@code "not bad"} differs from {@code h_i} of {@code "bad"} alone. Both neighbours, not just
 * the previous word: with the previous word only, some seeds settled on attending to
 * {@code "not"} itself, which cannot see what it negates, and stalled near 96% accuracy.
 *
 * <p><b>Training</b> ({@link #train}) is mini-batch AdamW on the cross-entropy; the
 * {@link Report} gives the held-out accuracy and how much of the pooling weight falls on the
 * deciding words. After training, {@link #snapshot()} turns the parameters into Heed's immutable
 * classes — an {@link Embedding}, a {@link Linear} and an {@link AdditiveAttentionPooling} —
 * whose weights are the trained model's.
 *
 * <p>Parameters ({@link #parameters()}): {@code embedding.weight}, {@code context.weight},
 * {@code context.bias}, {@code attention.weight}, {@code attention.bias}, {@code score.weight}
 * (v as a {@code [1, 16]} matrix), {@code head.weight}, {@code head.bias}. Not thread-safe:
 * training changes the parameters in place.
 */
public final class SentimentClassifier implements Module {
    /** Filler words: they carry no sentiment. */
    static final List<String> FILLERS = List.of(
            "the",
            "movie",
            "film",
            "plot",
            "acting",
            "story",
            "music",
            "ending",
            "cast",
            "director",
            "was",
            "is",
            "a",
            "and",
            "but",
            "it",
            "this",
            "very",
            "quite",
            "really",
            "with",
            "at",
            "times",
            "overall");
    /** Words that make a review positive, unless {@code "not"} comes just before. */
    static final List<String> POSITIVE =
            List.of("good", "great", "wonderful", "excellent", "brilliant", "superb", "charming", "moving");
    /** Words that make a review negative, unless {@code "not"} comes just before. */
    static final List<String> NEGATIVE = List.of("bad", "boring", "dull", "awful", "terrible", "weak", "poor", "bland");

    /** The words: {@code <pad>} (id 0), {@code not} (id 1), then fillers, positive words and negative words. */
    public static final Vocabulary VOCABULARY = vocabulary();
    /** The id of {@code <pad>}, which fills the slots after a review's last word. */
    public static final int PAD = 0;
    /** The id of {@code not}. */
    public static final int NOT = 1;
    /** The fewest words in a review. */
    public static final int MIN_LENGTH = 4;
    /** The most words in a review, and the padded length of generated reviews. */
    public static final int MAX_LENGTH = 12;
    /** The label of a negative review. */
    public static final int NEGATIVE_LABEL = 0;
    /** The label of a positive review. */
    public static final int POSITIVE_LABEL = 1;

    /** Sizes of the word vectors, of {@code h_i}, and of the attention's hidden layer. */
    static final int EMBED_DIM = 16;

    static final int HIDDEN_DIM = 16;
    static final int ATTENTION_DIM = 16;

    /** How often a sentiment word is negated, and how often a review holds a "not" before a filler. */
    static final double NEGATION_RATE = 0.35;

    static final double DISTRACTOR_RATE = 0.3;

    /** Training: passes over the data, reviews per step, AdamW's learning rate, the gradient norm cap. */
    static final int EPOCHS = 10;

    static final int BATCH_SIZE = 32;
    static final double LEARNING_RATE = 0.02;
    static final double MAX_GRAD_NORM = 1.0;

    private final TrainableEmbedding embedding;
    private final TrainableLinear context;
    private final TrainableLinear attention;
    private final TrainableLinear score;
    private final TrainableLinear head;
    /** Shuffles the training reviews between epochs. */
    private final Random shuffle;

    /**
     * A classifier with PyTorch's default initialisation drawn from {@code new Random(seed)}:
     * the same seed gives the same parameters and, trained on the same data, the same report.
     *
     * @param seed the seed of the parameters and of the training order
     */
    public SentimentClassifier(long seed) {
        Random r = new Random(seed);
        embedding = TrainableEmbedding.seeded(VOCABULARY.size(), EMBED_DIM, r);
        context = TrainableLinear.seeded(3 * EMBED_DIM, HIDDEN_DIM, true, r);
        attention = TrainableLinear.seeded(HIDDEN_DIM, ATTENTION_DIM, true, r);
        score = TrainableLinear.seeded(ATTENTION_DIM, 1, false, r);
        head = TrainableLinear.seeded(HIDDEN_DIM, 2, true, r);
        shuffle = new Random(r.nextLong());
    }

    private static Vocabulary vocabulary() {
        List<String> words = new ArrayList<>(List.of("<pad>", "not"));
        words.addAll(FILLERS);
        words.addAll(POSITIVE);
        words.addAll(NEGATIVE);
        return Vocabulary.of(words);
    }

    // ---- data ---------------------------------------------------------------------------------

    /**
     * Generated reviews, padded to {@link #MAX_LENGTH} words. The arrays are shared, not copied:
     * do not modify them.
     *
     * @param ids      {@code [count][MAX_LENGTH]} word ids, {@link #PAD} after each review's end
     * @param lengths  the number of words of each review
     * @param labels   {@link #POSITIVE_LABEL} or {@link #NEGATIVE_LABEL}
     * @param deciding {@code [count][MAX_LENGTH]}: true on the sentiment words and on a
     *                 {@code "not"} that flips one — the words that decide the label
     */
    public record Reviews(int[][] ids, int[] lengths, int[] labels, boolean[][] deciding) {
        /**
         * {@code count} reviews drawn from {@code new Random(seed)}: each gets a label, one or two
         * sentiment words leaning that way (each, with probability 0.35, a word of the other
         * polarity preceded by {@code "not"}), with probability 0.3 a {@code "not"} before a
         * filler, and fillers up to a length drawn uniformly from 4 to 12 words; the pieces are
         * shuffled together.
         *
         * @param seed  the seed; the same seed gives the same reviews
         * @param count how many, ≥ 0
         * @return new reviews
         * @throws IllegalArgumentException if {@code count} is negative
         */
        public static Reviews generate(long seed, int count) {
            if (count < 0) {
                throw new IllegalArgumentException("count must be >= 0, got " + count);
            }
            Random r = new Random(seed);
            int[][] ids = new int[count][MAX_LENGTH];
            int[] lengths = new int[count];
            int[] labels = new int[count];
            boolean[][] deciding = new boolean[count][MAX_LENGTH];
            for (int i = 0; i < count; i++) {
                labels[i] = r.nextInt(2);
                List<Piece> pieces = new ArrayList<>();
                int phrases = 1 + r.nextInt(2);
                for (int p = 0; p < phrases; p++) {
                    boolean negated = r.nextDouble() < NEGATION_RATE;
                    boolean positiveWord = (labels[i] == POSITIVE_LABEL) != negated;
                    String word = pick(r, positiveWord ? POSITIVE : NEGATIVE);
                    pieces.add(negated ? new Piece(true, "not", word) : new Piece(true, word));
                }
                if (r.nextDouble() < DISTRACTOR_RATE) {
                    pieces.add(new Piece(false, "not", pick(r, FILLERS)));
                }
                int used =
                        pieces.stream().mapToInt(piece -> piece.words().length).sum();
                int length = Math.max(used, MIN_LENGTH + r.nextInt(MAX_LENGTH - MIN_LENGTH + 1));
                for (int f = used; f < length; f++) {
                    pieces.add(new Piece(false, pick(r, FILLERS)));
                }
                Collections.shuffle(pieces, r);
                int t = 0;
                for (Piece piece : pieces) {
                    for (String w : piece.words()) {
                        deciding[i][t] = piece.deciding();
                        ids[i][t++] = VOCABULARY.id(w);
                    }
                }
                lengths[i] = length;
            }
            return new Reviews(ids, lengths, labels, deciding);
        }

        /** Words that stay together when a review's pieces are shuffled. */
        private record Piece(boolean deciding, String... words) {}

        private static String pick(Random r, List<String> words) {
            return words.get(r.nextInt(words.size()));
        }

        /**
         * The number of reviews.
         *
         * @return {@code ids().length}
         */
        public int size() {
            return ids.length;
        }

        /**
         * Review {@code i} as text.
         *
         * @param i in {@code [0, size())}
         * @return its words separated by spaces, without padding
         */
        public String text(int i) {
            return VOCABULARY.text(ids[i], lengths[i]);
        }

        /** Reviews {@code order[from..to)} as a new batch. */
        Reviews batch(int[] order, int from, int to) {
            int n = to - from;
            int[][] bIds = new int[n][];
            int[] bLengths = new int[n];
            int[] bLabels = new int[n];
            boolean[][] bDeciding = new boolean[n][];
            for (int k = 0; k < n; k++) {
                int i = order[from + k];
                bIds[k] = ids[i];
                bLengths[k] = lengths[i];
                bLabels[k] = labels[i];
                bDeciding[k] = deciding[i];
            }
            return new Reviews(bIds, bLengths, bLabels, bDeciding);
        }
    }

    // ---- model --------------------------------------------------------------------------------

    /**
     * What the model computes for a batch of reviews.
     *
     * @param weights the pooling weights {@code [B, n]}, 0 on padding, each row summing to 1
     * @param logits  the class scores {@code [B, 2]}: negative, positive
     */
    public record Output(Variable weights, Variable logits) {}

    /**
     * The forward pass, recorded for autograd.
     *
     * @param ids     {@code [B][n]} word ids, rectangular, each review padded after its end; not
     *                modified
     * @param lengths {@code B} lengths, each in {@code [1, n]}
     * @return the pooling weights and the logits
     * @throws IllegalArgumentException if the ids are ragged or out of range, or a length is out
     *                                  of range, naming it
     */
    public Output forward(int[][] ids, int[] lengths) {
        checkBatch(ids, lengths);
        Variable window = Variable.concat(
                List.of(embedding.forward(shift(ids, 1)), embedding.forward(ids), embedding.forward(shift(ids, -1))),
                -1); // [B, n, 3E]
        Variable h = context.forward(window).tanh(); // [B, n, H]
        Variable u = score.forward(attention.forward(h).tanh()).squeeze(-1); // [B, n]
        Variable weights =
                u.add(Variable.constant(paddingBias(lengths, ids[0].length))).softmax(-1);
        Variable pooled = weights.unsqueeze(1).matmul(h).squeeze(1); // [B, H]
        return new Output(weights, head.forward(pooled));
    }

    /** Checks the ids and lengths of a batch. */
    private static void checkBatch(int[][] ids, int[] lengths) {
        if (ids == null || lengths == null || ids.length == 0 || ids.length != lengths.length) {
            throw new IllegalArgumentException("need one length per review and at least one review, got "
                    + (ids == null ? "null" : ids.length) + " reviews and "
                    + (lengths == null ? "null" : lengths.length) + " lengths");
        }
        for (int b = 0; b < ids.length; b++) {
            int n = ids[0].length;
            if (ids[b] == null || ids[b].length != n) {
                throw new IllegalArgumentException("ids must be rectangular: review 0 has " + n + " slots, review " + b
                        + " has " + (ids[b] == null ? "null" : ids[b].length));
            }
            if (lengths[b] < 1 || lengths[b] > n) {
                throw new IllegalArgumentException(
                        "length " + lengths[b] + " of review " + b + " is not in [1, " + n + "]");
            }
        }
    }

    /**
     * Each row of {@code ids} moved {@code by} places to the right (left when negative), {@code <pad>}
     * filling the slots left empty: {@code shift(ids, 1)[b][i]} is the word before slot {@code i},
     * {@code shift(ids, -1)[b][i]} the word after it.
     */
    static int[][] shift(int[][] ids, int by) {
        int[][] shifted = new int[ids.length][];
        for (int b = 0; b < ids.length; b++) {
            int n = ids[b].length;
            shifted[b] = new int[n];
            int k = Math.min(n, Math.abs(by));
            System.arraycopy(ids[b], by > 0 ? 0 : k, shifted[b], by > 0 ? k : 0, n - k);
        }
        return shifted;
    }

    /** 0 on real words, −∞ on padding: added to the scores, it gives padding weight exactly 0. */
    private static Tensor paddingBias(int[] lengths, int n) {
        Tensor bias = Tensor.zeros(lengths.length, n);
        for (int b = 0; b < lengths.length; b++) {
            for (int t = lengths[b]; t < n; t++) {
                bias.set(Double.NEGATIVE_INFINITY, b, t);
            }
        }
        return bias;
    }

    // ---- training -----------------------------------------------------------------------------

    /**
     * What training did.
     *
     * @param steps           optimiser steps taken
     * @param trainingLoss    the mean cross-entropy over the last epoch's batches
     * @param heldOutAccuracy the fraction of held-out reviews classified right
     * @param decidingWeight  the mean, over held-out reviews, of the pooling weight on the
     *                        deciding words: the sentiment words and, for {@code "not X"}, the
     *                        {@code "not"} and {@code X} together
     * @param seconds         how long training took (the one field that varies between runs)
     */
    public record Report(
            int steps, double trainingLoss, double heldOutAccuracy, double decidingWeight, double seconds) {}

    /**
     * Trains the model: {@value #EPOCHS} epochs over {@code training} in shuffled batches of
     * {@value #BATCH_SIZE}, AdamW (learning rate {@value #LEARNING_RATE}, PyTorch's other
     * defaults) on the cross-entropy, the gradient norm clipped to {@value #MAX_GRAD_NORM}; then
     * evaluates on {@code heldOut}.
     *
     * @param training the reviews to learn from, at least one
     * @param heldOut  reviews to evaluate on, at least one
     * @return the report
     * @throws IllegalArgumentException if either set is null or empty
     */
    public Report train(Reviews training, Reviews heldOut) {
        if (training == null || heldOut == null || training.size() == 0 || heldOut.size() == 0) {
            throw new IllegalArgumentException("training and held-out reviews must be non-empty");
        }
        long start = System.nanoTime();
        AdamW adam = AdamW.builder(this).learningRate(LEARNING_RATE).build();
        int[] order = new int[training.size()];
        Arrays.setAll(order, i -> i);
        int steps = 0;
        double epochLoss = Double.NaN;
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
            shuffle(order);
            double sum = 0;
            int batches = 0;
            for (int from = 0; from < order.length; from += BATCH_SIZE) {
                Reviews batch = training.batch(order, from, Math.min(order.length, from + BATCH_SIZE));
                Variable loss = Losses.crossEntropy(
                        forward(batch.ids(), batch.lengths()).logits(), batch.labels());
                adam.zeroGrad();
                loss.backward();
                GradientClipping.clipNorm(parameters().values(), MAX_GRAD_NORM);
                adam.step();
                sum += loss.item();
                batches++;
                steps++;
            }
            epochLoss = sum / batches;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Evaluation e = evaluate(heldOut);
        return new Report(steps, epochLoss, e.accuracy(), e.decidingWeight(), seconds);
    }

    private void shuffle(int[] order) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = shuffle.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    /**
     * Accuracy and attention on a set of reviews.
     *
     * @param accuracy       the fraction classified right
     * @param decidingWeight the mean pooling weight on the deciding words
     */
    public record Evaluation(double accuracy, double decidingWeight) {}

    /**
     * Classifies {@code reviews} with the current parameters.
     *
     * @param reviews at least one review
     * @return the accuracy and the mean pooling weight on the deciding words
     * @throws IllegalArgumentException if {@code reviews} is null or empty
     */
    public Evaluation evaluate(Reviews reviews) {
        if (reviews == null || reviews.size() == 0) {
            throw new IllegalArgumentException("need at least one review");
        }
        Output out = forward(reviews.ids(), reviews.lengths());
        Tensor predicted = out.logits().value().argmax(-1);
        Tensor weights = out.weights().value();
        int right = 0;
        double onDeciding = 0;
        for (int i = 0; i < reviews.size(); i++) {
            right += (int) predicted.get(i) == reviews.labels()[i] ? 1 : 0;
            for (int t = 0; t < reviews.lengths()[i]; t++) {
                onDeciding += reviews.deciding()[i][t] ? weights.get(i, t) : 0;
            }
        }
        return new Evaluation((double) right / reviews.size(), onDeciding / reviews.size());
    }

    // ---- the trained model as Heed's immutable classes ------------------------------------------

    /**
     * The current parameters as immutable library classes: the same numbers, no autograd.
     *
     * @return a new snapshot holding copies of the parameters
     */
    public Snapshot snapshot() {
        Tensor v = score.weight().value();
        return new Snapshot(
                embedding.snapshot(),
                context.snapshot(),
                AdditiveAttentionPooling.of(attention.snapshot(), v.reshape(v.shape(1))),
                head.snapshot());
    }

    /**
     * A trained classifier as Heed's immutable classes, thread-safe.
     *
     * @param embedding the word vectors {@code E}
     * @param context   {@code [e_{i−1}; e_i; e_{i+1}] ↦ C [e_{i−1}; e_i; e_{i+1}] + c}, before the tanh
     * @param pooling   the additive attention pooling over {@code h}
     * @param head      the linear classifier on the pooled vector
     */
    public record Snapshot(Embedding embedding, Linear context, AdditiveAttentionPooling pooling, Linear head) {
        /**
         * The vectors {@code h_i} the pooling reads.
         *
         * @param ids {@code [B][n]} word ids, rectangular; not modified
         * @return a new {@code [B, n, 16]} tensor
         * @throws IllegalArgumentException if the ids are ragged or out of range
         */
        public Tensor features(int[][] ids) {
            Tensor e = embedding.lookup(ids);
            int[] s = e.shape();
            Tensor window = Tensor.zeros(s[0], s[1], 3 * s[2]);
            copy(embedding.lookup(shift(ids, 1)), window.slice(2, 0, s[2]));
            copy(e, window.slice(2, s[2], 2 * s[2]));
            copy(embedding.lookup(shift(ids, -1)), window.slice(2, 2 * s[2], 3 * s[2]));
            return context.forward(window).tanh();
        }

        private static void copy(Tensor from, Tensor to) {
            int[] s = from.shape();
            for (int b = 0; b < s[0]; b++) {
                for (int t = 0; t < s[1]; t++) {
                    for (int f = 0; f < s[2]; f++) {
                        to.set(from.get(b, t, f), b, t, f);
                    }
                }
            }
        }

        /**
         * The pooling of a batch of padded reviews.
         *
         * @param ids     {@code [B][n]} word ids, rectangular; not modified
         * @param lengths {@code B} lengths in {@code [0, n]}
         * @return the pooled vectors {@code [B, 16]}, the weights {@code [B, n]} (0 on padding)
         *         and their log-sum-exp, from {@link AdditiveAttentionPooling#forward(Tensor, int...)}
         * @throws IllegalArgumentException if the ids or lengths do not fit
         */
        public AttentionResult pool(int[][] ids, int[] lengths) {
            return pooling.forward(features(ids), lengths);
        }

        /**
         * The class of each review.
         *
         * @param ids     {@code [B][n]} word ids, rectangular; not modified
         * @param lengths {@code B} lengths in {@code [1, n]}
         * @return a new array of {@link #POSITIVE_LABEL} or {@link #NEGATIVE_LABEL}
         * @throws IllegalArgumentException if the ids or lengths do not fit
         */
        public int[] predict(int[][] ids, int[] lengths) {
            Tensor logits = head.forward(pool(ids, lengths).output());
            int[] labels = new int[ids.length];
            for (int b = 0; b < labels.length; b++) {
                labels[b] = logits.get(b, 1) > logits.get(b, 0) ? POSITIVE_LABEL : NEGATIVE_LABEL;
            }
            return labels;
        }
    }

    @Override
    public Map<String, Variable> parameters() {
        return Module.builder()
                .add("embedding", embedding)
                .add("context", context)
                .add("attention", attention)
                .add("score", score)
                .add("head", head)
                .build();
    }
}
