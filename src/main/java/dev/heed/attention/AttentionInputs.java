package dev.heed.attention;

import dev.heed.internal.attention.AttentionProblem;
import dev.heed.internal.attention.Dropout;
import dev.heed.internal.attention.MaskPlan;
import dev.heed.internal.linalg.BatchedMatrices;
import dev.heed.tensor.Tensor;
import java.util.Arrays;

/**
 * Checks the arguments of an attention call and lays them out for the kernels. Package-private:
 * the public kernels share it so every one reports bad input the same way.
 */
final class AttentionInputs {
    final AttentionProblem problem;
    final int[] batchShape;
    /** Query heads per key head (grouped-query attention), 1 when the key is not grouped. */
    final int keyGroup;
    /** Query heads per value head, 1 when the value is not grouped. */
    final int valueGroup;
    /** The score function bound to this call, or null for none. */
    final ScoreFunctions.Bound scoreFunction;

    private AttentionInputs(
            AttentionProblem problem,
            int[] batchShape,
            int keyGroup,
            int valueGroup,
            ScoreFunctions.Bound scoreFunction) {
        this.problem = problem;
        this.batchShape = batchShape;
        this.keyGroup = keyGroup;
        this.valueGroup = valueGroup;
        this.scoreFunction = scoreFunction;
    }

    /**
     * @param scale the score scale, or NaN for the default {@code 1/sqrt(d)}
     */
    static AttentionInputs of(Tensor query, Tensor key, Tensor value, Mask mask, double scale) {
        return of(query, key, value, mask, scale, 0.0);
    }

    /**
     * @param scale   the score scale, or NaN for the default {@code 1/sqrt(d)}
     * @param softCap the soft cap of the scores, or 0 for none
     */
    static AttentionInputs of(Tensor query, Tensor key, Tensor value, Mask mask, double scale, double softCap) {
        return of(query, key, value, mask, scale, softCap, 0.0, 0L, null);
    }

    /**
     * @param scale         the score scale, or NaN for the default {@code 1/sqrt(d)}
     * @param softCap       the soft cap of the scores, or 0 for none
     * @param dropout       the probability of dropping a weight, in {@code [0, 1)}; 0 for none
     * @param seed          the seed of the dropout's generator
     * @param scoreFunction the score function, or null for none
     */
    static AttentionInputs of(
            Tensor query,
            Tensor key,
            Tensor value,
            Mask mask,
            double scale,
            double softCap,
            double dropout,
            long seed,
            ScoreFunction scoreFunction) {
        return of(query, key, value, mask, scale, softCap, dropout, seed, scoreFunction, false);
    }

