package dev.heed.tour;

import dev.heed.Heed;
import dev.heed.attention.AttentionResult;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.HierarchicalAttention;
import dev.heed.attention.Mask;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.attention.SimpleAttention;
import dev.heed.encoding.SinusoidalEncoding;
import dev.heed.metrics.Metrics;
import dev.heed.tensor.Tensor;
import dev.heed.tour.Handmade.Lexicon;
import dev.heed.viz.HeadGrid;
import dev.heed.viz.Heatmap;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A guided tour of Heed, the jar's main class: the sections of the attention tutorial Heed grew
 * from, in its order, each run for real — simple attention with the tutorial's numbers, scaled
 * dot-product attention and masks, multi-head attention, positional encoding, text
 * classification, translation alignment, transformer self-attention, metrics, heatmaps, chunked
 * attention on a long sequence, and hierarchical summarisation — then the attention of today's decoders
 * ({@code ModernAttention}: ALiBi, sliding windows, grouped-query heads, a key/value cache). It prints what
 * it computes and writes its heatmaps, PNG and SVG, into a directory.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -jar heed.jar [directory]     (default: heed-tour)
 * </pre>
 */
public final class Tour {
    /** Where the pictures go when no directory is given. */
    public static final String DEFAULT_DIRECTORY = "heed-tour";

    /** Length and width of the long sequence of section 10. */
    static final int LONG_LENGTH = 8192;

    static final int LONG_DEPTH = 64;
    /** How many of its first tokens are checked against the materialised kernel. */
    static final int CHECKED_PREFIX = 1024;

    private static final String USAGE = String.join(
            "\n",
            "Usage: java [--add-modules jdk.incubator.vector] -jar heed.jar [directory]",
            "",
            "A guided tour of Heed through the sections of the attention tutorial: it prints",
            "what each computes and writes heatmaps (PNG and SVG) into the directory, created",
            "if missing (default: " + DEFAULT_DIRECTORY + "). With --add-modules jdk.incubator.vector the",
            "kernels use the Vector API; without it they run on the scalar path.",
            "",
            "  -h, --help   print this message");

    private final Narrator n;
    private final TrainedModels trained;

    private Tour(Narrator narrator) {
        this.n = narrator;
        this.trained = new TrainedModels(narrator);
    }

