package dev.heed.attention;

import dev.heed.layers.Embedding;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Hierarchical attention over documents, for extractive summarisation: which sentences of a
 * document matter, and which words within each sentence (after Yang et al. 2016, "Hierarchical
 * Attention Networks for Document Classification", without their recurrent encoders).
 *
 * <p>A document is token ids {@code [N, W]}: {@code N} sentences of {@code W} word slots. Then
 * <pre>
 *   e_sw     = embedding(id_sw)                                                  [N, W, E]
 *   α_s·, v_s = wordAttention(e_s1 … e_sW)    additive pooling within sentence s   [W], [E]
 *   β, d     = sentenceAttention(v_1 … v_N)   additive pooling across sentences   [N], [E]
 * </pre>
 * where both attentions are {@link AdditiveAttentionPooling} ({@code u = vᵀ tanh(W x + b)},
 * stable softmax, weighted sum). {@code β} is the sentence importance, {@code α} the word
 * importance within each sentence; {@code β_s·α_sw} (see {@link Result#documentWordWeights()})
 * is a word's share of the whole document.
 *
 * <p>Padding: sentence {@code s} has {@code wordCounts[s]} real words (the first ones) and the
 * document has {@code sentenceCount} real sentences (the first ones). Ids in padded slots are
 * ignored — never looked up or checked — so any filler (0, −1) will do. Padded words get word
 * weight exactly 0; a sentence with no real word (padded, or within the count but empty) gets
 * sentence vector 0, word weights 0 and sentence weight exactly 0, and takes no part in the
 * sentence-level softmax. A document with no real sentence gets document vector 0 and all weights
 * 0 — never NaN.
 *
 * <p>Shapes: one document {@code int[N][W]} gives document vector {@code [E]}, sentence vectors
 * {@code [N, E]}, sentence weights {@code [N]} and word weights {@code [N, W]}; a batch
 * {@code int[B][N][W]} (every document padded to the same {@code N} and {@code W}) adds a leading
 * {@code B} to each. All are new tensors.
 *
 * <p>{@link #backward(int[][][], int[][], int[], Tensor)} gives the gradients of every parameter
 * (the embedding table and both attentions) for a gradient of the document vectors.
 *
 * <p>Immutable and thread-safe.
 */
public final class HierarchicalAttention {
    private final Embedding embedding;
    private final AdditiveAttentionPooling wordAttention;
    private final AdditiveAttentionPooling sentenceAttention;

    private HierarchicalAttention(
            Embedding embedding, AdditiveAttentionPooling words, AdditiveAttentionPooling sentences) {
        this.embedding = embedding;
        this.wordAttention = words;
        this.sentenceAttention = sentences;
    }

    /**
     * Hierarchical attention from its parts.
     *
     * @param embedding         token ids to vectors of size {@code E}
     * @param wordAttention     pools the word vectors of a sentence; input size {@code E}
     * @param sentenceAttention pools the sentence vectors of a document; input size {@code E}
     * @return a new model sharing the three parts (all immutable)
     * @throws IllegalArgumentException if a part is null or the sizes disagree
     */
    public static HierarchicalAttention of(
            Embedding embedding, AdditiveAttentionPooling wordAttention, AdditiveAttentionPooling sentenceAttention) {
        if (embedding == null || wordAttention == null || sentenceAttention == null) {
            throw new IllegalArgumentException("embedding, wordAttention and sentenceAttention must not be null");
        }
        int e = embedding.embedDim();
        if (wordAttention.inputDim() != e || sentenceAttention.inputDim() != e) {
            throw new IllegalArgumentException("both attentions must take vectors of the embedding size " + e
                    + ", got word attention " + wordAttention.inputDim() + " and sentence attention "
                    + sentenceAttention.inputDim());
        }
        return new HierarchicalAttention(embedding, wordAttention, sentenceAttention);
    }

    /**
     * A model initialised from {@code new Random(seed)}: the embedding table
     * {@code [vocabSize, embedDim]} (standard normal), then the word attention, then the sentence
     * attention (each with hidden size {@code hiddenDim}, see
     * {@link AdditiveAttentionPooling#seeded(int, int, Random)}).
     *
     * @param vocabSize the number of token ids, ≥ 1
     * @param embedDim  the size {@code E} of word, sentence and document vectors, ≥ 1
     * @param hiddenDim the hidden size of both attentions, ≥ 1
     * @param seed      the seed of the {@link Random} all parameters are drawn from
     * @return a new model; same seed, same model
     * @throws IllegalArgumentException unless all sizes are ≥ 1
     */
    public static HierarchicalAttention seeded(int vocabSize, int embedDim, int hiddenDim, long seed) {
        Random random = new Random(seed);
        Embedding embedding = Embedding.seeded(vocabSize, embedDim, random);
        AdditiveAttentionPooling words = AdditiveAttentionPooling.seeded(embedDim, hiddenDim, random);
        return new HierarchicalAttention(
                embedding, words, AdditiveAttentionPooling.seeded(embedDim, hiddenDim, random));
    }

    /**
     * One document without padding: every word of every sentence is real.
     *
     * @param document {@code [N, W]} token ids, rectangular; not modified
     * @return document vector {@code [E]}, sentence vectors {@code [N, E]}, sentence weights
     *         {@code [N]} and word weights {@code [N, W]}; new tensors
     * @throws IllegalArgumentException if the document is null or ragged, or an id is outside the
     *                                  vocabulary (naming the sentence and word)
     */
    public Result forward(int[][] document) {
        checkDocument(document);
        return forward(new int[][][] {document}).unbatch();
    }

    /**
     * One document whose sentence {@code s} has {@code wordCounts[s]} real words; every sentence
     * counts, and those with no word are left out at the sentence level.
     *
     * @param document  {@code [N, W]}, rectangular; not modified
     * @param wordCounts {@code N} entries, each in {@code [0, W]}; not modified
     * @return document vector {@code [E]}, sentence vectors {@code [N, E]}, sentence weights
     *         {@code [N]} and word weights {@code [N, W]} (exactly 0 on padding); new tensors
     * @throws IllegalArgumentException if the document is null or ragged, {@code wordCounts} is
     *                                  null or not of length {@code N}, a count is out of range, or
     *                                  a real word's id is outside the vocabulary
     */
    public Result forward(int[][] document, int[] wordCounts) {
        checkDocument(document);
        return forward(new int[][][] {document}, new int[][] {wordCounts}, new int[] {document.length})
                .unbatch();
    }

    /**
     * A batch of documents without padding.
     *
     * @param documents {@code [B, N, W]}, rectangular; not modified
     * @return document vectors {@code [B, E]}, sentence vectors {@code [B, N, E]}, sentence
     *         weights {@code [B, N]} and word weights {@code [B, N, W]}; new tensors
     * @throws IllegalArgumentException if {@code documents} or one of its rows is null, the batch
     *                                  is ragged, or an id is outside the vocabulary (naming the
     *                                  document, sentence and word)
     */
    public Result forward(int[][][] documents) {
        int[] shape = checkDocuments(documents);
        return forward(documents, fullWordCounts(shape), fullSentenceCounts(shape));
    }

    /**
     * A batch of padded documents: document {@code b} has {@code sentenceCounts[b]} real sentences,
     * and its sentence {@code s} has {@code wordCounts[b][s]} real words. Word counts of padded
     * sentences ({@code s >= sentenceCounts[b]}) are ignored.
     *
     * @param documents      {@code [B, N, W]}, rectangular; not modified
     * @param wordCounts     {@code [B, N]}, each in {@code [0, W]}; not modified
     * @param sentenceCounts {@code [B]}, each in {@code [0, N]}; not modified
     * @return document vectors {@code [B, E]}, sentence vectors {@code [B, N, E]}, sentence
     *         weights {@code [B, N]} and word weights {@code [B, N, W]}, all exactly 0 on padding;
     *         new tensors
     * @throws IllegalArgumentException if the arrays are ragged or disagree in size, a count is
     *                                  out of range, an array is null, or a real word's id is
     *                                  outside the vocabulary (naming the document, sentence and
     *                                  word)
     */
    public Result forward(int[][][] documents, int[][] wordCounts, int[] sentenceCounts) {
        Flat f = flatten(documents, wordCounts, sentenceCounts);
        int e = embedding.embedDim();
        AttentionResult wordLevel = wordAttention.forward(embedding.lookup(f.ids), f.lengths);
        Tensor sentenceVectors = wordLevel.output().reshape(f.batch, f.sentences, e);
        AttentionResult sentenceLevel = sentenceAttention.forward(sentenceVectors, f.realSentences());
        return new Result(
                sentenceLevel.output(),
                sentenceVectors,
                sentenceLevel.weights(),
                wordLevel.weights().reshape(f.batch, f.sentences, f.words));
    }

    /**
     * The gradients of a scalar loss with respect to every parameter, given
     * {@code gradDocumentVectors}, the loss's gradient with respect to the document vectors that
     * {@code forward(documents, wordCounts, sentenceCounts)} returns.
     *
     * <p>Back through the sentence attention and then the word attention by
     * {@link AdditiveAttentionPooling}'s backward (the sentence vectors' gradient is the word level's
     * upstream gradient), then into the embedding table: row {@code id} of its gradient is the sum
     * of the gradients of every real word with that id, as {@code torch.nn.Embedding} accumulates a
     * repeated id. The token ids themselves are integers and get no gradient.
     *
     * <p>The parameters are named by the part that holds them, a dot, and that part's own name, in
     * this order: {@code embedding.weight} {@code [vocabSize, E]} (PyTorch's name for the table);
     * {@code wordAttention.projection.weight}, {@code wordAttention.projection.bias} (when it has a
     * bias), {@code wordAttention.scoreVector}; the same three under {@code sentenceAttention.}
     * (see {@link AdditiveAttentionPooling#backward(Tensor, Mask, Tensor)}).
     *
     * <p>The forward is computed once more inside (no forward result is passed in), about the cost
     * of one forward on top of the backward's own. Padded words and sentences, and ids never looked
     * up, get zero gradient; a document with no real sentence contributes nothing — never NaN.
     *
     * @param documents           {@code [B, N, W]}, rectangular, as given to {@code forward}; not modified
     * @param wordCounts          {@code [B, N]}, each in {@code [0, W]}; not modified
     * @param sentenceCounts      {@code [B]}, each in {@code [0, N]}; not modified
     * @param gradDocumentVectors ∂loss/∂document vectors, {@code [B, E]}; not modified
     * @return the parameter gradients; new tensors
     * @throws IllegalArgumentException as {@link #forward(int[][][], int[][], int[])}, or if
     *                                  {@code gradDocumentVectors} is null or not {@code [B, E]}
     */
    public Gradients backward(
            int[][][] documents, int[][] wordCounts, int[] sentenceCounts, Tensor gradDocumentVectors) {
        Flat f = flatten(documents, wordCounts, sentenceCounts);
        int e = embedding.embedDim();
        checkGradient(gradDocumentVectors, new int[] {f.batch, e});
        // The forward of forward(...), step by step, keeping what each backward reads.
        int rows = f.batch * f.sentences;
        Tensor words = embedding.lookup(f.ids);
        Mask wordMask = AdditiveAttentionPooling.paddingMask(f.lengths, rows, f.words, "sequence");
        AdditiveAttentionPooling.Pass wordLevel = wordAttention.pass(words, wordMask);
        Tensor sentenceVectors = wordLevel.result().output().squeeze(1).reshape(f.batch, f.sentences, e);
        Mask sentenceMask = f.realSentences();
        AdditiveAttentionPooling.Pass sentenceLevel = sentenceAttention.pass(sentenceVectors, sentenceMask);
        AdditiveAttentionPooling.Gradients sg =
                sentenceAttention.gradients(sentenceLevel, sentenceMask, gradDocumentVectors.unsqueeze(1));
        AdditiveAttentionPooling.Gradients wg =
                wordAttention.gradients(wordLevel, wordMask, sg.x().reshape(rows, 1, e));
        // The embedding: each real word's gradient into its id's row, in document order.
        double[] dWords = wg.x().toArray();
        double[] table = new double[embedding.vocabSize() * e];
        for (int k = 0; k < rows; k++) {
            for (int w = 0; w < f.lengths[k]; w++) {
                int from = (k * f.words + w) * e;
                int to = f.ids[k][w] * e;
                for (int c = 0; c < e; c++) {
                    table[to + c] += dWords[from + c];
                }
            }
        }
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("embedding.weight", Tensor.of(table, embedding.vocabSize(), e));
        wg.parameters().forEach((n, t) -> p.put("wordAttention." + n, t));
        sg.parameters().forEach((n, t) -> p.put("sentenceAttention." + n, t));
        return new Gradients(p);
    }

    /**
     * {@link #backward(int[][][], int[][], int[], Tensor)} for a batch without padding.
     *
     * @param documents           {@code [B, N, W]}, rectangular; not modified
     * @param gradDocumentVectors ∂loss/∂document vectors, {@code [B, E]}; not modified
     * @return the parameter gradients; new tensors
     * @throws IllegalArgumentException as {@link #backward(int[][][], int[][], int[], Tensor)}
     */
    public Gradients backward(int[][][] documents, Tensor gradDocumentVectors) {
        int[] shape = checkDocuments(documents);
        return backward(documents, fullWordCounts(shape), fullSentenceCounts(shape), gradDocumentVectors);
    }

    /**
     * {@link #backward(int[][][], int[][], int[], Tensor)} for one document whose sentence
     * {@code s} has {@code wordCounts[s]} real words, as {@link #forward(int[][], int[])} takes it.
     *
     * @param document           {@code [N, W]}, rectangular; not modified
     * @param wordCounts         {@code N} entries, each in {@code [0, W]}; not modified
     * @param gradDocumentVector ∂loss/∂document vector, {@code [E]}; not modified
     * @return the parameter gradients; new tensors
     * @throws IllegalArgumentException as {@link #forward(int[][], int[])}, or if
     *                                  {@code gradDocumentVector} is null or not {@code [E]}
     */
    public Gradients backward(int[][] document, int[] wordCounts, Tensor gradDocumentVector) {
        checkDocument(document);
        checkGradient(gradDocumentVector, new int[] {embedding.embedDim()});
        return backward(
                new int[][][] {document},
                new int[][] {wordCounts},
                new int[] {document.length},
                gradDocumentVector.unsqueeze(0));
    }

    /**
     * {@link #backward(int[][][], int[][], int[], Tensor)} for one document without padding.
     *
     * @param document           {@code [N, W]}, rectangular; not modified
     * @param gradDocumentVector ∂loss/∂document vector, {@code [E]}; not modified
     * @return the parameter gradients; new tensors
     * @throws IllegalArgumentException as {@link #forward(int[][])}, or if
     *                                  {@code gradDocumentVector} is null or not {@code [E]}
     */
    public Gradients backward(int[][] document, Tensor gradDocumentVector) {
        checkDocument(document);
        checkGradient(gradDocumentVector, new int[] {embedding.embedDim()});
        return backward(new int[][][] {document}, gradDocumentVector.unsqueeze(0));
    }

    private static void checkGradient(Tensor gradient, int[] shape) {
        if (gradient == null) {
            throw new IllegalArgumentException("the gradient of the document vectors must not be null");
        }
        if (!Arrays.equals(gradient.shape(), shape)) {
            throw new IllegalArgumentException("the gradient must be shaped like the document vectors "
                    + Arrays.toString(shape) + ", got " + Arrays.toString(gradient.shape()));
        }
    }

    /**
     * What {@link #backward(int[][][], int[][], int[], Tensor)} returns: the gradients of the
     * parameters (token ids get none).
     *
     * @param parameters ∂loss/∂parameter by name — {@code embedding.weight}, then
     *                   {@code wordAttention.*}, then {@code sentenceAttention.*} — an
     *                   unmodifiable, insertion-ordered map of new tensors
     */
    public record Gradients(Map<String, Tensor> parameters) {
        /**
         * Checks and keeps the gradients, as computed by {@code backward}.
         *
         * @param parameters ∂loss/∂parameter by name; the map is copied (its order kept), the
         *                   tensors are not
         * @throws NullPointerException if the map, a name or a tensor is null
         */
        public Gradients {
            parameters = ParameterGradients.frozen(parameters);
        }

        /** {@return the shapes, for logs} */
        @Override
        public String toString() {
            return "HierarchicalAttention.Gradients{" + ParameterGradients.shapes(parameters) + "}";
        }
    }

    /** A checked batch flattened to {@code B·N} sentences: ids (0 in padded slots) and real word counts. */
    private record Flat(int batch, int sentences, int words, int[][] ids, int[] lengths, double[] sentenceAllowed) {
        /** The sentence-level mask: a sentence with no real word takes no part. */
        Mask realSentences() {
            return Mask.allow(Tensor.of(sentenceAllowed, batch, 1, sentences));
        }
    }

    private Flat flatten(int[][][] documents, int[][] wordCounts, int[] sentenceCounts) {
        int[] shape = checkDocuments(documents);
        int batch = shape[0];
        int sentences = shape[1];
        int words = shape[2];
        AdditiveAttentionPooling.checkLengths(sentenceCounts, batch, sentences, "document");
        if (wordCounts == null || wordCounts.length != batch) {
            throw new IllegalArgumentException("wordCounts needs one row per document (" + batch + "), got "
                    + (wordCounts == null ? "null" : wordCounts.length + " rows"));
        }
        // Flatten to B·N sentences; a padded sentence gets length 0 and a padded word id 0.
        int[][] ids = new int[batch * sentences][];
        int[] lengths = new int[batch * sentences];
        double[] sentenceAllowed = new double[batch * sentences];
        for (int b = 0; b < batch; b++) {
            if (wordCounts[b] == null || wordCounts[b].length != sentences) {
                throw new IllegalArgumentException("wordCounts[" + b + "] needs one count per sentence (" + sentences
                        + "), got " + (wordCounts[b] == null ? "null" : Arrays.toString(wordCounts[b])));
            }
            for (int s = 0; s < sentences; s++) {
                int k = b * sentences + s;
                int n = s < sentenceCounts[b] ? wordCounts[b][s] : 0;
                if (n < 0 || n > words) {
                    throw new IllegalArgumentException("word count " + n + " of document " + b + " sentence " + s
                            + " is outside [0, " + words + "]");
                }
                ids[k] = new int[words];
                for (int w = 0; w < n; w++) {
                    int id = documents[b][s][w];
                    if (id < 0 || id >= embedding.vocabSize()) {
                        throw new IllegalArgumentException("token id " + id + " at document " + b + ", sentence " + s
                                + ", word " + w + " is out of range for a vocabulary of " + embedding.vocabSize());
                    }
                    ids[k][w] = id;
                }
                lengths[k] = n;
                sentenceAllowed[k] = n > 0 ? 1 : 0;
            }
        }
        return new Flat(batch, sentences, words, ids, lengths, sentenceAllowed);
    }

    private static int[][] fullWordCounts(int[] shape) {
        int[][] wordCounts = new int[shape[0]][shape[1]];
        for (int[] row : wordCounts) {
            Arrays.fill(row, shape[2]);
        }
        return wordCounts;
    }

    private static int[] fullSentenceCounts(int[] shape) {
        int[] sentenceCounts = new int[shape[0]];
        Arrays.fill(sentenceCounts, shape[1]);
        return sentenceCounts;
    }

    private static void checkDocument(int[][] document) {
        if (document == null) {
            throw new IllegalArgumentException("document is null");
        }
    }

    /** {@code [B, N, W]} of a rectangular batch, or an exception naming the first ragged row. */
    private static int[] checkDocuments(int[][][] documents) {
        if (documents == null) {
            throw new IllegalArgumentException("documents is null");
        }
        int batch = documents.length;
        int sentences = -1;
        int words = -1;
        for (int b = 0; b < batch; b++) {
            if (documents[b] == null) {
                throw new IllegalArgumentException("document " + b + " is null");
            }
            if (sentences < 0) {
                sentences = documents[b].length;
            } else if (documents[b].length != sentences) {
                throw new IllegalArgumentException(
                        "documents must be padded to the same number of sentences: document 0 has " + sentences
                                + ", document " + b + " has " + documents[b].length);
            }
            for (int s = 0; s < sentences; s++) {
                int[] row = documents[b][s];
                if (row == null) {
                    throw new IllegalArgumentException("document " + b + " sentence " + s + " is null");
                }
                if (words < 0) {
                    words = row.length;
                } else if (row.length != words) {
                    throw new IllegalArgumentException("sentences must be padded to the same number of words: " + words
                            + " in the first, " + row.length + " in document " + b + " sentence " + s);
                }
            }
        }
        return new int[] {batch, Math.max(sentences, 0), Math.max(words, 0)};
    }

    /**
     * The embedding.
     *
     * @return the embedding itself (immutable, so shared rather than copied)
     */
    public Embedding embedding() {
        return embedding;
    }

    /**
     * The word-level attention.
     *
     * @return the pooling within sentences, shared (immutable)
     */
    public AdditiveAttentionPooling wordAttention() {
        return wordAttention;
    }

    /**
     * The sentence-level attention.
     *
     * @return the pooling across sentences, shared (immutable)
     */
    public AdditiveAttentionPooling sentenceAttention() {
        return sentenceAttention;
    }

    @Override
    public String toString() {
        return "HierarchicalAttention{" + embedding + ", words=" + wordAttention + ", sentences=" + sentenceAttention
                + "}";
    }

    /**
     * What {@link #forward} computes, with a leading {@code B} axis on each tensor for a batch.
     *
     * @param documentVectors  {@code [B, E]}: the sentence vectors pooled by sentence weight
     * @param sentenceVectors  {@code [B, N, E]}: the word vectors of each sentence pooled by word weight
     * @param sentenceWeights  {@code [B, N]}: sentence importance, summing to 1 over a document's real sentences
     * @param wordWeights      {@code [B, N, W]}: word importance, summing to 1 within each real sentence
     */
    public record Result(Tensor documentVectors, Tensor sentenceVectors, Tensor sentenceWeights, Tensor wordWeights) {
        /**
         * Each word's share of its whole document, {@code sentenceWeight · wordWeight}
         * ({@code [B, N, W]}, or {@code [N, W]} for one document): sums to 1 over a document
         * with a real sentence, 0 on padding and over a document with none.
         *
         * @return a new tensor shaped like {@link #wordWeights()}
         */
        public Tensor documentWordWeights() {
            return wordWeights.mul(sentenceWeights.unsqueeze(-1));
        }

        /**
         * The {@code k} most important real sentences of one document, in document order: an
         * extractive summary. Ties go to the earlier sentence; sentences of weight 0 (padding)
         * are never chosen, so fewer than {@code k} come back when the document has fewer real
         * sentences.
         *
         * @param document which document of a batch; 0 for an unbatched result
         * @param k        the most sentences to return, ≥ 0
         * @return a new array of at most {@code k} sentence indices, ascending; empty when
         *         {@code k = 0} or the document has no real sentence
         * @throws IllegalArgumentException if {@code k < 0} or {@code document} is out of range
         */
        public int[] topSentences(int document, int k) {
            Tensor w = sentenceWeights.rank() == 1 ? sentenceWeights.unsqueeze(0) : sentenceWeights;
            if (document < 0 || document >= w.shape(0)) {
                throw new IllegalArgumentException(
                        "document " + document + " is out of range for " + w.shape(0) + " document(s)");
            }
            if (k < 0) {
                throw new IllegalArgumentException("k must be >= 0, got " + k);
            }
            double[] row = w.select(0, document).toArray();
            Integer[] order = new Integer[row.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, c) -> row[a] != row[c] ? Double.compare(row[c], row[a]) : Integer.compare(a, c));
            int[] chosen = new int[Math.min(k, row.length)];
            int n = 0;
            for (int i = 0; i < chosen.length && row[order[i]] > 0; i++) {
                chosen[n++] = order[i];
            }
            int[] out = Arrays.copyOf(chosen, n);
            Arrays.sort(out);
            return out;
        }

        private Result unbatch() {
            return new Result(
                    documentVectors.squeeze(0),
                    sentenceVectors.squeeze(0),
                    sentenceWeights.squeeze(0),
                    wordWeights.squeeze(0));
        }
    }
}
