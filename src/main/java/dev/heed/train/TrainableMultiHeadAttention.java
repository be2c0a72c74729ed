package dev.heed.train;

import dev.heed.attention.Attention;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.autograd.Variable;
import dev.heed.layers.Module;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link MultiHeadAttention} whose parameters are {@link Variable}s, for training through
 * autograd. Its parameters carry {@code torch.nn.MultiheadAttention}'s state_dict names —
 * {@code in_proj_weight} (or {@code q_proj_weight}, {@code k_proj_weight}, {@code v_proj_weight}
 * when the key or value size differs from the embedding size), {@code in_proj_bias},
 * {@code out_proj.weight}, {@code out_proj.bias} — so {@link Checkpoints#save} writes a
 * safetensors file that {@code module.load_state_dict(safetensors.torch.load_file(path))} reads.
 *
 * <p>The forward is the module's: project, split into heads, the configured kernel through
 * {@link AttentionOps#attention} (so its fused backward runs, FlashAttention-2's for
 * {@link dev.heed.attention.ChunkedAttention}), merge, project. {@link #snapshot()} turns the
 * trained parameters back into an immutable {@link MultiHeadAttention}. The parameters are
 * mutable (an optimiser assigns them), and so is the dropout setting ({@link #dropout},
 * {@link #train}); the rest is fixed.
 *
 * <p><b>Dropout</b>, {@code torch.nn.MultiheadAttention(..., dropout=p)}'s: {@code dropout(p, seed)}
 * drops each attention weight with probability {@code p} in training mode (the default, as in
 * PyTorch), through the kernel's {@code withDropout}. Forward call number {@code n} (0, 1, 2, … counted
 * by this module, whatever the mode) draws its mask with seed {@code seed + n}, so a training run is
 * reproducible from its seed and every step drops different weights; its backward regenerates the same
 * mask. {@code train(false)} (PyTorch's {@code model.eval()}) or {@code dropout(0, ·)} turns it off:
 * the forward is then exactly the kernel's without dropout. {@link #snapshot()} keeps the kernel as given,
 * without this setting.
 */
public final class TrainableMultiHeadAttention implements Module {
    private final int embedDim;
    private final int numHeads;
    private final int keyDim;
    private final int valueDim;
    private final Attention kernel;
    /** [3E, E] when packed, else null. */
    private final Variable inProjWeight;

    private final Variable qWeight;
    private final Variable kWeight;
    private final Variable vWeight;
    private final Variable inProjBias;
    private final Variable outWeight;
    private final Variable outBias;
    /** The probability of dropping an attention weight in training mode; 0 for none. */
    private volatile double dropout;
    /** The seed of the first forward call's dropout mask. */
    private volatile long dropoutSeed;
    /** Whether the module is in training mode (dropout on), as PyTorch's {@code module.training}. */
    private volatile boolean training = true;
    /** Forward calls so far: call n draws its dropout mask with seed {@code dropoutSeed + n}. */
    private final AtomicLong calls = new AtomicLong();

    private TrainableMultiHeadAttention(MultiHeadAttention m) {
        embedDim = m.embedDim();
        numHeads = m.numHeads();
        keyDim = m.keyDim();
        valueDim = m.valueDim();
        kernel = m.kernel();
        if (packed()) {
            // One packed parameter, sliced anew in every forward: a slice recorded once would tie
            // later graphs to the parameter's version at construction.
            inProjWeight = Variable.parameter(rows(m.queryWeight(), m.keyWeight(), m.valueWeight()));
            qWeight = kWeight = vWeight = null;
        } else {
            inProjWeight = null;
            qWeight = Variable.parameter(m.queryWeight());
            kWeight = Variable.parameter(m.keyWeight());
            vWeight = Variable.parameter(m.valueWeight());
        }
        inProjBias = m.hasBias() ? Variable.parameter(rows(m.queryBias(), m.keyBias(), m.valueBias())) : null;
        outWeight = Variable.parameter(m.outputWeight());
        outBias = m.hasBias() ? Variable.parameter(m.outputBias()) : null;
    }

    /**
     * A trainable copy of {@code module}: same sizes, kernel and (copied) weights.
     *
     * @param module the module to start from; not modified
     * @return a new trainable module
     * @throws IllegalArgumentException if {@code module} is null
     */
    public static TrainableMultiHeadAttention of(MultiHeadAttention module) {
        if (module == null) {
            throw new IllegalArgumentException("module is null");
        }
        return new TrainableMultiHeadAttention(module);
    }

    /**
     * Self-attention of {@code x}: {@code forward(x, x, x, mask)}.
     *
     * @param x    {@code [B, L, E]} or {@code [L, E]}
     * @param mask which keys each query may see, broadcast against {@code [B, H, L, L]}
     * @return the output {@code [B, L, E]} (or {@code [L, E]}) as a variable, and the heads'
     *         forward result with weights {@code [B, H, L, L]}
     * @throws IllegalArgumentException if an argument is null or the shapes do not fit
     */
    public AttentionOps.Attended forward(Variable x, Mask mask) {
        return forward(x, x, x, mask);
    }

    /**
     * Multi-head attention of {@code query} over {@code key} and {@code value}, recorded for
     * autograd: gradients reach the inputs that require them and every parameter.
     *
     * @param query {@code [B, L, E]} or {@code [L, E]}
     * @param key   {@code [B, S, keyDim]} or {@code [S, keyDim]}
     * @param value {@code [B, S, valueDim]} or {@code [S, valueDim]}
     * @param mask  which keys each query may see, broadcast against {@code [B, H, L, S]};
     *              {@link Mask#none()} for all
     * @return the output {@code [B, L, E]} (or {@code [L, E]}) as a variable, and the heads'
     *         forward result (weights {@code [B, H, L, S]}, or {@code [H, L, S]} unbatched)
     * @throws IllegalArgumentException if an argument is null, the ranks differ or are not 2 or
     *                                  3, or the feature sizes, batch sizes or key counts do
     *                                  not fit (the message names the shapes)
     */
    public AttentionOps.Attended forward(Variable query, Variable key, Variable value, Mask mask) {
        if (query == null || key == null || value == null || mask == null) {
            throw new IllegalArgumentException("query, key, value and mask must not be null; use Mask.none()");
        }
        String shapes = "query " + Arrays.toString(query.shape()) + ", key " + Arrays.toString(key.shape()) + ", value "
                + Arrays.toString(value.shape());
        int rank = query.rank();
        if ((rank != 2 && rank != 3) || key.rank() != rank || value.rank() != rank) {
            throw new IllegalArgumentException("multi-head attention needs query [B, L, E], key [B, S, keyDim], "
                    + "value [B, S, valueDim] (or all three without B); got " + shapes);
        }
        boolean unbatched = rank == 2;
        Variable q = unbatched ? query.unsqueeze(0) : query;
        Variable k = unbatched ? key.unsqueeze(0) : key;
        Variable v = unbatched ? value.unsqueeze(0) : value;
        if (q.shape()[2] != embedDim || k.shape()[2] != keyDim || v.shape()[2] != valueDim) {
            throw new IllegalArgumentException("feature sizes must be query " + embedDim + ", key " + keyDim
                    + ", value " + valueDim + " (embedDim, keyDim, valueDim); got " + shapes);
        }
        if (k.shape()[0] != q.shape()[0] || v.shape()[0] != q.shape()[0] || k.shape()[1] != v.shape()[1]) {
            throw new IllegalArgumentException("query, key and value differ in batch size, or key and value in "
                    + "the number of keys: " + shapes);
        }
        Variable qh = split(project(q, 0));
        Variable kh = split(project(k, 1));
        Variable vh = split(project(v, 2));
        AttentionOps.Attended heads = AttentionOps.attention(stepKernel(), qh, kh, vh, mask);
        Variable merged = merge(heads.output());
        Variable out = merged.matmul(outWeight.transpose(0, 1));
        if (outBias != null) {
            out = out.add(outBias);
        }
        return new AttentionOps.Attended(unbatched ? out.squeeze(0) : out, heads.forward());
    }

    /**
     * Dropout on the attention weights, in training mode: each weight of each head is dropped with
     * probability {@code p} and the kept ones scaled by {@code 1 / (1 − p)}
     * ({@link ScaledDotProductAttention#withDropout}, which states the generator). Forward call
     * {@code n} of this module uses seed {@code seed + n}. Applies from the next forward call.
     *
     * @param p    the probability of dropping a weight, in {@code [0, 1)}; 0 turns dropout off
     * @param seed the seed of the first call's mask
     * @return this module
     * @throws IllegalArgumentException unless {@code 0 <= p < 1}, or if {@code p > 0} and the kernel
     *                                  is neither {@link ScaledDotProductAttention} nor
     *                                  {@link ChunkedAttention} (the kernels that have dropout)
     */
    public TrainableMultiHeadAttention dropout(double p, long seed) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        if (p > 0 && !(kernel instanceof ScaledDotProductAttention) && !(kernel instanceof ChunkedAttention)) {
            throw new IllegalArgumentException(
                    "dropout needs a ScaledDotProductAttention or ChunkedAttention kernel, " + "got " + kernel);
        }
        this.dropout = p;
        this.dropoutSeed = seed;
        return this;
    }

    /**
     * Training mode on or off, as PyTorch's {@code module.train(mode)}: off ({@code model.eval()})
     * means no dropout. On by default.
     *
     * @param training true for training (dropout applies), false for evaluation
     * @return this module
     */
    public TrainableMultiHeadAttention train(boolean training) {
        this.training = training;
        return this;
    }

    /**
     * Whether dropout applies to the next forward call.
     *
     * @return true in training mode with a dropout probability above 0
     */
    public boolean isDropoutActive() {
        return training && dropout > 0;
    }

    /** The kernel of this forward call: with its dropout mask when training, counting the call either way. */
    private Attention stepKernel() {
        long n = calls.getAndIncrement();
        double p = dropout;
        if (!training || p == 0) {
            return kernel;
        }
        long seed = dropoutSeed + n;
        return kernel instanceof ChunkedAttention c
                ? c.withDropout(p, seed)
                : ((ScaledDotProductAttention) kernel).withDropout(p, seed);
    }

    /** The query (0), key (1) or value (2) projection's weight, [E, in]. */
    private Variable inWeight(int which) {
        if (inProjWeight != null) {
            return inProjWeight.slice(0, which * embedDim, (which + 1) * embedDim);
        }
        return which == 0 ? qWeight : which == 1 ? kWeight : vWeight;
    }

    /** {@code x Wᵀ + b} for the query (0), key (1) or value (2) projection. */
    private Variable project(Variable x, int which) {
        Variable y = x.matmul(inWeight(which).transpose(0, 1));
        return inProjBias == null ? y : y.add(inProjBias.slice(0, which * embedDim, (which + 1) * embedDim));
    }

    /** [B, L, E] → [B, H, L, E/H]. */
    private Variable split(Variable x) {
        int[] s = x.shape();
        return x.reshape(s[0], s[1], numHeads, embedDim / numHeads).permute(0, 2, 1, 3);
    }

    /** [B, H, L, E/H] → [B, L, E]. */
    private Variable merge(Variable x) {
        int[] s = x.shape();
        return x.permute(0, 2, 1, 3).reshape(s[0], s[2], embedDim);
    }

    private boolean packed() {
        return keyDim == embedDim && valueDim == embedDim;
    }

    /** The rows of the three tensors stacked: [3E, ·] from three [E, ·] (or [3E] from three [E]). */
    private static Tensor rows(Tensor a, Tensor b, Tensor c) {
        double[] out = new double[a.size() * 3];
        System.arraycopy(a.toArray(), 0, out, 0, a.size());
        System.arraycopy(b.toArray(), 0, out, a.size(), a.size());
        System.arraycopy(c.toArray(), 0, out, 2 * a.size(), a.size());
        int[] shape = a.shape();
        shape[0] *= 3;
        return Tensor.of(out, shape);
    }

    /**
     * The parameters under {@code torch.nn.MultiheadAttention}'s state_dict names, in its order.
     *
     * @return an unmodifiable map of the live parameters (not copies)
     */
    @Override
    public Map<String, Variable> parameters() {
        Module.Builder b = Module.builder();
        if (inProjWeight != null) {
            b.add("in_proj_weight", inProjWeight);
        } else {
            b.add("q_proj_weight", qWeight).add("k_proj_weight", kWeight).add("v_proj_weight", vWeight);
        }
        if (inProjBias != null) {
            b.add("in_proj_bias", inProjBias);
        }
        // PyTorch's out_proj is a child module: its parameters are named out_proj.weight and out_proj.bias.
        Module.Builder out = Module.builder().add("weight", outWeight);
        if (outBias != null) {
            out.add("bias", outBias);
        }
        Map<String, Variable> outProj = out.build();
        return b.add("out_proj", () -> outProj).build();
    }

    /**
     * The module as it stands now, immutable: the current parameter values (copied), the same sizes
     * and kernel.
     *
     * @return a new {@link MultiHeadAttention}
     */
    public MultiHeadAttention snapshot() {
        int e = embedDim;
        MultiHeadAttention.Builder b = MultiHeadAttention.builder(e, numHeads)
                .keyDim(keyDim)
                .valueDim(valueDim)
                .bias(inProjBias != null)
                .kernel(kernel)
                .weights(inWeight(0).value(), inWeight(1).value(), inWeight(2).value(), outWeight.value());
        if (inProjBias != null) {
            Tensor in = inProjBias.value();
            b.biases(in.slice(0, 0, e), in.slice(0, e, 2 * e), in.slice(0, 2 * e, 3 * e), outBias.value());
        }
        return b.build();
    }

    /** {@return the sizes, the kernel, whether there are biases, and the dropout setting if any} */
    @Override
    public String toString() {
        return "TrainableMultiHeadAttention{embedDim=" + embedDim + ", numHeads=" + numHeads + ", keyDim=" + keyDim
                + ", valueDim=" + valueDim + ", bias=" + (inProjBias != null) + ", kernel=" + kernel
                + (dropout == 0 ? "" : ", dropout=" + dropout + ", seed=" + dropoutSeed + ", training=" + training)
                + "}";
    }
}
