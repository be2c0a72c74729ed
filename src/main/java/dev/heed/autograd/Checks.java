package dev.heed.autograd;

import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/** The argument checks the operations share; each message names the operation and the shapes or values involved. */
final class Checks {
    private Checks() {}

    /** {@code axis} of {@code t} in {@code [0, rank)}, negative counting from the end. */
    static int axis(Tensor t, int axis, String op) {
        int r = t.rank();
        int a = axis < 0 ? axis + r : axis;
        if (a < 0 || a >= r) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for shape "
                    + Arrays.toString(t.shape()) + " (rank " + r + ")");
        }
        return a;
    }

    /** {@code parts} as an array, refusing a null or empty list and null parts. */
    static Variable[] nonEmpty(List<Variable> parts, String op) {
        if (parts == null || parts.isEmpty()) {
            throw new IllegalArgumentException(
                    op + " needs at least one variable, got " + (parts == null ? "null" : "none"));
        }
        Variable[] in = parts.toArray(new Variable[0]);
        for (int i = 0; i < in.length; i++) {
            if (in[i] == null) {
                throw new IllegalArgumentException(op + ": part " + i + " is null");
            }
        }
        return in;
    }

    static void requireTensor(Tensor t, String what) {
        if (t == null) {
            throw new IllegalArgumentException(what + " is null");
        }
    }

    static void requireVariable(Variable v, String op) {
        if (v == null) {
            throw new IllegalArgumentException(op + ": the other operand is null");
        }
    }
}
