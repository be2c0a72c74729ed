package dev.heed.attention;

import dev.heed.internal.attention.MaskPlan;
import dev.heed.internal.attention.ScoresProblem;
import dev.heed.internal.linalg.BatchedMatrices;
import dev.heed.tensor.Tensor;
import java.util.Arrays;

/**
 * Checks the arguments of {@link SoftmaxAttention} and lays them out for the kernels, reading the
 * scores where they are (no copy). Package-private: the forward pass and, later, its backward
 * build the same layout from the same arguments.
 */
final class ScoreInputs {
    final ScoresProblem problem;
    final int[] batchShape;

    private ScoreInputs(ScoresProblem problem, int[] batchShape) {
        this.problem = problem;
        this.batchShape = batchShape;
    }

    static ScoreInputs of(Tensor scores, Tensor value, Mask mask) {
        if (scores == null || value == null) {
            throw new IllegalArgumentException("scores and value must not be null");
        }
        if (mask == null) {
            throw new IllegalArgumentException("mask must not be null; use Mask.none()");
        }
        int[] ss = scores.shape();
        int[] vs = value.shape();
        String shapes = "scores " + Arrays.toString(ss) + ", value " + Arrays.toString(vs);
        if (ss.length < 2 || vs.length < 2) {
            throw new IllegalArgumentException("attention over scores needs scores [..., L, S] and value [..., S, dv] "
                    + "of rank >= 2; got " + shapes);
        }
        int L = ss[ss.length - 2];
        int S = ss[ss.length - 1];
        int dv = vs[vs.length - 1];
        if (vs[vs.length - 2] != S) {
            throw new IllegalArgumentException("scores and value differ in the number of keys S (" + S + " vs "
                    + vs[vs.length - 2] + "): " + shapes);
        }
        int[] batch;
        try {
            batch = Tensor.broadcastShapes(lead(ss), lead(vs));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the batch axes do not broadcast: " + shapes, e);
        }
        MaskPlan plan = mask.bind(AttentionInputs.append(batch, L, S));
        // The scores stay where they are: a broadcast view gives every batch element its offset.
        Tensor sb = scores.broadcastTo(AttentionInputs.append(batch, L, S));
        int[] st = sb.strides();
        int[] sOff = BatchedMatrices.offsets(sb.shape(), st, sb.offset());
        // The values are the B of a matrix product, which needs unit column stride.
        Tensor vb = AttentionInputs.packed(value).broadcastTo(AttentionInputs.append(batch, S, dv));
        int[] vOff = BatchedMatrices.offsets(vb.shape(), vb.strides(), vb.offset());
        ScoresProblem p = new ScoresProblem(
                sOff.length, L, S, dv, sb.data(), sOff, st[st.length - 2], st[st.length - 1], vb.data(), vOff, plan);
        return new ScoreInputs(p, batch);
    }

    /** Output shape {@code [batch..., L, dv]}. */
    int[] outputShape() {
        return AttentionInputs.append(batchShape, problem.queries, problem.valueDepth);
    }

    /** Weights shape {@code [batch..., L, S]}. */
    int[] weightsShape() {
        return AttentionInputs.append(batchShape, problem.queries, problem.keys);
    }

    /** Log-sum-exp shape {@code [batch..., L]}. */
    int[] logSumExpShape() {
        return AttentionInputs.append(batchShape, problem.queries);
    }

    private static int[] lead(int[] shape) {
        return Arrays.copyOf(shape, shape.length - 2);
    }
}
