package dev.heed.layers;

import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

/**
 * A {@link Linear} layer whose weight and bias are {@linkplain Variable#parameter parameters}:
 * {@code y = x·Wᵀ + b} recorded for autograd, so that a loss computed from {@code y} has gradients
 * with respect to {@code W} and {@code b} (and {@code x}). The {@link Module} parameters are named
 * {@code weight} ({@code [out, in]}) and {@code bias} ({@code [out]}) as in {@code torch.nn.Linear}.
 *
 * <p>Made by {@link Linear#trainable()} or {@link #seeded(int, int, boolean, long)}; training
 * changes the parameters in place, and {@link #snapshot()} copies them out into an immutable
 * {@code Linear}. Not thread-safe while being trained.
 */
public final class TrainableLinear implements Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Variable weight;
    private final Variable bias;

    TrainableLinear(Tensor weight, Tensor bias) {
        this.weight = Variable.parameter(weight);
        this.bias = bias == null ? null : Variable.parameter(bias);
        this.outFeatures = weight.shape(0);
        this.inFeatures = weight.shape(1);
    }

    /**
     * A trainable layer initialised exactly as {@link Linear#seeded(int, int, boolean, long)}
     * (PyTorch's default: weight and bias uniform in {@code ±1/√in}).
     *
     * @param inFeatures  the input size {@code in}, ≥ 1
     * @param outFeatures the output size {@code out}, ≥ 1
     * @param bias        whether the layer adds a bias
     * @param seed        the seed of the {@link Random} the parameters are drawn from
     * @return a new layer; same seed, same numbers
     * @throws IllegalArgumentException unless both sizes are ≥ 1
     */
    public static TrainableLinear seeded(int inFeatures, int outFeatures, boolean bias, long seed) {
        return Linear.seeded(inFeatures, outFeatures, bias, seed).trainable();
    }

    /**
     * Like {@link #seeded(int, int, boolean, long)} but drawing from {@code random}, as
     * {@link Linear#seeded(int, int, boolean, Random)}.
     *
     * @param inFeatures  the input size {@code in}, ≥ 1
     * @param outFeatures the output size {@code out}, ≥ 1
     * @param bias        whether the layer adds a bias
     * @param random      modified: advanced by {@code out·in} (+ {@code out}) draws
     * @return a new layer
     * @throws IllegalArgumentException unless both sizes are ≥ 1, or if {@code random} is null
     */
    public static TrainableLinear seeded(int inFeatures, int outFeatures, boolean bias, Random random) {
        return Linear.seeded(inFeatures, outFeatures, bias, random).trainable();
    }

    /**
     * {@code x·Wᵀ + b} over the last axis, recorded for autograd.
     *
     * @param x {@code [..., in]}, rank ≥ 1; any layout
     * @return a new {@code [..., out]} variable
     * @throws IllegalArgumentException if {@code x} is null, 0-d, or its last axis is not
     *                                  {@code in}, naming its shape
     */
    public Variable forward(Variable x) {
        if (x == null) {
            throw new IllegalArgumentException("Linear input is null");
        }
        if (x.rank() == 0 || x.value().shape(-1) != inFeatures) {
            throw new IllegalArgumentException("Linear(" + inFeatures + " -> " + outFeatures + ") needs input [..., "
                    + inFeatures + "], got " + Arrays.toString(x.shape()));
        }
        Variable y = x.matmul(weight.transpose(0, 1));
        return bias == null ? y : y.add(bias);
    }

    /**
     * The weight parameter.
     *
     * @return the {@code [out, in]} variable itself, shared
     */
    public Variable weight() {
        return weight;
    }

    /**
     * The bias parameter.
     *
     * @return the {@code [out]} variable itself, shared; null without bias
     */
    public Variable bias() {
        return bias;
    }

    /**
     * Input size {@code in}.
     *
     * @return the size of the last axis {@link #forward} takes
     */
    public int inFeatures() {
        return inFeatures;
    }

    /**
     * Output size {@code out}.
     *
     * @return the size of the last axis {@link #forward} returns
     */
    public int outFeatures() {
        return outFeatures;
    }

    /**
     * {@code weight} and, if present, {@code bias}.
     *
     * @return a new unmodifiable insertion-ordered map of the layer's own variables
     */
    @Override
    public Map<String, Variable> parameters() {
        Module.Builder b = Module.builder().add("weight", weight);
        if (bias != null) {
            b.add("bias", bias);
        }
        return b.build();
    }

    /**
     * The current parameters as an immutable layer.
     *
     * @return a new {@code Linear} holding copies of the current weight and bias
     */
    public Linear snapshot() {
        return Linear.of(weight.value(), bias == null ? null : bias.value());
    }

    @Override
    public String toString() {
        return "TrainableLinear{in=" + inFeatures + ", out=" + outFeatures + ", bias=" + (bias != null) + "}";
    }
}
