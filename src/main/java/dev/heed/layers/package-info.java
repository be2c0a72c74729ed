/**
 * The layers around attention in a transformer, with PyTorch's parameter layouts so that its
 * {@code state_dict} tensors load as they are.
 *
 * <p>{@link dev.heed.layers.Linear} is {@code y = x·Wᵀ + b} with {@code W [out, in]}, acting on
 * the last axis of an input {@code [..., in]}; {@link dev.heed.layers.Embedding} maps token ids
 * to rows of a {@code [vocabSize, embedDim]} table. Each is built from given tensors
 * ({@code of}) or initialised as PyTorch does from a seed ({@code seeded}; the same seed gives the
 * same layer on every JVM, though not PyTorch's numbers). Layers copy their parameters in and out,
 * are immutable and thread-safe, and return new row-major tensors.
 *
 * <p><b>Gradients.</b> Each layer has a {@code backward} that computes its gradients from the
 * forward pass's input and the gradient of its output, with no autograd involved:
 * {@link dev.heed.layers.Linear#backward} gives the input's, weight's and bias's gradients;
 * {@link dev.heed.layers.Embedding#backward(int[], dev.heed.tensor.Tensor)} the table's, a
 * repeated id summing the gradients of its occurrences.
 *
 * <p><b>Training.</b> {@link dev.heed.layers.Linear#trainable()} and
 * {@link dev.heed.layers.Embedding#trainable()} give mutable copies,
 * {@link dev.heed.layers.TrainableLinear} and {@link dev.heed.layers.TrainableEmbedding}, whose
 * parameters are {@link dev.heed.autograd.Variable}s: their forward passes are recorded for
 * {@link dev.heed.autograd autograd}, and optimisers update them in place. Each is a
 * {@link dev.heed.layers.Module}, naming its parameters as PyTorch does ({@code weight},
 * {@code bias}); a model made of several modules names its parameters with dotted paths
 * ({@code encoder.weight}) through {@link dev.heed.layers.Module#builder()}.
 */
package dev.heed.layers;