    /**
     * @param valuesKnownFinite true when the caller knows every value element is finite (a
     *                          {@link KeyValueCache}'s values): they are then not scanned again
     */
    static AttentionInputs of(
            Tensor query,
            Tensor key,
            Tensor value,
            Mask mask,
            double scale,
            double softCap,
            double dropout,
            long seed,
            ScoreFunction scoreFunction,
            boolean valuesKnownFinite) {
        if (query == null || key == null || value == null) {
            throw new IllegalArgumentException("query, key and value must not be null");
        }
        if (mask == null) {
            throw new IllegalArgumentException("mask must not be null; use Mask.none()");
        }
        int[] qs = query.shape();
        int[] ks = key.shape();
        int[] vs = value.shape();
        String shapes =
                "query " + Arrays.toString(qs) + ", key " + Arrays.toString(ks) + ", value " + Arrays.toString(vs);
        if (qs.length < 2 || ks.length < 2 || vs.length < 2) {
            throw new IllegalArgumentException("attention needs query [..., L, d], key [..., S, d] and "
                    + "value [..., S, dv] of rank >= 2; got " + shapes);
        }
        int L = qs[qs.length - 2];
        int d = qs[qs.length - 1];
        int S = ks[ks.length - 2];
        int dv = vs[vs.length - 1];
        if (ks[ks.length - 1] != d) {
            throw new IllegalArgumentException(
                    "query and key differ in their last axis d (" + d + " vs " + ks[ks.length - 1] + "): " + shapes);
        }
        if (vs[vs.length - 2] != S) {
            throw new IllegalArgumentException(
                    "key and value differ in the number of keys S (" + S + " vs " + vs[vs.length - 2] + "): " + shapes);
        }
        // Grouped-query attention: a key or value whose head axis (-3) divides the query's serves
        // a group of query heads. It takes part in the broadcast as if it had the query's heads;
        // its offsets below then map query head h to its own head h / group.
        int queryHeads = heads(qs);
        int keyGroup = group("key", ks, queryHeads, shapes);
        int valueGroup = group("value", vs, queryHeads, shapes);
        int[] batch;
        try {
            batch = Tensor.broadcastShapes(Tensor.broadcastShapes(lead(qs), lead(ks, keyGroup)), lead(vs, valueGroup));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the batch axes do not broadcast: " + shapes, e);
        }
        if (Double.isNaN(scale)) {
            scale = d == 0 ? 1.0 : 1.0 / Math.sqrt(d);
        }
        MaskPlan plan = mask.bind(append(batch, L, S));
        ScoreFunctions.Bound fn =
                scoreFunction == null ? null : new ScoreFunctions.Bound(scoreFunction, append(batch, L, S));
        Tensor q = packed(query);
        Tensor k = packed(key);
        Tensor v = packed(value);
        int[] qOff = batchOffsets(q, batch, L, d, 1);
        int[] kOff = batchOffsets(k, batch, S, d, keyGroup);
        int[] vOff = batchOffsets(v, batch, S, dv, valueGroup);
        // Dropout's (batch, head) are Mask.where's: head on the scores' axis -3, batch over the axes before it.
        Dropout drop =
                dropout == 0 ? null : new Dropout(dropout, seed, batch.length == 0 ? 1 : batch[batch.length - 1]);
        AttentionProblem p = new AttentionProblem(
                qOff.length,
                L,
                S,
                d,
                dv,
                scale,
                softCap,
                q.data(),
                qOff,
                k.data(),
                kOff,
                v.data(),
                vOff,
                plan,
                drop,
                fn,
                valuesKnownFinite || AttentionProblem.allFinite(v.data(), vOff, S * dv));
        return new AttentionInputs(p, batch, keyGroup, valueGroup, fn);
    }

    /** The size of the head axis (-3) of a {@code [..., rows, cols]} shape; 1 below rank 3. */
    static int heads(int[] shape) {
        return shape.length >= 3 ? shape[shape.length - 3] : 1;
    }

    /**
     * How many query heads share one head of {@code shape} (a key or value): 1 unless its head
     * axis has more than one head and fewer than the query, in which case its count must divide
     * the query's (grouped-query attention; one head is multi-query attention, plain broadcast).
     */
    private static int group(String name, int[] shape, int queryHeads, String shapes) {
        int h = heads(shape);
        if (h == 1 || h == queryHeads || queryHeads == 1) {
            return 1; // equal, or broadcast (checked with the other batch axes)
        }
        if (h > queryHeads || queryHeads % h != 0) {
            throw new IllegalArgumentException("the batch axes do not broadcast: the " + name + " has " + h
                    + " heads (axis -3) and the query "
                    + queryHeads + ": for grouped-query attention the " + name + "'s head count must divide the "
                    + "query's (or be 1 or equal to it); " + shapes);
        }
        return queryHeads / h;
    }

    /** Output shape {@code [batch..., L, dv]}. */
    int[] outputShape() {
        return append(batchShape, problem.queries, problem.valueDepth);
    }

    /** Weights shape {@code [batch..., L, S]}. */
    int[] weightsShape() {
        return append(batchShape, problem.queries, problem.keys);
    }

    /** Log-sum-exp shape {@code [batch..., L]}. */
    int[] logSumExpShape() {
        return append(batchShape, problem.queries);
    }

    /**
     * The problem with the query and key blocks it reads from the caller's own arrays copied into
     * arrays of its own (blocks shared by broadcast stay shared); the values stay the caller's.
     * {@link ChunkedAttention}'s lazy weights read it: weights depend on queries and keys only, so
     * later writes to the caller's tensors cannot change them. Keys the caller promises never to
     * overwrite ({@code keysKept}: a {@link KeyValueCache}'s, which moves its keys to new arrays
     * before writing where a result may still read) are read in place.
     */
    AttentionProblem withPrivateQueriesAndKeys(Tensor query, Tensor key, boolean keysKept) {
        AttentionProblem p = problem;
        int[] qOff = p.qOffset;
        double[] q = p.q;
        if (q == query.data()) { // not packed, so shared with the caller
            qOff = new int[p.batches];
            q = copyBlocks(p.q, p.qOffset, p.queries * p.depth, qOff);
        }
        int[] kOff = p.kOffset;
        double[] k = p.k;
        if (k == key.data() && !keysKept) {
            kOff = new int[p.batches];
            k = copyBlocks(p.k, p.kOffset, p.keys * p.depth, kOff);
        }
        return p.withQueriesAndKeys(q, qOff, k, kOff);
    }

