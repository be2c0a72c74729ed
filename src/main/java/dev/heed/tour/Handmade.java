package dev.heed.tour;

import dev.heed.attention.AdditiveAttentionPooling;
import dev.heed.attention.AlignmentAttention;
import dev.heed.attention.HierarchicalAttention;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.encoding.SinusoidalEncoding;
import dev.heed.layers.Embedding;
import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Weights and inputs built by hand, so that the tour's pictures show structure rather than the
 * noise of random initialisation. A trained model learns weights like these; here each is made
 * for one visible behaviour, and the comment says how.
 *
 * <p>Most of them rest on one property of the sinusoidal encoding: its features come in
 * {@code (sin pω, cos pω)} pairs, so moving from position {@code p} to {@code p − k} is a rotation
 * of each pair by {@code −kω}, a fixed linear map; and the dot product of two encodings is
 * {@code Σ cos((p − q)ω)}, largest when {@code p = q}.
 */
final class Handmade {
    private Handmade() {}

    // ---- transformer self-attention (section 7) -------------------------------------------

    /** Embedding size of the positional heads: four heads of 16 features. */
    static final int HEADS_EMBED = 64;

    static final int HEADS = 4;
    /** How many places back heads 0, 1, 2 look; head 3 looks at the first token. */
    static final int[] LOOK_BACK = {0, 1, 2};
    /** Sharpens the look-back heads: neighbouring encodings' dot products differ by only about 1. */
    private static final double LOOK_SHARPNESS = 24;
    /** Sharpens the first-token head, whose slow frequencies change little from one position to the next. */
    private static final double START_SHARPNESS = 160;
    /** The first (sin, cos) pair the first-token head reads: frequencies slow enough to fall monotonically over the sentence. */
    private static final int START_FIRST_PAIR = 4;

    /**
     * Causal self-attention over the encodings of positions alone, {@code [L, 64]}, whose four
     * heads look at fixed places: heads 0, 1, 2 at the token 0, 1 and 2 places back, head 3 at
     * the first token. Value and output projections are the identity.
     */
    static MultiHeadAttention positionalHeads() {
        int headDim = HEADS_EMBED / HEADS;
        Tensor wq = Tensor.zeros(HEADS_EMBED, HEADS_EMBED);
        Tensor wk = Tensor.zeros(HEADS_EMBED, HEADS_EMBED);
        for (int h = 0; h < LOOK_BACK.length; h++) {
            lookBack(wq, wk, h * headDim, headDim, LOOK_BACK[h]);
        }
        lookAtStart(wq, wk, 3 * headDim, headDim);
        Tensor identity = identity(HEADS_EMBED);
        return MultiHeadAttention.builder(HEADS_EMBED, HEADS)
                .bias(false)
                .weights(wq, wk, identity, identity)
                .build();
    }

    /**
     * Fills the head whose features are {@code [first, first + size)}: its query is the encoding of
     * the query's position moved {@code back} places (each of the fastest pairs rotated by
     * {@code −back·ω}), its key the key's encoding, so the score peaks at key {@code i − back}.
     */
    private static void lookBack(Tensor wq, Tensor wk, int first, int size, int back) {
        for (int pair = 0; pair < size / 2; pair++) {
            int in = 2 * pair; // sin at in, cos at in + 1
            int out = first + 2 * pair;
            double angle = back * frequency(pair, HEADS_EMBED);
            double c = LOOK_SHARPNESS * Math.cos(angle);
            double s = LOOK_SHARPNESS * Math.sin(angle);
            // sin((p − k)ω) = sin pω·cos kω − cos pω·sin kω;  cos((p − k)ω) = cos pω·cos kω + sin pω·sin kω
            wq.set(c, out, in);
            wq.set(-s, out, in + 1);
            wq.set(s, out + 1, in);
            wq.set(c, out + 1, in + 1);
            wk.set(1.0, out, in);
            wk.set(1.0, out + 1, in + 1);
        }
    }

    /**
     * Fills the head that looks at the first token: its query is constant (the encoding's slowest
     * cosine, within 1e-5 of 1 over the first few dozen positions), its key the cosines
     * {@code cos jω} of slow pairs, which fall from 1 at key 0 as {@code j} grows.
     */
    private static void lookAtStart(Tensor wq, Tensor wk, int first, int size) {
        int slowestCosine = HEADS_EMBED - 1;
        for (int k = 0; k < size / 2; k++) {
            int pair = START_FIRST_PAIR + k;
            int out = first + 2 * k + 1;
            wq.set(START_SHARPNESS, out, slowestCosine);
            wk.set(1.0, out, 2 * pair + 1);
        }
    }

    /** Angular frequency {@code ω} of pair {@code pair} of a {@code dModel}-wide sinusoidal encoding. */
    static double frequency(int pair, int dModel) {
        return Math.pow(SinusoidalEncoding.BASE, -2.0 * pair / dModel);
    }

    static Tensor identity(int n) {
        Tensor eye = Tensor.zeros(n, n);
        for (int i = 0; i < n; i++) {
            eye.set(1.0, i, i);
        }
        return eye;
    }

    // ---- Bahdanau's additive score, hand-set (section 6) --------------------------------------

    /** Width of the encoder and decoder states. */
    static final int STATE_DIM = 32;

    /** Encoder states: the encoding of each source position, {@code [S, STATE_DIM]}. */
    static Tensor encoderStates(int sourceLength) {
        return SinusoidalEncoding.table(sourceLength, STATE_DIM);
    }

