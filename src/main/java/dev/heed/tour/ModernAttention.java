package dev.heed.tour;

import dev.heed.attention.AttentionResult;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.KeyValueCache;
import dev.heed.attention.Mask;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.metrics.Metrics;
import dev.heed.tensor.Tensor;
import dev.heed.viz.HeadGrid;
import dev.heed.viz.Heatmap;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The tour's section 12, the attention of today's decoders: ALiBi's distance bias over heads of
 * different slopes, a sliding window, grouped-query heads that share keys and values, and decoding
 * over a key/value cache checked step by step against the full causal forward. Everything printed
 * and drawn is computed here, from seeded inputs.
 */
final class ModernAttention {
    /** The section's number, after the tutorial's eleven. */
    static final int SECTION = 12;

    /** Tokens of the small pictures: long enough for a window and a decay to show, short enough to read. */
    static final int TOKENS = 16;

    /** Heads of the ALiBi picture: slopes 1/2, 1/4, … 1/256. */
    static final int ALIBI_HEADS = 8;

    /** Tokens each query sees in the window picture, itself included: {@code slidingWindow(WINDOW - 1, 0)}. */
    static final int WINDOW = 4;

    /** The window and sequence of WindowBenchmark, whose tiles the section counts. */
    static final int LONG_WINDOW = 256;

    static final int LONG_TOKENS = 16_384;

    /** Query and key/value heads of the grouped-query grid. */
    static final int QUERY_HEADS = 8;

    static final int KV_HEADS = 2;

    /** The sizes of the decoding steps: uneven on purpose, a prompt then single tokens and chunks. */
    static final int[] STEPS = {5, 1, 1, 3, 1, 7, 2, 4};

    /** Embedding size and heads of the decoding module. */
    static final int DECODE_EMBED = 32;

    static final int DECODE_HEADS = 4;

    private final Narrator n;

    ModernAttention(Narrator narrator) {
        this.n = narrator;
    }

    void walk() throws IOException {
        n.section(SECTION, "Modern attention: ALiBi, sliding windows, grouped queries, a KV cache");
        n.say("The decoders people load today (Llama, Mistral, Gemma, Qwen, Falcon, MPT) change the");
        n.say("attention of 2017 in a few ways: a distance bias instead of a position table (ALiBi), a");
        n.say("window that bounds how far back a token looks, query heads that share keys and values");
        n.say("(grouped-query attention), and decoding over a cache of keys and values. docs/modern-attention.md");
        n.say("has each with its PyTorch equivalent.");
        n.gap();
        alibi();
        n.gap();
        slidingWindow();
        n.gap();
        groupedQuery();
        n.gap();
        decoding();
    }

    // ---- ALiBi --------------------------------------------------------------------------------

    private void alibi() throws IOException {
        double[] slopes = Mask.alibiSlopes(ALIBI_HEADS);
        n.say("ALiBi. Mask.alibi(slopes) adds -slope_h * |i - j| to head h's scores: the further a key, the");
        n.say("lower its score, at a rate of its own per head. Mask.alibiSlopes(%d), the paper's slopes:", ALIBI_HEADS);
        n.say("  %s", Arrays.toString(slopes));
        n.say(
                "Causal self-attention over %d tokens, %d heads of random queries and keys (small, so the",
                TOKENS, ALIBI_HEADS);
        n.say("bias shows against the content):");
        Tensor q = Tensor.random(121).normal(ALIBI_HEADS, TOKENS, 16).scale(0.5);
        Tensor k = Tensor.random(122).normal(ALIBI_HEADS, TOKENS, 16).scale(0.5);
        Tensor v = Tensor.random(123).normal(ALIBI_HEADS, TOKENS, 16);
        Mask mask = Mask.causal().and(Mask.alibi(slopes));
        Tensor weights = new ScaledDotProductAttention().apply(q, k, v, mask).weights();
        Tensor distance = Metrics.headMeanAttentionDistance(weights);
        Tensor plain =
                new ScaledDotProductAttention().apply(q, k, v, Mask.causal()).weights();
        Tensor plainDistance = Metrics.headMeanAttentionDistance(plain);
        n.say("  head   slope        mean attention distance   (causal alone)");
        for (int h = 0; h < ALIBI_HEADS; h++) {
            n.say(
                    "  %d      %-11s  %.3f                     %.3f",
                    h, slopes[h], distance.get(h), plainDistance.get(h));
        }
        n.say("The steeper the slope, the closer a head looks: head 0 keeps to the last token or two, the");
        n.say("last heads are almost plain causal attention. Nothing is learned about positions, so the same");
        n.say("heads run on sequences longer than any seen in training (the paper's \"train short, test long\").");
        n.picture(
                "12-alibi-heads",
                HeadGrid.of(weights)
                        .labels(positions(TOKENS))
                        .range(0, 1)
                        .title("ALiBi: causal heads with slopes " + slopeList(slopes)),
                "eight lower triangles; in head 0 the weight hugs the diagonal, each next head's fades further to "
                        + "the left, the last ones spread over the whole past.");
    }

