package dev.heed.io;

import dev.heed.attention.MultiHeadAttention;
import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Conversions between Heed modules and PyTorch {@code state_dict}s: maps from parameter names
 * to tensors, as {@link Npy#readNpz} and {@link SafeTensors#read} return them and as
 * {@code torch.save}/{@code np.savez}/{@code safetensors} store them.
 *
 * <p>{@code nn.MultiheadAttention} stores its parameters as
 * <table>
 *   <caption>PyTorch parameter names</caption>
 *   <tr><th>name</th><th>shape</th><th>when</th></tr>
 *   <tr><td>{@code in_proj_weight}</td><td>{@code [3E, E]}: rows Wq, Wk, Wv</td>
 *       <td>{@code kdim == vdim == E}</td></tr>
 *   <tr><td>{@code q_proj_weight}, {@code k_proj_weight}, {@code v_proj_weight}</td>
 *       <td>{@code [E, E]}, {@code [E, kdim]}, {@code [E, vdim]}</td><td>otherwise</td></tr>
 *   <tr><td>{@code in_proj_bias}</td><td>{@code [3E]}: bq, bk, bv</td><td>{@code bias=True}</td></tr>
 *   <tr><td>{@code out_proj.weight}</td><td>{@code [E, E]}</td><td>always</td></tr>
 *   <tr><td>{@code out_proj.bias}</td><td>{@code [E]}</td><td>{@code bias=True}</td></tr>
 * </table>
 * each name behind an optional prefix such as {@code "encoder.layers.0.self_attn."} when the
 * module sits inside a model. Weights are {@code [out, in]}, {@code y = x·Wᵀ + b}, the layout
 * {@link MultiHeadAttention.Builder#weights} takes.
 *
 * <p><b>Errors.</b> The state dict is an argument, so a missing, mis-shaped or contradictory
 * entry is an {@link IllegalArgumentException} whose message names the full key and the shapes
 * expected and found. (Reading the file it came from is what throws {@code IOException}.)
 */
public final class StateDicts {
    private static final String IN_PROJ_WEIGHT = "in_proj_weight";
    private static final String IN_PROJ_BIAS = "in_proj_bias";
    private static final String Q_PROJ_WEIGHT = "q_proj_weight";
    private static final String K_PROJ_WEIGHT = "k_proj_weight";
    private static final String V_PROJ_WEIGHT = "v_proj_weight";
    private static final String OUT_PROJ_WEIGHT = "out_proj.weight";
    private static final String OUT_PROJ_BIAS = "out_proj.bias";
    /** How many of the keys under the prefix an error message lists. */
    private static final int KEYS_SHOWN = 20;

    private StateDicts() {}

    /**
     * {@link #multiHeadAttention(Map, int, String)} with no prefix.
     *
     * @param stateDict parameter name → tensor; not modified
     * @param numHeads  the number of heads
     * @return a new module holding copies of the parameters
     * @throws IllegalArgumentException as {@link #multiHeadAttentionBuilder(Map, int, String)}
     */
    public static MultiHeadAttention multiHeadAttention(Map<String, Tensor> stateDict, int numHeads) {
        return multiHeadAttention(stateDict, numHeads, "");
    }

    /**
     * Builds a {@link MultiHeadAttention} from the parameters of a PyTorch
     * {@code nn.MultiheadAttention}, with the default kernel. Equivalent to
     * {@code multiHeadAttentionBuilder(stateDict, numHeads, prefix).build()}.
     *
     * @param stateDict parameter name → tensor; not modified
     * @param numHeads  the number of heads
     * @param prefix    prepended to every parameter name; {@code ""} for none
     * @return a new module holding copies of the parameters
     * @throws IllegalArgumentException as {@link #multiHeadAttentionBuilder(Map, int, String)}
     * @see #multiHeadAttentionBuilder(Map, int, String)
     */
    public static MultiHeadAttention multiHeadAttention(Map<String, Tensor> stateDict, int numHeads, String prefix) {
        return multiHeadAttentionBuilder(stateDict, numHeads, prefix).build();
    }

    /**
     * A {@link MultiHeadAttention.Builder} set up with the parameters of a PyTorch
     * {@code nn.MultiheadAttention}, for further settings such as
     * {@link MultiHeadAttention.Builder#kernel}.
     *
     * <p>The embedding size {@code E} is read from {@code out_proj.weight} ({@code [E, E]});
     * {@code kdim} and {@code vdim} from {@code k_proj_weight} and {@code v_proj_weight} when the
     * projections are separate. Biases are used when {@code in_proj_bias} and
     * {@code out_proj.bias} are present, and {@code bias(false)} is set when both are absent.
     * Entries that are not parameters of this module (other layers of a model) are ignored, so a
     * whole model's state dict can be passed with the module's prefix. The tensors are copied when
     * the module is built, in any layout.
     *
     * @param stateDict parameter name → tensor; not modified
     * @param numHeads  the number of heads, which a state dict does not record
     * @param prefix    prepended to every parameter name, e.g. {@code "encoder.layers.0.self_attn."};
     *                  {@code ""} for none
     * @return a new builder with sizes, weights and biases set; the tensors are read again only
     *         when it builds (do not modify them before)
     * @throws IllegalArgumentException if an argument is null; if a parameter is missing or has
     *                                  the wrong shape (the message names the key and the shapes);
     *                                  if both the packed and the separate projections are
     *                                  present, or only one of the two biases; if the module has
     *                                  {@code add_bias_kv} parameters ({@code bias_k},
     *                                  {@code bias_v}), which Heed does not support; or if
     *                                  {@code numHeads} does not divide {@code E}
     */
    public static MultiHeadAttention.Builder multiHeadAttentionBuilder(
            Map<String, Tensor> stateDict, int numHeads, String prefix) {
        Npy.requireNonNull(stateDict, "stateDict");
        Npy.requireNonNull(prefix, "prefix");
        Params p = new Params(stateDict, prefix);
        for (String unsupported : new String[] {"bias_k", "bias_v"}) {
            if (p.has(unsupported)) {
                throw new IllegalArgumentException(p.key(unsupported) + " is present: add_bias_kv=True is not "
                        + "supported by Heed's MultiHeadAttention");
            }
        }
        Tensor wo = p.require(OUT_PROJ_WEIGHT, "[E, E]");
        int[] woShape = wo.shape();
        if (woShape.length != 2 || woShape[0] != woShape[1] || woShape[0] == 0) {
            throw new IllegalArgumentException(
                    p.key(OUT_PROJ_WEIGHT) + " must have shape [E, E] with E > 0, got " + Arrays.toString(woShape));
        }
        int e = woShape[0];
        if (numHeads <= 0 || e % numHeads != 0) {
            throw new IllegalArgumentException("numHeads " + numHeads + " does not divide the embedding size E = " + e
                    + " of " + p.key(OUT_PROJ_WEIGHT));
        }
        boolean packed = p.has(IN_PROJ_WEIGHT);
        boolean separate = p.has(Q_PROJ_WEIGHT) || p.has(K_PROJ_WEIGHT) || p.has(V_PROJ_WEIGHT);
        if (packed && separate) {
            throw new IllegalArgumentException("both " + p.key(IN_PROJ_WEIGHT) + " and separate q/k/v projection "
                    + "weights are present; a module has one or the other");
        }
        Tensor wq;
        Tensor wk;
        Tensor wv;
        int kdim = e;
        int vdim = e;
        if (packed) {
            Tensor w = p.shaped(IN_PROJ_WEIGHT, "[3E, E]", 3 * e, e);
            wq = w.slice(0, 0, e);
            wk = w.slice(0, e, 2 * e);
            wv = w.slice(0, 2 * e, 3 * e);
        } else if (separate) {
            wq = p.shaped(Q_PROJ_WEIGHT, "[E, E]", e, e);
            wk = p.require(K_PROJ_WEIGHT, "[E, kdim]");
            wv = p.require(V_PROJ_WEIGHT, "[E, vdim]");
            kdim = p.columns(K_PROJ_WEIGHT, wk, e, "[E, kdim]");
            vdim = p.columns(V_PROJ_WEIGHT, wv, e, "[E, vdim]");
        } else {
            throw new IllegalArgumentException("missing " + p.key(IN_PROJ_WEIGHT) + " (or " + p.key(Q_PROJ_WEIGHT)
                    + ", " + p.key(K_PROJ_WEIGHT) + ", " + p.key(V_PROJ_WEIGHT) + "); " + p.keysUnderPrefix());
        }
        MultiHeadAttention.Builder builder = MultiHeadAttention.builder(e, numHeads)
                .keyDim(kdim)
                .valueDim(vdim)
                .weights(wq, wk, wv, wo);
        boolean inBias = p.has(IN_PROJ_BIAS);
        boolean outBias = p.has(OUT_PROJ_BIAS);
        if (inBias != outBias) {
            throw new IllegalArgumentException((inBias ? p.key(IN_PROJ_BIAS) : p.key(OUT_PROJ_BIAS))
                    + " is present but " + (inBias ? p.key(OUT_PROJ_BIAS) : p.key(IN_PROJ_BIAS))
                    + " is missing; a module has both biases or neither");
        }
        if (!inBias) {
            return builder.bias(false);
        }
        Tensor b = p.shaped(IN_PROJ_BIAS, "[3E]", 3 * e);
        Tensor bo = p.shaped(OUT_PROJ_BIAS, "[E]", e);
        return builder.bias(true).biases(b.slice(0, 0, e), b.slice(0, e, 2 * e), b.slice(0, 2 * e, 3 * e), bo);
    }

    /**
     * {@link #of(MultiHeadAttention, String)} with no prefix.
     *
     * @param attention the module; not modified
     * @return a new insertion-ordered map of new tensors
     * @throws IllegalArgumentException if {@code attention} is null
     */
    public static Map<String, Tensor> of(MultiHeadAttention attention) {
        return of(attention, "");
    }

    /**
     * The parameters of {@code attention} as PyTorch's {@code nn.MultiheadAttention} would hold
     * them, in its {@code state_dict} order: packed {@code in_proj_weight} when
     * {@code keyDim == valueDim == embedDim}, else {@code q_proj_weight}, {@code k_proj_weight},
     * {@code v_proj_weight}; then {@code in_proj_bias}, {@code out_proj.weight},
     * {@code out_proj.bias} (biases only if the module has them). Loadable with
     * {@code load_state_dict(strict=True)} into a module with the same sizes.
     *
     * @param attention the module; not modified
     * @param prefix    prepended to every name; {@code ""} for none
     * @return a new insertion-ordered map of new row-major tensors
     * @throws IllegalArgumentException if an argument is null
     */
    public static Map<String, Tensor> of(MultiHeadAttention attention, String prefix) {
        Npy.requireNonNull(attention, "attention");
        Npy.requireNonNull(prefix, "prefix");
        Map<String, Tensor> out = new LinkedHashMap<>();
        int e = attention.embedDim();
        if (attention.keyDim() == e && attention.valueDim() == e) {
            out.put(
                    prefix + IN_PROJ_WEIGHT,
                    stack(3 * e, e, attention.queryWeight(), attention.keyWeight(), attention.valueWeight()));
        } else {
            out.put(prefix + Q_PROJ_WEIGHT, attention.queryWeight());
            out.put(prefix + K_PROJ_WEIGHT, attention.keyWeight());
            out.put(prefix + V_PROJ_WEIGHT, attention.valueWeight());
        }
        if (attention.hasBias()) {
            out.put(
                    prefix + IN_PROJ_BIAS,
                    stack(3 * e, -1, attention.queryBias(), attention.keyBias(), attention.valueBias()));
        }
        out.put(prefix + OUT_PROJ_WEIGHT, attention.outputWeight());
        if (attention.hasBias()) {
            out.put(prefix + OUT_PROJ_BIAS, attention.outputBias());
        }
        return out;
    }

    /** The parts laid one after another along axis 0: a {@code [rows, cols]} matrix, or {@code [rows]} if cols < 0. */
    private static Tensor stack(int rows, int cols, Tensor... parts) {
        double[] data = new double[rows * Math.max(cols, 1)];
        int at = 0;
        for (Tensor part : parts) {
            double[] d = part.toArray();
            System.arraycopy(d, 0, data, at, d.length);
            at += d.length;
        }
        return cols < 0 ? Tensor.of(data, rows) : Tensor.of(data, rows, cols);
    }

    /** Look-ups under a prefix, with messages that name full keys. */
    private static final class Params {
        private final Map<String, Tensor> map;
        private final String prefix;

        Params(Map<String, Tensor> map, String prefix) {
            this.map = map;
            this.prefix = prefix;
        }

        String key(String name) {
            return "'" + prefix + name + "'";
        }

        boolean has(String name) {
            return map.get(prefix + name) != null;
        }

        Tensor require(String name, String expected) {
            Tensor t = map.get(prefix + name);
            if (t == null) {
                throw new IllegalArgumentException(
                        "missing " + key(name) + " (shape " + expected + "); " + keysUnderPrefix());
            }
            return t;
        }

        Tensor shaped(String name, String expected, int... dims) {
            Tensor t = require(name, expected);
            if (!Arrays.equals(t.shape(), dims)) {
                throw new IllegalArgumentException(key(name) + " must have shape " + expected + " = "
                        + Arrays.toString(dims) + ", got " + Arrays.toString(t.shape()));
            }
            return t;
        }

        /** The column count of an {@code [e, ?]} matrix, or an exception naming the key. */
        int columns(String name, Tensor t, int e, String expected) {
            int[] s = t.shape();
            if (s.length != 2 || s[0] != e || s[1] == 0) {
                throw new IllegalArgumentException(key(name) + " must have shape " + expected + " with E = " + e
                        + " and a positive second dimension, got " + Arrays.toString(s));
            }
            return s[1];
        }

        String keysUnderPrefix() {
            List<String> keys = new ArrayList<>();
            int total = 0;
            for (String k : map.keySet()) {
                if (k != null && k.startsWith(prefix)) {
                    if (keys.size() < KEYS_SHOWN) {
                        keys.add(k);
                    }
                    total++;
                }
            }
            if (total == 0) {
                return "no key starts with the prefix '" + prefix + "'";
            }
            return "keys " + (prefix.isEmpty() ? "present" : "under the prefix") + ": " + keys
                    + (total > keys.size() ? " and " + (total - keys.size()) + " more" : "");
        }
    }
}
