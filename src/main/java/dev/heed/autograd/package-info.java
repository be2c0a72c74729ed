/**
 * Reverse-mode automatic differentiation over {@link dev.heed.tensor.Tensor}: a small dynamic
 * graph in the manner of PyTorch's autograd.
 *
 * <p>{@link dev.heed.autograd.Variable} wraps a tensor. Parameters
 * ({@link dev.heed.autograd.Variable#parameter}) require gradients; constants
 * ({@link dev.heed.autograd.Variable#constant}) do not. Every operation on variables — elementwise
 * arithmetic with NumPy broadcasting, {@code matmul}, {@code tanh}, {@code exp}, {@code log},
 * {@code sigmoid}, {@code relu}, {@code softmax}, {@code logSoftmax}, sums and means, reshapes,
 * transposes, slices, {@code concat}, {@code stack} and row gathers (embedding lookups) —
 * computes its value at once and, when an input requires a gradient, records its inputs and a
 * backward rule in the result. {@link dev.heed.autograd.Variable#backward()} on a loss walks that
 * graph backwards and adds each parameter's gradient into its
 * {@link dev.heed.autograd.Variable#grad()}:
 * <pre>{@code
 * Variable w = Variable.parameter(Tensor.random(1).normal(3, 2));
 * Variable x = Variable.constant(Tensor.random(2).normal(5, 3));
 * Variable loss = x.matmul(w).tanh().sum();
 * loss.backward();
 * Tensor dw = w.grad();      // [3, 2]: d loss / d w
 * }</pre>
 *
 * <p><b>Fused operations.</b> An operation whose gradients are best computed by a dedicated
 * kernel plugs in through {@link dev.heed.autograd.Variable#custom}: the caller computes the value,
 * names the inputs, and supplies a {@link dev.heed.autograd.Backward} rule mapping the output's
 * gradient to the inputs'. This is how an attention kernel's fused backward (which recomputes
 * the weights from the saved log-sum-exp rather than keeping them) joins a graph: its value is
 * the kernel's output and its rule calls the kernel's backward with the incoming gradient. This
 * package depends on {@code dev.heed.tensor} only, so such adapters live with the kernels'
 * callers, not here.
 *
 * <p><b>Semantics worth knowing.</b> Gradients accumulate across {@code backward()} calls until
 * {@link dev.heed.autograd.Variable#zeroGrad()}. An input broadcast by an operation gets its
 * gradient summed back to its own shape. A softmax row of only {@code -∞} has zero weights and
 * zero gradients, never NaN. Changing a parameter in place
 * ({@link dev.heed.autograd.Variable#assign}) invalidates graphs recorded before, which then
 * refuse {@code backward()} rather than return stale gradients.
 */
package dev.heed.autograd;
