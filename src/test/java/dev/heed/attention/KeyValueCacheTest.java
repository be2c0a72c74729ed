package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.TOL;
import static dev.heed.attention.AttentionChecks.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.AttentionChecks.Kernel;
import dev.heed.attention.AttentionChecks.Layout;
import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Decoding with {@link KeyValueCache}: fed token by token or in uneven chunks, through every kernel,
 * {@code mha.forward(x, cache)} equals {@code mha.forward(x, Mask.causal())} on the whole sequence.
 */
class KeyValueCacheTest {

    /** A module with random weights and (optionally) random biases, so that every term counts. */
    static MultiHeadAttention module(int e, int heads, boolean bias, Attention kernel, long seed) {
        MultiHeadAttention.Builder b = MultiHeadAttention.builder(e, heads)
                .bias(bias)
                .kernel(kernel)
                .weights(
                        Tensor.random(seed).normal(e, e),
                        Tensor.random(seed + 1).normal(e, e),
                        Tensor.random(seed + 2).normal(e, e),
                        Tensor.random(seed + 3).normal(e, e));
        if (bias) {
            b.biases(
                    Tensor.random(seed + 4).normal(e),
                    Tensor.random(seed + 5).normal(e),
                    Tensor.random(seed + 6).normal(e),
                    Tensor.random(seed + 7).normal(e));
        }
        return b.build();
    }

    /**
     * Feeds {@code x} ({@code [B, L, E]}, or {@code [L, E]}) to a new cache in the given chunks and
     * checks each step's output, weights and logSumExp against the rows of the full causal forward.
     */
    static KeyValueCache decodeAndCheck(String context, MultiHeadAttention mha, Tensor x, int... chunks) {
        boolean unbatched = x.rank() == 2;
        int seq = unbatched ? 0 : 1;
        int length = x.shape(seq);
        AttentionResult full = mha.forward(x, Mask.causal());
        KeyValueCache cache = mha.newCache();
        int n = 0;
        for (int step = 0; n < length; step++) {
            int t = Math.min(chunks[step % chunks.length], length - n);
            AttentionResult r = mha.forward(x.slice(seq, n, n + t), cache);
            String where = context + ", step " + step + " (tokens " + n + ".." + (n + t) + ")";
            Tensor expectedOut = full.output().slice(seq, n, n + t);
            // Query rows n..n+t of the full weights, keys 0..n+t: the later keys are causally 0 there.
            Tensor expectedWeights = full.weights().slice(-2, n, n + t).slice(-1, 0, n + t);
            Tensor expectedLse = full.logSumExp().slice(-1, n, n + t);
            assertClose(where + " output", expectedOut.toArray(), expectedOut.shape(), r.output());
            assertClose(where + " weights", expectedWeights.toArray(), expectedWeights.shape(), r.weights());
            assertClose(where + " logSumExp", expectedLse.toArray(), expectedLse.shape(), r.logSumExp());
            if (n + t < length) {
                assertThat(full.weights()
                                .slice(-2, n, n + t)
                                .slice(-1, n + t, length)
                                .toArray())
                        .as("%s: the full weights past the cache are causally 0", where)
                        .containsOnly(0.0);
            }
            n += t;
            assertThat(cache.length()).as(where).isEqualTo(n);
        }
        return cache;
    }

    @Test
    void tokenByTokenAndUnevenChunksEqualTheFullCausalForwardInEveryKernel() {
        Tensor x = Tensor.random(11).normal(2, 25, 12);
        for (Kernel k : AttentionChecks.kernels()) {
            MultiHeadAttention mha = module(12, 3, true, k.attention(), 7);
            decodeAndCheck(k + ", one at a time", mha, x, 1);
            decodeAndCheck(k + ", chunks 1,3,7,1,13", mha, x, 1, 3, 7, 1, 13);
            decodeAndCheck(k + ", chunks 13,1,7", mha, x, 13, 1, 7);
            decodeAndCheck(k + ", all at once", mha, x, 25);
        }
        // A scale of the caller's and more threads than tasks change nothing either.
        for (Kernel k : AttentionChecks.kernels(0.37)) {
            decodeAndCheck(k + " with scale 0.37", module(12, 3, true, k.attention(), 8), x, 1, 3, 7, 1, 13);
        }
        decodeAndCheck(
                "ScaledDotProductAttention on 3 threads",
                module(12, 3, true, new ScaledDotProductAttention().withParallelism(3), 9),
                x,
                2,
                5);
        decodeAndCheck(
                "ChunkedAttention(1,2) on 3 threads",
                module(12, 3, true, new ChunkedAttention(1, 2).withParallelism(3), 9),
                x,
                2,
                5);
    }

