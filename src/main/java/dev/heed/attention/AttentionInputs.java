package dev.heed.attention;

import dev.heed.internal.attention.AttentionProblem;
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

    private AttentionInputs(AttentionProblem problem, int[] batchShape) {
        this.problem = problem;
        this.batchShape = batchShape;
    }

    /**
     * @param scale the score scale, or NaN for the default {@code 1/sqrt(d)}
     */
    static AttentionInputs of(Tensor query, Tensor key, Tensor value, Mask mask, double scale) {
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
        int[] batch;
        try {
            batch = Tensor.broadcastShapes(Tensor.broadcastShapes(lead(qs), lead(ks)), lead(vs));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the batch axes do not broadcast: " + shapes, e);
        }
        if (Double.isNaN(scale)) {
            scale = d == 0 ? 1.0 : 1.0 / Math.sqrt(d);
        }
        MaskPlan plan = mask.bind(append(batch, L, S));
        Tensor q = packed(query);
        Tensor k = packed(key);
        Tensor v = packed(value);
        int[] qOff = batchOffsets(q, batch, L, d);
        int[] kOff = batchOffsets(k, batch, S, d);
        int[] vOff = batchOffsets(v, batch, S, dv);
        AttentionProblem p = new AttentionProblem(
                qOff.length, L, S, d, dv, scale, q.data(), qOff, k.data(), kOff, v.data(), vOff, plan);
        return new AttentionInputs(p, batch);
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
     * later writes to the caller's tensors cannot change them.
     */
    AttentionProblem withPrivateQueriesAndKeys(Tensor query, Tensor key) {
        AttentionProblem p = problem;
        int[] qOff = p.qOffset;
        double[] q = p.q;
        if (q == query.data()) { // not packed, so shared with the caller
            qOff = new int[p.batches];
            q = copyBlocks(p.q, p.qOffset, p.queries * p.depth, qOff);
        }
        int[] kOff = p.kOffset;
        double[] k = p.k;
        if (k == key.data()) {
            kOff = new int[p.batches];
            k = copyBlocks(p.k, p.kOffset, p.keys * p.depth, kOff);
        }
        return new AttentionProblem(
                p.batches, p.queries, p.keys, p.depth, p.valueDepth, p.scale, q, qOff, k, kOff, p.v, p.vOffset, p.mask);
    }

    /** The distinct blocks {@code src[offsets[b], offsets[b] + length)} packed one after another. */
    private static double[] copyBlocks(double[] src, int[] offsets, int length, int[] newOffsets) {
        if (length == 0) {
            return new double[0]; // offsets of an empty tensor may point anywhere: nothing to read
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

    private static int[] batchOffsets(Tensor t, int[] batch, int rows, int cols) {
        Tensor b = t.broadcastTo(append(batch, rows, cols));
        return BatchedMatrices.offsets(b.shape(), b.strides(), b.offset());
    }

    private static int[] lead(int[] shape) {
        return Arrays.copyOf(shape, shape.length - 2);
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

    static double checkScale(double scale) {
        if (!Double.isFinite(scale)) {
            throw new IllegalArgumentException("scale must be finite, got " + scale);
        }
        return scale;
    }
}
