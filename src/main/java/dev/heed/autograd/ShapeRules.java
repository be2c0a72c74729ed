package dev.heed.autograd;

import dev.heed.tensor.Tensor;
import java.util.function.UnaryOperator;

/** The gradients of permutations, picks and reductions: each maps the output's gradient back onto the input's shape. */
final class ShapeRules {
    private ShapeRules() {}

    /** permute's rule: the gradient permuted back by the inverse of {@code order}, a valid order. */
    static Rule permute(int[] order) {
        int r = order.length;
        int[] inverse = new int[r];
        for (int k = 0; k < r; k++) {
            inverse[order[k] < 0 ? order[k] + r : order[k]] = k;
        }
        return g -> new Tensor[] {g.permute(inverse)};
    }

    /**
     * The rule of a pick such as {@code select} or {@code slice}: the gradient written through the
     * same pick into zeros of the input's {@code shape}, so the elements not picked get 0.
     */
    static Rule scatter(int[] shape, UnaryOperator<Tensor> pick) {
        return g -> {
            Tensor dx = Tensor.zeros(shape);
            Strided.copyInto(pick.apply(dx), g);
            return new Tensor[] {dx};
        };
    }

    /** The rule of a sum of all elements of {@code shape}: the 0-d gradient broadcast to every element. */
    static Rule spread(int[] shape) {
        return g -> new Tensor[] {g.broadcastTo(shape)};
    }

    /** The rule of a sum along {@code axis} of {@code shape}: the gradient broadcast back along that axis. */
    static Rule spread(int[] shape, int axis) {
        return g -> new Tensor[] {g.unsqueeze(axis).broadcastTo(shape)};
    }

    /** The rule of a mean of {@code n} elements: the matching sum's {@code spread} rule, divided by {@code n}. */
    static Rule average(Rule spread, int n) {
        return g -> new Tensor[] {spread.apply(g)[0].map(x -> x / n)};
    }
}
