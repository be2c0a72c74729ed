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
 */
package dev.heed.layers;
