package dev.heed.autograd;

import dev.heed.tensor.Tensor;

/** The derivatives of the elementwise operations; a broadcast operand's gradient is summed back to its own shape. */
final class ElementwiseRules {
    private ElementwiseRules() {}

    /** add's rule, for operands of shapes {@code as} and {@code bs}. */
    static Rule add(int[] as, int[] bs) {
        return g -> new Tensor[] {Strided.sumTo(g, as), Strided.sumTo(g, bs)};
    }

    /** sub's rule, for operands of shapes {@code as} and {@code bs}; the negation only when {@code needB}. */
    static Rule sub(int[] as, int[] bs, boolean needB) {
        return g ->
                new Tensor[] {Strided.sumTo(g, as), needB ? Strided.sumTo(g, bs).neg() : null};
    }

    /** mul's rule for {@code a * b}: each operand's gradient only when it is needed. */
    static Rule mul(Tensor a, Tensor b, boolean needA, boolean needB) {
        return g -> new Tensor[] {
            needA ? Strided.sumTo(g.mul(b), a.shape()) : null, needB ? Strided.sumTo(g.mul(a), b.shape()) : null
        };
    }

    /** div's rule for {@code a / b}: each operand's gradient only when it is needed. */
    static Rule div(Tensor a, Tensor b, boolean needA, boolean needB) {
        return g -> new Tensor[] {
            needA ? Strided.sumTo(g.div(b), a.shape()) : null,
            // d(a/b)/db = -a/b², written as PyTorch does: -g·a / (b·b)
            needB ? Strided.sumTo(g.neg().mul(a).div(b.mul(b)), b.shape()) : null
        };
    }

    /** tanh's rule, from its output {@code y}: {@code g · (1 − y²)}. */
    static Rule tanh(Tensor y) {
        return g -> new Tensor[] {g.zip(y, (gi, yi) -> gi * (1 - yi * yi))};
    }

    /** The logistic sigmoid of every element, without overflow for large {@code |x|}. */
    static Tensor sigmoidValue(Tensor x) {
        return x.map(ElementwiseRules::sigmoid);
    }

    /** sigmoid's rule, from its output {@code y}: {@code g · y · (1 − y)}. */
    static Rule sigmoid(Tensor y) {
        return g -> new Tensor[] {g.zip(y, (gi, yi) -> gi * yi * (1 - yi))};
    }

    private static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x); // x < 0: e^x cannot overflow
        return e / (1 + e);
    }

    /** {@code max(x, 0)} of every element, NaN kept. */
    static Tensor reluValue(Tensor x) {
        return x.map(v -> v > 0 || v != v ? v : 0.0);
    }

    /** relu's rule, from its input {@code x}: the gradient where {@code x > 0}, else 0 (also at 0 and NaN). */
    static Rule relu(Tensor x) {
        return g -> new Tensor[] {g.zip(x, (gi, xi) -> xi > 0 ? gi : 0.0)};
    }
}
