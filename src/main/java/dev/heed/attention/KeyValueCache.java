package dev.heed.attention;

import dev.heed.tensor.Tensor;
import java.util.Arrays;

/**
 * The projected keys and values of every token a {@link MultiHeadAttention} has seen so far, for
 * decoding a sequence a token (or a few) at a time with
 * {@link MultiHeadAttention#forward(Tensor, KeyValueCache)}: each step projects only the new
 * tokens, appends their keys and values here, and attends the new queries to everything cached.
 * Hugging Face's {@code past_key_values} (one layer's entry) holds the same two tensors.
 *
 * <pre>{@code
 * KeyValueCache cache = mha.newCache();
 * AttentionResult prompt = mha.forward(promptTokens, cache);   // [B, P, E]: the whole prompt at once
 * AttentionResult next = mha.forward(nextToken, cache);        // [B, 1, E]: then one token per step
 * }</pre>
 *
 * <p><b>Layout.</b> Keys and values are stored per head, each in one flat array laid out as a
 * row-major {@code [B, H, capacity, E/H]} tensor; the first {@link #length()} rows of each
 * {@code (batch, head)} block are filled. The attention kernel reads the filled prefix through a
 * strided view {@code [B, H, length, E/H]} (strides {@code [H·capacity·E/H, capacity·E/H, E/H, 1]}):
 * nothing of the cache is copied per step. A step that needs more room than {@link #capacity()}
 * moves the cache into arrays of twice the capacity (or of what the step needs, if more), so
 * decoding {@code n} tokens one at a time copies fewer than {@code 2n} token rows in all;
 * {@link #reserve(int)} allocates the final size up front and avoids even that.
 *
 * <p><b>Memory.</b> Keys and values of {@code n} tokens take {@code 2 · B · n · E · 8} bytes
 * ({@link #bytesFor}); {@link #bytes()} counts what is allocated, which is the capacity, not the
 * length. 32,768 cached tokens at {@code E = 512}, {@code B = 1} take 268,435,456 bytes
 * (256 MiB) per attention layer; a model of 32 layers at {@code E = 4096} (Llama 2 7B) would need
 * 64 GiB in float64 at that length, four times its float16 cache. Each of the two arrays holds at
 * most 2³¹−1 doubles, so {@code B · capacity · E} must stay below that (about four million tokens at
 * {@code E = 512}, {@code B = 1}).
 *
 * <p><b>Batch.</b> The first step fixes the batch size: every later step must bring the same
 * {@code B}, and a cache filled with unbatched tokens {@code [T, E]} takes only unbatched ones
 * ({@link IllegalArgumentException} naming both shapes otherwise). All sequences of a batch share
 * one length; sequences of different lengths need their own caches (or padding masks, which this
 * cache does not apply). {@link #clear()} empties the cache and forgets the batch size, keeping the
 * arrays for reuse; {@link #crop(int)} rolls it back to an earlier length (rejected draft tokens).
 *
 * <p>A cache belongs to the module that made it: its keys and values were projected by that
 * module's weights, so another module refuses it. Decoding is self-attention, so the module's
 * {@code keyDim} and {@code valueDim} must be its {@code embedDim} (a step refuses the cache of a
 * module built otherwise).
 *
 * <p><b>Not thread-safe</b>: a step both reads and writes the cache. Use one cache per sequence (or
 * batch of sequences) and one thread at a time on it; the module itself may be shared.
 */
public final class KeyValueCache {
    /** Capacity, in tokens, of the first allocation when neither a step nor {@link #reserve} asks for more. */
    static final int INITIAL_CAPACITY = 16;

    private final MultiHeadAttention owner;
    private final int numHeads;
    private final int headDim;
    /** Batch size of the tokens held, or -1 when empty and not yet fixed. */
    private int batch = -1;

    private boolean unbatched;
    private int length;
    /** Tokens per sequence the arrays hold; 0 before the first allocation. */
    private int capacity;
    /** Batch size the arrays were allocated for (kept across {@link #clear()}). */
    private int allocatedBatch = -1;
    /** The least capacity asked for by {@link #reserve}, applied at the next allocation. */
    private int reserved;

    private double[] keys = new double[0];
    private double[] values = new double[0];

    /** An empty cache for {@code owner}'s keys and values (a step checks that the owner does self-attention). */
    KeyValueCache(MultiHeadAttention owner) {
        this.owner = owner;
        this.numHeads = owner.numHeads();
        this.headDim = owner.headDim();
    }

