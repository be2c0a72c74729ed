package dev.heed.attention;

import static dev.heed.attention.GroupedQueryAttentionModuleTest.layer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.AttentionChecks.Kernel;
import dev.heed.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Decoding with {@link GroupedQueryAttention#forward(Tensor, KeyValueCache)}: token by token and in
 * uneven chunks, in every kernel, with and without a sliding window, each step equals the rows of the full
 * causal (or windowed) forward to 1e-12; the cache holds keys after rotation, drops what a window can no
 * longer see, and stays bounded.
 */
class GroupedQueryAttentionCacheTest {
    private static final double TOL = 1e-12;

    /**
     * Feeds {@code x} to a new cache in the given chunks and checks each step's output, weights and
     * logSumExp against the rows (and, for the weights, the held keys' columns) of the full forward.
     */
    static KeyValueCache decodeAndCheck(String context, GroupedQueryAttention gqa, Tensor x, int... chunks) {
        boolean unbatched = x.rank() == 2;
        int seq = unbatched ? 0 : 1;
        int length = x.shape(seq);
        AttentionResult full = gqa.forward(x);
        KeyValueCache cache = gqa.newCache();
        int n = 0;
        for (int step = 0; n < length; step++) {
            int t = Math.min(chunks[step % chunks.length], length - n);
            AttentionResult r = gqa.forward(x.slice(seq, n, n + t), cache);
            String where = context + ", step " + step + " (tokens " + n + ".." + (n + t) + ")";
            int held = cache.length();
            assertThat(cache.position()).as(where).isEqualTo(n + t);
            Tensor out = full.output().slice(seq, n, n + t);
            AttentionChecks.assertClose(where + ": output", out.toArray(), out.shape(), r.output(), TOL);
            Tensor lse = full.logSumExp().slice(-1, n, n + t);
            AttentionChecks.assertClose(where + ": lse", lse.toArray(), lse.shape(), r.logSumExp(), TOL);
            // The held keys are the last `held` tokens; a window gives every earlier key weight 0.
            Tensor rows = full.weights().slice(-2, n, n + t);
            Tensor w = rows.slice(-1, n + t - held, n + t);
            AttentionChecks.assertClose(where + ": weights", w.toArray(), w.shape(), r.weights(), TOL);
            if (n + t > held) {
                assertThat(rows.slice(-1, 0, n + t - held).max())
                        .as(where + ": dropped keys unseen")
                        .isZero();
            }
            n += t;
        }
        return cache;
    }

    @ParameterizedTest(name = "E={0} Hq={1} Hkv={2} d={3} rot={4} window={5} T={6} B={7} biases={8}")
    @CsvSource({
        "8, 2, 2, 4, 4, 0, 13, 1, 0",
        "12, 4, 1, 4, 4, 0, 13, 2, 7",
        "16, 8, 2, 4, 2, 0, 30, 1, 15",
        "12, 4, 2, 3, 2, 4, 23, 2, 1",
        "8, 4, 2, 2, 2, 1, 9, 1, 8",
        "10, 6, 3, 2, 2, 5, 70, 1, 15"
    })
    void tokenByTokenAndUnevenChunksEqualTheFullForwardInEveryKernel(
            int e, int hq, int hkv, int d, int rot, int window, int t, int batch, int biases) {
        Tensor x = Tensor.random(e + t).normal(batch, t, e);
        for (Kernel kernel : AttentionChecks.fewKernels()) {
            GroupedQueryAttention gqa = layer(e, hq, hkv, d, rot, window, biases, kernel.attention(), 70 + t);
            String where = kernel.toString();
            decodeAndCheck(where + ", token by token", gqa, x, 1);
            decodeAndCheck(where + ", chunks 3,1,5,2", gqa, x, 3, 1, 5, 2);
            decodeAndCheck(where + ", prompt then tokens", gqa, x, t / 2 + 1, 1);
            decodeAndCheck(where + ", all at once", gqa, x, t);
            decodeAndCheck(where + ", unbatched", gqa, x.select(0, batch - 1), 2, 1);
        }
    }

    @Test
    void aChunkedKernelDecodesLikeTheFullOne() {
        Tensor x = Tensor.random(3).normal(2, 40, 16);
        GroupedQueryAttention full = layer(16, 8, 2, 4, 4, 9, 15, new ScaledDotProductAttention(), 5);
        GroupedQueryAttention chunked = layer(16, 8, 2, 4, 4, 9, 15, new ChunkedAttention(3, 2), 5);
        KeyValueCache a = full.newCache();
        KeyValueCache b = chunked.newCache();
        int[] chunks = {5, 1, 1, 7, 2, 13, 1, 10};
        int n = 0;
        for (int c : chunks) {
            Tensor step = x.slice(1, n, n + c);
            Tensor expected = full.forward(step, a).output();
            AttentionChecks.assertClose(
                    "step at " + n,
                    expected.toArray(),
                    expected.shape(),
                    chunked.forward(step, b).output(),
                    TOL);
            n += c;
        }
        AttentionChecks.assertBitwise("the same keys cached", a.keys(), b.keys());
    }

    @Test
    void theCacheHoldsTheRotatedKeysAndTheValuesOfTheLastTokensTheWindowReaches() {
        GroupedQueryAttention gqa = layer(12, 4, 2, 3, 2, 5, 0b0110, new ScaledDotProductAttention(), 9);
        Tensor x = Tensor.random(10).normal(1, 30, 12);
        KeyValueCache cache = gqa.newCache();
        for (int t = 0; t < 30; t++) {
            gqa.forward(x.slice(1, t, t + 1), cache);
        }
        // After a step the cache holds the window's W - 1 = 4 earlier tokens and the step's own.
        assertThat(cache.length()).isEqualTo(5);
        assertThat(cache.position()).isEqualTo(30);
        Tensor k = x.matmul(gqa.parameters().get("k_proj.weight").transpose(0, 1))
                .add(gqa.parameters().get("k_proj.bias"))
                .reshape(1, 30, 2, 3)
                .permute(0, 2, 1, 3);
        Tensor rotated = gqa.rotary().apply(k, 0).slice(2, 25, 30);
        AttentionChecks.assertClose("keys", rotated.toArray(), rotated.shape(), cache.keys(), TOL);
        Tensor v = x.matmul(gqa.parameters().get("v_proj.weight").transpose(0, 1))
                .add(gqa.parameters().get("v_proj.bias"))
                .reshape(1, 30, 2, 3)
                .permute(0, 2, 1, 3)
                .slice(2, 25, 30);
        AttentionChecks.assertClose("values", v.toArray(), v.shape(), cache.values(), TOL);
        assertThat(cache.toString()).contains("[1, 2, 5, 3]");
    }

    @Test
    void aWindowKeepsTheMemoryBoundedWhileTheFullCacheGrows() {
        int window = 8;
        GroupedQueryAttention windowed = layer(8, 4, 2, 2, 2, window, 0, new ChunkedAttention(), 2);
        GroupedQueryAttention causal = layer(8, 4, 2, 2, 2, 0, 0, new ChunkedAttention(), 2);
        Tensor x = Tensor.random(2).normal(1, 600, 8);
        KeyValueCache bounded = windowed.newCache();
        KeyValueCache growing = causal.newCache();
        int maxCapacity = 0;
        int arrays = 0;
        double[] previous = null;
        for (int t = 0; t < 600; t++) {
            windowed.forward(x.slice(1, t, t + 1), bounded);
            causal.forward(x.slice(1, t, t + 1), growing);
            maxCapacity = Math.max(maxCapacity, bounded.capacity());
            // The values compact in place; the keys move to a new array at each compaction, since the
            // lazy weights of earlier steps read the old one in place.
            if (bounded.valueView().data() != previous) {
                arrays++;
                previous = bounded.valueView().data();
            }
        }
        // At most max(16, 4 (W - 1 + T)) tokens; here the first 16 rows suffice, compacted in place.
        assertThat(maxCapacity).isEqualTo(16);
        assertThat(arrays).isEqualTo(1);
        assertThat(bounded.bytes()).isEqualTo(KeyValueCache.bytesFor(1, 16, 2 * 2));
        assertThat(growing.capacity()).isEqualTo(1024);
        assertThat(growing.bytes()).isEqualTo(KeyValueCache.bytesFor(1, 1024, 4));
        // Steps of 13 tokens: W - 1 + T = 20 rows live; the arrays settle at 64 (< 4 * 20), then compact.
        KeyValueCache chunked = windowed.newCache();
        for (int t = 0; t + 13 <= 600; t += 13) {
            windowed.forward(x.slice(1, t, t + 13), chunked);
            assertThat(chunked.capacity()).isLessThanOrEqualTo(4 * (window - 1 + 13));
        }
        assertThat(chunked.capacity()).isEqualTo(64);
        // Llama 3 8B's layer (8 KV heads of 128) at 32k tokens: 512 MiB per layer in float64.
        assertThat(KeyValueCache.bytesFor(1, 32_768, 8 * 128)).isEqualTo(512L << 20);
    }

    @Test
    void lazyWeightsOfEveryStepSurviveTheWindowsCompactions() {
        int window = 5;
        GroupedQueryAttention gqa = layer(8, 4, 2, 2, 2, window, 0, new ChunkedAttention(2, 3), 31);
        Tensor x = Tensor.random(32).normal(1, 60, 8);
        AttentionResult full = gqa.forward(x);
        KeyValueCache cache = gqa.newCache();
        java.util.List<AttentionResult> steps = new java.util.ArrayList<>();
        int[] held = new int[60];
        int compactions = 0;
        for (int t = 0; t < 60; t++) {
            int offset = cache.keyView().offset();
            steps.add(gqa.forward(x.slice(1, t, t + 1), cache)); // weights not computed yet
            held[t] = cache.length();
            if (cache.keyView().offset() < offset) {
                compactions++; // the held rows moved back to the front of the arrays
            }
        }
        assertThat(cache.capacity()).as("rows compacted, not grown").isEqualTo(16);
        assertThat(compactions).isGreaterThanOrEqualTo(4);
        for (int t = 0; t < 60; t++) {
            Tensor w = full.weights().slice(-2, t, t + 1).slice(-1, t + 1 - held[t], t + 1);
            AttentionChecks.assertClose(
                    "weights of step " + t + ", asked for after 60 steps",
                    w.toArray(),
                    w.shape(),
                    steps.get(t).weights(),
                    TOL);
        }
    }

    @Test
    void cropRollsBackTheLastStepEvenAfterTheWindowDroppedTokens() {
        GroupedQueryAttention gqa = layer(8, 4, 1, 2, 2, 4, 15, new ScaledDotProductAttention(), 4);
        Tensor x = Tensor.random(5).normal(1, 20, 8);
        Tensor draft = Tensor.random(6).normal(1, 3, 8);
        KeyValueCache cache = gqa.newCache();
        gqa.forward(x.slice(1, 0, 12), cache);
        assertThat(cache.position()).isEqualTo(12);
        gqa.forward(draft, cache); // three draft tokens, rejected
        assertThat(cache.position()).isEqualTo(15);
        cache.crop(12);
        assertThat(cache.position()).isEqualTo(12);
        assertThat(cache.length()).isEqualTo(3);
        Tensor expected = gqa.forward(x).output().slice(1, 12, 20);
        Tensor actual = gqa.forward(x.slice(1, 12, 20), cache).output();
        AttentionChecks.assertClose("after crop", expected.toArray(), expected.shape(), actual, TOL);
        // Further back, the window has dropped tokens the next query would need.
        cache.crop(16); // the last step's tokens are all still held
        assertThat(cache.position()).isEqualTo(16);
        assertThatThrownBy(() -> cache.crop(11))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sliding window dropped")
                .hasMessageContaining("12..16");
        assertThatThrownBy(() -> cache.crop(21))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 <= length <= 16");
        cache.clear();
        assertThat(cache.position()).isZero();
        decodeInto(gqa, x, cache);
    }

    private static void decodeInto(GroupedQueryAttention gqa, Tensor x, KeyValueCache cache) {
        Tensor expected = gqa.forward(x).output();
        for (int t = 0; t < x.shape(1); t++) {
            Tensor row = expected.slice(1, t, t + 1);
            AttentionChecks.assertClose(
                    "after clear, token " + t,
                    row.toArray(),
                    row.shape(),
                    gqa.forward(x.slice(1, t, t + 1), cache).output(),
                    TOL);
        }
    }

    @Test
    void badStepsAreRefusedAndLeaveTheCacheAlone() {
        GroupedQueryAttention gqa = layer(8, 4, 2, 2, 2, 0, 0, new ScaledDotProductAttention(), 1);
        GroupedQueryAttention other = layer(8, 4, 2, 2, 2, 0, 0, new ScaledDotProductAttention(), 1);
        MultiHeadAttention mha = MultiHeadAttention.builder(8, 4).build();
        KeyValueCache cache = gqa.newCache();
        gqa.forward(Tensor.ones(2, 3, 8), cache);
        assertThatThrownBy(() -> other.forward(Tensor.ones(2, 1, 8), cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("another module");
        assertThatThrownBy(() -> gqa.forward(Tensor.ones(2, 1, 8), mha.newCache()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("another module");
        assertThatThrownBy(() -> mha.forward(Tensor.ones(2, 1, 8), cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("another module");
        assertThatThrownBy(() -> gqa.forward(Tensor.ones(3, 1, 8), cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch size 2, keys [2, 2, 3, 2]")
                .hasMessageContaining("[3, 1, 8]");
        assertThatThrownBy(() -> gqa.forward(Tensor.ones(1, 8), cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not continue it");
        assertThatThrownBy(() -> gqa.forward(Tensor.ones(2, 1, 6), cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got [2, 1, 6]");
        assertThatThrownBy(() -> gqa.forward(Tensor.ones(2, 1, 8), (KeyValueCache) null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("newCache()");
        assertThatThrownBy(() -> gqa.forward(null, cache)).isInstanceOf(IllegalArgumentException.class);
        assertThat(cache.length()).isEqualTo(3);
        assertThat(cache.position()).isEqualTo(3);
    }
}