    /** The distinct blocks {@code src[offsets[b], offsets[b] + length)} packed one after another. */
    private static double[] copyBlocks(double[] src, int[] offsets, int length, int[] newOffsets) {
        if (length == 0 || offsets.length == 0) {
            return new double[0]; // offsets of an empty tensor may point anywhere: nothing to read
        }
        boolean consecutive = true;
        for (int b = 1; b < offsets.length && consecutive; b++) {
            consecutive = offsets[b] == offsets[0] + b * length;
        }
        if (consecutive) {
            // One range (a contiguous tensor's blocks): copyOfRange fills a new array without first
            // zeroing it, half the memory traffic of an allocation followed by copies.
            for (int b = 0; b < offsets.length; b++) {
                newOffsets[b] = b * length;
            }
            return java.util.Arrays.copyOfRange(src, offsets[0], offsets[0] + offsets.length * length);
        }
        java.util.Map<Integer, Integer> seen = new java.util.HashMap<>();
        for (int b = 0; b < offsets.length; b++) {
            newOffsets[b] = seen.computeIfAbsent(offsets[b], o -> seen.size()) * length;
        }
        double[] out = new double[seen.size() * length];
        seen.forEach((from, index) -> System.arraycopy(src, from, out, index * length, length));
        return out;
    }

    /** The tensor itself if its matrices are dense row-major (any batch strides), else a packed copy. */
    static Tensor packed(Tensor t) {
        int r = t.rank();
        int rows = t.shape(r - 2);
        int cols = t.shape(r - 1);
        int[] st = t.strides();
        boolean colsOk = cols <= 1 || st[r - 1] == 1;
        boolean rowsOk = rows <= 1 || st[r - 2] == cols;
        return colsOk && rowsOk ? t : t.copy();
    }

    /**
     * Where each batch element's matrix of {@code t} starts. With {@code group > 1} the last batch
     * axis counts query heads and {@code t} has {@code group} times fewer: batch element
     * {@code (outer, h)} reads {@code t}'s head {@code h / group}, so no head is copied.
     */
    private static int[] batchOffsets(Tensor t, int[] batch, int rows, int cols, int group) {
        if (group == 1) {
            Tensor b = t.broadcastTo(append(batch, rows, cols));
            return BatchedMatrices.offsets(b.shape(), b.strides(), b.offset());
        }
        int queryHeads = batch[batch.length - 1];
        int ownHeads = queryHeads / group;
        int[] own = batch.clone();
        own[own.length - 1] = ownHeads;
        Tensor b = t.broadcastTo(append(own, rows, cols));
        int[] ownOffsets = BatchedMatrices.offsets(b.shape(), b.strides(), b.offset());
        int[] out = new int[ownOffsets.length * group];
        for (int e = 0; e < out.length; e++) {
            out[e] = ownOffsets[(e / queryHeads) * ownHeads + (e % queryHeads) / group];
        }
        return out;
    }

    private static int[] lead(int[] shape) {
        return Arrays.copyOf(shape, shape.length - 2);
    }

    /** The batch axes of {@code shape} with its head axis widened {@code group} times (a grouped key or value). */
    private static int[] lead(int[] shape, int group) {
        int[] out = lead(shape);
        if (group > 1) {
            out[out.length - 1] *= group;
        }
        return out;
    }

    static int[] append(int[] xs, int... more) {
        int[] out = Arrays.copyOf(xs, xs.length + more.length);
        System.arraycopy(more, 0, out, xs.length, more.length);
        return out;
    }

    static int checkParallelism(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("parallelism must be >= 1, got " + threads);
        }
        return threads;
    }

    static double checkSoftCap(double cap) {
        if (!(cap > 0) || cap == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("softCap must be finite and > 0, got " + cap);
        }
        return cap;
    }

    static double checkDropout(double p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        return p;
    }

    static double checkScale(double scale) {
        if (!Double.isFinite(scale)) {
            throw new IllegalArgumentException("scale must be finite, got " + scale);
        }
        return scale;
    }
}