    /**
     * The bytes that the keys and values of {@code tokens} tokens take: {@code 2 · batchSize · tokens
     * · embedDim · 8} (float64 keys and values, every head). For 32,768 tokens at
     * {@code embedDim = 512} and {@code batchSize = 1}: 268,435,456 (256 MiB).
     *
     * @param batchSize the batch size {@code B}, {@code >= 0}
     * @param tokens    cached tokens per sequence, {@code >= 0}
     * @param embedDim  the module's embed dim {@code E} ({@code H · E/H}), {@code >= 0}
     * @return the size in bytes
     * @throws IllegalArgumentException if an argument is negative
     */
    public static long bytesFor(int batchSize, int tokens, int embedDim) {
        if (batchSize < 0 || tokens < 0 || embedDim < 0) {
            throw new IllegalArgumentException(
                    "batchSize, tokens and embedDim must be >= 0, got " + batchSize + ", " + tokens + ", " + embedDim);
        }
        return 2L * Double.BYTES * batchSize * tokens * embedDim;
    }

    /**
     * The number of tokens cached per sequence: the sum of {@code T} over the steps since the cache
     * was made or {@linkplain #clear() cleared}.
     *
     * @return the length, {@code >= 0}
     */
    public int length() {
        return length;
    }

    /**
     * The number of tokens per sequence the allocated arrays hold before they must grow.
     *
     * @return the capacity, {@code >= length()}; 0 before the first step
     */
    public int capacity() {
        return capacity;
    }

    /**
     * The bytes held by the allocated key and value arrays: {@link #bytesFor bytesFor}{@code (B,
     * capacity(), E)} for the batch size they were allocated for.
     *
     * @return the bytes allocated, 0 before the first step
     */
    public long bytes() {
        return (long) Double.BYTES * (keys.length + values.length);
    }