    private static String slopeList(double[] slopes) {
        List<String> parts = new ArrayList<>();
        for (double s : slopes) {
            parts.add("1/" + Math.round(1 / s));
        }
        return String.join(", ", parts);
    }

    // ---- sliding window -----------------------------------------------------------------------

    private void slidingWindow() throws IOException {
        n.say(
                "Sliding window. Mask.slidingWindow(%d, 0): each token sees itself and the %d before it",
                WINDOW - 1, WINDOW - 1);
        n.say("(Mistral's local attention, FlashAttention's window_size), a causal band of width %d:", WINDOW);
        Tensor x = Tensor.random(124).normal(TOKENS, 16);
        Tensor weights = new ScaledDotProductAttention()
                .apply(x, x, x, Mask.slidingWindow(WINDOW - 1, 0))
                .weights();
        double outside = 0;
        double rowSumError = 0;
        for (int i = 0; i < TOKENS; i++) {
            double sum = 0;
            for (int j = 0; j < TOKENS; j++) {
                double w = weights.get(i, j);
                sum += w;
                if (j > i || j < i - (WINDOW - 1)) {
                    outside = Math.max(outside, w);
                }
            }
            rowSumError = Math.max(rowSumError, Math.abs(sum - 1));
        }
        n.say("  largest weight outside the band: %s; every row sums to 1 within %.1e", outside, rowSumError);
        n.picture(
                "12-sliding-window",
                Heatmap.of(weights)
                        .labels(positions(TOKENS))
                        .range(0, 1)
                        .title("Sliding window of " + WINDOW + " tokens: Mask.slidingWindow(" + (WINDOW - 1) + ", 0)"),
                "a diagonal band " + WINDOW + " cells wide, dark everywhere else: the first rows are causal, "
                        + "later ones forget what fell out of the window.");
        ChunkedAttention chunked = new ChunkedAttention();
        int queryTile = chunked.queryChunk();
        int keyTile = chunked.keyChunk();
        long windowTiles = tilesTouched(LONG_TOKENS, queryTile, keyTile, LONG_WINDOW - 1);
        long causalTiles = tilesTouched(LONG_TOKENS, queryTile, keyTile, LONG_TOKENS);
        n.say(
                "ChunkedAttention skips the tiles outside the band. At %,d tokens in tiles of %d x %d, a %d-token",
                LONG_TOKENS, queryTile, keyTile, LONG_WINDOW);
        n.say(
                "window touches %,d tiles, causal attention %,d: 1/%.0f of the work (WindowBenchmark measures it).",
                windowTiles, causalTiles, (double) causalTiles / windowTiles);
    }

    /**
     * Tiles of {@code queryTile × keyTile} that hold a pair with {@code i - left <= j <= i}, over
     * {@code tokens} queries and keys: the tiles a kernel that skips the others multiplies.
     */
    static long tilesTouched(int tokens, int queryTile, int keyTile, int left) {
        long count = 0;
        for (int q0 = 0; q0 < tokens; q0 += queryTile) {
            int q1 = Math.min(tokens, q0 + queryTile) - 1;
            int firstKey = Math.max(0, q0 - left);
            // Key tiles from the one holding the first query's first key to the one holding the last query.
            count += q1 / keyTile - firstKey / keyTile + 1;
        }
        return count;
    }

    // ---- grouped-query attention --------------------------------------------------------------

    private void groupedQuery() throws IOException {
        int group = QUERY_HEADS / KV_HEADS;
        n.say(
                "Grouped-query attention. Query [%d, L, d] over key and value [%d, L, d]: no option, the",
                QUERY_HEADS, KV_HEADS);
        n.say("head axis of key and value divides the query's, so query head h reads key/value head");
        n.say(
                "h / %d. Heads 0-%d share key/value head 0, heads %d-%d share head 1. In a trained model the",
                group, group - 1, group, QUERY_HEADS - 1);
        n.say("queries of a group learn to read their shared keys; here each is its group's query plus a");
        n.say("small deviation of its own, and each key/value head has keys of its own.");
        int tokens = 12;
        int depth = 16;
        Tensor groupQuery = Tensor.random(125).normal(KV_HEADS, 1, tokens, depth);
        Tensor deviation =
                Tensor.random(126).normal(KV_HEADS, group, tokens, depth).scale(0.3);
        Tensor q = groupQuery
                .broadcastTo(KV_HEADS, group, tokens, depth)
                .add(deviation)
                .reshape(QUERY_HEADS, tokens, depth);
        Tensor k = Tensor.random(127).normal(KV_HEADS, tokens, depth).scale(1.5);
        Tensor v = Tensor.random(128).normal(KV_HEADS, tokens, depth);
        ScaledDotProductAttention attention = new ScaledDotProductAttention();
        AttentionResult grouped = attention.apply(q, k, v, Mask.causal());
        Tensor weights = grouped.weights();
        AttentionResult repeated = attention.apply(q, repeatHeads(k, group), repeatHeads(v, group), Mask.causal());
        n.say(
                "  weights %s; equal bit for bit to plain attention over each key/value head repeated %d times: %s",
                shape(weights),
                group,
                Arrays.equals(grouped.output().toArray(), repeated.output().toArray())
                        && Arrays.equals(weights.toArray(), repeated.weights().toArray()));
        double within = 0;
        double across = 0;
        int withinPairs = 0;
        int acrossPairs = 0;
        for (int a = 0; a < QUERY_HEADS; a++) {
            for (int b = a + 1; b < QUERY_HEADS; b++) {
                double d = meanAbsDifference(weights.select(0, a), weights.select(0, b));
                if (a / group == b / group) {
                    within += d;
                    withinPairs++;
                } else {
                    across += d;
                    acrossPairs++;
                }
            }
        }
        n.say(
                "  mean |w_a - w_b| between two heads: %.4f when they share a key/value head, %.4f when not",
                within / withinPairs, across / acrossPairs);
        n.say(
                "A key/value cache for this layer holds %d heads instead of %d: 1/%d of the memory of plain",
                KV_HEADS, QUERY_HEADS, group);
        n.say("multi-head attention, and the kernels read the shared heads in place, never copying them.");
        n.picture(
                "12-grouped-query-heads",
                HeadGrid.of(weights)
                        .labels(positions(tokens))
                        .range(0, 1)
                        .columns(group)
                        .title("Grouped queries: heads 0-" + (group - 1) + " share KV head 0, heads " + group + "-"
                                + (QUERY_HEADS - 1) + " share KV head 1"),
                "two rows of four causal heads: within a row the four maps light the same cells, the two rows "
                        + "differ from each other.");
    }

