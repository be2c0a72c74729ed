package dev.heed.examples;

import dev.heed.attention.AttentionResult;
import dev.heed.attention.Mask;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.autograd.Variable;
import dev.heed.layers.Embedding;
import dev.heed.layers.Linear;
import dev.heed.layers.Module;
import dev.heed.layers.TrainableEmbedding;
import dev.heed.layers.TrainableLinear;
import dev.heed.tensor.Tensor;
import dev.heed.train.AdamW;
import dev.heed.train.AttentionOps;
import dev.heed.train.GradientClipping;
import dev.heed.train.Losses;
import dev.heed.train.Reduction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A two-layer, attention-only causal transformer that learns to continue a repeated sequence,
 * and grows an induction head to do it (Olsson et al. 2022, "In-context Learning and Induction
 * Heads").
 *
 * <p><b>The task.</b> A sequence ({@link Sequences#generate}) is {@code N} distinct random tokens
 * followed by the same {@code N} again, {@code N} drawn from {@value #MIN_HALF} to
 * {@value #MAX_HALF} so that no fixed offset finds the copy. The model predicts every next token.
 * In the first half, token {@code i} is uniform over the {@code VOCAB − i} tokens not yet seen,
 * so no model can get a loss below the mean of {@code ln(VOCAB − i)} — the
 * {@linkplain Report#firstHalfFloor() floor}, a little under {@code ln VOCAB} — and one that
 * does not track which tokens it has seen stays at {@code ln VOCAB}. In the second half the next
 * token can be read off the first: find the earlier occurrence of the current token, take the
 * token that followed. The tokens of a half are distinct so that this occurrence is unique: with
 * repeats, no model could tell which of two continuations comes next, and the repeated half's
 * loss could not fall to zero.
 *
 * <p><b>The model</b>, with {@code D = }{@value #DIM} and {@value #HEADS} heads of
 * {@code D / }{@value #HEADS} features per layer, no MLP and no normalisation:
 * <pre>
 *   x_0 = E[tokens] + P[positions]                         learned token and position vectors
 *   x_1 = x_0 + MHA_0(x_0, causal)                         residual connections
 *   x_2 = x_1 + MHA_1(x_1, causal)
 *   logits = U x_2 + u
 * </pre>
 * Each {@code MHA} is {@link MultiHeadAttention}'s computation (no biases) recorded for
 * autograd, its attention {@link ScaledDotProductAttention} under {@link Mask#causal()} through
 * {@link AttentionOps}. What the two layers can learn together is the induction circuit: a head
 * of layer 0 attends to the previous token and writes it into each position, and a head of layer
 * 1 matches the current token against those, so a token in the second half attends to the
 * position right after its first occurrence and copies that token.
 *
 * <p><b>Which partner forms.</b> Olsson et al.'s induction head reads keys prepared by a
 * previous-token head in layer 0 (K-composition). Another layer-0 head serves as well: a
 * duplicate-token head, with which a token of the repeated half attends to its own earlier
 * occurrence and brings that position's vector along, so that the induction head's query says
 * where to look, one place further (Q-composition). From the seed the tests and the tour use,
 * the duplicate-token head forms; the {@link Report}'s {@code previousTokenScores} and
 * {@code duplicateTokenScores} say which did.
 *
 * <p><b>The induction score</b> of a head is its mean attention, over held-out sequences and the
 * positions {@code i = N … 2N−2} of the second half (those with a next token to predict), from
 * {@code i} to {@code i − N + 1}: the position after the one {@code i} repeats. A head that does
 * nothing else scores 1; one that spreads its attention evenly over the past scores about
 * {@code 1/i}.
 *
 * <p><b>Training</b> ({@link #train}): AdamW on the mean next-token cross-entropy, a fresh batch
 * of generated sequences every step. {@link #snapshot()} returns the trained parameters as
 * Heed's immutable classes, the layers as {@link MultiHeadAttention}.
 *
 * <p>Parameters ({@link #parameters()}), named like a PyTorch model with
 * {@code nn.MultiheadAttention(bias=False)} layers, whose {@code in_proj_weight} is the three
 * {@code q, k, v} weights stacked: {@code tokens.weight}, {@code positions.weight}, then per layer
 * {@code l} {@code layers.l.q_proj.weight}, {@code .k_proj.weight}, {@code .v_proj.weight},
 * {@code .out_proj.weight}, and {@code unembed.weight}, {@code unembed.bias}. Not thread-safe:
 * training changes the parameters in place.
 */
public final class InductionTransformer implements Module {
    /** Tokens are {@code 0 … VOCAB−1}. */
    public static final int VOCAB = 32;
    /** The fewest tokens in a half. */
    public static final int MIN_HALF = 5;
    /** The most tokens in a half. */
    public static final int MAX_HALF = 10;
    /** The longest sequence: both halves at their longest. */
    public static final int MAX_LENGTH = 2 * MAX_HALF;
    /** Width of the residual stream. */
    public static final int DIM = 32;
    /** Attention heads per layer, each of {@code DIM / HEADS} features. */
    public static final int HEADS = 2;
    /** Attention layers. */
    public static final int LAYERS = 2;

    /** Training: optimiser steps, sequences per step, AdamW's peak learning rate, the gradient norm cap. */
    static final int STEPS = 1000;

    static final int BATCH_SIZE = 32;
    static final double LEARNING_RATE = 0.02;
    static final double MAX_GRAD_NORM = 1.0;

    private static final ScaledDotProductAttention KERNEL = new ScaledDotProductAttention();

    private final TrainableEmbedding tokens;
    private final TrainableEmbedding positions;
    private final List<Layer> layers = new ArrayList<>();
    private final TrainableLinear unembed;
    /** Draws the training sequences. */
    private final Random data;

    /** One attention layer's projections, each {@code [D, D]} without bias. */
    private static final class Layer implements Module {
        final TrainableLinear q;
        final TrainableLinear k;
        final TrainableLinear v;
        final TrainableLinear out;

        Layer(Random r) {
            q = TrainableLinear.seeded(DIM, DIM, false, r);
            k = TrainableLinear.seeded(DIM, DIM, false, r);
            v = TrainableLinear.seeded(DIM, DIM, false, r);
            out = TrainableLinear.seeded(DIM, DIM, false, r);
        }

        @Override
        public Map<String, Variable> parameters() {
            return Module.builder()
                    .add("q_proj", q)
                    .add("k_proj", k)
                    .add("v_proj", v)
                    .add("out_proj", out)
                    .build();
        }
    }

    /**
     * A transformer with PyTorch's default initialisation drawn from {@code new Random(seed)}:
     * the same seed gives the same parameters and the same training run.
     *
     * @param seed the seed of the parameters and of the training sequences
     */
    public InductionTransformer(long seed) {
        Random r = new Random(seed);
        tokens = TrainableEmbedding.seeded(VOCAB, DIM, r);
        positions = TrainableEmbedding.seeded(MAX_LENGTH, DIM, r);
        for (int l = 0; l < LAYERS; l++) {
            layers.add(new Layer(r));
        }
        unembed = TrainableLinear.seeded(DIM, VOCAB, true, r);
        data = new Random(r.nextLong());
    }

    // ---- data ---------------------------------------------------------------------------------

    /**
     * Generated sequences, each a random half and its repeat, padded to {@link #MAX_LENGTH} with
     * token 0 (the causal mask keeps padding at the end from reaching any real position). The
     * arrays are shared, not copied: do not modify them.
     *
     * @param tokens {@code [count][MAX_LENGTH]} token ids
     * @param halves the length {@code N} of each half; the sequence has {@code 2N} real tokens
     */
    public record Sequences(int[][] tokens, int[] halves) {
        /**
         * {@code count} sequences drawn from {@code random}: {@code N} uniform in
         * {@code [MIN_HALF, MAX_HALF]}, then {@code N} distinct tokens, each uniform over those
         * not drawn yet, then the same {@code N} again.
         *
         * @param random the source of randomness; modified
         * @param count  how many, ≥ 0
         * @return new sequences
         * @throws IllegalArgumentException if {@code random} is null or {@code count} negative
         */
        public static Sequences generate(Random random, int count) {
            if (random == null || count < 0) {
                throw new IllegalArgumentException("need a Random and count >= 0, got " + random + ", " + count);
            }
            int[][] tokens = new int[count][MAX_LENGTH];
            int[] halves = new int[count];
            for (int b = 0; b < count; b++) {
                int n = MIN_HALF + random.nextInt(MAX_HALF - MIN_HALF + 1);
                halves[b] = n;
                // N distinct tokens: the first N draws of a Fisher-Yates shuffle of the vocabulary.
                int[] pool = new int[VOCAB];
                Arrays.setAll(pool, t -> t);
                for (int i = 0; i < n; i++) {
                    int j = i + random.nextInt(VOCAB - i);
                    int t = pool[j];
                    pool[j] = pool[i];
                    pool[i] = t;
                    tokens[b][i] = t;
                    tokens[b][n + i] = t;
                }
            }
            return new Sequences(tokens, halves);
        }

        /**
         * {@link #generate(Random, int)} from {@code new Random(seed)}.
         *
         * @param seed  the seed; the same seed gives the same sequences
         * @param count how many, ≥ 0
         * @return new sequences
         * @throws IllegalArgumentException if {@code count} is negative
         */
        public static Sequences generate(long seed, int count) {
            return generate(new Random(seed), count);
        }

        /**
         * The number of sequences.
         *
         * @return {@code halves().length}
         */
        public int size() {
            return halves.length;
        }

        /**
         * The real tokens of sequence {@code b}, without padding.
         *
         * @param b in {@code [0, size())}
         * @return a new array of {@code 2N} tokens
         */
        public int[] sequence(int b) {
            return Arrays.copyOf(tokens[b], 2 * halves[b]);
        }
    }

    // ---- model --------------------------------------------------------------------------------

    /**
     * What the model computes for a batch.
     *
     * @param logits  the next-token scores {@code [B, L, VOCAB]}
     * @param weights per layer, the attention weights {@code [B, HEADS, L, L]} (constants)
     */
    public record Output(Variable logits, List<Tensor> weights) {}

    /**
     * The forward pass, recorded for autograd.
     *
     * @param ids {@code [B][L]} token ids, rectangular, {@code L ≤ MAX_LENGTH}; not modified
     * @return the logits and each layer's attention weights
     * @throws IllegalArgumentException if the ids are ragged, too long or out of range
     */
    public Output forward(int[][] ids) {
        if (ids == null || ids.length == 0 || ids[0] == null || ids[0].length > MAX_LENGTH) {
            throw new IllegalArgumentException("need at least one sequence of at most " + MAX_LENGTH + " tokens");
        }
        int batch = ids.length;
        int length = ids[0].length;
        int[] slots = new int[length];
        Arrays.setAll(slots, i -> i);
        // The residual stream is kept as [B·L, D], so each projection is one matrix product.
        Variable x = tokens.forward(ids).add(positions.forward(slots)).reshape(batch * length, DIM);
        List<Tensor> weights = new ArrayList<>();
        for (Layer layer : layers) {
            AttentionOps.Attended a = AttentionOps.attention(
                    KERNEL,
                    heads(layer.q.forward(x), batch),
                    heads(layer.k.forward(x), batch),
                    heads(layer.v.forward(x), batch),
                    Mask.causal());
            Variable merged = a.output().transpose(1, 2).reshape(batch * length, DIM);
            x = x.add(layer.out.forward(merged));
            weights.add(a.forward().weights());
        }
        return new Output(unembed.forward(x).reshape(batch, length, VOCAB), weights);
    }

    /** {@code [B·L, D] → [B, H, L, D/H]}: head {@code h} takes features {@code [h·D/H, (h+1)·D/H)}, as in MHA. */
    private static Variable heads(Variable x, int batch) {
        return x.reshape(batch, -1, HEADS, DIM / HEADS).transpose(1, 2);
    }

    // ---- training -----------------------------------------------------------------------------

    /**
     * What training did.
     *
     * @param steps             optimiser steps taken
     * @param trainingLoss      the mean loss over the last 50 steps' batches
     * @param firstHalfLoss     the mean held-out loss of predicting tokens {@code 1 … N−1} of
     *                          the first half
     * @param firstHalfFloor    the least loss any model can expect there: the mean of
     *                          {@code ln(VOCAB − i)} over the same predictions
     * @param repeatedHalfLoss  the mean held-out loss of predicting tokens {@code N+1 … 2N−1}, the
     *                          repeated half after its first token
     * @param inductionScores   {@code [LAYERS][HEADS]} each head's induction score on the
     *                          held-out sequences
     * @param previousTokenScores  {@code [LAYERS][HEADS]} each head's mean attention from a
     *                          position to the one before it (positions {@code 1 … 2N−1})
     * @param duplicateTokenScores {@code [LAYERS][HEADS]} each head's mean attention from a
     *                          token of the repeated half to its earlier occurrence, {@code i}
     *                          to {@code i − N}
     * @param bestLayer         the layer of the head with the highest induction score
     * @param bestHead          that head's index within its layer
     * @param seconds           how long training took (the one field that varies between runs)
     */
    public record Report(
            int steps,
            double trainingLoss,
            double firstHalfLoss,
            double firstHalfFloor,
            double repeatedHalfLoss,
            double[][] inductionScores,
            double[][] previousTokenScores,
            double[][] duplicateTokenScores,
            int bestLayer,
            int bestHead,
            double seconds) {
        /**
         * The best head's induction score.
         *
         * @return {@code inductionScores()[bestLayer()][bestHead()]}
         */
        public double bestScore() {
            return inductionScores[bestLayer][bestHead];
        }
    }

    /** How many of the last steps {@link Report#trainingLoss()} averages. */
    static final int LOSS_WINDOW = 50;

    /**
     * Trains the model: {@value #STEPS} AdamW steps (learning rate {@value #LEARNING_RATE}
     * decaying to 0 along a half cosine, PyTorch's other defaults), each on
     * {@value #BATCH_SIZE} freshly generated sequences, on the
     * mean next-token cross-entropy over the real tokens, the gradient norm clipped to
     * {@value #MAX_GRAD_NORM}; then evaluates on {@code heldOut}.
     *
     * @param heldOut sequences to evaluate on, at least one
     * @return the report
     * @throws IllegalArgumentException if {@code heldOut} is null or empty
     */
    public Report train(Sequences heldOut) {
        if (heldOut == null || heldOut.size() == 0) {
            throw new IllegalArgumentException("need at least one held-out sequence");
        }
        long start = System.nanoTime();
        AdamW adam = AdamW.builder(this).learningRate(LEARNING_RATE).build();
        double recent = 0;
        for (int step = 0; step < STEPS; step++) {
            // Cosine decay to 0: the induction head forms early at the full rate, the loss settles as it falls.
            adam.setLearningRate(LEARNING_RATE * 0.5 * (1 + Math.cos(Math.PI * step / STEPS)));
            Sequences batch = Sequences.generate(data, BATCH_SIZE);
            Variable loss =
                    Losses.crossEntropy(flatLogits(forward(batch.tokens()).logits()), targets(batch));
            adam.zeroGrad();
            loss.backward();
            GradientClipping.clipNorm(parameters().values(), MAX_GRAD_NORM);
            adam.step();
            recent += step >= STEPS - LOSS_WINDOW ? loss.item() : 0;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Evaluation e = evaluate(heldOut);
        int bestLayer = 0;
        int bestHead = 0;
        for (int l = 0; l < LAYERS; l++) {
            for (int h = 0; h < HEADS; h++) {
                if (e.inductionScores()[l][h] > e.inductionScores()[bestLayer][bestHead]) {
                    bestLayer = l;
                    bestHead = h;
                }
            }
        }
        return new Report(
                STEPS,
                recent / Math.min(LOSS_WINDOW, STEPS),
                e.firstHalfLoss(),
                e.firstHalfFloor(),
                e.repeatedHalfLoss(),
                e.inductionScores(),
                e.previousTokenScores(),
                e.duplicateTokenScores(),
                bestLayer,
                bestHead,
                seconds);
    }

    /** The logits as rows {@code [B·L, VOCAB]}, one per position. */
    private static Variable flatLogits(Variable logits) {
        int[] s = logits.shape();
        return logits.reshape(s[0] * s[1], VOCAB);
    }

    /** The next token of each position, in {@link #flatLogits}' rows; ignored from each sequence's last token on. */
    private static int[] targets(Sequences batch) {
        int length = batch.tokens()[0].length;
        int[] targets = new int[batch.size() * length];
        for (int b = 0; b < batch.size(); b++) {
            for (int i = 0; i < length; i++) {
                targets[b * length + i] =
                        i + 1 < 2 * batch.halves()[b] ? batch.tokens()[b][i + 1] : Losses.DEFAULT_IGNORE_INDEX;
            }
        }
        return targets;
    }

    /**
     * Losses and induction scores on a set of sequences.
     *
     * @param firstHalfLoss    the mean loss of predicting tokens {@code 1 … N−1}
     * @param firstHalfFloor   the mean of {@code ln(VOCAB − i)} over those predictions: the
     *                         least loss any model can expect there
     * @param repeatedHalfLoss the mean loss of predicting tokens {@code N+1 … 2N−1}
     * @param inductionScores  {@code [LAYERS][HEADS]} the heads' induction scores
     * @param previousTokenScores  {@code [LAYERS][HEADS]} the heads' mean attention to the
     *                         previous position
     * @param duplicateTokenScores {@code [LAYERS][HEADS]} the heads' mean attention from a
     *                         repeated token to its earlier occurrence
     */
    public record Evaluation(
            double firstHalfLoss,
            double firstHalfFloor,
            double repeatedHalfLoss,
            double[][] inductionScores,
            double[][] previousTokenScores,
            double[][] duplicateTokenScores) {}

    /**
     * Evaluates the current parameters on {@code sequences}.
     *
     * @param sequences at least one sequence
     * @return the losses of both halves and every head's induction score
     * @throws IllegalArgumentException if {@code sequences} is null or empty
     */
    public Evaluation evaluate(Sequences sequences) {
        if (sequences == null || sequences.size() == 0) {
            throw new IllegalArgumentException("need at least one sequence");
        }
        Output out = forward(sequences.tokens());
        int length = sequences.tokens()[0].length;
        Tensor losses = Losses.crossEntropy(
                        flatLogits(out.logits()), targets(sequences), Losses.DEFAULT_IGNORE_INDEX, Reduction.NONE)
                .value();
        double first = 0;
        double floor = 0;
        double repeated = 0;
        int firstCount = 0;
        int repeatedCount = 0;
        double[][] induction = new double[LAYERS][HEADS];
        double[][] previousToken = new double[LAYERS][HEADS];
        double[][] duplicateToken = new double[LAYERS][HEADS];
        int inductionCount = 0;
        int previousCount = 0;
        int duplicateCount = 0;
        for (int b = 0; b < sequences.size(); b++) {
            int n = sequences.halves()[b];
            for (int i = 0; i < 2 * n - 1; i++) {
                double loss = losses.get(b * length + i);
                if (i + 1 < n) { // predicting token i + 1 of the first half
                    first += loss;
                    floor += Math.log(VOCAB - (i + 1)); // token i + 1 is uniform over the unseen ones
                    firstCount++;
                } else if (i + 1 > n) { // predicting a repeated token after the first
                    repeated += loss;
                    repeatedCount++;
                }
            }
            for (int i = 1; i < 2 * n; i++) {
                for (int l = 0; l < LAYERS; l++) {
                    Tensor w = out.weights().get(l);
                    for (int h = 0; h < HEADS; h++) {
                        previousToken[l][h] += w.get(b, h, i, i - 1);
                        duplicateToken[l][h] += i >= n ? w.get(b, h, i, i - n) : 0;
                        induction[l][h] += i >= n && i <= 2 * n - 2 ? w.get(b, h, i, i - n + 1) : 0;
                    }
                }
                previousCount++;
                duplicateCount += i >= n ? 1 : 0;
                inductionCount += i >= n && i <= 2 * n - 2 ? 1 : 0;
            }
        }
        return new Evaluation(
                first / firstCount,
                floor / firstCount,
                repeated / repeatedCount,
                divide(induction, inductionCount),
                divide(previousToken, previousCount),
                divide(duplicateToken, duplicateCount));
    }

    private static double[][] divide(double[][] sums, int count) {
        for (double[] row : sums) {
            for (int h = 0; h < row.length; h++) {
                row[h] /= count;
            }
        }
        return sums;
    }

    // ---- the trained model as Heed's immutable classes ------------------------------------------

    /**
     * The current parameters as immutable library classes: the same numbers, no autograd.
     *
     * @return a new snapshot holding copies of the parameters
     */
    public Snapshot snapshot() {
        List<MultiHeadAttention> mhas = new ArrayList<>();
        for (Layer layer : layers) {
            mhas.add(MultiHeadAttention.builder(DIM, HEADS)
                    .bias(false)
                    .weights(
                            layer.q.weight().value(),
                            layer.k.weight().value(),
                            layer.v.weight().value(),
                            layer.out.weight().value())
                    .build());
        }
        return new Snapshot(tokens.snapshot(), positions.snapshot(), List.copyOf(mhas), unembed.snapshot());
    }

    /**
     * A trained transformer as Heed's immutable classes, thread-safe.
     *
     * @param tokens    the token vectors {@code E}
     * @param positions the position vectors {@code P}
     * @param layers    the attention layers, each a {@link MultiHeadAttention} without biases
     * @param unembed   {@code x ↦ U x + u}, the next-token logits
     */
    public record Snapshot(Embedding tokens, Embedding positions, List<MultiHeadAttention> layers, Linear unembed) {
        /**
         * Runs one sequence through the layers.
         *
         * @param sequence token ids, 1 to {@link #MAX_LENGTH}; not modified
         * @return per layer, {@link MultiHeadAttention#forward(Tensor, Mask)} on that layer's
         *         input under {@link Mask#causal()}: output {@code [L, D]}, weights
         *         {@code [HEADS, L, L]}
         * @throws IllegalArgumentException if the sequence is empty, too long or has a token out
         *                                  of range
         */
        public List<AttentionResult> attend(int[] sequence) {
            List<AttentionResult> results = new ArrayList<>();
            Tensor x = input(sequence);
            for (MultiHeadAttention layer : layers) {
                AttentionResult r = layer.forward(x, Mask.causal());
                results.add(r);
                x = x.add(r.output());
            }
            return results;
        }

        /**
         * The next-token logits of every position.
         *
         * @param sequence token ids, 1 to {@link #MAX_LENGTH}; not modified
         * @return a new {@code [L, VOCAB]} tensor
         * @throws IllegalArgumentException as {@link #attend(int[])}
         */
        public Tensor logits(int[] sequence) {
            Tensor x = input(sequence);
            for (MultiHeadAttention layer : layers) {
                x = x.add(layer.forward(x, Mask.causal()).output());
            }
            return unembed.forward(x);
        }

        private Tensor input(int[] sequence) {
            if (sequence == null || sequence.length == 0 || sequence.length > MAX_LENGTH) {
                throw new IllegalArgumentException(
                        "need 1 to " + MAX_LENGTH + " tokens, got " + (sequence == null ? "null" : sequence.length));
            }
            int[] slots = new int[sequence.length];
            Arrays.setAll(slots, i -> i);
            return tokens.lookup(sequence).add(positions.lookup(slots));
        }
    }

    @Override
    public Map<String, Variable> parameters() {
        Module.Builder b = Module.builder().add("tokens", tokens).add("positions", positions);
        Module.Builder stack = Module.builder();
        for (int l = 0; l < layers.size(); l++) {
            stack.add(Integer.toString(l), layers.get(l));
        }
        Map<String, Variable> layerParameters = stack.build();
        return b.add("layers", () -> layerParameters).add("unembed", unembed).build();
    }
}
