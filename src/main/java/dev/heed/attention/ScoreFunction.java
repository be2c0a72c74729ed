package dev.heed.attention;

import dev.heed.tensor.Tensor;
import java.util.List;

/**
 * A function of each attention score, FlexAttention's {@code score_mod}: the score {@code s} of query {@code query}
 * and key {@code key} in head {@code head} of batch element {@code batch} becomes {@code apply(batch, head, query,
 * key, s)}. Relative-position biases (T5's buckets), learned biases looked up by any index, ALiBi and soft caps are
 * all score functions; {@link ScaledDotProductAttention#withScoreFunction} and
 * {@link ChunkedAttention#withScoreFunction} run them, forward and backward, in either kernel.
 *
 * <p><b>Order.</b> The kernels form {@code s = scale · q·k}, then the soft cap if set, then this function, then the
 * mask and its biases: as FlexAttention applies {@code score_mod} before its block mask. So a masked pair stays
 * masked whatever the function returns (a score function never unblocks a key), tiles a mask blocks entirely are
 * still skipped, and a bias from the mask is not passed through the function.
 *
 * <p><b>Indices</b> are those of {@link Mask#where}: {@code head} is the index on axis −3 of the scores
 * {@code [..., H, L, S]} (0 below rank 3), {@code batch} the row-major index over the axes before it, {@code query}
 * in {@code [0, L)} and {@code key} in {@code [0, S)}. Under grouped-query attention {@code head} is the query head.
 *
 * <p><b>Values.</b> For a finite score, {@code apply} must return a finite value or {@code -inf}; {@code -inf}
 * blocks the pair like a {@code -inf} bias (FlexAttention allows it too), and a row where every pair becomes
 * {@code -inf} gets output 0, log-sum-exp {@code -inf} and zero gradients, like a row the mask empties. NaN or
 * {@code +inf} for a finite score is an error: the call throws {@link IllegalArgumentException} naming the pair,
 * the score and the value. A score that is itself not finite (from an infinite or NaN input) is passed in and
 * whatever comes out propagates as IEEE arithmetic says. The kernels may call {@code apply} on pairs the mask
 * blocks (within a tile they compute), and call it again for the same pair in the backward (which recomputes the
 * scores; {@link ChunkedAttention}'s lazy weights call it once more): it must be a pure function of its arguments
 * and the tensors it reads, and those tensors must not change between a forward and its backward.
 *
 * <p><b>Gradients.</b> The backward needs {@link #derivative}, {@code ∂apply/∂score}, at each pair that carries
 * weight, and hands {@link #backward} the loss's gradient with respect to the modified score there, so that the
 * function can add the gradients of the tensors it reads ({@link #parameters}). They come back in
 * {@link AttentionGradients#scoreParameters()}, shaped like each tensor, bitwise the same for any thread count
 * (each backward task sums into a private copy of every parameter, and the copies are added in a fixed order:
 * memory of one parameter set per task, see the kernels' {@code withScoreFunction}).
 *
 * <p>Implementations must be safe to call from many threads at once. The built-ins are immutable and read their
 * tables in each attention call, not when built: after a training step writes a table in place, the next call sees
 * the new values.
 */
public interface ScoreFunction {
    /**
     * The modified score.
     *
     * @param batch the batch element, row-major over the axes before the head axis
     * @param head  the head, the index on axis −3 of the scores (0 below rank 3)
     * @param query the query, in {@code [0, L)}
     * @param key   the key, in {@code [0, S)}
     * @param score the score after the scale and the soft cap
     * @return the new score: finite, or {@code -inf} to block the pair
     */
    double apply(int batch, int head, int query, int key, double score);

    /**
     * The derivative of {@link #apply} in {@code score} at this pair; 1 for a bias.
     *
     * @param batch the batch element
     * @param head  the head
     * @param query the query
     * @param key   the key
     * @param score the score {@link #apply} was given
     * @return {@code ∂apply/∂score}, finite
     */
    double derivative(int batch, int head, int query, int key, double score);

