package dev.heed.attention;

import dev.heed.internal.attention.AttentionProblem;
import dev.heed.tensor.Tensor;
import java.util.Arrays;

/**
 * The projected keys and values of every token a {@link MultiHeadAttention} (or a
 * {@link GroupedQueryAttention}) has seen so far, for decoding a sequence a token (or a few) at a time
 * with {@link MultiHeadAttention#forward(Tensor, KeyValueCache)}: each step projects only the new
 * tokens, appends their keys and values here, and attends the new queries to everything cached.
 * Hugging Face's {@code past_key_values} (one layer's entry) holds the same two tensors. The cache of a
 * {@link GroupedQueryAttention} holds its {@code Hkv} key/value heads of size {@code headDim}, keys after
 * the rotary rotation, and with a sliding window only the tokens a later query can still see (see
 * <b>Sliding window</b> below); for {@link MultiHeadAttention} read {@code H} and {@code E/H} below.
 *
 * <pre>{@code
 * KeyValueCache cache = mha.newCache();
 * AttentionResult prompt = mha.forward(promptTokens, cache);   // [B, P, E]: the whole prompt at once
 * AttentionResult next = mha.forward(nextToken, cache);        // [B, 1, E]: then one token per step
 * }</pre>
 *
 * <p><b>Layout.</b> Keys and values are stored per head, each in one flat array laid out as a
 * row-major {@code [B, H, capacity, E/H]} tensor; {@link #length()} consecutive rows of each
 * {@code (batch, head)} block are filled (the first ones, unless a sliding window has dropped some). The
 * attention kernel reads them through a strided view {@code [B, H, length, E/H]} (strides
 * {@code [H·capacity·E/H, capacity·E/H, E/H, 1]}): nothing of the cache is copied per step, not even
 * for the weights a {@link ChunkedAttention} step computes only when asked
 * ({@link AttentionResult#weights()}), which read the cached keys in place. A step that would
 * overwrite keys an earlier step's result may still read — the first step after {@link #crop(int)}
 * or {@link #clear()} — moves the keys held to a new array first (one copy; the old array stays with
 * those results until they are dropped). A step that needs more room than {@link #capacity()}
 * moves the cache into arrays of twice the capacity (or of what the step needs, if more), so
 * decoding {@code n} tokens one at a time copies fewer than {@code 2n} token rows in all;
 * {@link #reserve(int)} allocates the final size up front and avoids even that.
 *
 * <p><b>Memory.</b> Keys and values of {@code n} tokens take {@code 2 · B · n · E · 8} bytes
 * ({@link #bytesFor}; {@code E} is the width of the cached keys, {@code Hkv · headDim} for grouped-query
 * attention); {@link #bytes()} counts what is allocated, which is the capacity, not the length. 32,768 cached tokens at {@code E = 512}, {@code B = 1} take 268,435,456 bytes
 * (256 MiB) per attention layer; a model of 32 layers at {@code E = 4096} (Llama 2 7B) would need
 * 64 GiB in float64 at that length, four times its float16 cache. Each of the two arrays holds at
 * most 2³¹−1 doubles, so {@code B · capacity · E} must stay below that (about four million tokens at
 * {@code E = 512}, {@code B = 1}).
 *
 * <p><b>Sliding window.</b> A {@link GroupedQueryAttention} with a window of {@code W} tokens makes a cache
 * that forgets what no later query can see: at the start of each step it keeps only the last {@code W − 1}
 * tokens ({@link #length()} counts the tokens held, {@link #position()} every token seen). When the rows
 * held reach the end of the arrays, they are moved back to the front if they fill at most half of them
 * (at most {@code W − 1} rows moved for every {@code capacity/2} appended, so under one row per token),
 * else the arrays double. With steps of at most {@code T} tokens the capacity so stays below
 * {@code max(16, 4·(W − 1 + T))} tokens however long the sequence: for Mistral 7B ({@code W = 4096},
 * {@code Hkv·headDim = 1024}), one token at a time, at most 16,384 tokens, 256 MiB per layer in float64,
 * instead of 512 MiB for 32,768 tokens kept whole. (A prompt longer than that is held whole during its
 * own step; feed it in chunks to keep the bound.)
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

    private final Object owner;
    private final int numHeads;
    private final int headDim;
    /** The most tokens kept from earlier steps (a window's reach back); Integer.MAX_VALUE keeps them all. */
    private final int keep;
    /** Row of each (batch, head) block where the held tokens begin; above 0 only after a window dropped some. */
    private int start;
    /** Tokens dropped from the front by the window since the cache was made or cleared. */
    private int dropped;
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
    /**
     * Whether every value appended since the cache was made or cleared is finite, so every value
     * held is: checked on the rows each step appends, so that a step's attention need not scan the
     * whole cache again (as many reads as the attention's own). Cropping or dropping rows leaves it
     * as it is, possibly false for values no longer held: that only costs the slower kernels.
     */
    private boolean valuesFinite = true;
    /**
     * Rows {@code [0, sharedKeyRows)} of every (batch, head) block of {@link #keys} that a step's result
     * may still read: {@link ChunkedAttention}'s lazy weights read the cached keys in place rather than
     * copying the whole cache every step. Those rows are never written again; a step that would write
     * there (after {@link #crop}, {@link #clear}, or to compact a window's rows) first moves the keys to
     * new arrays, leaving the old ones to the results. Appending, the usual decoding step, writes
     * past them and copies nothing.
     */
    private int sharedKeyRows;

    /** An empty cache for {@code owner}'s keys and values (a step checks that the owner does self-attention). */
    KeyValueCache(MultiHeadAttention owner) {
        this(owner, owner.numHeads(), owner.headDim(), Integer.MAX_VALUE);
    }

    /**
     * An empty cache of {@code numHeads} heads of size {@code headDim} for {@code owner}, keeping at most
     * {@code keep} tokens from one step to the next (Integer.MAX_VALUE: all).
     */
    KeyValueCache(Object owner, int numHeads, int headDim, int keep) {
        this.owner = owner;
        this.numHeads = numHeads;
        this.headDim = headDim;
        this.keep = keep;
    }

    /**
     * The bytes that the keys and values of {@code tokens} tokens take: {@code 2 · batchSize · tokens
     * · embedDim · 8} (float64 keys and values, every head). For 32,768 tokens at
     * {@code embedDim = 512} and {@code batchSize = 1}: 268,435,456 (256 MiB).
     *
     * @param batchSize the batch size {@code B}, {@code >= 0}
     * @param tokens    cached tokens per sequence, {@code >= 0}
     * @param embedDim  the width of the cached keys: the module's embed dim {@code E} ({@code H · E/H}) for
     *                  {@link MultiHeadAttention}, {@code Hkv · headDim} for {@link GroupedQueryAttention};
     *                  {@code >= 0}
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
     * was made or {@linkplain #clear() cleared}, less the tokens a sliding window has dropped.
     *
     * @return the length, {@code >= 0}; the key count {@code S} the next step attends to, before its own
     *         tokens
     */
    public int length() {
        return length;
    }

    /**
     * The position of the next token: every token seen since the cache was made or
     * {@linkplain #clear() cleared}, dropped ones included. Equal to {@link #length()} unless a sliding
     * window has dropped tokens; it is the rotary position a {@link GroupedQueryAttention} gives the next
     * token.
     *
     * @return the position, {@code >= length()}
     */
    public int position() {
        return dropped + length;
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
     * allocating; the keys' array only if no {@link ChunkedAttention} step's result may still read
     * it, see <b>Layout</b> above); drop the cache to free them.
     */
    public void clear() {
        valuesFinite = true;
        length = 0;
        start = 0;
        dropped = 0;
        batch = -1;
        unbatched = false;
    }

    /**
     * Keeps the first {@code length} cached tokens and forgets the rest, as Hugging Face's
     * {@code DynamicCache.crop}: the next step continues after token {@code length - 1}. This rolls back
     * tokens a speculative or beam-search decoder rejected. The batch size and the arrays stay (cropping
     * to 0 keeps the batch size, unlike {@link #clear()}); nothing is copied (the next step may move the
     * keys once, see <b>Layout</b> above).
     *
     * <p>{@code length} counts positions, dropped tokens included ({@link #position()}). A cache whose
     * sliding window of {@code W} tokens has dropped tokens rolls back only as far as its tokens still reach:
     * to a position {@code p} whose {@code W − 1} predecessors are held. As a step drops tokens before
     * appending its own, the tokens of the last step can always be rolled back.
     *
     * @param length the position to roll back to: {@code 0 <= length <= position()}, and, once a window
     *               has dropped tokens, at least the first held position plus {@code W − 1}
     * @throws IllegalArgumentException if {@code length} is negative, beyond the tokens seen, or would need
     *                                  tokens the window dropped
     */
    public void crop(int length) {
        int position = position();
        if (length < 0 || length > position) {
            throw new IllegalArgumentException(
                    "crop needs 0 <= length <= " + position + " (the tokens cached), got " + length);
        }
        if (dropped > 0 && (long) length - keep < dropped) {
            throw new IllegalArgumentException("crop to " + length + " would need the tokens before position "
                    + dropped + ", which the sliding window dropped; this cache rolls back to positions "
                    + ((long) dropped + keep) + ".." + position + " only");
        }
        this.length = length - dropped;
    }

    /**
     * A copy of the cached keys, as Hugging Face's {@code past_key_values[layer][0]} holds them.
     *
     * @return a new row-major tensor {@code [B, H, length, E/H]} ({@code [H, length, E/H]} when the
     *         cache holds unbatched tokens; {@code [0, H, 0, E/H]} when it holds none); head
     *         {@code h} is the projected key's features {@code [h·E/H, (h+1)·E/H)} (for grouped-query
     *         attention {@code [B, Hkv, length, headDim]}, rotated: row {@code t} at position
     *         {@code position() - length() + t})
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

    Object owner() {
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
        return Tensor.strided(data, start * headDim, new int[] {b, numHeads, length, headDim}, new int[] {
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
        checkFits(b, (long) Math.min(length, keep) + tokens);
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
        appendHeads(heads(newKeys), heads(newValues), noBatch);
    }

    /** {@code [B, T, H·d]} seen as {@code [B, H, T, d]}: a view when the layout allows. */
    private Tensor heads(Tensor x) {
        return x.reshape(x.shape(0), x.shape(1), numHeads, headDim).permute(0, 2, 1, 3);
    }

    /**
     * Appends the new tokens' keys and values, each {@code [B, H, T, d]} (any view), after dropping the
     * tokens beyond the window's reach, growing or compacting the arrays if needed. {@link #checkStep} has
     * passed.
     */
    void appendHeads(Tensor newKeys, Tensor newValues, boolean noBatch) {
        int b = newKeys.shape(0);
        int tokens = newKeys.shape(2);
        if (batch >= 0 && length > keep) {
            // No query from this step on reaches back further than keep tokens.
            int drop = length - keep;
            start += drop;
            dropped += drop;
            length = keep;
        }
        int needed = length + tokens;
        boolean full = (long) start + needed > capacity;
        // A reservation past the limit is honoured up to it (else every step would reallocate). Rows that
        // reach the end move to the front when they fill at most half the arrays, which the dropped rows
        // pay for; else the arrays double (the only case without a window, where start stays 0).
        if ((full && 2L * needed > capacity) || Math.min(reserved, maxCapacity(b)) > capacity || b != allocatedBatch) {
            // Double what the same batch size had; a first allocation starts small unless reserved.
            long grown = b == allocatedBatch ? Math.max(2L * capacity, INITIAL_CAPACITY) : INITIAL_CAPACITY;
            grown = Math.max(grown, Math.max(needed, reserved));
            // Never past the 2^31-1 limit (checkStep made sure that needed fits under it).
            reallocate(b, (int) Math.min(grown, maxCapacity(b)));
        } else if (full) {
            compact();
        }
        detachKeysBeforeWriting(start + length); // after a crop or clear, the new rows may overwrite shared ones
        batch = b;
        unbatched = noBatch;
        scatter(newKeys, keys);
        scatter(newValues, values);
        if (valuesFinite) {
            int[] rows = new int[b * numHeads];
            for (int blockIndex = 0; blockIndex < rows.length; blockIndex++) {
                rows[blockIndex] = (blockIndex * capacity + start + length) * headDim;
            }
            valuesFinite = AttentionProblem.allFinite(values, rows, tokens * headDim);
        }
        length = needed;
    }

    /**
     * A step's attention of the new queries {@code q [B, H, T, d]} over everything cached, through
     * {@code kernel}: Heed's kernels are told whether the values are all finite, which the cache
     * knows ({@link #valuesFinite}), instead of scanning them.
     */
    AttentionResult attend(Attention kernel, Tensor q, Mask mask) {
        if (kernel instanceof ScaledDotProductAttention full) {
            return full.apply(q, keyView(), valueView(), mask, valuesFinite);
        }
        if (kernel instanceof ChunkedAttention chunked) {
            AttentionResult result = chunked.apply(q, keyView(), valueView(), mask, valuesFinite, true);
            sharedKeyRows = Math.max(sharedKeyRows, start + length); // its lazy weights read these rows
            return result;
        }
        return kernel.apply(q, keyView(), valueView(), mask);
    }

    /**
     * Copies {@code x [B, H, T, d]}, any view, into rows {@code [start + length, start + length + T)} of
     * every (batch, head) block, reading its strides (no intermediate copy).
     */
    private void scatter(Tensor x, double[] into) {
        double[] src = x.data();
        int[] s = x.strides();
        int b = x.shape(0);
        int tokens = x.shape(2);
        for (int n = 0; n < b; n++) {
            for (int h = 0; h < numHeads; h++) {
                int dst = ((n * numHeads + h) * capacity + start + length) * headDim;
                for (int t = 0; t < tokens; t++) {
                    int from = x.offset() + n * s[0] + h * s[1] + t * s[2];
                    int to = dst + t * headDim;
                    if (s[3] == 1) {
                        System.arraycopy(src, from, into, to, headDim);
                    } else {
                        for (int i = 0; i < headDim; i++) {
                            into[to + i] = src[from + i * s[3]];
                        }
                    }
                }
            }
        }
    }

    /** Moves the held rows of every (batch, head) block to its front, in place. */
    private void compact() {
        detachKeysBeforeWriting(0);
        for (int blockIndex = 0; blockIndex < allocatedBatch * numHeads; blockIndex++) {
            int base = blockIndex * capacity * headDim;
            System.arraycopy(keys, base + start * headDim, keys, base, length * headDim);
            System.arraycopy(values, base + start * headDim, values, base, length * headDim);
        }
        start = 0;
    }

    /**
     * Before key rows from {@code row} on are written: if a result may still read one of them
     * ({@link #sharedKeyRows}), copies the held keys into a new array of the same layout, leaving the
     * old one unchanged for those results.
     */
    private void detachKeysBeforeWriting(int row) {
        if (row >= sharedKeyRows) {
            return;
        }
        double[] k = new double[keys.length];
        for (int blockIndex = 0; blockIndex < allocatedBatch * numHeads && length > 0; blockIndex++) {
            int from = (blockIndex * capacity + start) * headDim;
            System.arraycopy(keys, from, k, from, length * headDim);
        }
        keys = k;
        sharedKeyRows = 0;
    }

    /**
     * Moves the filled rows into new arrays of {@code newCapacity} tokens for batch size {@code b}.
     * A batch size other than the arrays' comes only after {@link #clear()}, with nothing to keep.
     */
    private void reallocate(int b, int newCapacity) {
        int block = newCapacity * headDim;
        double[] k = new double[b * numHeads * block];
        double[] v = new double[k.length];
        int held = b == allocatedBatch ? length : 0;
        for (int blockIndex = 0; blockIndex < b * numHeads && held > 0; blockIndex++) {
            int from = (blockIndex * capacity + start) * headDim;
            System.arraycopy(keys, from, k, blockIndex * block, held * headDim);
            System.arraycopy(values, from, v, blockIndex * block, held * headDim);
        }
        keys = k;
        values = v;
        sharedKeyRows = 0; // the old arrays stay with the results that read them
        start = 0;
        capacity = newCapacity;
        allocatedBatch = b;
    }
}
