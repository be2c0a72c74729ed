package dev.heed.layers;

import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;

/**
 * A fully connected layer, {@code y = x·Wᵀ + b}, with the weight in PyTorch's layout
 * {@code [out, in]} (so a {@code torch.nn.Linear}'s {@code weight} and {@code bias} load as they
 * are).
 *
 * <p>Shapes: input {@code [..., in]} of any rank ≥ 1 → output {@code [..., out]}; the
 * projection acts on the last axis and every leading axis is kept. The input may be any view
 * (transposed, sliced, broadcast); the output is always a new row-major tensor.
 *
 * <p>Seeded initialisation follows {@code torch.nn.Linear.reset_parameters}: the weight is
 * Kaiming-uniform with {@code a = √5}, which works out to uniform in {@code ±1/√in}, and the
 * bias is uniform in the same {@code ±1/√in}. The numbers come from {@link Random}, so they are
 * reproducible on every JVM but are not PyTorch's numbers.
 *
 * <p>Immutable and thread-safe: weights are copied in at construction and out by the accessors.
 */
public final class Linear {
    private final int inFeatures;
    private final int outFeatures;
    private final Tensor weight;
    private final Tensor bias;

    private Linear(Tensor weight, Tensor bias) {
        this.weight = weight;
        this.bias = bias;
        this.outFeatures = weight.shape(0);
        this.inFeatures = weight.shape(1);
    }

    /**
     * A layer with the given parameters.
     *
     * @param weight {@code [out, in]} with both sizes ≥ 1; copied, not modified
     * @param bias   {@code [out]}, or null for no bias; copied, not modified
     * @return a new layer owning copies of its parameters
     * @throws IllegalArgumentException if the weight is null or not a non-empty matrix, or the
     *                                  bias does not have shape {@code [out]}, naming the shapes
     */
    public static Linear of(Tensor weight, Tensor bias) {
        if (weight == null) {
            throw new IllegalArgumentException("Linear weight is null");
        }
        if (weight.rank() != 2 || weight.shape(0) < 1 || weight.shape(1) < 1) {
            throw new IllegalArgumentException("Linear weight must be [out, in] with out, in >= 1 "
                    + "(PyTorch layout), got " + Arrays.toString(weight.shape()));
        }
        if (bias != null && (bias.rank() != 1 || bias.shape(0) != weight.shape(0))) {
            throw new IllegalArgumentException("Linear bias must have shape [" + weight.shape(0)
                    + "] to match weight " + Arrays.toString(weight.shape()) + ", got "
                    + Arrays.toString(bias.shape()));
        }
        return new Linear(weight.copy(), bias == null ? null : bias.copy());
    }

    /**
     * A layer without bias: {@code y = x·Wᵀ}.
     *
     * @param weight {@code [out, in]} with both sizes ≥ 1; copied, not modified
     * @return a new layer owning a copy of {@code weight}
     * @throws IllegalArgumentException if the weight is null or not a non-empty matrix, naming its
     *                                  shape
     */
    public static Linear of(Tensor weight) {
        return of(weight, null);
    }

    /**
     * A layer initialised like {@code torch.nn.Linear(in, out, bias)} from {@code new Random(seed)}:
     * same seed, same layer.
     *
     * @param inFeatures  the input size {@code in}, ≥ 1
     * @param outFeatures the output size {@code out}, ≥ 1
     * @param bias        whether the layer adds a bias
     * @param seed        the seed of the {@link Random} the parameters are drawn from
     * @return a new layer
     * @throws IllegalArgumentException unless both sizes are ≥ 1
     */
    public static Linear seeded(int inFeatures, int outFeatures, boolean bias, long seed) {
        return seeded(inFeatures, outFeatures, bias, new Random(seed));
    }

    /**
     * Like {@link #seeded(int, int, boolean, long)} but drawing from {@code random}: first the
     * {@code out·in} weights in row-major order, then the {@code out} biases. Composite modules
     * use this to initialise several layers from one seed.
     *
     * @param inFeatures  the input size {@code in}, ≥ 1
     * @param outFeatures the output size {@code out}, ≥ 1
     * @param bias        whether the layer adds a bias
     * @param random      modified: advanced by {@code out·in} (+ {@code out}) draws
     * @return a new layer
     * @throws IllegalArgumentException unless both sizes are ≥ 1, or if {@code random} is null
     */
    public static Linear seeded(int inFeatures, int outFeatures, boolean bias, Random random) {
        if (inFeatures < 1 || outFeatures < 1) {
            throw new IllegalArgumentException(
                    "Linear needs inFeatures >= 1 and outFeatures >= 1, got in=" + inFeatures + ", out=" + outFeatures);
        }
        if (random == null) {
            throw new IllegalArgumentException("random is null");
        }
        double bound = 1.0 / Math.sqrt(inFeatures);
        Tensor w = uniform(random, bound, outFeatures, inFeatures);
        Tensor b = bias ? uniform(random, bound, outFeatures) : null;
        return new Linear(w, b);
    }

