/**
 * {@link dev.heed.tensor.Tensor}: an n-dimensional array of {@code double} on NumPy's model — a flat array with an
 * offset, a shape and strides, so that transposing, slicing and broadcasting are views, not copies — with the
 * elementwise math, matrix products, reductions and softmax that attention needs, and
 * {@link dev.heed.tensor.RandomTensors seeded random tensors}.
 *
 * <p>Everything else in Heed takes and returns tensors; this package depends on no other public Heed package.
 */
package dev.heed.tensor;