    @ParameterizedTest(name = "E={0} H={1} L={2} B={3} bias={4}")
    @CsvSource({
        "1, 1, 13, 1, true",
        "3, 1, 7, 3, false",
        "6, 2, 65, 2, true",
        "7, 7, 13, 1, true",
        "21, 3, 64, 1, false",
        "10, 5, 257, 1, true",
    })
    void oddSizesOneTokenAtATimeAndInChunks(int e, int heads, int length, int batch, boolean bias) {
        Tensor x = Tensor.random(100L + e * 31L + length).normal(batch, length, e);
        for (Kernel k : AttentionChecks.fewKernels()) {
            MultiHeadAttention mha = module(e, heads, bias, k.attention(), 3L * e + heads);
            decodeAndCheck(k + " one at a time", mha, x, 1);
            decodeAndCheck(k + " chunks 1,3,7,1,13", mha, x, 1, 3, 7, 1, 13);
        }
    }

    @Test
    void decodingMatchesTheNaiveReferenceIndependentlyOfTheKernels() {
        int e = 8;
        int heads = 2;
        int length = 9;
        Tensor wq = Tensor.random(1).normal(e, e);
        Tensor wk = Tensor.random(2).normal(e, e);
        Tensor wv = Tensor.random(3).normal(e, e);
        Tensor wo = Tensor.random(4).normal(e, e);
        Tensor[] b = {
            Tensor.random(5).normal(e),
            Tensor.random(6).normal(e),
            Tensor.random(7).normal(e),
            Tensor.random(8).normal(e)
        };
        MultiHeadAttention mha = MultiHeadAttention.builder(e, heads)
                .weights(wq, wk, wv, wo)
                .biases(b[0], b[1], b[2], b[3])
                .build();
        Tensor x = Tensor.random(9).normal(2, length, e);
        boolean[][][] blocked = new boolean[2][length][length];
        for (int n = 0; n < 2; n++) {
            for (int i = 0; i < length; i++) {
                for (int j = i + 1; j < length; j++) {
                    blocked[n][i][j] = true;
                }
            }
        }
        double[][][] xs = MultiHeadAttentionTest.blocks(x);
        double[][][] expected = MultiHeadAttentionTest.naive(
                xs,
                xs,
                xs,
                heads,
                MultiHeadAttentionTest.rows(wq),
                MultiHeadAttentionTest.rows(wk),
                MultiHeadAttentionTest.rows(wv),
                MultiHeadAttentionTest.rows(wo),
                b[0].toArray(),
                b[1].toArray(),
                b[2].toArray(),
                b[3].toArray(),
                blocked);
        KeyValueCache cache = mha.newCache();
        List<Tensor> outputs = new ArrayList<>();
        for (int[] span : new int[][] {{0, 2}, {2, 3}, {3, 8}, {8, 9}}) {
            outputs.add(mha.forward(x.slice(1, span[0], span[1]), cache).output());
        }
        double[] got = new double[2 * length * e];
        int at = 0;
        for (int n = 0; n < 2; n++) {
            for (Tensor o : outputs) {
                double[] rows = o.select(0, n).toArray();
                System.arraycopy(rows, 0, got, at, rows.length);
                at += rows.length;
            }
        }
        MultiHeadAttentionTest.assertClose(Tensor.of(got, 2, length, e), expected, TOL);
    }