    /** {@code t [H, S, d]} with each head repeated {@code times} times in place: {@code [H·times, S, d]}, a copy. */
    private static Tensor repeatHeads(Tensor t, int times) {
        int[] s = t.shape();
        return t.unsqueeze(1).broadcastTo(s[0], times, s[1], s[2]).copy().reshape(s[0] * times, s[1], s[2]);
    }

    private static double meanAbsDifference(Tensor a, Tensor b) {
        return a.sub(b).map(Math::abs).mean();
    }

    // ---- decoding with a cache ----------------------------------------------------------------

    private void decoding() {
        int total = Arrays.stream(STEPS).sum();
        n.say("Decoding with a key/value cache. A decoder generates a token at a time; each step projects");
        n.say("only its new tokens, appends their keys and values to the cache and attends to everything");
        n.say(
                "cached. MultiHeadAttention(%d, %d), %d tokens fed in steps of %s:",
                DECODE_EMBED, DECODE_HEADS, total, Arrays.toString(STEPS));
        MultiHeadAttention mha =
                MultiHeadAttention.builder(DECODE_EMBED, DECODE_HEADS).seed(12).build();
        Tensor x = Tensor.random(129).normal(1, total, DECODE_EMBED);
        AttentionResult full = mha.forward(x, Mask.causal());
        KeyValueCache cache = mha.newCache();
        n.say("  step  tokens   cached  capacity  bytes   max |diff| vs mha.forward(x, Mask.causal())");
        double worst = 0;
        int start = 0;
        for (int s = 0; s < STEPS.length; s++) {
            int end = start + STEPS[s];
            AttentionResult step = mha.forward(x.slice(1, start, end), cache);
            // The step's rows of the full pass: its queries over the keys up to its last token.
            Tensor expectedOutput = full.output().slice(1, start, end);
            Tensor expectedWeights = full.weights().slice(2, start, end).slice(3, 0, end);
            double diff = Math.max(
                    maxAbsDifference(step.output(), expectedOutput), maxAbsDifference(step.weights(), expectedWeights));
            worst = Math.max(worst, diff);
            n.say(
                    "  %d     %2d..%-2d   %3d     %3d       %,6d  %.1e",
                    s + 1, start, end - 1, cache.length(), cache.capacity(), cache.bytes(), diff);
            start = end;
        }
        n.say("Every step equals the full causal forward: largest difference %.1e (outputs and weights).", worst);
        n.say("The cache grows by doubling, so it copies fewer than 2n token rows for n tokens, and holds");
        n.say(
                "2 x B x n x E doubles: %s for these %d tokens, %s for 32,768 tokens at E = 512 (one layer).",
                bytes(KeyValueCache.bytesFor(1, total, DECODE_EMBED)),
                total,
                bytes(KeyValueCache.bytesFor(1, 32_768, 512)));
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static List<String> positions(int tokens) {
        List<String> labels = new ArrayList<>(tokens);
        for (int i = 0; i < tokens; i++) {
            labels.add(Integer.toString(i));
        }
        return labels;
    }

    private static String shape(Tensor t) {
        return Arrays.toString(t.shape());
    }

    private static double maxAbsDifference(Tensor a, Tensor b) {
        return a.sub(b).map(Math::abs).max();
    }

    private static String bytes(long count) {
        if (count >= 1 << 20) {
            return String.format(Locale.ROOT, "%,.0f MiB", count / (double) (1 << 20));
        }
        return String.format(Locale.ROOT, "%,.1f KiB", count / 1024.0);
    }
}
