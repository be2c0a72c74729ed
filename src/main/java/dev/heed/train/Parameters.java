package dev.heed.train;

import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/** Argument checks and gradient access shared by the optimisers and clipping. Package-private. */
final class Parameters {
    private Parameters() {}

    /** The parameters once each, in order; the same variable listed twice (tied weights) counts once. */
    static List<Variable> distinct(Iterable<Variable> parameters, String who) {
        if (parameters == null) {
            throw new IllegalArgumentException(who + ": parameters is null");
        }
        List<Variable> out = new ArrayList<>();
        Set<Variable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        int i = 0;
        for (Variable p : parameters) {
            if (p == null) {
                throw new IllegalArgumentException(who + ": parameter " + i + " is null");
            }
            if (seen.add(p)) {
                out.add(p);
            }
            i++;
        }
        return out;
    }

    /** The gradient's elements in row-major order: the array itself when it is laid out so. */
    static double[] gradient(Tensor grad) {
        return grad.isContiguous() && grad.offset() == 0 && grad.data().length == grad.size()
                ? grad.data()
                : grad.toArray();
    }

    /** The value's elements, copied, in row-major order. */
    static double[] values(Variable p) {
        return p.value().toArray();
    }

    static double learningRate(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("invalid learning rate " + lr + ": it must be finite and >= 0");
        }
        return lr;
    }

    static double nonNegative(String name, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("invalid " + name + " " + value + ": it must be finite and >= 0");
        }
        return value;
    }
}