    @Test
    void unbatchedTokensGiveUnbatchedShapesAndTheSameNumbers() {
        Tensor x = Tensor.random(21).normal(17, 12);
        for (Kernel k : AttentionChecks.fewKernels()) {
            MultiHeadAttention mha = module(12, 4, true, k.attention(), 5);
            KeyValueCache cache = decodeAndCheck(k + " unbatched", mha, x, 1, 3, 7, 1, 13);
            assertThat(cache.keys().shape()).containsExactly(4, 17, 3);
            KeyValueCache other = mha.newCache();
            mha.forward(x.slice(0, 0, 5), other);
            AttentionResult r = mha.forward(x.slice(0, 5, 7), other);
            assertThat(r.output().shape()).containsExactly(2, 12);
            assertThat(r.weights().shape()).containsExactly(4, 2, 7);
            assertThat(r.logSumExp().shape()).containsExactly(4, 2);
        }
    }

    @Test
    void stridedAndOffsetInputsDecodeLikeContiguousOnes() {
        for (Layout layout : Layout.values()) {
            Tensor x = AttentionChecks.random(31, layout, 2, 11, 6);
            MultiHeadAttention mha = module(6, 3, true, new ChunkedAttention(2, 3), 9);
            decodeAndCheck(layout + " x", mha, x, 1, 3, 7);
        }
    }

    @Test
    void theCacheHoldsTheProjectedKeysAndValuesPerHeadLikePastKeyValues() {
        MultiHeadAttention mha = module(12, 3, true, new ScaledDotProductAttention(), 2);
        Tensor x = Tensor.random(3).normal(2, 10, 12);
        KeyValueCache cache = mha.newCache();
        mha.forward(x.slice(1, 0, 4), cache);
        mha.forward(x.slice(1, 4, 10), cache);
        Tensor keys = mha.splitHeads(x.matmul(mha.keyWeight().transpose(0, 1)).add(mha.keyBias()));
        Tensor values =
                mha.splitHeads(x.matmul(mha.valueWeight().transpose(0, 1)).add(mha.valueBias()));
        assertClose("keys", keys.toArray(), new int[] {2, 3, 10, 4}, cache.keys());
        assertClose("values", values.toArray(), new int[] {2, 3, 10, 4}, cache.values());
        // keys() is a copy: writing into it leaves the cache alone.
        cache.keys().set(1e9, 0, 0, 0, 0);
        assertThat(cache.keys().get(0, 0, 0, 0)).isNotEqualTo(1e9);
        assertThat(mha.newCache().keys().shape()).containsExactly(0, 3, 0, 4);
    }

    @Test
    void theKernelReadsAViewOfTheCacheAndTheArraysGrowByDoubling() {
        MultiHeadAttention mha = module(8, 2, true, new ChunkedAttention(), 4);
        Tensor x = Tensor.random(5).normal(1, 100, 8);
        KeyValueCache cache = mha.newCache();
        assertThat(cache.capacity()).isZero();
        assertThat(cache.bytes()).isZero();
        List<Integer> capacities = new ArrayList<>();
        double[] previous = null;
        int reallocations = 0;
        for (int t = 0; t < 100; t++) {
            mha.forward(x.slice(1, t, t + 1), cache);
            Tensor view = cache.keyView();
            assertThat(view.shape()).containsExactly(1, 2, t + 1, 4);
            assertThat(view.strides()).containsExactly(2 * cache.capacity() * 4, cache.capacity() * 4, 4, 1);
            if (view.data() != previous) {
                reallocations++;
                capacities.add(cache.capacity());
            }
            previous = view.data();
        }
        // 16, 32, 64, 128: four arrays for 100 tokens, each step in between appends in place.
        assertThat(capacities).containsExactly(16, 32, 64, 128);
        assertThat(reallocations).isEqualTo(4);
        // A step larger than double the capacity gets what it needs.
        KeyValueCache big = mha.newCache();
        mha.forward(x.slice(1, 0, 3), big);
        assertThat(big.capacity()).isEqualTo(16);
        mha.forward(x.slice(1, 3, 60), big);
        assertThat(big.capacity()).isEqualTo(60);
        mha.forward(x.slice(1, 60, 61), big);
        assertThat(big.capacity()).isEqualTo(120);
    }