    /**
     * Decoder states {@code [T, STATE_DIM]}: target step {@code t} carries the encoding of the
     * source position it translates, {@code alignedSource[t]} — what a trained decoder's state
     * would make its attention find.
     */
    static Tensor decoderStates(int[] alignedSource) {
        double[][] rows = new double[alignedSource.length][];
        for (int t = 0; t < rows.length; t++) {
            rows[t] = SinusoidalEncoding.table(alignedSource[t], 1, STATE_DIM).toArray();
        }
        return Tensor.of(rows);
    }

    /** Slope and offset of a bump unit pair, and the weight of each pair in the score. */
    private static final double BUMP_SLOPE = 2;

    private static final double BUMP_OFFSET = 1;
    private static final double BUMP_GAIN = 1;

    /**
     * Bahdanau's additive score {@code v_aᵀ tanh(W_a s + U_a h)} built to measure closeness: for
     * each feature {@code i} two hidden units see {@code z = s_i − h_i} and give
     * {@code tanh(az + b) − tanh(az − b)}, a bump that is largest at {@code z = 0}. Summed over
     * features, the score is largest where decoder and encoder states agree.
     */
    static AlignmentAttention bumpAdditive() {
        int d = STATE_DIM;
        Tensor wa = Tensor.zeros(2 * d, d);
        Tensor ua = Tensor.zeros(2 * d, d);
        Tensor bias = Tensor.zeros(2 * d);
        Tensor va = Tensor.zeros(2 * d);
        for (int i = 0; i < d; i++) {
            for (int side = 0; side < 2; side++) {
                int unit = 2 * i + side;
                wa.set(BUMP_SLOPE, unit, i);
                ua.set(-BUMP_SLOPE, unit, i);
                bias.set(side == 0 ? BUMP_OFFSET : -BUMP_OFFSET, unit);
                va.set(side == 0 ? BUMP_GAIN : -BUMP_GAIN, unit);
            }
        }
        return AlignmentAttention.additive(Linear.of(wa, bias), Linear.of(ua), va);
    }

    // ---- a tiny lexicon for summarisation (section 11) ----------------------------------------

    /**
     * Two hand-set features per word — how much it carries (0 for function words) and which way
     * it leans (on-topic or off-topic for the document) — and small seeded
     * noise in the other features, so no two words are alike.
     */
    record Lexicon(List<String> words, Map<String, double[]> features, int embedDim) {
        static final int WEIGHT = 0;
        static final int LEANING = 1;

        int id(String word) {
            int id = words.indexOf(word);
            if (id < 0) {
                throw new IllegalArgumentException("not in the lexicon: " + word);
            }
            return id;
        }

        /** Ids of {@code text}'s words, padded with {@code <pad>} (id 0) to {@code slots}. */
        int[] ids(String text, int slots) {
            int[] ids = new int[slots];
            if (!text.isEmpty()) {
                String[] tokens = text.split(" ");
                for (int i = 0; i < tokens.length; i++) {
                    ids[i] = id(tokens[i]);
                }
            }
            return ids;
        }

        String word(int id) {
            return words.get(id);
        }

        Embedding embedding(long seed) {
            Random noise = new Random(seed);
            Tensor table = Tensor.zeros(words.size(), embedDim);
            for (int id = 0; id < words.size(); id++) {
                double[] set = features.getOrDefault(words.get(id), new double[2]);
                table.set(set[0], id, WEIGHT);
                table.set(set[1], id, LEANING);
                for (int f = 2; f < embedDim; f++) {
                    table.set(0.1 * noise.nextGaussian(), id, f);
                }
            }
            return Embedding.of(table);
        }
    }

    /** A document about attention with two sentences about something else: weight = content word, leaning = on topic. */
    static final Lexicon DOCUMENT = new Lexicon(
            List.of(
                    "<pad>",
                    "attention",
                    "weighs",
                    "inputs",
                    "we",
                    "had",
                    "lunch",
                    "by",
                    "a",
                    "river",
                    "each",
                    "query",
                    "scores",
                    "keys",
                    "the",
                    "weather",
                    "was",
                    "nice",
                    "softmax",
                    "makes",
                    "weights"),
            Map.ofEntries(
                    Map.entry("attention", new double[] {1, 1}),
                    Map.entry("weighs", new double[] {0.8, 0.6}),
                    Map.entry("inputs", new double[] {0.6, 0.4}),
                    Map.entry("query", new double[] {1, 1}),
                    Map.entry("scores", new double[] {0.8, 0.8}),
                    Map.entry("keys", new double[] {1, 0.9}),
                    Map.entry("softmax", new double[] {1, 1}),
                    Map.entry("weights", new double[] {0.8, 0.8}),
                    Map.entry("lunch", new double[] {1, -1}),
                    Map.entry("river", new double[] {0.8, -1}),
                    Map.entry("weather", new double[] {1, -1}),
                    Map.entry("nice", new double[] {0.6, -0.5})),
            6);

    /**
     * Hierarchical attention whose word level favours content words and whose sentence level
     * favours sentences that lean on topic.
     */
    static HierarchicalAttention summariser(Lexicon lexicon) {
        Tensor words = Tensor.zeros(1, lexicon.embedDim());
        words.set(2.0, 0, Lexicon.WEIGHT);
        Tensor sentences = Tensor.zeros(1, lexicon.embedDim());
        sentences.set(2.0, 0, Lexicon.LEANING);
        return HierarchicalAttention.of(
                lexicon.embedding(11),
                AdditiveAttentionPooling.of(Linear.of(words), Tensor.of(new double[] {4.0}, 1)),
                AdditiveAttentionPooling.of(Linear.of(sentences), Tensor.of(new double[] {2.0}, 1)));
    }
}