    /**
     * The tensors this function reads and passes gradients to through {@link #backward}; empty (the default) for a
     * function without parameters. Their gradients come back in this order, shaped like each.
     *
     * @return the parameters, not copied
     */
    default List<Tensor> parameters() {
        return List.of();
    }

    /**
     * Adds this pair's contribution to the gradients of the {@link #parameters}: given {@code gradient}, the loss's
     * gradient with respect to {@code apply(batch, head, query, key, score)}, add
     * {@code gradient · ∂apply/∂parameter} to each element read, through {@code sink}. Called only for pairs whose
     * gradient is not 0. The default does nothing (no parameters).
     *
     * @param batch    the batch element
     * @param head     the head
     * @param query    the query
     * @param key      the key
     * @param score    the score {@link #apply} was given
     * @param gradient the loss's gradient with respect to the modified score
     * @param sink     where the gradients go
     */
    default void backward(int batch, int head, int query, int key, double score, double gradient, GradientSink sink) {}

    /**
     * This function for one call with scores of this shape: every attention call asks it once, before anything is
     * computed, and uses the function it returns for that call. The default returns this function; one that depends
     * on {@code L} or {@code S} (a bottom-right aligned position) returns one for that shape, and one that cannot
     * serve the shape (a table with the wrong number of heads) throws.
     *
     * @param scoresShape the broadcast scores shape {@code [..., L, S]}; not modified
     * @return the function for this shape, with the same {@link #parameters}
     * @throws IllegalArgumentException if this function cannot serve the shape, naming the shapes
     */
    default ScoreFunction bind(int[] scoresShape) {
        return this;
    }

    /** Where {@link #backward} adds the gradients of its parameters. */
    @FunctionalInterface
    interface GradientSink {
        /**
         * Adds {@code value} to the gradient of element {@code index} of parameter {@code parameter}.
         *
         * @param parameter the position of the tensor in {@link #parameters()}
         * @param index     the element, row-major over that tensor's shape
         * @param value     what to add
         * @throws IllegalArgumentException if there is no such parameter or element
         */
        void add(int parameter, int index, double value);
    }

    /** A score as a function of its position and value: what {@link #of} takes. */
    @FunctionalInterface
    interface Modifier {
        /**
         * The value at one pair.
         *
         * @param batch the batch element
         * @param head  the head
         * @param query the query
         * @param key   the key
         * @param score the score
         * @return the function's value there
         */
        double apply(int batch, int head, int query, int key, double score);
    }

    /** Which element of a table a pair reads: what {@link #bias(Tensor, Index)} takes. */
    @FunctionalInterface
    interface Index {
        /**
         * The element of the table.
         *
         * @param batch the batch element
         * @param head  the head
         * @param query the query
         * @param key   the key
         * @return the element, row-major over the table's shape, in {@code [0, table.size())}
         */
        int at(int batch, int head, int query, int key);
    }

    /**
     * A function without parameters, given with its derivative: for example Gemma 2's soft cap
     * {@code of((b, h, i, j, s) -> cap * Math.tanh(s / cap), (b, h, i, j, s) -> 1 - Math.pow(Math.tanh(s / cap), 2))},
     * or ALiBi {@code of((b, h, i, j, s) -> s - slope[h] * Math.abs(i + S - L - j), (b, h, i, j, s) -> 1)}.
     *
     * @param apply      the modified score
     * @param derivative its derivative in {@code score}
     * @return the function
     * @throws IllegalArgumentException if either is null
     */
    static ScoreFunction of(Modifier apply, Modifier derivative) {
        return new ScoreFunctions.Plain(apply, derivative);
    }

