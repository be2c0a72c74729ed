package dev.heed.attention;

import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The four projections of a {@link MultiHeadAttention}: made from given or seeded weights, and
 * their gradients assembled under {@code torch.nn.MultiheadAttention}'s state_dict names.
 * Package-private: it keeps the module's own file about attention.
 */
final class MultiHeadProjections {
    private MultiHeadProjections() {}

    /**
     * The query, key, value and output projections, in that order.
     *
     * @param weights {@code Wq, Wk, Wv, Wo} in PyTorch's {@code [out, in]} layout, or all null for
     *                seeded ones (PyTorch's Xavier-uniform draw)
     * @param biases  {@code bq, bk, bv, bo}, or null for zeros (or none when {@code bias} is false)
     */
    static Linear[] of(int e, int keyDim, int valueDim, boolean bias, long seed, Tensor[] weights, Tensor[] biases) {
        Tensor wq;
        Tensor wk;
        Tensor wv;
        Tensor wo;
        if (weights[0] != null) {
            wq = checked(weights[0], "Wq", e, e);
            wk = checked(weights[1], "Wk", e, keyDim);
            wv = checked(weights[2], "Wv", e, valueDim);
            wo = checked(weights[3], "Wo", e, e);
        } else {
            Random random = new Random(seed);
            boolean packed = keyDim == e && valueDim == e;
            // PyTorch draws the packed [3E, E] in_proj_weight at once, so its fan_out is 3E.
            wq = uniform(random, e, e, xavierBound(e, packed ? 3 * e : e));
            wk = uniform(random, e, keyDim, xavierBound(keyDim, packed ? 3 * e : e));
            wv = uniform(random, e, valueDim, xavierBound(valueDim, packed ? 3 * e : e));
            wo = uniform(random, e, e, 1.0 / Math.sqrt(e));
        }
        Tensor[] b = new Tensor[4];
        if (biases != null) {
            if (!bias) {
                throw new IllegalArgumentException("biases were given but bias(false) was set");
            }
            String[] names = {"bq", "bk", "bv", "bo"};
            for (int i = 0; i < 4; i++) {
                b[i] = checked(biases[i], names[i], e);
            }
        } else if (bias) {
            for (int i = 0; i < 4; i++) {
                b[i] = Tensor.zeros(e);
            }
        }
        return new Linear[] {Linear.of(wq, b[0]), Linear.of(wk, b[1]), Linear.of(wv, b[2]), Linear.of(wo, b[3])};
    }

    /**
     * Gradients of the projections from the gradients at their outputs, keyed like PyTorch's
     * state_dict, and the gradients of the module's inputs.
     *
     * @param inputProjections the query, key and value projections
     * @param packed           whether PyTorch would keep one {@code in_proj_weight}
     * @param in               the module's query, key and value with a batch axis
     * @param merged           the merged heads, the output projection's input
     * @param gy               the gradient of the module's output, with a batch axis
     * @param dProjected       the gradients at the query, key and value projections' outputs
     * @param unbatched        whether to drop the batch axis from the input gradients
     */
    static MultiHeadAttention.Gradients gradients(
            Linear[] inputProjections,
            boolean packed,
            boolean bias,
            Tensor[] in,
            Tensor merged,
            Tensor gy,
            Tensor[] dProjected,
            boolean unbatched) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        Tensor[] dW = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            dW[i] = ParameterGradients.weight(dProjected[i], in[i]);
        }
        if (packed) {
            p.put("in_proj_weight", ParameterGradients.stack(dW[0], dW[1], dW[2]));
        } else {
            p.put("q_proj_weight", dW[0]);
            p.put("k_proj_weight", dW[1]);
            p.put("v_proj_weight", dW[2]);
        }
        if (bias) {
            p.put(
                    "in_proj_bias",
                    ParameterGradients.stack(
                            ParameterGradients.bias(dProjected[0]),
                            ParameterGradients.bias(dProjected[1]),
                            ParameterGradients.bias(dProjected[2])));
        }
        p.put("out_proj.weight", ParameterGradients.weight(gy, merged));
        if (bias) {
            p.put("out_proj.bias", ParameterGradients.bias(gy));
        }
        Tensor[] dInput = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            Tensor d = ParameterGradients.input(dProjected[i], inputProjections[i].weight());
            dInput[i] = unbatched ? d.squeeze(0) : d;
        }
        return new MultiHeadAttention.Gradients(dInput[0], dInput[1], dInput[2], p);
    }

    private static Tensor checked(Tensor t, String name, int... expected) {
        if (t == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(name + " must have shape " + Arrays.toString(expected)
                    + " (PyTorch layout [out, in]), got " + Arrays.toString(t.shape()));
        }
        return t; // Linear.of copies it
    }

    private static double xavierBound(int fanIn, int fanOut) {
        return Math.sqrt(6.0 / (fanIn + fanOut));
    }

    private static Tensor uniform(Random random, int rows, int cols, double bound) {
        double[] d = new double[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = (2 * random.nextDouble() - 1) * bound;
        }
        return Tensor.of(d, rows, cols);
    }
}