    @Test
    void reserveAllocatesUpFrontAndGrowingKeepsTheCachedTokens() {
        MultiHeadAttention mha = module(6, 2, true, new ScaledDotProductAttention(), 8);
        Tensor x = Tensor.random(9).normal(3, 40, 6);
        KeyValueCache cache = mha.newCache().reserve(30);
        assertThat(cache.capacity())
                .as("allocated at the first step, when B is known")
                .isZero();
        mha.forward(x.slice(1, 0, 1), cache);
        assertThat(cache.capacity()).isEqualTo(30);
        double[] array = cache.keyView().data();
        for (int t = 1; t < 30; t++) {
            mha.forward(x.slice(1, t, t + 1), cache);
        }
        assertThat(cache.keyView().data())
                .as("no reallocation within the reservation")
                .isSameAs(array);
        Tensor before = cache.keys();
        Tensor valuesBefore = cache.values();
        assertThat(cache.reserve(35)).isSameAs(cache);
        assertThat(cache.capacity()).isEqualTo(35);
        AttentionChecks.assertBitwise("keys moved by reserve", before, cache.keys());
        AttentionChecks.assertBitwise("values moved by reserve", valuesBefore, cache.values());
        cache.reserve(10);
        assertThat(cache.capacity()).as("reserve never shrinks").isEqualTo(35);
        for (int t = 30; t < 40; t++) {
            mha.forward(x.slice(1, t, t + 1), cache);
        }
        assertThat(cache.capacity()).isEqualTo(70);
        AttentionChecks.assertBitwise(
                "the first 30 tokens survive two moves", before, cache.keys().slice(2, 0, 30));
    }

    @Test
    void memoryIsTwoTimesBatchTimesCapacityTimesEmbedDimDoubles() {
        assertThat(KeyValueCache.bytesFor(1, 32_768, 512)).isEqualTo(268_435_456L); // 256 MiB
        assertThat(KeyValueCache.bytesFor(1, 32_768, 4096) * 32).isEqualTo(64L << 30); // Llama 2 7B, 32 layers
        assertThat(KeyValueCache.bytesFor(0, 5, 5)).isZero();

        MultiHeadAttention mha = module(12, 3, false, new ChunkedAttention(), 1);
        KeyValueCache cache = mha.newCache().reserve(64);
        mha.forward(Tensor.random(2).normal(2, 5, 12), cache);
        assertThat(cache.capacity()).isEqualTo(64);
        assertThat(cache.bytes()).isEqualTo(KeyValueCache.bytesFor(2, 64, 12)).isEqualTo(2L * 8 * 2 * 64 * 12);
        // The figure counts what the arrays hold: two [B, H, capacity, E/H] arrays of doubles.
        assertThat(cache.keyView().data().length + cache.valueView().data().length)
                .isEqualTo(2 * 2 * 64 * 12);
        assertThat(cache.toString()).contains("[2, 3, 5, 4]", "capacity=64", "bytes=24576");
    }

    @Test
    void clearStartsANewSequenceReusingTheArraysAndLeavesEarlierResultsAlone() {
        MultiHeadAttention mha = module(8, 2, true, new ChunkedAttention(3, 2), 6);
        Tensor x = Tensor.random(7).normal(2, 12, 8);
        Tensor y = Tensor.random(8).normal(2, 12, 8);
        KeyValueCache cache = mha.newCache();
        mha.forward(x.slice(1, 0, 9), cache);
        AttentionResult lazy = mha.forward(x.slice(1, 9, 12), cache); // ChunkedAttention: weights not yet computed
        double[] keyArray = cache.keyView().data();
        double[] valueArray = cache.valueView().data();
        cache.clear();
        assertThat(cache.length()).isZero();
        assertThat(cache.keys().shape()).containsExactly(0, 2, 0, 4);
        assertThat(cache.toString()).contains("empty");
        decodeAndCheckInto(mha, y, cache);
        assertThat(cache.valueView().data())
                .as("same batch size: the arrays are reused")
                .isSameAs(valueArray);
        assertThat(cache.keyView().data())
                .as("but not the keys, which the lazy weights read in place")
                .isNotSameAs(keyArray);
        // The lazy weights of the step before clear() are those of the first sequence.
        Tensor expected = mha.forward(x, Mask.causal()).weights().slice(2, 9, 12);
        assertClose("weights computed after clear()", expected.toArray(), expected.shape(), lazy.weights());

        cache.clear();
        mha.forward(Tensor.random(9).normal(3, 2, 8), cache);
        assertThat(cache.keys().shape()).as("another batch size after clear()").containsExactly(3, 2, 2, 4);
        cache.clear();
        mha.forward(Tensor.random(9).normal(2, 8), cache);
        assertThat(cache.keys().shape()).as("unbatched after clear()").containsExactly(2, 2, 4);
    }

