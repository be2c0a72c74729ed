package dev.heed.attention;

import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The small pieces of arithmetic the modules' backward passes share: the gradients of a linear map
 * {@code y = x·Wᵀ + b} (computed here with Tensor operations, not through the layers), of a
 * {@code tanh}, and the named, ordered parameter maps they return. Package-private.
 */
final class ParameterGradients {
    private ParameterGradients() {}

    /**
     * {@code Σ dyᵀ·x} over every leading index: the weight gradient {@code [out, in]} of
     * {@code y = x·Wᵀ + b}, for {@code dy [..., out]} and {@code x [..., in]} with the same leading axes.
     */
    static Tensor weight(Tensor dy, Tensor x) {
        int rows = rows(dy);
        return dy.reshape(rows, dy.shape(-1)).transpose(0, 1).matmul(x.reshape(rows, x.shape(-1)));
    }

    /** {@code Σ dy} over every leading index: the bias gradient {@code [out]} of {@code y = x·Wᵀ + b}. */
    static Tensor bias(Tensor dy) {
        return dy.reshape(rows(dy), dy.shape(-1)).sum(0);
    }

    /** {@code dy·W}: the input gradient {@code [..., in]} of {@code y = x·Wᵀ + b}, for W {@code [out, in]}. */
    static Tensor input(Tensor dy, Tensor weight) {
        return dy.matmul(weight);
    }

    /** {@code dy ∘ (1 − t²)}: the gradient through {@code t = tanh(h)}, given {@code t}. */
    static Tensor tanh(Tensor dy, Tensor t) {
        return dy.zip(t, (g, th) -> g * (1 - th * th));
    }

    /** The tensors one after another along axis 0, in a new row-major tensor. */
    static Tensor stack(Tensor... parts) {
        int[] shape = parts[0].shape();
        shape[0] *= parts.length;
        Tensor out = Tensor.zeros(shape);
        int at = 0;
        for (Tensor t : parts) {
            double[] d = t.toArray();
            System.arraycopy(d, 0, out.data(), at, d.length);
            at += d.length;
        }
        return out;
    }

    /** An unmodifiable copy of {@code parameters} in its iteration order; null names or tensors are refused. */
    static Map<String, Tensor> frozen(Map<String, Tensor> parameters) {
        Map<String, Tensor> copy = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : parameters.entrySet()) {
            copy.put(
                    Objects.requireNonNull(e.getKey(), "parameter name"),
                    Objects.requireNonNull(e.getValue(), e.getKey()));
        }
        return Collections.unmodifiableMap(copy);
    }

    /** {@code name=[shape]} for every parameter, comma-separated, for {@code toString}. */
    static String shapes(Map<String, Tensor> parameters) {
        StringBuilder b = new StringBuilder();
        parameters.forEach((n, t) ->
                b.append(b.length() == 0 ? "" : ", ").append(n).append('=').append(Arrays.toString(t.shape())));
        return b.toString();
    }

    /** The number of rows of {@code t} seen as {@code [rows, last]}: the product of its leading axes. */
    private static int rows(Tensor t) {
        int rows = 1;
        for (int k = 0; k < t.rank() - 1; k++) {
            rows *= t.shape(k);
        }
        return rows;
    }
}
