package dev.heed.autograd;

import dev.heed.tensor.Tensor;
import java.util.Arrays;

/** matmul's checks and its gradient: each operand's product with the output's gradient, summed over broadcast axes. */
final class MatmulRules {
    private MatmulRules() {}

    /** Refuses a 0-d operand, before the caller promotes a 1-d one to a matrix. */
    static void requireRanks(Tensor left, Tensor right) {
        if (left.rank() == 0 || right.rank() == 0) {
            throw new IllegalArgumentException("matmul needs operands of rank >= 1, got shapes "
                    + Arrays.toString(left.shape()) + " and " + Arrays.toString(right.shape()));
        }
    }

    /**
     * {@code a @ b} of the operands promoted to rank >= 2; a failure names the shapes the caller
     * gave, {@code left}'s and {@code right}'s.
     */
    static Tensor product(Tensor a, Tensor b, Tensor left, Tensor right) {
        try {
            return a.matmul(b);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "matmul: cannot multiply shapes " + Arrays.toString(left.shape()) + " and "
                            + Arrays.toString(right.shape()) + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * The rule of {@code a @ b} (both rank >= 2): {@code g @ bᵀ} and {@code aᵀ @ g}, each summed
     * back to its operand's shape, since a batch axis of size 1 or missing was broadcast; an
     * operand that needs no gradient gets null.
     */
    static Rule rule(Tensor a, Tensor b, boolean needA, boolean needB) {
        return g -> new Tensor[] {
            needA ? Strided.sumTo(g.matmul(b.transpose(-1, -2)), a.shape()) : null,
            needB ? Strided.sumTo(a.transpose(-1, -2).matmul(g), b.shape()) : null
        };
    }
}