    /**
     * A new tensor of {@code shape} uniform in {@code ±bound}, drawn in row-major order.
     *
     * @param random modified
     */
    static Tensor uniform(Random random, double bound, int... shape) {
        Tensor t = Tensor.zeros(shape);
        double[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (2 * random.nextDouble() - 1) * bound;
        }
        return t;
    }

    /**
     * {@code x·Wᵀ + b} over the last axis.
     *
     * @param x {@code [..., in]}, rank ≥ 1; not modified
     * @return a new {@code [..., out]} tensor
     * @throws IllegalArgumentException if {@code x} is null, 0-d, or its last axis is not {@code in}
     */
    public Tensor forward(Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("Linear input is null");
        }
        if (x.rank() == 0 || x.shape(-1) != inFeatures) {
            throw new IllegalArgumentException("Linear(" + inFeatures + " -> " + outFeatures + ") needs input [..., "
                    + inFeatures + "], got " + Arrays.toString(x.shape()));
        }
        Tensor y = x.matmul(weight.transpose(0, 1));
        return bias == null ? y : y.add(bias);
    }

    /**
     * The gradients of {@link #forward(Tensor)} at {@code input}, without autograd: given
     * {@code gradOutput = ∂loss/∂y}, returns {@code ∂loss/∂x = gradOutput·W},
     * {@code ∂loss/∂W = Σ gradOutputᵀ·x} and {@code ∂loss/∂b = Σ gradOutput}, the sums over every
     * leading axis of the input.
     *
     * @param input      the {@code [..., in]} input of the forward pass; not modified
     * @param gradOutput {@code [..., out]} with the input's leading axes; not modified
     * @return the gradients, new tensors
     * @throws IllegalArgumentException if an argument is null or the shapes do not fit this layer,
     *                                  naming them
     */
    public Gradients backward(Tensor input, Tensor gradOutput) {
        if (input == null || gradOutput == null) {
            throw new IllegalArgumentException(
                    "Linear.backward: " + (input == null ? "input" : "gradOutput") + " is null");
        }
        int[] expected = input.shape();
        if (expected.length > 0) {
            expected[expected.length - 1] = outFeatures;
        }
        if (input.rank() == 0 || input.shape(-1) != inFeatures || !Arrays.equals(gradOutput.shape(), expected)) {
            throw new IllegalArgumentException("Linear(" + inFeatures + " -> " + outFeatures
                    + ").backward needs input [..., "
                    + inFeatures + "] and gradOutput [..., " + outFeatures + "] with the same leading axes, got input "
                    + Arrays.toString(input.shape()) + " and gradOutput " + Arrays.toString(gradOutput.shape()));
        }
        Tensor gradInput = gradOutput.matmul(weight);
        Tensor g = gradOutput.reshape(-1, outFeatures);
        Tensor x = input.reshape(-1, inFeatures);
        Tensor gradWeight = g.transpose(0, 1).matmul(x);
        Tensor gradBias = bias == null ? null : g.sum(0);
        return new Gradients(gradInput, gradWeight, gradBias);
    }

    /**
     * The gradients {@link #backward(Tensor, Tensor)} returns.
     *
     * @param input  {@code ∂loss/∂x}, shaped like the input {@code [..., in]}
     * @param weight {@code ∂loss/∂W}, {@code [out, in]}
     * @param bias   {@code ∂loss/∂b}, {@code [out]}; null for a layer without bias
     */
    public record Gradients(Tensor input, Tensor weight, Tensor bias) {}

    /**
     * A trainable copy of this layer for {@link dev.heed.autograd autograd}: its weight and bias
     * become parameters, registered as {@code weight} and {@code bias} as in PyTorch. This layer
     * is not changed by training the copy; {@link TrainableLinear#snapshot()} gives the trained
     * values back as a {@code Linear}.
     *
     * @return a new trainable layer holding copies of this layer's parameters
     */
    public TrainableLinear trainable() {
        return new TrainableLinear(weight, bias);
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
     * Whether the layer adds a bias.
     *
     * @return true if {@link #bias()} is not null
     */
    public boolean hasBias() {
        return bias != null;
    }

    /**
     * The weight.
     *
     * @return {@code [out, in]}, a new copy on each call
     */
    public Tensor weight() {
        return weight.copy();
    }

    /**
     * The bias.
     *
     * @return {@code [out]}, a new copy on each call; null without bias
     */
    public Tensor bias() {
        return bias == null ? null : bias.copy();
    }

    @Override
    public String toString() {
        return "Linear{in=" + inFeatures + ", out=" + outFeatures + ", bias=" + hasBias() + "}";
    }
}