    public static void main(String[] args) throws IOException {
        int status = main(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * The command line: {@code --help} prints the usage, no argument or one directory runs the
     * tour, anything else is an error.
     *
     * @return the exit status: 0, or 2 for a wrong command line
     */
    static int main(String[] args, PrintStream out, PrintStream err) throws IOException {
        if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
            out.println(USAGE);
            return 0;
        }
        if (args.length > 1 || (args.length == 1 && args[0].startsWith("-"))) {
            err.println("heed tour: expected at most one argument, a directory; got: " + String.join(" ", args));
            err.println(USAGE);
            return 2;
        }
        Path directory = Path.of(args.length == 1 ? args[0] : DEFAULT_DIRECTORY);
        if (Files.exists(directory) && !Files.isDirectory(directory)) {
            err.println("heed tour: " + directory + " exists and is not a directory");
            return 2;
        }
        run(directory, out);
        return 0;
    }

    /**
     * Runs the whole tour: prints to {@code out} and writes the pictures into {@code directory}
     * (created if missing; files of the same names are replaced).
     *
     * @return the files written, in order
     */
    public static List<Path> run(Path directory, PrintStream out) throws IOException {
        Files.createDirectories(directory);
        Narrator narrator = new Narrator(out, directory);
        long start = System.nanoTime();
        new Tour(narrator).walk();
        narrator.gap();
        narrator.say(
                "Done in %.1f s. %d files in %s",
                (System.nanoTime() - start) / 1e9,
                narrator.files().size(),
                directory.toAbsolutePath().normalize());
        return narrator.files();
    }

    private void walk() throws IOException {
        String kernels = kernelDescription(); // choosing them may log a line; let it come first
        n.say("Heed: a tour of attention, following the tutorial section by section.");
        n.say("Kernels: %s. Pictures go to %s", kernels, n.directory());
        simpleAttention();
        scaledDotProductAttention();
        multiHeadAttention();
        positionalEncoding();
        trained.textClassification();
        trained.translationAlignment();
        Tensor heads = transformerSelfAttention();
        metrics(heads);
        heatmaps();
        chunkedAttention();
        documentSummarisation();
        new ModernAttention(n).walk();
    }

    // ---- 1 ----------------------------------------------------------------------------------

    private void simpleAttention() {
        n.section(1, "Simple attention");
        n.say("A query scores every key with a dot product, a softmax turns the scores into weights");
        n.say("that sum to 1, and the output is the weighted sum of the values. The tutorial's numbers:");
        Tensor query = Tensor.of(new double[] {0.1, 0.2, 0.3}, 3);
        Tensor keys = Tensor.of(new double[][] {{0.4, 0.5, 0.6}, {0.7, 0.8, 0.9}});
        Tensor values = Tensor.of(new double[][] {{1.0, 1.1}, {1.2, 1.3}});
        n.show("query", query);
        n.show("keys", keys);
        n.show("values", values);
        AttentionResult r = new SimpleAttention().apply(query, keys, values, Mask.none());
        n.show("scores (keys . query)", keys.matmul(query));
        n.show("weights", r.weights());
        n.show("output", r.output());
        n.say("The second key lies closer to the query's direction (score 0.50 against 0.32), so it gets");
        n.say("the larger weight, and the output sits between the two values, nearer the second.");
    }

    // ---- 2 ----------------------------------------------------------------------------------

    private void scaledDotProductAttention() throws IOException {
        n.section(2, "Scaled dot-product attention and masks");
        n.say("Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V. Dot products of d_k random features");
        n.say("spread like sqrt(d_k); dividing by it keeps the softmax from saturating into a one-hot row.");
        ScaledDotProductAttention attention = new ScaledDotProductAttention();
        Tensor query = Tensor.random(7).normal(1, 256);
        Tensor keys = Tensor.random(8).normal(6, 256);
        n.say("One query over 6 keys, d_k = 256, random features:");
        n.show(
                "  weights unscaled",
                rounded(
                        new SimpleAttention()
                                .apply(query, keys, keys, Mask.none())
                                .weights(),
                        3));
        n.show(
                "  weights scaled  ",
                rounded(attention.apply(query, keys, keys, Mask.none()).weights(), 3));
        n.gap();
        paddingMask(attention);
        n.gap();
        causalMask(attention);
    }

    private void paddingMask(ScaledDotProductAttention attention) {
        n.say("Masks. Four tokens, \"the cat sat <pad>\": nobody should attend to the padding, and the");
        n.say("padding token itself has nothing to attend to. Mask.block(t) blocks where t is nonzero:");
        Tensor x = Tensor.random(2).normal(4, 8);
        Tensor blocked = Tensor.zeros(4, 4);
        for (int i = 0; i < 4; i++) {
            blocked.set(1.0, i, 3);
            blocked.set(1.0, 3, i);
        }
        n.show("blocked", blocked);
        AttentionResult exact = attention.apply(x, x, x, Mask.block(blocked));
        AttentionResult tutorial = attention.apply(x, x, x, Mask.bias(blocked.scale(-1e9)));
        n.show("weights with Mask.block(blocked)", exact.weights());
        n.show("weights with the tutorial's trick, scores + (-1e9 * blocked)", tutorial.weights());
        n.say("Rows 0-2 agree: exp(-1e9) underflows to exactly 0 in double precision, so the padded key");
        n.say("gets weight 0 either way. Row 3 differs: when every key of a row is blocked, adding -1e9");
        n.say("to all of them changes nothing after the softmax subtracts the row's maximum, so the");
        n.say("padding token attends to everything, padding included. Mask.block gives that row weights");
        n.say("0, output 0 and logSumExp -inf; the tutorial's own softmax, exp(s) / sum(exp(s)) as written,");
        n.say("gives %s there (0 / 0).", Arrays.toString(tutorialSoftmax(rowPlus(x, 3, -1e9))));
        n.show("output row 3 with Mask.block", exact.output().select(0, 3));
        n.show("logSumExp with Mask.block", exact.logSumExp());
        Tensor logits = Tensor.of(new double[] {1000, 1001}, 2);
        n.say(
                "Large scores overflow it too: for %s it gives %s (inf / inf), while Heed",
                logits, Arrays.toString(tutorialSoftmax(logits.toArray())));
        n.say("subtracts the row maximum first and gives %s.", logits.softmax(-1));
    }

    private void causalMask(ScaledDotProductAttention attention) throws IOException {
        n.say("Mask.causal(): token i may attend to tokens 0..i only, as when generating text.");
        List<String> sentence = List.of("the", "cat", "sat", "on", "the", "mat");
        Tensor y = Tensor.random(3).normal(6, 8);
        AttentionResult causal = attention.apply(y, y, y, Mask.causal());
        n.show("causal weights (rounded)", rounded(causal.weights(), 3));
        n.picture(
                "02-causal-mask",
                Heatmap.of(causal.weights())
                        .labels(sentence)
                        .range(0, 1)
                        .annotate(2)
                        .title("Scaled dot-product attention with a causal mask"),
                "a lower triangle: nothing above the diagonal, and the first token puts all its weight on itself.");
    }

    /** Row {@code i} of the self-attention scores {@code x xᵀ / sqrt(d)}, plus {@code shift} on every key. */
    private static double[] rowPlus(Tensor x, int i, double shift) {
        Tensor scores = x.matmul(x.select(0, i)).scale(1 / Math.sqrt(x.shape(1)));
        return scores.add(shift).toArray();
    }

    /** The tutorial's softmax exactly as written: {@code exp(s) / sum(exp(s))}, without subtracting the maximum. */
    private static double[] tutorialSoftmax(double[] scores) {
        double sum = 0;
        for (double s : scores) {
            sum += Math.exp(s);
        }
        double[] weights = new double[scores.length];
        for (int j = 0; j < scores.length; j++) {
            weights[j] = Math.exp(scores[j]) / sum;
        }
        return weights;
    }

    // ---- 3 ----------------------------------------------------------------------------------

    private void multiHeadAttention() {
        n.section(3, "Multi-head attention: splitting into heads");
        n.say("Project x to queries, keys and values, split the features into H heads, attend in each");
        n.say("head separately, merge the heads back side by side, and project the result. E = 8, H = 2:");
        MultiHeadAttention mha = MultiHeadAttention.builder(8, 2).seed(42).build();
        Tensor x = Tensor.random(4).normal(1, 4, 8);
        Tensor q = project(x, mha.queryWeight(), mha.queryBias());
        Tensor k = project(x, mha.keyWeight(), mha.keyBias());
        Tensor v = project(x, mha.valueWeight(), mha.valueBias());
        Tensor qHeads = mha.splitHeads(q);
        AttentionResult heads = mha.kernel().apply(qHeads, mha.splitHeads(k), mha.splitHeads(v), Mask.none());
        Tensor merged = mha.mergeHeads(heads.output());
        Tensor output = project(merged, mha.outputWeight(), mha.outputBias());
        n.say("  x                          %s   [batch, tokens, features]", shape(x));
        n.say("  q = x Wq^T + bq            %s", shape(q));
        n.say(
                "  splitHeads(q)              %s   [batch, heads, tokens, E/H]; a view: %s",
                shape(qHeads), qHeads.data() == q.data() ? "it shares q's data" : "a copy");
        n.say("  attention in each head     %s   weights %s", shape(heads.output()), shape(heads.weights()));
        n.say("  mergeHeads(...)            %s", shape(merged));
        n.say("  merged Wo^T + bo           %s", shape(output));
        AttentionResult forward = mha.forward(x);
        n.say(
                "Step by step equals mha.forward(x): %s (largest difference %.1e).",
                output.allClose(forward.output(), 1e-12, 1e-12), maxAbsDifference(output, forward.output()));
        n.show("per-head weights [1, 2, 4, 4] (rounded)", rounded(forward.weights(), 3));
        n.say("Each head has its own 4 x 4 map, every row summing to 1. The tutorial multiplies the split");
        n.say("heads by the output matrix without merging them first; here mergeHeads comes first.");
    }

    private static Tensor project(Tensor x, Tensor weight, Tensor bias) {
        Tensor y = x.matmul(weight.transpose(0, 1));
        return bias == null ? y : y.add(bias);
    }

    // ---- 4 ----------------------------------------------------------------------------------

    private void positionalEncoding() throws IOException {
        n.section(4, "Sinusoidal positional encoding");
        n.say("Attention itself ignores order, so each position p gets a vector added: sin(p w_i) in even");
        n.say("features and cos(p w_i) in odd ones, the frequencies w_i falling from 1 to 1/10000.");
        int length = 32;
        int width = 64;
        Tensor table = SinusoidalEncoding.table(length, width);
        n.show(
                "SinusoidalEncoding.table(32, 64), positions 0-3, features 0-5",
                table.slice(0, 0, 4).slice(1, 0, 6));
        n.picture(
                "04-positional-encoding",
                Heatmap.of(table)
                        .range(-1, 1)
                        .title("Sinusoidal encoding: 32 positions (rows) × 64 features (columns)"),
                "stripes that alternate fast in the left columns and barely change in the right ones: every row a distinct code.");
        // Every encoding has squared length width/2 (one sin² + cos² per pair), so this is the cosine similarity.
        Tensor similarity = table.matmul(table.transpose(0, 1)).scale(2.0 / width);
        n.show(
                "cosine similarity of position 10 to positions 6..14",
                rounded(similarity.select(0, 10).slice(0, 6, 15), 3));
        n.say("Neighbours are most alike, and the similarity depends only on the distance:");
        n.say(
                "  sim(3, 5) = %.6f   sim(20, 22) = %.6f   sim(0, 2) = %.6f",
                similarity.get(3, 5), similarity.get(20, 22), similarity.get(0, 2));
        n.picture(
                "04-position-similarity",
                Heatmap.of(similarity).autoRange().title("Cosine similarity of positional encodings"),
                "a bright diagonal band of even width: each position is most like itself, then its neighbours.");
    }

    // ---- 5 ----------------------------------------------------------------------------------

    // ---- 7 ----------------------------------------------------------------------------------

    private Tensor transformerSelfAttention() throws IOException {
        n.section(7, "Transformer self-attention");
        n.say("Every token attends to every token of the same sequence, in all heads at once;");
        n.say("MultiHeadAttention.forward(x, Mask.causal()) lets each see only itself and the past.");
        n.say("First with hand-set weights, to show what heads can do: the inputs are the encodings of");
        n.say("the positions alone, and the weights are built so that heads 0, 1, 2 look 0, 1, 2 tokens");
        n.say("back and head 3 looks at the first token.");
        List<String> tokens = List.of("the", "cat", "sat", "on", "the", "mat", "because", "it", "was", "tired");
        Tensor x = SinusoidalEncoding.table(tokens.size(), Handmade.HEADS_EMBED);
        AttentionResult r = Handmade.positionalHeads().forward(x, Mask.causal());
        Tensor weights = r.weights();
        n.say("x %s -> output %s, weights %s [heads, queries, keys]", shape(x), shape(r.output()), shape(weights));
        n.show("head 1 weights (rounded)", rounded(weights.select(0, 1), 2));
        for (int h = 0; h < Handmade.HEADS; h++) {
            int last = tokens.size() - 1;
            int key = argmax(weights.select(0, h).select(0, last));
            n.say(
                    "  head %d: \"%s\" looks at \"%s\" (position %d) with weight %.3f",
                    h, tokens.get(last), tokens.get(key), key, weights.get(h, last, key));
        }
        n.picture(
                "07-causal-heads",
                HeadGrid.of(weights)
                        .labels(tokens)
                        .range(0, 1)
                        .title("Hand-set causal heads that look 0, 1, 2 tokens back and at the start"),
                "four lower triangles, empty above the diagonal: the diagonal, the diagonal one and two places "
                        + "left, and the first column.");
        n.gap();
        trained.inductionHead();
        return weights;
    }

    // ---- 8 ----------------------------------------------------------------------------------

    private void metrics(Tensor heads) {
        n.section(8, "Metrics");
        int[] truth = {1, 0, 1, 1, 0};
        int[] predicted = {1, 0, 1, 0, 0};
        n.say(
                "accuracy(%s, %s) = %.2f   (4 of 5 right)",
                Arrays.toString(truth), Arrays.toString(predicted), Metrics.accuracy(truth, predicted));
        n.gap();
        n.say("Five attention rows over 10 keys, from spread to sharp: softmax(b * s) with scores");
        n.say("s_j = -|j - 3| and b = 0, 0.5, 1, 2, 8.");
        double[] sharpness = {0, 0.5, 1, 2, 8};
        Tensor rows = gradedRows(sharpness, 10, 3);
        n.show("weights (rounded)", rounded(rows, 3));
        Tensor entropy = Metrics.entropy(rows);
        Tensor normalized = Metrics.normalizedEntropy(rows);
        Tensor concentration = Metrics.concentration(rows);
        Tensor top3 = Metrics.topKMass(rows, 3);
        n.say("  b      entropy  normalized  concentration  top-3 mass");
        for (int i = 0; i < sharpness.length; i++) {
            n.say(
                    "  %-4s   %.4f   %.4f      %.4f         %.4f",
                    sharpness[i], entropy.get(i), normalized.get(i), concentration.get(i), top3.get(i));
        }
        n.say("Entropy (nats) falls from ln 10 = %.4f for a uniform row towards 0 for a one-hot row;", Math.log(10));
        n.say("normalized entropy divides by ln S to give [0, 1]; concentration is the largest weight;");
        n.say("top-k mass is what the k favourite keys take.");
        Metrics.Evaluation evaluation = Metrics.evaluate(truth, predicted, rows);
        n.say(
                "Metrics.evaluate: accuracy %.2f, mean entropy %.4f, mean concentration %.4f",
                evaluation.accuracy(), evaluation.meanEntropy(), evaluation.meanConcentration());
        n.gap();
        n.say("The heads of section 7, per head (mean over queries):");
        Tensor distance = Metrics.headMeanAttentionDistance(heads);
        Tensor headEntropy = Metrics.normalizedEntropy(heads).mean(-1);
        Tensor headConcentration = Metrics.concentration(heads).mean(-1);
        n.say("  head   mean distance  normalized entropy  concentration");
        for (int h = 0; h < heads.shape(0); h++) {
            n.say(
                    "  %d      %.3f          %.4f              %.4f",
                    h, distance.get(h), headEntropy.get(h), headConcentration.get(h));
        }
        n.say("Mean attention distance tells the heads apart: about 0, 1 and 2 tokens for the look-back");
        n.say("heads (less where the sentence has no token that far back) and 4.5 for the first-token head.");
    }

    /** Row {@code i}: softmax of {@code sharpness[i]·(−|j − peak|)} over {@code keys} keys. */
    private static Tensor gradedRows(double[] sharpness, int keys, int peak) {
        Tensor scores = Tensor.zeros(sharpness.length, keys);
        for (int i = 0; i < sharpness.length; i++) {
            for (int j = 0; j < keys; j++) {
                scores.set(-sharpness[i] * Math.abs(j - peak), i, j);
            }
        }
        return scores.softmax(-1);
    }

    // ---- 9 ----------------------------------------------------------------------------------

    private void heatmaps() throws IOException {
        n.section(9, "Heatmaps");
        n.say("dev.heed.viz draws weights [queries, keys] as heatmaps, PNG or SVG, with no display:");
        n.say("  Heatmap.of(weights).labels(tokens).writePng(path)                      self-attention");
        n.say("  Heatmap.of(w).rowLabels(target).columnLabels(source).writeSvg(path)    cross-attention");
        n.say("  HeadGrid.of(mha.forward(x, mask).weights()).labels(tokens)             one panel per head");
        n.say("Queries run down, keys across; the colours are viridis, dark purple 0 to yellow 1.");
        List<String> tokens = List.of("The", "cat", "sat", "on", "mat");
        Tensor x = SinusoidalEncoding.table(tokens.size(), Handmade.HEADS_EMBED);
        Tensor mean =
                Handmade.positionalHeads().forward(x, Mask.causal()).weights().mean(0);
        n.picture(
                "09-self-attention",
                Heatmap.of(mean)
                        .labels(tokens)
                        .range(0, 1)
                        .annotate(2)
                        .title("Self-attention over \"The cat sat on mat\", mean of the four heads"),
                "the tutorial's sentence, weights written in the cells: the first column and the diagonals of the "
                        + "heads, averaged.");
        n.say("Trained weights: 05-review-* (pooling), 06-alignment-luong-general (cross-attention),");
        n.say("07-induction-* (self-attention). Random or hand-set: 02-causal-mask, 04-* (encoding),");
        n.say("06-alignment-bahdanau-hand-set, 07-causal-heads (a head grid), 09-self-attention and, below,");
        n.say("11-word-importance. Each is written as .png and .svg in %s; the SVGs show each", n.directory());
        n.say("cell's weight when the pointer rests on it.");
    }

    // ---- 10 ---------------------------------------------------------------------------------

    private void chunkedAttention() {
        n.section(10, "Chunked attention on a long sequence");
        int length = LONG_LENGTH;
        int depth = LONG_DEPTH;
        n.say(
                "Causal self-attention over %,d tokens of width %d. A materialised kernel holds all L x S",
                length, depth);
        n.say("scores; ChunkedAttention walks tiles of queries and keys with an online softmax, holding one");
        n.say("tile at a time, and skips the tiles the causal mask blocks entirely.");
        Tensor q = Tensor.random(10).normal(length, depth);
        Tensor k = Tensor.random(11).normal(length, depth);
        Tensor v = Tensor.random(12).normal(length, depth);
        ChunkedAttention chunked = new ChunkedAttention();
        ScaledDotProductAttention full = new ScaledDotProductAttention();

        // The first P rows of a causal result only see the first P tokens: compare on that prefix.
        int p = CHECKED_PREFIX;
        AttentionResult prefixFull = full.apply(prefix(q, p), prefix(k, p), prefix(v, p), Mask.causal());
        AttentionResult prefixChunked = chunked.apply(prefix(q, p), prefix(k, p), prefix(v, p), Mask.causal());
        n.say(
                "First %,d tokens, chunked vs ScaledDotProductAttention: largest difference %.1e",
                p, maxAbsDifference(prefixChunked.output(), prefixFull.output()));

        long start = System.nanoTime();
        AttentionResult r = chunked.apply(q, k, v, Mask.causal());
        double seconds = (System.nanoTime() - start) / 1e9;
        double flops = 4.0 * length * (length + 1) / 2 * depth;
        n.say(
                "All %,d tokens: output %s in %.0f ms (%.1f GFLOP/s on the %.1f GFLOP a causal pass costs)",
                length, shape(r.output()), seconds * 1e3, flops / seconds / 1e9, flops / 1e9);
        n.say(
                "  its first %,d rows vs the prefix above: largest difference %.1e",
                p, maxAbsDifference(prefix(r.output(), p), prefixFull.output()));
        checkSampledRows(q, k, v, r.output());
        sayMemory(chunked, length, depth);
    }

    /** Compares a few late rows of a causal output with one query attending to the keys up to its own position. */
    private void checkSampledRows(Tensor q, Tensor k, Tensor v, Tensor output) {
        ScaledDotProductAttention full = new ScaledDotProductAttention();
        int length = q.shape(0);
        for (int row : new int[] {length / 4 - 1, length / 2 + 17, length - 1}) {
            // Query `row` sees keys 0..row: one query over that prefix, with no mask, is the same row.
            AttentionResult one =
                    full.apply(q.slice(0, row, row + 1), prefix(k, row + 1), prefix(v, row + 1), Mask.none());
            n.say(
                    "  row %,5d vs one query over keys 0..%,d: largest difference %.1e",
                    row, row, maxAbsDifference(output.slice(0, row, row + 1), one.output()));
        }
    }

    private void sayMemory(ChunkedAttention chunked, int length, int depth) {
        long scoreBytes = (long) length * length * Double.BYTES;
        long tileBytes = (long) chunked.queryChunk() * chunked.keyChunk() * Double.BYTES;
        long accumulatorBytes = (long) chunked.queryChunk() * depth * Double.BYTES;
        long outputBytes = (long) length * depth * Double.BYTES;
        n.say("Memory:");
        n.say(
                "  materialised: %,d x %,d scores = %s (the weights as many again if kept)",
                length, length, bytes(scoreBytes));
        n.say(
                "  chunked: a %d x %d score tile (%s) and a %d x %d accumulator (%s) per worker thread",
                chunked.queryChunk(),
                chunked.keyChunk(),
                bytes(tileBytes),
                chunked.queryChunk(),
                depth,
                bytes(accumulatorBytes));
        n.say("  both return the output, %,d x %d = %s, and one logSumExp per row", length, depth, bytes(outputBytes));
        n.say(
                "The tutorial's chunked_attention tiles only the queries: 128 x %,d scores (%s) per chunk.",
                length, bytes(128L * length * Double.BYTES));
        n.say(
                "(Weights are not kept: r.weights() would recompute all %s of them from the logSumExp.)",
                bytes(scoreBytes));
    }

    private static Tensor prefix(Tensor t, int length) {
        return t.slice(0, 0, length);
    }

    private static String bytes(long n) {
        if (n >= 1 << 20) {
            return String.format(Locale.ROOT, "%,.0f MiB", n / (double) (1 << 20));
        }
        return String.format(Locale.ROOT, "%,.0f KiB", n / 1024.0);
    }

    // ---- 11 ---------------------------------------------------------------------------------

    private void documentSummarisation() throws IOException {
        n.section(11, "Document summarisation: hierarchical attention");
        n.say("Word-level attention pools each sentence into a vector, sentence-level attention pools");
        n.say("the sentences into the document; the sentence weights rank sentences for a summary.");
        n.say("Embeddings are set by hand: content words carry weight, and lean on topic (attention) or");
        n.say("off it (lunch, weather). A sixth sentence slot is padding.");
        Lexicon lexicon = Handmade.DOCUMENT;
        String[] sentences = {
            "attention weighs inputs",
            "we had lunch by a river",
            "each query scores keys",
            "the weather was nice",
            "softmax makes weights",
            ""
        };
        int slots = 6;
        int[][] document = ids(lexicon, sentences, slots);
        int[] wordCounts = wordCounts(sentences);
        HierarchicalAttention model = Handmade.summariser(lexicon);
        HierarchicalAttention.Result r = model.forward(document, wordCounts);
        n.say(
                "document: %d sentences x %d word slots, word counts %s",
                sentences.length, slots, Arrays.toString(wordCounts));
        n.show("sentence weights (rounded)", rounded(r.sentenceWeights(), 3));
        for (int s = 0; s < sentences.length; s++) {
            Tensor words = r.wordWeights().select(0, s);
            String top = wordCounts[s] == 0 ? "-" : lexicon.word(document[s][argmax(words)]);
            n.say(
                    "  %d  %.3f  %-25s top word: %s",
                    s + 1, r.sentenceWeights().get(s), sentences[s].isEmpty() ? "(padding)" : sentences[s], top);
        }
        n.say(
                "The padding sentence weighs exactly %s; the off-topic ones little but more than 0.",
                r.sentenceWeights().get(sentences.length - 1));
        int[] summary = r.topSentences(0, 3);
        n.say("Summary, the 3 most important sentences in document order:");
        for (int s : summary) {
            n.say("  %s.", sentences[s]);
        }
        List<String> rowLabels = new ArrayList<>();
        for (String sentence : sentences) {
            rowLabels.add(sentence.isEmpty() ? "(padding)" : sentence);
        }
        List<String> columnLabels = new ArrayList<>();
        for (int w = 1; w <= slots; w++) {
            columnLabels.add("word " + w);
        }
        n.picture(
                "11-word-importance",
                Heatmap.of(r.wordWeights())
                        .rowLabels(rowLabels)
                        .columnLabels(columnLabels)
                        .annotate(2)
                        .title("Word importance within each sentence (rows)"),
                "in each sentence (a row) its content words lit, function words and padded slots dark, the padding "
                        + "sentence all dark.");
    }

    // ---- shared helpers ---------------------------------------------------------------------

    private static String kernelDescription() {
        Heed.KernelInfo kernels = Heed.kernels();
        return kernels.vectorApi()
                ? kernels.name() + " (Vector API)"
                : "scalar (add --add-modules jdk.incubator.vector for the Vector API ones)";
    }

    /** Values rounded to {@code decimals} places, so printed matrices stay narrow. */
    static Tensor rounded(Tensor t, int decimals) {
        double factor = Math.pow(10, decimals);
        return t.map(x -> Math.round(x * factor) / factor);
    }

    /** Token ids of each text, padded to {@code slots}. */
    private static int[][] ids(Lexicon lexicon, String[] texts, int slots) {
        int[][] ids = new int[texts.length][];
        for (int t = 0; t < texts.length; t++) {
            ids[t] = lexicon.ids(texts[t], slots);
        }
        return ids;
    }

    /** How many words each text has (its unpadded length). */
    private static int[] wordCounts(String[] texts) {
        int[] counts = new int[texts.length];
        for (int t = 0; t < texts.length; t++) {
            counts[t] = texts[t].isEmpty() ? 0 : texts[t].split(" ").length;
        }
        return counts;
    }

    private static String shape(Tensor t) {
        return Arrays.toString(t.shape());
    }

    static int argmax(Tensor row) {
        return (int) row.argmax(-1).item();
    }

    private static double maxAbsDifference(Tensor a, Tensor b) {
        return a.sub(b).map(Math::abs).max();
    }
}