    /**
     * Makes room for {@code tokens} tokens per sequence, so that steps up to that length never
     * reallocate. With the batch size not yet known (before the first step, or after
     * {@link #clear()}), the request is kept and applied by the next step's allocation (up to the
     * 2³¹−1 limit at that batch size); otherwise the arrays grow now if they are smaller. Never
     * shrinks the cache; the request holds until a larger one replaces it.
     *
     * @param tokens the number of tokens per sequence to make room for, {@code >= 0}
     * @return this cache
     * @throws IllegalArgumentException if {@code tokens} is negative, or the keys of {@code tokens}
     *                                  tokens at the cache's batch size would exceed 2³¹−1 doubles
     */
    public KeyValueCache reserve(int tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens to reserve must be >= 0, got " + tokens);
        }
        if (batch >= 0) {
            checkFits(batch, tokens);
            if (tokens > capacity) {
                reallocate(batch, tokens);
            }
        }
        reserved = Math.max(reserved, tokens);
        return this;
    }

    /**
     * Empties the cache for a new sequence: the length becomes 0 and the batch size is forgotten.
     * The arrays are kept (so a new sequence of the same batch size reuses them without
     * allocating); drop the cache to free them.
     */
    public void clear() {
        length = 0;
        batch = -1;
        unbatched = false;
    }

    /**
     * Keeps the first {@code length} cached tokens and forgets the rest, as Hugging Face's
     * {@code DynamicCache.crop}: the next step continues after token {@code length - 1}. This rolls back
     * tokens a speculative or beam-search decoder rejected. The batch size and the arrays stay (cropping
     * to 0 keeps the batch size, unlike {@link #clear()}); nothing is copied.
     *
     * @param length the number of tokens to keep, {@code 0 <= length <= length()}
     * @throws IllegalArgumentException if {@code length} is negative or more than the cache holds
     */
    public void crop(int length) {
        if (length < 0 || length > this.length) {
            throw new IllegalArgumentException(
                    "crop needs 0 <= length <= " + this.length + " (the tokens cached), got " + length);
        }
        this.length = length;
    }

    /**
     * A copy of the cached keys, as Hugging Face's {@code past_key_values[layer][0]} holds them.
     *
     * @return a new row-major tensor {@code [B, H, length, E/H]} ({@code [H, length, E/H]} when the
     *         cache holds unbatched tokens; {@code [0, H, 0, E/H]} when it holds none); head
     *         {@code h} is the projected key's features {@code [h·E/H, (h+1)·E/H)}
     */
    public Tensor keys() {
        return publicCopy(keyView());
    }

    /**
     * A copy of the cached values, as Hugging Face's {@code past_key_values[layer][1]} holds them.
     *
     * @return a new row-major tensor {@code [B, H, length, E/H]} ({@code [H, length, E/H]} when the
     *         cache holds unbatched tokens; {@code [0, H, 0, E/H]} when it holds none)
     */
    public Tensor values() {
        return publicCopy(valueView());
    }

    @Override
    public String toString() {
        String held = batch < 0
                ? "empty"
                : Arrays.toString(
                        unbatched
                                ? new int[] {numHeads, length, headDim}
                                : new int[] {batch, numHeads, length, headDim});
        return "KeyValueCache{" + held + ", capacity=" + capacity + ", bytes=" + bytes() + "}";
    }

    private Tensor publicCopy(Tensor view) {
        Tensor copy = view.copy();
        return unbatched ? copy.squeeze(0) : copy;
    }

    MultiHeadAttention owner() {
        return owner;
    }

    /** The filled prefix of the keys: a view {@code [B, H, length, E/H]} (B = 1 when unbatched). */
    Tensor keyView() {
        return prefix(keys);
    }

    /** The filled prefix of the values: a view {@code [B, H, length, E/H]}. */
    Tensor valueView() {
        return prefix(values);
    }

    private Tensor prefix(double[] data) {
        int b = Math.max(batch, 0);
        return Tensor.strided(data, 0, new int[] {b, numHeads, length, headDim}, new int[] {
            numHeads * capacity * headDim, capacity * headDim, headDim, 1
        });
    }

    /**
     * Checks that a step of {@code tokens} new tokens with batch size {@code b} fits what the cache
     * holds, before anything is changed.
     *
     * @param x       the step's input, for the message
     * @param b       its batch size (1 when unbatched)
     * @param noBatch whether it is unbatched
     * @param tokens  its number of new tokens {@code T}
     */
    void checkStep(Tensor x, int b, boolean noBatch, int tokens) {
        if (batch >= 0 && (b != batch || noBatch != unbatched)) {
            String held = unbatched
                    ? "unbatched tokens, keys [" + numHeads + ", " + length + ", " + headDim + "]"
                    : "batch size " + batch + ", keys [" + batch + ", " + numHeads + ", " + length + ", " + headDim
                            + "]";
            throw new IllegalArgumentException("the cache holds " + held + "; x " + Arrays.toString(x.shape())
                    + " does not continue it (clear() the cache to start another batch)");
        }
        checkFits(b, (long) length + tokens);
    }

    /** Fails if {@code tokens} tokens of batch size {@code b} would exceed 2³¹−1 doubles per array. */
    private void checkFits(int b, long tokens) {
        if (tokens > maxCapacity(b)) {
            throw new IllegalArgumentException("a key/value cache of " + tokens + " tokens at batch size " + b
                    + " would hold [" + b + ", " + numHeads + ", " + tokens + ", " + headDim + "] keys, more than "
                    + "2^31-1 doubles in one array");
        }
    }

    /**
     * The most tokens per sequence an array of at most 2³¹−1 doubles holds at batch size {@code b}
     * (an empty batch counts as one, so that the strides of a view stay within {@code int}).
     */
    private long maxCapacity(int b) {
        return Integer.MAX_VALUE / ((long) Math.max(b, 1) * numHeads * headDim);
    }

    /**
     * Appends the new tokens' keys and values, each {@code [B, T, E]} with heads side by side on the
     * last axis, growing the arrays if needed. {@link #checkStep} has passed.
     */
    void append(Tensor newKeys, Tensor newValues, boolean noBatch) {
        int b = newKeys.shape(0);
        int tokens = newKeys.shape(1);
        int needed = length + tokens;
        // A reservation past the limit is honoured up to it (else every step would reallocate).
        if (needed > capacity || Math.min(reserved, maxCapacity(b)) > capacity || b != allocatedBatch) {
            // Double what the same batch size had; a first allocation starts small unless reserved.
            long grown = b == allocatedBatch ? Math.max(2L * capacity, INITIAL_CAPACITY) : INITIAL_CAPACITY;
            grown = Math.max(grown, Math.max(needed, reserved));
            // Never past the 2^31-1 limit (checkStep made sure that needed fits under it).
            reallocate(b, (int) Math.min(grown, maxCapacity(b)));
        }
        batch = b;
        unbatched = noBatch;
        scatter(newKeys, keys);
        scatter(newValues, values);
        length = needed;
    }

    /** Copies {@code x [B, T, E]} into rows {@code [length, length + T)} of every (batch, head) block. */
    private void scatter(Tensor x, double[] into) {
        Tensor c = x.contiguous();
        double[] src = c.data();
        int base = c.offset();
        int b = c.shape(0);
        int tokens = c.shape(1);
        int e = numHeads * headDim;
        for (int n = 0; n < b; n++) {
            for (int h = 0; h < numHeads; h++) {
                int dst = ((n * numHeads + h) * capacity + length) * headDim;
                for (int t = 0; t < tokens; t++) {
                    System.arraycopy(src, base + (n * tokens + t) * e + h * headDim, into, dst + t * headDim, headDim);
                }
            }
        }
    }

    /**
     * Moves the filled rows into new arrays of {@code newCapacity} tokens for batch size {@code b}.
     * A batch size other than the arrays' comes only after {@link #clear()}, with nothing to keep.
     */
    private void reallocate(int b, int newCapacity) {
        int block = newCapacity * headDim;
        double[] k = new double[b * numHeads * block];
        double[] v = new double[k.length];
        int keep = b == allocatedBatch ? length : 0;
        for (int blockIndex = 0; blockIndex < b * numHeads && keep > 0; blockIndex++) {
            System.arraycopy(keys, blockIndex * capacity * headDim, k, blockIndex * block, keep * headDim);
            System.arraycopy(values, blockIndex * capacity * headDim, v, blockIndex * block, keep * headDim);
        }
        keys = k;
        values = v;
        capacity = newCapacity;
        allocatedBatch = b;
    }
}