    @Test
    void cropRollsBackRejectedTokensAndDecodingContinuesFromThere() {
        MultiHeadAttention mha = module(8, 2, true, new ChunkedAttention(2, 3), 13);
        Tensor x = Tensor.random(14).normal(2, 15, 8);
        Tensor rejected = Tensor.random(15).normal(2, 4, 8);
        AttentionResult full = mha.forward(x, Mask.causal());
        KeyValueCache cache = mha.newCache();
        mha.forward(x.slice(1, 0, 9), cache);
        double[] array = cache.keyView().data();
        mha.forward(rejected, cache); // a draft of 4 tokens, rejected
        assertThat(cache.length()).isEqualTo(13);
        cache.crop(9);
        assertThat(cache.length()).isEqualTo(9);
        assertThat(cache.keyView().data()).isSameAs(array);
        AttentionResult r = mha.forward(x.slice(1, 9, 15), cache);
        Tensor expected = full.output().slice(1, 9, 15);
        assertClose("after crop(9)", expected.toArray(), expected.shape(), r.output());
        Tensor weights = full.weights().slice(2, 9, 15);
        assertClose("weights after crop(9)", weights.toArray(), weights.shape(), r.weights());

        cache.crop(0);
        assertThatThrownBy(() -> mha.forward(Tensor.zeros(3, 1, 8), cache))
                .as("crop(0) keeps the batch size")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch size 2");
        assertThatThrownBy(() -> cache.crop(1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 <= length <= 0")
                .hasMessageContaining("got 1");
        assertThatThrownBy(() -> cache.crop(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got -1");
    }

    @Test
    void lazyWeightsReadTheCachedKeysInPlaceAndSurviveCropAndClear() {
        MultiHeadAttention mha = module(8, 2, true, new ChunkedAttention(2, 3), 21);
        Tensor x = Tensor.random(22).normal(2, 15, 8);
        AttentionResult full = mha.forward(x, Mask.causal());
        KeyValueCache cache = mha.newCache().reserve(16);
        mha.forward(x.slice(1, 0, 9), cache);
        double[] array = cache.keyView().data();
        AttentionResult r9 = mha.forward(x.slice(1, 9, 12), cache); // lazy: reads key rows 0..11
        AttentionResult r12 = mha.forward(x.slice(1, 12, 13), cache);
        assertThat(cache.keyView().data())
                .as("appending writes past what earlier results read: no copy")
                .isSameAs(array);
        cache.crop(10);
        mha.forward(Tensor.random(23).normal(2, 4, 8), cache); // overwrites rows 10..13 of the old array
        cache.crop(5);
        AttentionResult r5 = mha.forward(Tensor.random(24).normal(2, 2, 8), cache);
        cache.clear();
        mha.forward(Tensor.random(25).normal(2, 15, 8), cache); // overwrites everything
        Tensor w9 = full.weights().slice(2, 9, 12).slice(3, 0, 12);
        assertClose("weights of tokens 9..11 after crop and clear", w9.toArray(), w9.shape(), r9.weights());
        Tensor w12 = full.weights().slice(2, 12, 13).slice(3, 0, 13);
        assertClose("weights of token 12 after crop and clear", w12.toArray(), w12.shape(), r12.weights());
        assertThat(r5.weights().shape()).containsExactly(2, 2, 2, 7);
        assertThat(r5.weights().slice(3, 0, 5).toArray())
                .as("a step after crop(5) attends to rows 0..4 of the first sequence")
                .isNotEqualTo(new double[2 * 2 * 2 * 5]);
    }

    /** Decodes {@code x} into an existing, empty cache and checks it against the full forward. */
    private static void decodeAndCheckInto(MultiHeadAttention mha, Tensor x, KeyValueCache cache) {
        AttentionResult full = mha.forward(x, Mask.causal());
        int length = x.shape(1);
        for (int n = 0; n < length; n += 5) {
            int end = Math.min(length, n + 5);
            AttentionResult r = mha.forward(x.slice(1, n, end), cache);
            Tensor expected = full.output().slice(1, n, end);
            assertClose("after clear(), tokens " + n, expected.toArray(), expected.shape(), r.output());
        }
    }

    @Test
    void anEmptyStepChangesNothing() {
        MultiHeadAttention mha = module(6, 3, true, new ScaledDotProductAttention(), 3);
        Tensor x = Tensor.random(4).normal(2, 5, 6);
        KeyValueCache cache = mha.newCache();
        mha.forward(x, cache);
        Tensor keys = cache.keys();
        for (Kernel k : AttentionChecks.fewKernels()) {
            MultiHeadAttention same = module(6, 3, true, k.attention(), 3);
            KeyValueCache c = same.newCache();
            same.forward(x, c);
            AttentionResult r = same.forward(Tensor.zeros(2, 0, 6), c);
            assertThat(r.output().shape()).as("%s", k).containsExactly(2, 0, 6);
            assertThat(r.weights().shape()).as("%s", k).containsExactly(2, 3, 0, 5);
            assertThat(c.length()).isEqualTo(5);
            AttentionChecks.assertBitwise(k + " keys", keys, c.keys());
        }
    }

    @Test
    void aModuleMayBeSharedByThreadsEachWithItsOwnCache() throws InterruptedException {
        MultiHeadAttention mha = module(8, 2, true, new ChunkedAttention(), 12);
        Tensor[] xs = {Tensor.random(1).normal(1, 20, 8), Tensor.random(2).normal(1, 20, 8)};
        Throwable[] failures = new Throwable[2];
        Thread[] threads = new Thread[2];
        for (int i = 0; i < 2; i++) {
            int which = i;
            threads[i] = new Thread(() -> {
                try {
                    decodeAndCheck("thread " + which, mha, xs[which], 1, 2);
                } catch (Throwable e) {
                    failures[which] = e;
                }
            });
            threads[i].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).containsOnlyNulls();
    }

    @Test
    void badInputIsRefusedNamingTheShapesAndLeavesTheCacheAlone() {
        MultiHeadAttention mha = module(8, 2, true, new ScaledDotProductAttention(), 1);
        KeyValueCache cache = mha.newCache();
        mha.forward(Tensor.random(2).normal(2, 3, 8), cache);
        Tensor keys = cache.keys();

        assertThatThrownBy(() -> mha.forward((Tensor) null, cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("x must not be null");
        assertThatThrownBy(() -> mha.forward(Tensor.zeros(1, 8), (KeyValueCache) null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("newCache()");
        assertThatThrownBy(() -> mha.forward(Tensor.zeros(2, 1, 7), cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[B, T, 8]")
                .hasMessageContaining("[2, 1, 7]");
        assertThatThrownBy(() -> mha.forward(Tensor.zeros(8), cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[8]");
        assertThatThrownBy(() -> mha.forward(Tensor.zeros(1, 2, 1, 8), cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[1, 2, 1, 8]");
        assertThatThrownBy(() -> mha.forward(Tensor.zeros(3, 1, 8), cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch size 2")
                .hasMessageContaining("[2, 2, 3, 4]")
                .hasMessageContaining("[3, 1, 8]");
        assertThatThrownBy(() -> mha.forward(Tensor.zeros(1, 8), cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 2, 3, 4]")
                .hasMessageContaining("[1, 8]");
        MultiHeadAttention other = module(8, 2, true, new ScaledDotProductAttention(), 1);
        assertThatThrownBy(() -> other.forward(Tensor.zeros(2, 1, 8), cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("another module");
        assertThat(cache.length()).as("no failed step changed the cache").isEqualTo(3);
        AttentionChecks.assertBitwise("keys after failed steps", keys, cache.keys());

        KeyValueCache unbatched = mha.newCache();
        mha.forward(Tensor.zeros(4, 8), unbatched);
        assertThatThrownBy(() -> mha.forward(Tensor.zeros(1, 1, 8), unbatched))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unbatched tokens, keys [2, 4, 4]")
                .hasMessageContaining("[1, 1, 8]");

        MultiHeadAttention cross = MultiHeadAttention.builder(8, 2).keyDim(5).build();
        KeyValueCache crossCache = cross.newCache();
        assertThatThrownBy(() -> cross.forward(Tensor.zeros(1, 1, 8), crossCache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keyDim 5");

        assertThatThrownBy(() -> cache.reserve(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> cache.reserve(Integer.MAX_VALUE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 2, 2147483647, 4]");
        assertThatThrownBy(() -> KeyValueCache.bytesFor(1, -3, 8))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-3");
        assertThat(cache.capacity())
                .as("a refused reservation allocates nothing")
                .isEqualTo(16);
    }

    @Test
    void aStepPastTheArrayLimitIsRefusedBeforeAnythingIsAllocated() {
        MultiHeadAttention mha = module(8, 2, false, new ScaledDotProductAttention(), 1);
        KeyValueCache cache = mha.newCache();
        mha.forward(Tensor.ones(1, 1, 8), cache);
        // A broadcast view of 2^28 - 1 tokens backed by 8 doubles: alone it would just fit in arrays of
        // 2^31 - 8 doubles, with the one cached token it does not.
        Tensor huge = Tensor.zeros(1, 1, 8).broadcastTo(1, (1 << 28) - 1, 8);
        assertThatThrownBy(() -> mha.forward(huge, cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2^31-1")
                .hasMessageContaining("[1, 2, 268435456, 4]");
        assertThat(cache.length()).isEqualTo(1);
        assertThat(cache.capacity()).isEqualTo(16);
    }

    /**
     * A step's attention is told whether the cached values are finite instead of scanning them; the
     * cache must know. An infinite value the first new query may not see (causal) gives that query a
     * finite output only on the kernels for non-finite values: a cache that claimed finite values
     * would give it NaN (0·inf). After the step, {@code crop} keeps the doubt and {@code clear}
     * forgets it; each step must equal the kernel's own {@code apply} on the cache's views, bit for
     * bit where both know the same.
     */
    @Test
    void stepsKnowWhetherTheCachedValuesAreFinite() {
        for (Attention kernel : new Attention[] {new ScaledDotProductAttention(), new ChunkedAttention(2, 3)}) {
            KeyValueCache cache = new KeyValueCache(this, 2, 3, Integer.MAX_VALUE);
            cache.appendHeads(
                    Tensor.random(70).normal(1, 2, 5, 3), Tensor.random(71).normal(1, 2, 5, 3), false);
            assertStepMatchesApply(kernel, cache, "finite", false, true);
            Tensor values = Tensor.random(72).normal(1, 2, 2, 3);
            values.set(Double.POSITIVE_INFINITY, 0, 1, 1, 2); // head 1, the second new token
            cache.appendHeads(Tensor.random(73).normal(1, 2, 2, 3), values, false);
            assertStepMatchesApply(kernel, cache, "an infinite value", true, true);
            cache.crop(6); // the infinite value's token is gone; the cache may still doubt
            // Cropped: the values held are finite again, but the cache may still doubt them and send
            // the step to the kernels for non-finite values: the same results up to rounding.
            assertStepMatchesApply(kernel, cache, "cropped", false, false);
            cache.clear();
            cache.appendHeads(
                    Tensor.random(74).normal(1, 2, 4, 3), Tensor.random(75).normal(1, 2, 4, 3), false);
            assertStepMatchesApply(kernel, cache, "cleared", false, true);
        }
    }

    private static void assertStepMatchesApply(
            Attention kernel, KeyValueCache cache, String what, boolean infinite, boolean bitwise) {
        Tensor q = Tensor.random(76).normal(1, 2, 2, 3);
        AttentionResult step = cache.attend(kernel, q, Mask.causal());
        AttentionResult direct = kernel.apply(q, cache.keyView(), cache.valueView(), Mask.causal());
        String context = kernel.getClass().getSimpleName() + ", " + what;
        if (bitwise) {
            AttentionChecks.assertBitwise(context, direct.output(), step.output());
        } else {
            assertClose(context, direct.output().toArray(), direct.output().shape(), step.output());
        }
        if (infinite) {
            // The first query cannot see the last key, whose value is infinite: its output is finite.
            for (double x : step.output().slice(2, 0, 1).toArray()) {
                assertThat(x).as(context + ": first query's output").isFinite();
            }
        }
    }
}
