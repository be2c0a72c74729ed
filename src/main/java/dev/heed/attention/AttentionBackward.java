package dev.heed.attention;

import dev.heed.internal.Parallel;
import dev.heed.internal.attention.AttentionProblem;
import dev.heed.internal.attention.BackwardKernels;
import dev.heed.internal.attention.BackwardProblem;
import dev.heed.internal.attention.QueryGradientSum;
import dev.heed.internal.attention.QueryTiles;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Checks the arguments of {@link Attention#backward}, runs {@link BackwardKernels} over
 * {@link Parallel}, and sums the gradients of broadcast inputs back to their shapes.
 * Package-private: shared by the public attention classes.
 *
 * <p>The kernels write gradients per batch element of the broadcast batch, each task into rows of
 * its own; a shared input's gradient is then summed over its batch elements in row-major order.
 * No floating-point sum depends on which thread ran what, so the gradients are bitwise the same
 * for any parallelism.
 */
final class AttentionBackward {
    /** Keys per task of the materialised backward's key pass, as many as the query pass takes queries. */
    static final int MATERIALISED_KEY_TILE = AttentionDriver.MATERIALISED_QUERY_TILE;

    /**
     * Early {@code dQ} shares the chunked backward may hold per thread before a task waits for its
     * turn ({@link QueryGradientSum}): the tasks of one batch element move through the query tiles
     * in step, but a thread the operating system deschedules falls behind the others by as many
     * tiles as they finish meanwhile. On 2 busy cores (load 7) 8 per thread made tasks wait about
     * once per 100 tile pairs, 32 about once per 15,000. The memory it bounds, 32 KiB per share at
     * the default 64 × 64 tiles (1 MiB per thread), is small beside the gradients.
     */
    static final int HELD_SHARES_PER_THREAD = 32;

    private static final BackwardKernels DEFAULT = new BackwardKernels(VectorizationProvider.support());

    private AttentionBackward() {}

    /**
     * The backward from the forward's materialised weights ({@link ScaledDotProductAttention}):
     * {@code dS} is materialised too, O(L·S) memory.
     */
    static AttentionGradients materialised(
            AttentionDriver driver,
            AttentionInputs in,
            Tensor query,
            Tensor key,
            Tensor value,
            AttentionResult forward,
            Tensor gradOutput) {
        check(in, query, key, value, forward, gradOutput);
        Tensor weightsTensor = forward.weights();
        if (!Arrays.equals(weightsTensor.shape(), in.weightsShape())) {
            throw new IllegalArgumentException("forward does not belong to these inputs: its weights have shape "
                    + Arrays.toString(weightsTensor.shape()) + " but " + inputShapes(query, key, value)
                    + " give weights " + Arrays.toString(in.weightsShape()));
        }
        Gradients out = new Gradients(in);
        BackwardProblem g = out.problem(in.problem, forward, gradOutput);
        AttentionProblem p = in.problem;
        BackwardKernels kernels = kernels(driver.support());
        int threads = driver.parallelism();
        double[] weights = dense(weightsTensor);
        // With dropout the saved weights are P ∘ Z, and dS needs P itself where Z = 0 too: the weights
        // are recomputed without dropout, by the forward's own code, so bitwise the forward's P.
        double[] undropped = p.dropout == null ? weights : undroppedWeights(driver, p, weightsTensor.size());
        if (!g.finite) {
            Parallel.forEach(p.batches, 2 * p.flops(), threads, b -> kernels.exact(g, undropped, b));
            return out.reduce(query, key, value);
        }
        int[] vtOffset = new int[p.batches];
        double[] vt = BackwardKernels.transposeValues(p, vtOffset, threads);
        double[] ds = new double[weightsTensor.size()]; // no larger than the weights, which exist
        int qt = AttentionDriver.MATERIALISED_QUERY_TILE;
        int queryTiles = (p.queries + qt - 1) / qt;
        Parallel.forEach(p.batches * queryTiles, p.flops(), threads, t -> {
            int b = t / queryTiles;
            int i0 = (t % queryTiles) * qt;
            kernels.materialisedQueries(g, undropped, vt, vtOffset, ds, b, i0, Math.min(p.queries, i0 + qt));
        });
        int kt = MATERIALISED_KEY_TILE;
        int keyTiles = (p.keys + kt - 1) / kt;
        Parallel.forEach(p.batches * keyTiles, p.flops(), threads, t -> {
            int b = t / keyTiles;
            int j0 = (t % keyTiles) * kt;
            kernels.materialisedKeys(g, weights, ds, b, j0, Math.min(p.keys, j0 + kt));
        });
        return out.reduce(query, key, value);
    }

    /** The weights of {@code p} without its dropout, as the forward computed them before dropping. */
    private static double[] undroppedWeights(AttentionDriver driver, AttentionProblem p, int size) {
        double[] weights = new double[size];
        driver.materialised(p.withDropout(null), weights, null, new double[p.batches * p.queries]);
        return weights;
    }

    /**
     * FlashAttention-2's backward ({@link ChunkedAttention}): score tiles recomputed from q, k and
     * the forward's log-sum-exp, never more than one tile per thread.
     */
    static AttentionGradients chunked(
            AttentionDriver driver,
            AttentionInputs in,
            int queryChunk,
            int keyChunk,
            Tensor query,
            Tensor key,
            Tensor value,
            AttentionResult forward,
            Tensor gradOutput) {
        return chunked(driver, in, queryChunk, keyChunk, query, key, value, forward, gradOutput, -1);
    }

    /**
     * {@link #chunked(AttentionDriver, AttentionInputs, int, int, Tensor, Tensor, Tensor, AttentionResult, Tensor)}
     * holding at most about {@code heldShares} early {@code dQ} shares ({@link QueryGradientSum});
     * negative for the default, {@value #HELD_SHARES_PER_THREAD} per thread. Tests use 0 to make
     * every early share wait. The gradients do not depend on it, bit for bit.
     */
    static AttentionGradients chunked(
            AttentionDriver driver,
            AttentionInputs in,
            int queryChunk,
            int keyChunk,
            Tensor query,
            Tensor key,
            Tensor value,
            AttentionResult forward,
            Tensor gradOutput,
            int heldShares) {
        check(in, query, key, value, forward, gradOutput);
        Gradients out = new Gradients(in);
        BackwardProblem g = out.problem(in.problem, forward, gradOutput);
        AttentionProblem p = in.problem;
        BackwardKernels kernels = kernels(driver.support());
        int threads = driver.parallelism();
        if (!g.finite) {
            Parallel.forEach(p.batches, 2 * p.flops(), threads, b -> kernels.exact(g, null, b));
            return out.reduce(query, key, value);
        }
        // Tiles no larger than the problem, as in the forward (a huge chunk would overflow the tile arithmetic).
        int qc = Math.min(queryChunk, Math.max(1, p.queries));
        int kc = Math.min(keyChunk, Math.max(1, p.keys));
        QueryTiles tiles = QueryTiles.of(g, qc, kc);
        int keyTiles = tiles.keyTiles();
        QueryGradientSum dq = new QueryGradientSum(
                kernels.support(),
                g.gradQuery,
                p.batches,
                p.queries,
                p.depth,
                tiles,
                heldShares < 0 ? HELD_SHARES_PER_THREAD * threads : heldShares);
        // One task per key tile, in increasing (batch element, key tile) order as QueryGradientSum
        // requires; under a causal mask key tile 0 sees the most queries, so the longest tasks start first.
        Parallel.forEach(p.batches * keyTiles, 2.5 * p.flops(), threads, t -> {
            try {
                kernels.chunked(g, qc, kc, t / keyTiles, t % keyTiles, dq);
            } catch (RuntimeException | Error e) {
                dq.abandon(e); // tasks waiting for this one's shares would wait forever
                throw e;
            }
        });
        kernels.support().scale(g.gradQuery, 0, g.gradQuery.length, p.scale);
        return out.reduce(query, key, value);
    }

    private static BackwardKernels kernels(KernelSupport support) {
        return support == DEFAULT.support() ? DEFAULT : new BackwardKernels(support);
    }

    private static void check(
            AttentionInputs in, Tensor query, Tensor key, Tensor value, AttentionResult forward, Tensor gradOutput) {
        if (forward == null) {
            throw new IllegalArgumentException("forward must not be null: pass what apply returned for these inputs");
        }
        if (gradOutput == null) {
            throw new IllegalArgumentException("gradOutput must not be null");
        }
        int[] output = forward.output().shape();
        int[] lse = forward.logSumExp().shape();
        if (!Arrays.equals(output, in.outputShape()) || !Arrays.equals(lse, in.logSumExpShape())) {
            throw new IllegalArgumentException("forward does not belong to these inputs: its output has shape "
                    + Arrays.toString(output) + " and its logSumExp " + Arrays.toString(lse) + ", but "
                    + inputShapes(query, key, value) + " give output " + Arrays.toString(in.outputShape())
                    + " and logSumExp " + Arrays.toString(in.logSumExpShape()));
        }
        if (!Arrays.equals(gradOutput.shape(), output)) {
            throw new IllegalArgumentException("gradOutput must be shaped like forward.output() "
                    + Arrays.toString(output) + ", got " + Arrays.toString(gradOutput.shape()));
        }
    }

    private static String inputShapes(Tensor query, Tensor key, Tensor value) {
        return "query " + Arrays.toString(query.shape()) + ", key " + Arrays.toString(key.shape()) + ", value "
                + Arrays.toString(value.shape());
    }

    /** The elements in row-major order from index 0: the backing array when it is exactly that, else a copy. */
    static double[] dense(Tensor t) {
        return t.isContiguous() && t.offset() == 0 ? t.data() : t.toArray();
    }

    /** The per-batch-element gradient buffers of one call, and their reduction to the inputs' shapes. */
    private static final class Gradients {
        final Tensor query;
        final Tensor key;
        final Tensor value;
        final int keyGroup;
        final int valueGroup;
        /** The call's score function and the backward problem whose partial sums hold its parameters' gradients. */
        final ScoreFunctions.Bound scoreFunction;

        BackwardProblem problem;

        Gradients(AttentionInputs in) {
            keyGroup = in.keyGroup;
            valueGroup = in.valueGroup;
            scoreFunction = in.scoreFunction;
            AttentionProblem p = in.problem;
            // Tensor.zeros refuses a shape past 2^31-1 elements, naming it: a key broadcast over a
            // large batch has a per-element gradient that large before it is summed back.
            query = Tensor.zeros(AttentionInputs.append(in.batchShape, p.queries, p.depth));
            key = Tensor.zeros(AttentionInputs.append(in.batchShape, p.keys, p.depth));
            value = Tensor.zeros(AttentionInputs.append(in.batchShape, p.keys, p.valueDepth));
        }

        BackwardProblem problem(AttentionProblem p, AttentionResult forward, Tensor gradOutput) {
            return problem = new BackwardProblem(
                    p,
                    dense(forward.output()),
                    dense(gradOutput),
                    dense(forward.logSumExp()),
                    query.data(),
                    key.data(),
                    value.data());
        }

        AttentionGradients reduce(Tensor q, Tensor k, Tensor v) {
            List<Tensor> scoreParameters = List.of();
            if (scoreFunction != null) {
                // Every task's partial sums added in a fixed order (ScorePartials), shaped like each parameter.
                double[][] sums = problem.scoreGradients.sum();
                List<Tensor> params = scoreFunction.parameters();
                Tensor[] grads = new Tensor[sums.length];
                for (int t = 0; t < sums.length; t++) {
                    grads[t] = Tensor.of(sums[t], params.get(t).shape());
                }
                scoreParameters = List.of(grads);
            }
            return new AttentionGradients(
                    sumTo(query, q.shape()),
                    sumTo(sumGroups(key, keyGroup), k.shape()),
                    sumTo(sumGroups(value, valueGroup), v.shape()),
                    scoreParameters);
        }
    }

    /**
     * The gradient of a grouped key or value ({@code group} query heads per head of its own):
     * {@code full [..., H, rows, cols]} summed over each run of {@code group} consecutive heads,
     * in head order, giving {@code [..., H / group, rows, cols]}; {@code full} itself when
     * {@code group == 1}.
     */
    static Tensor sumGroups(Tensor full, int group) {
        if (group == 1) {
            return full;
        }
        int[] fs = full.shape();
        int rank = fs.length;
        int[] shape = fs.clone();
        shape[rank - 3] /= group;
        Tensor out = Tensor.zeros(shape);
        double[] src = full.data();
        double[] dst = out.data();
        int block = fs[rank - 1] * fs[rank - 2];
        for (int h = 0, blocks = out.size() / Math.max(1, block); h < blocks && block > 0; h++) {
            for (int t = 0; t < group; t++) {
                int from = (h * group + t) * block;
                for (int e = 0; e < block; e++) {
                    dst[h * block + e] += src[from + e];
                }
            }
        }
        return out;
    }

    /**
     * {@code full} summed over the axes along which {@code shape} was broadcast to it (missing
     * leading axes and size-1 axes), in row-major order of {@code full}; {@code full} itself when
     * the shapes are equal. Only batch axes can differ: the last two are the input's own.
     */
    static Tensor sumTo(Tensor full, int[] shape) {
        int[] fs = full.shape();
        if (Arrays.equals(fs, shape)) {
            return full;
        }
        int rank = fs.length;
        int lead = rank - shape.length;
        int[] step = new int[rank]; // where an index step along each axis of full moves in the result
        int stride = shape[shape.length - 1] * shape[shape.length - 2];
        for (int k = rank - 3; k >= lead; k--) {
            step[k] = shape[k - lead] == 1 ? 0 : stride;
            stride *= shape[k - lead];
        }
        Tensor out = Tensor.zeros(shape);
        double[] src = full.data();
        double[] dst = out.data();
        int block = fs[rank - 1] * fs[rank - 2];
        int batches = block == 0 ? 0 : full.size() / block;
        int[] index = new int[Math.max(0, rank - 2)];
        int at = 0;
        for (int b = 0; b < batches; b++) {
            for (int e = 0; e < block; e++) {
                dst[at + e] += src[b * block + e];
            }
            for (int k = rank - 3; k >= 0; k--) {
                if (++index[k] < fs[k]) {
                    at += step[k];
                    break;
                }
                at -= step[k] * (fs[k] - 1);
                index[k] = 0;
            }
        }
        return out;
    }
}
