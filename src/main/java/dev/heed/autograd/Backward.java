package dev.heed.autograd;

import dev.heed.tensor.Tensor;
import java.util.List;

/**
 * The backward rule of a fused operation recorded with
 * {@link Variable#custom(String, Tensor, List, Backward)}: given the gradient of the loss with
 * respect to the operation's output, the gradients with respect to each of its inputs (the
 * vector–Jacobian product, as {@code torch.autograd.Function.backward}).
 *
 * <p>The rule runs during {@link Variable#backward()}, at most once per call, on the thread that
 * called it. It must not modify {@code gradOutput}: the same tensor may be passed on to other
 * operations.
 */
@FunctionalInterface
public interface Backward {
    /**
     * The gradients of the inputs.
     *
     * @param gradOutput the gradient with respect to the output, shaped like the output's value;
     *                   not modified (it may be a view, even a broadcast one)
     * @return one entry per input, in the order the inputs were given: a tensor shaped exactly
     *         like that input's value, or null for a zero gradient (e.g. for an input that does
     *         not {@linkplain Variable#requiresGrad() require a gradient}); the list may be
     *         unmodifiable, and the tensors are not modified afterwards
     */
    List<Tensor> apply(Tensor gradOutput);
}
