package dev.heed.autograd;

import dev.heed.tensor.Tensor;

/** A recorded operation's backward: its inputs' gradients (null = none) from its output's. */
@FunctionalInterface
interface Rule {
    Tensor[] apply(Tensor gradOutput);
}
