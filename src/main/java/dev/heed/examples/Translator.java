package dev.heed.examples;

import dev.heed.attention.AlignmentAttention;
import dev.heed.attention.AttentionResult;
import dev.heed.attention.Mask;
import dev.heed.attention.SimpleAttention;
import dev.heed.autograd.Variable;
import dev.heed.encoding.SinusoidalEncoding;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The tutorial's translator attention, trained: Luong's general score
 * {@code h_tᵀ W_a h̄_s} between decoder and encoder states, learning to align a French-like
 * language with English from translated sentences alone — nobody tells it which word translates
 * which.
 *
 * <p><b>The task.</b> Sentences ({@link Corpus#generate}) follow
 * {@code noun-phrase verb [noun-phrase] [preposition noun-phrase]}, a noun phrase being a
 * determiner, a noun and, half the time, an adjective. Every word has one translation
 * ({@code chat → cat}, {@code noir → black}), and the one difference in word order is that the
 * source puts adjectives after their nouns, English before: {@code le chat noir dort} is
 * {@code the black cat sleeps}. So each target word comes from exactly one source word, and the
 * {@link Corpus#alignment() alignment} is known: the diagonal, crossed at each adjective.
 *
 * <p><b>The model.</b> With learned word vectors and the sinusoidal encoding {@code PE} of
 * positions ({@link SinusoidalEncoding}), size 32:
 * <pre>
 *   h̄_s = X[x_s] + PE(s)                           encoder state of source word s
 *   h_t = Y[y_{t−1}] + PE(t)                        decoder state at target step t (y_{−1} = &lt;s&gt;)
 *   a_t = softmax_s(h_tᵀ W_a h̄_s)                  Luong's general score; source padding masked
 *   c_t = Σ_s a_t(s) h̄_s                            context
 *   logits_t = O c_t + o                            the next target word
 * </pre>
 * The decoder state is the smallest that can find the next source word: the previous target word
 * and the position. It is enough because the reordering is local — after {@code the}, look one
 * place right if that word is an adjective; after an adjective, look one place back for its noun
 * — where a real decoder (an RNN or a transformer) would compute a richer state. The target has
 * as many words as the source, so translation needs no end-of-sentence token. The score runs as
 * {@link SimpleAttention} on query {@code h_t} and key {@code W_a h̄_s} through
 * {@link AttentionOps}, whose backward is the kernel's fused one. {@code W_a} starts at zero
 * (uniform attention); the encoding makes {@code h_tᵀ h̄_s} largest at {@code s = t}, a diagonal
 * that {@code W_a} learns to sharpen and to bend at each adjective.
 *
 * <p><b>Training</b> ({@link #train}): mini-batch AdamW on the cross-entropy of each next target
 * word given the true previous one (teacher forcing). The {@link Report}'s alignment accuracy is
 * the fraction of held-out target words whose attention argmax is the source word that produced
 * them. {@link #snapshot()} returns the trained parameters as Heed's immutable classes, among
 * them {@link AlignmentAttention#general(Tensor)} built from the trained {@code W_a}.
 *
 * <p>Parameters ({@link #parameters()}): {@code source_words.weight},
 * {@code target_words.weight}, {@code attention.weight} ({@code W_a}, {@code [32, 32]}),
 * {@code output.weight}, {@code output.bias}. Not thread-safe: training changes the parameters in place.
 */
public final class Translator implements Module {
    /** Word pairs by part of speech: source, then its translation. */
    static final String[][] DETERMINERS = {{"le", "the"}, {"un", "a"}, {"ce", "this"}, {"mon", "my"}};

    static final String[][] NOUNS = {
        {"chat", "cat"},
        {"chien", "dog"},
        {"oiseau", "bird"},
        {"enfant", "child"},
        {"homme", "man"},
        {"femme", "woman"},
        {"livre", "book"},
        {"tapis", "mat"},
        {"jardin", "garden"},
        {"maison", "house"},
        {"pomme", "apple"},
        {"arbre", "tree"}
    };
    static final String[][] ADJECTIVES = {
        {"noir", "black"},
        {"blanc", "white"},
        {"petit", "small"},
        {"grand", "big"},
        {"rouge", "red"},
        {"vert", "green"},
        {"vieux", "old"},
        {"jeune", "young"}
    };
    static final String[][] VERBS = {
        {"voit", "sees"},
        {"mange", "eats"},
        {"aime", "likes"},
        {"trouve", "finds"},
        {"prend", "takes"},
        {"suit", "follows"},
        {"dort", "sleeps"},
        {"attend", "waits"}
    };
    static final String[][] PREPOSITIONS = {
        {"sur", "on"}, {"sous", "under"}, {"dans", "in"}, {"avec", "with"}, {"vers", "towards"}
    };

    /** The source words: {@code <pad>} (id 0), then determiners, nouns, adjectives, verbs, prepositions. */
    public static final Vocabulary SOURCE = vocabulary(0, "<pad>");
    /** The target words: {@code <pad>} (id 0), {@code <s>} (id 1), then the translations in the source's order. */
    public static final Vocabulary TARGET = vocabulary(1, "<pad>", "<s>");
    /** The id of {@code <pad>} in both vocabularies. */
    public static final int PAD = 0;
    /** The id of {@code <s>}, the target vocabulary's start token: the previous word of the first step. */
    public static final int START = 1;
    /** The most words in a sentence: noun phrase (3), verb, noun phrase (3), preposition, noun phrase (3). */
    public static final int MAX_LENGTH = 11;

    /** Width of the word and position vectors, and so of the encoder and decoder states. */
    static final int DIM = 32;
    /** How often a noun has an adjective, a sentence an object, and a prepositional phrase. */
    static final double ADJECTIVE_RATE = 0.5;

    static final double OBJECT_RATE = 0.6;
    static final double PREPOSITION_RATE = 0.5;

    /** Training: passes over the data, sentences per step, AdamW's learning rate, the gradient norm cap. */
    static final int EPOCHS = 10;

    static final int BATCH_SIZE = 32;
    static final double LEARNING_RATE = 0.01;
    static final double MAX_GRAD_NORM = 1.0;

    private final TrainableEmbedding sourceWords;
    private final TrainableEmbedding targetWords;
    /** {@code h̄ ↦ W_a h̄}: weight {@code [Hd, He]} is Luong's {@code W_a}. */
    private final TrainableLinear attention;

    private final TrainableLinear output;
    private final Random shuffle;

    /**
     * A translator with PyTorch's default initialisation drawn from {@code new Random(seed)}:
     * the same seed gives the same parameters and, trained on the same data, the same report.
     *
     * @param seed the seed of the parameters and of the training order
     */
    public Translator(long seed) {
        Random r = new Random(seed);
        sourceWords = TrainableEmbedding.seeded(SOURCE.size(), DIM, r);
        targetWords = TrainableEmbedding.seeded(TARGET.size(), DIM, r);
        // W_a starts at zero, every source word weighted alike. PyTorch's default (uniform in
        // ±1/√32) gives scores with a standard deviation of 5 (up to ±17) on these states: a
        // nearly one-hot softmax from the first step, which some seeds never leave.
        attention = Linear.of(Tensor.zeros(DIM, DIM)).trainable();
        output = TrainableLinear.seeded(DIM, TARGET.size(), true, r);
        shuffle = new Random(r.nextLong());
    }

    /** Side {@code side} (0 source, 1 target) of every word pair, after the given special tokens. */
    private static Vocabulary vocabulary(int side, String... specials) {
        List<String> words = new ArrayList<>(List.of(specials));
        for (String[][] kind : List.of(DETERMINERS, NOUNS, ADJECTIVES, VERBS, PREPOSITIONS)) {
            for (String[] pair : kind) {
                words.add(pair[side]);
            }
        }
        return Vocabulary.of(words);
    }

    // ---- data ---------------------------------------------------------------------------------

    /**
     * Generated sentence pairs, padded to {@link #MAX_LENGTH} words. The arrays are shared, not
     * copied: do not modify them.
     *
     * @param source    {@code [count][MAX_LENGTH]} source word ids ({@link #SOURCE}), {@link #PAD}
     *                  after the end
     * @param target    {@code [count][MAX_LENGTH]} target word ids ({@link #TARGET}), {@link #PAD}
     *                  after the end
     * @param lengths   the number of words of each sentence, the same on both sides
     * @param alignment {@code [count][MAX_LENGTH]}: {@code alignment[i][t]} is the source position
     *                  whose word target word {@code t} translates; −1 after the end
     */
    public record Corpus(int[][] source, int[][] target, int[] lengths, int[][] alignment) {
        /**
         * {@code count} sentence pairs drawn from {@code new Random(seed)}: a noun phrase, a verb,
         * with probability 0.6 an object noun phrase and with probability 0.5 a preposition and
         * its noun phrase; each noun phrase is a determiner, a noun and, with probability 0.5, an
         * adjective. The target is the word-by-word translation with each adjective moved before
         * its noun.
         *
         * @param seed  the seed; the same seed gives the same sentences
         * @param count how many, ≥ 0
         * @return a new corpus
         * @throws IllegalArgumentException if {@code count} is negative
         */
        public static Corpus generate(long seed, int count) {
            if (count < 0) {
                throw new IllegalArgumentException("count must be >= 0, got " + count);
            }
            Random r = new Random(seed);
            int[][] source = new int[count][MAX_LENGTH];
            int[][] target = new int[count][MAX_LENGTH];
            int[][] alignment = new int[count][MAX_LENGTH];
            int[] lengths = new int[count];
            for (int i = 0; i < count; i++) {
                Arrays.fill(alignment[i], -1);
                List<String[]> words = new ArrayList<>();
                nounPhrase(r, words, source[i], target[i], alignment[i]);
                add(words, pick(r, VERBS), source[i], target[i], alignment[i], 0);
                if (r.nextDouble() < OBJECT_RATE) {
                    nounPhrase(r, words, source[i], target[i], alignment[i]);
                }
                if (r.nextDouble() < PREPOSITION_RATE) {
                    add(words, pick(r, PREPOSITIONS), source[i], target[i], alignment[i], 0);
                    nounPhrase(r, words, source[i], target[i], alignment[i]);
                }
                lengths[i] = words.size();
            }
            return new Corpus(source, target, lengths, alignment);
        }

        /** Appends a determiner, a noun and maybe an adjective: after the noun in the source, before in the target. */
        private static void nounPhrase(Random r, List<String[]> words, int[] source, int[] target, int[] alignment) {
            add(words, pick(r, DETERMINERS), source, target, alignment, 0);
            String[] noun = pick(r, NOUNS);
            if (r.nextDouble() < ADJECTIVE_RATE) {
                add(words, noun, source, target, alignment, +1); // the noun's translation comes one later
                add(words, pick(r, ADJECTIVES), source, target, alignment, -1);
            } else {
                add(words, noun, source, target, alignment, 0);
            }
        }

        /** Puts {@code pair} at the next source position, its translation {@code shift} places away in the target. */
        private static void add(
                List<String[]> words, String[] pair, int[] source, int[] target, int[] alignment, int shift) {
            int s = words.size();
            words.add(pair);
            source[s] = SOURCE.id(pair[0]);
            target[s + shift] = TARGET.id(pair[1]);
            alignment[s + shift] = s;
        }

        private static String[] pick(Random r, String[][] pairs) {
            return pairs[r.nextInt(pairs.length)];
        }

        /**
         * The number of sentence pairs.
         *
         * @return {@code lengths().length}
         */
        public int size() {
            return lengths.length;
        }

        /**
         * Source sentence {@code i} as text.
         *
         * @param i in {@code [0, size())}
         * @return its words separated by spaces, without padding
         */
        public String sourceText(int i) {
            return SOURCE.text(source[i], lengths[i]);
        }

        /**
         * Target sentence {@code i} as text.
         *
         * @param i in {@code [0, size())}
         * @return its words separated by spaces, without padding
         */
        public String targetText(int i) {
            return TARGET.text(target[i], lengths[i]);
        }

        /** Pairs {@code order[from..to)} as a new batch. */
        Corpus batch(int[] order, int from, int to) {
            int n = to - from;
            int[][] s = new int[n][];
            int[][] t = new int[n][];
            int[][] a = new int[n][];
            int[] l = new int[n];
            for (int k = 0; k < n; k++) {
                int i = order[from + k];
                s[k] = source[i];
                t[k] = target[i];
                a[k] = alignment[i];
                l[k] = lengths[i];
            }
            return new Corpus(s, t, l, a);
        }
    }

    /**
     * The word alignment the language pair's one rule gives: each adjective (which the source puts
     * right after its noun) and its noun change places, every other word stays.
     *
     * @param source source ids of one sentence, no padding; not modified
     * @return a new array: element {@code t} is the source position that target word {@code t}
     *         translates
     * @throws IllegalArgumentException if {@code source} is null or holds an id out of range
     */
    public static int[] alignment(int[] source) {
        if (source == null) {
            throw new IllegalArgumentException("source is null");
        }
        int[] alignment = new int[source.length];
        for (int s = 0; s < source.length; s++) {
            alignment[s] = s;
            if (s > 0 && isAdjective(SOURCE.word(source[s]))) {
                alignment[s - 1] = s;
                alignment[s] = s - 1;
            }
        }
        return alignment;
    }

    /**
     * The correct translation: each source word's translation, at the place {@link #alignment}
     * gives it.
     *
     * @param source source ids of one sentence, no padding; not modified
     * @return new target ids, as many as the source's
     * @throws IllegalArgumentException if {@code source} is null or holds an id out of range
     */
    public static int[] translation(int[] source) {
        int[] alignment = alignment(source);
        int[] target = new int[source.length];
        for (int t = 0; t < target.length; t++) {
            target[t] = TARGET.id(translate(SOURCE.word(source[alignment[t]])));
        }
        return target;
    }

    private static boolean isAdjective(String word) {
        return Arrays.stream(ADJECTIVES).anyMatch(pair -> pair[0].equals(word));
    }

    private static String translate(String word) {
        for (String[][] kind : List.of(DETERMINERS, NOUNS, ADJECTIVES, VERBS, PREPOSITIONS)) {
            for (String[] pair : kind) {
                if (pair[0].equals(word)) {
                    return pair[1];
                }
            }
        }
        throw new IllegalArgumentException("no translation for '" + word + "'");
    }

    /**
     * The decoder's inputs for target sentences: each shifted right by one, {@link #START} first,
     * so that step {@code t} sees the word before it.
     *
     * @param target {@code [B][T]} target word ids; not modified
     * @return a new {@code [B][T]} array
     */
    static int[][] previousWords(int[][] target) {
        int[][] previous = new int[target.length][];
        for (int b = 0; b < target.length; b++) {
            previous[b] = new int[target[b].length];
            previous[b][0] = START;
            System.arraycopy(target[b], 0, previous[b], 1, target[b].length - 1);
        }
        return previous;
    }

    // ---- model --------------------------------------------------------------------------------

    /**
     * What the model computes for a batch.
     *
     * @param weights the alignment weights {@code [B, T, S]}, 0 on source padding (a constant: the
     *                kernel's, read from its forward result)
     * @param logits  the scores of the next target word {@code [B, T, |TARGET|]}
     */
    public record Output(Variable weights, Variable logits) {}

    /**
     * The forward pass with teacher forcing, recorded for autograd.
     *
     * @param source   {@code [B][S]} source ids, rectangular; not modified
     * @param previous {@code [B][T]} the previous target word of each step ({@link #START} at
     *                 step 0), rectangular; not modified
     * @param lengths  {@code B} source lengths, each in {@code [1, S]}
     * @return the alignment weights and the logits
     * @throws IllegalArgumentException if the ids are ragged or out of range, longer than
     *                                  {@link #MAX_LENGTH}, or a length is out of range
     */
    public Output forward(int[][] source, int[][] previous, int[] lengths) {
        Variable encoder = states(sourceWords, source); // [B, S, D]
        Variable decoder = states(targetWords, previous); // [B, T, D]
        if (previous.length != source.length || lengths == null || lengths.length != source.length) {
            throw new IllegalArgumentException("need one previous-word row and one length per sentence, got "
                    + source.length + " sentences, " + previous.length + " rows, "
                    + (lengths == null ? "null" : lengths.length) + " lengths");
        }
        for (int b = 0; b < lengths.length; b++) {
            if (lengths[b] < 1 || lengths[b] > source[0].length) {
                throw new IllegalArgumentException(
                        "length " + lengths[b] + " of sentence " + b + " is not in [1, " + source[0].length + "]");
            }
        }
        AttentionOps.Attended attended = AttentionOps.attention(
                new SimpleAttention(),
                decoder,
                attention.forward(encoder),
                encoder,
                Mask.keyPadding(lengths)); // context [B, T, D]
        return new Output(Variable.constant(attended.forward().weights()), output.forward(attended.output()));
    }

    /** Word vector plus the sinusoidal encoding of its slot: {@code [B, n, D]}. */
    private static Variable states(TrainableEmbedding words, int[][] ids) {
        if (ids == null || ids.length == 0 || ids[0] == null || ids[0].length > MAX_LENGTH) {
            throw new IllegalArgumentException("need at least one sentence of at most " + MAX_LENGTH + " words");
        }
        return words.forward(ids).add(Variable.constant(SinusoidalEncoding.table(ids[0].length, DIM)));
    }

    // ---- training -----------------------------------------------------------------------------

    /**
     * What training did.
     *
     * @param steps             optimiser steps taken
     * @param trainingLoss      the mean cross-entropy over the last epoch's batches
     * @param alignmentAccuracy the fraction of held-out target words whose attention argmax is
     *                          the source word they translate
     * @param alignedWeight     the mean attention weight on that source word
     * @param wordAccuracy      the fraction of held-out target words predicted right given the
     *                          true previous word
     * @param seconds           how long training took (the one field that varies between runs)
     */
    public record Report(
            int steps,
            double trainingLoss,
            double alignmentAccuracy,
            double alignedWeight,
            double wordAccuracy,
            double seconds) {}

    /**
     * Trains the model: {@value #EPOCHS} epochs over {@code training} in shuffled batches of
     * {@value #BATCH_SIZE}, AdamW (learning rate {@value #LEARNING_RATE}, PyTorch's other
     * defaults) on the mean cross-entropy of the target words, the gradient norm clipped to
     * {@value #MAX_GRAD_NORM}; then evaluates on {@code heldOut}.
     *
     * @param training the sentence pairs to learn from, at least one
     * @param heldOut  sentence pairs to evaluate on, at least one
     * @return the report
     * @throws IllegalArgumentException if either corpus is null or empty
     */
    public Report train(Corpus training, Corpus heldOut) {
        if (training == null || heldOut == null || training.size() == 0 || heldOut.size() == 0) {
            throw new IllegalArgumentException("training and held-out corpora must be non-empty");
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
                Corpus batch = training.batch(order, from, Math.min(order.length, from + BATCH_SIZE));
                Variable loss = loss(batch);
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
        return new Report(steps, epochLoss, e.alignmentAccuracy(), e.alignedWeight(), e.wordAccuracy(), seconds);
    }

    /** Mean cross-entropy of the target words of a batch, padding ignored. */
    private Variable loss(Corpus batch) {
        Variable logits = forward(batch.source(), previousWords(batch.target()), batch.lengths())
                .logits();
        int b = batch.size();
        int t = batch.target()[0].length;
        int[] targets = new int[b * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                targets[i * t + j] = j < batch.lengths()[i] ? batch.target()[i][j] : Losses.DEFAULT_IGNORE_INDEX;
            }
        }
        return Losses.crossEntropy(logits.reshape(b * t, TARGET.size()), targets);
    }

    private void shuffle(int[] order) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = shuffle.nextInt(i + 1);
            int k = order[i];
            order[i] = order[j];
            order[j] = k;
        }
    }

    /**
     * Alignment and prediction on a corpus.
     *
     * @param alignmentAccuracy the fraction of target words whose attention argmax is their source word
     * @param alignedWeight     the mean attention weight on that source word
     * @param wordAccuracy      the fraction of target words predicted right given the true previous word
     */
    public record Evaluation(double alignmentAccuracy, double alignedWeight, double wordAccuracy) {}

    /**
     * Evaluates the current parameters on {@code corpus}, with teacher forcing.
     *
     * @param corpus at least one sentence pair
     * @return the alignment accuracy, the mean weight on the right source word, the word accuracy
     * @throws IllegalArgumentException if {@code corpus} is null or empty
     */
    public Evaluation evaluate(Corpus corpus) {
        if (corpus == null || corpus.size() == 0) {
            throw new IllegalArgumentException("need at least one sentence pair");
        }
        Output out = forward(corpus.source(), previousWords(corpus.target()), corpus.lengths());
        Tensor weights = out.weights().value();
        Tensor predicted = out.logits().value().argmax(-1);
        int words = 0;
        int aligned = 0;
        int right = 0;
        double mass = 0;
        for (int i = 0; i < corpus.size(); i++) {
            for (int t = 0; t < corpus.lengths()[i]; t++) {
                int s = corpus.alignment()[i][t];
                aligned += (int) weights.select(0, i).select(0, t).argmax(-1).item() == s ? 1 : 0;
                mass += weights.get(i, t, s);
                right += (int) predicted.get(i, t) == corpus.target()[i][t] ? 1 : 0;
                words++;
            }
        }
        return new Evaluation((double) aligned / words, mass / words, (double) right / words);
    }

    // ---- the trained model as Heed's immutable classes ------------------------------------------

    /**
     * The current parameters as immutable library classes: the same numbers, no autograd.
     *
     * @return a new snapshot holding copies of the parameters
     */
    public Snapshot snapshot() {
        return new Snapshot(
                sourceWords.snapshot(),
                targetWords.snapshot(),
                AlignmentAttention.general(attention.weight().value()),
                output.snapshot());
    }

    /**
     * A trained translator as Heed's immutable classes, thread-safe.
     *
     * @param sourceWords {@code X}, the source word vectors
     * @param targetWords {@code Y}, the vectors of the previous target word
     * @param attention   Luong's general score with the trained {@code W_a}
     * @param output      {@code c_t ↦ O c_t + o}, the next word's logits
     */
    public record Snapshot(Embedding sourceWords, Embedding targetWords, AlignmentAttention attention, Linear output) {
        /**
         * The encoder states {@code h̄_s = X[x_s] + PE(s)}.
         *
         * @param source source ids, at most {@link #MAX_LENGTH}; not modified
         * @return a new {@code [S, 32]} tensor
         * @throws IllegalArgumentException if an id is out of range or the sentence too long
         */
        public Tensor encoderStates(int[] source) {
            return sourceWords.lookup(source).add(SinusoidalEncoding.table(source.length, DIM));
        }

        /**
         * The decoder states {@code h_t = Y[y_{t−1}] + PE(t)} for the target words {@code target},
         * {@code y_{−1}} being {@link #START}.
         *
         * @param target target ids, at most {@link #MAX_LENGTH}; not modified
         * @return a new {@code [T, 32]} tensor
         * @throws IllegalArgumentException if an id is out of range or the sentence too long
         */
        public Tensor decoderStates(int[] target) {
            int[] previous = previousWords(new int[][] {target})[0];
            return targetWords.lookup(previous).add(SinusoidalEncoding.table(target.length, DIM));
        }

        /**
         * How each target word attends over the source.
         *
         * @param source source ids; not modified
         * @param target target ids, as many as the source's; not modified
         * @return the alignment: weights {@code [T, S]}, contexts {@code [T, 32]}
         * @throws IllegalArgumentException if the ids do not fit
         */
        public AttentionResult align(int[] source, int[] target) {
            return attention.forward(decoderStates(target), encoderStates(source));
        }

        /**
         * Greedy translation: at each step the most likely word, fed back as the next step's
         * previous word; as many target words as source words.
         *
         * @param source source ids, 1 to {@link #MAX_LENGTH}; not modified
         * @return the target ids
         * @throws IllegalArgumentException if the ids do not fit
         */
        public int[] translate(int[] source) {
            int[] target = new int[source.length];
            Tensor encoder = encoderStates(source);
            for (int t = 0; t < target.length; t++) {
                // The decoder state of step t depends on the words before t only.
                Tensor decoder = decoderStates(Arrays.copyOf(target, t + 1)).slice(0, t, t + 1);
                Tensor logits =
                        output.forward(attention.forward(decoder, encoder).output());
                target[t] = (int) logits.select(0, 0).argmax(-1).item();
            }
            return target;
        }
    }

    @Override
    public Map<String, Variable> parameters() {
        return Module.builder()
                .add("source_words", sourceWords)
                .add("target_words", targetWords)
                .add("attention", attention)
                .add("output", output)
                .build();
    }
}