    /**
     * A bias looked up in a table by any index, {@code s + table[index(batch, head, query, key)]}, with the table as
     * its one parameter: its gradient is the sum of the modified scores' gradients of the pairs that read each
     * element (scattered). For a fixed bias, ignore the gradient. The table is read when the attention runs, not
     * copied.
     *
     * @param table the table, any shape and layout (views read through their strides); not modified
     * @param index which element each pair reads, row-major over the table's shape
     * @return the function; the attention call throws {@link IllegalArgumentException} if an index falls outside
     *     the table
     * @throws IllegalArgumentException if either is null
     */
    static ScoreFunction bias(Tensor table, Index index) {
        return new ScoreFunctions.TableBias(table, index, "bias");
    }

    /**
     * T5's relative position bias: {@code s + table[head, bucket(key − query')]}, with {@code bucket} exactly Hugging
     * Face's {@code T5Attention._relative_position_bucket} ({@link #relativePositionBucket}) and
     * {@code query' = query + S − L}, bottom-right aligned like {@link Mask#causal()}: for {@code L == S} the
     * relative position is {@code key − query} as in Hugging Face's {@code compute_bias}, and when decoding with a
     * cache ({@code L < S}) it is the query's position in the whole sequence, as Hugging Face slices its bias. The
     * table is Hugging Face's {@code relative_attention_bias.weight} transposed ({@code [numBuckets, heads]} there).
     *
     * <p>Each attention call reads the table once, when it starts, into a bias per head and diagonal
     * ({@code heads · (L + S − 1)} doubles), so a score costs one addition. Called directly, outside an attention
     * call, {@code apply} takes {@code L == S} (relative position {@code key − query}).
     *
     * @param table         {@code [heads, numBuckets]}, heads equal to the scores' axis −3 or 1 (shared by every
     *                      head); the one parameter; read when the attention runs, not copied, not modified
     * @param bidirectional true for an encoder (keys on both sides get their own buckets), false for a decoder
     *                      (keys after the query share bucket 0)
     * @param numBuckets    T5's {@code relative_attention_num_buckets} (32)
     * @param maxDistance   T5's {@code relative_attention_max_distance} (128): distances from it on share the
     *                      last bucket
     * @return the function; an attention call throws {@link IllegalArgumentException} if the table's heads are
     *     neither 1 nor the scores' axis −3, or if an element it reads is NaN or {@code +inf}
     * @throws IllegalArgumentException if the table is null or not {@code [heads, numBuckets]}, if
     *     {@code numBuckets} leaves no exact bucket (below 2, or 4 when bidirectional), or {@code maxDistance} is not
     *     above the exact buckets ({@code numBuckets / 4} when bidirectional, else {@code numBuckets / 2})
     */
    static ScoreFunction relativePositionBias(Tensor table, boolean bidirectional, int numBuckets, int maxDistance) {
        return ScoreFunctions.relativePositionBias(table, bidirectional, numBuckets, maxDistance);
    }

    /**
     * Hugging Face's {@code T5Attention._relative_position_bucket} for one relative position, the same integer
     * arithmetic and the same single-precision logarithm: bidirectional, half the buckets go to keys after the query
     * ({@code relativePosition > 0}) and the distance is {@code |relativePosition|}; otherwise keys after the query
     * fall in bucket 0 and the distance is {@code max(−relativePosition, 0)}. Of the {@code n} buckets left, the
     * first {@code n/2} hold distances {@code 0 … n/2 − 1} exactly, the rest logarithmically wider bins up to
     * {@code maxDistance}, and every distance from there on the last.
     *
     * @param relativePosition {@code key − query}
     * @param bidirectional    whether keys after the query get buckets of their own
     * @param numBuckets       the number of buckets
     * @param maxDistance      the distance from which on every key shares the last bucket
     * @return the bucket, in {@code [0, numBuckets)}
     * @throws IllegalArgumentException if {@code numBuckets} leaves no exact bucket or {@code maxDistance} is not
     *     above the exact buckets, as {@link #relativePositionBias} says
     */
    static int relativePositionBucket(int relativePosition, boolean bidirectional, int numBuckets, int maxDistance) {
        ScoreFunctions.checkBuckets(bidirectional, numBuckets, maxDistance);
        return ScoreFunctions.bucket(relativePosition, bidirectional, numBuckets, maxDistance);
    }
}
