package dev.heed.autograd;

import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/** A custom operation: its argument checks, and the caller's {@link Backward} as a rule held to its contract. */
final class CustomRule implements Rule {
    private final String name;
    private final Backward backward;
    /** The inputs' shapes when the operation was recorded. */
    private final int[][] shapes;

    /**
     * {@link Variable#custom}'s inputs as an array, once its arguments are checked: a non-blank
     * name, no null value, input list, input or rule.
     */
    static Variable[] checkedInputs(String name, Tensor value, List<Variable> inputs, Backward backward) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("custom operation name is null or blank");
        }
        Checks.requireTensor(value, name + " value");
        if (inputs == null) {
            throw new IllegalArgumentException(name + ": inputs is null");
        }
        if (backward == null) {
            throw new IllegalArgumentException(name + ": backward is null");
        }
        Variable[] in = new Variable[inputs.size()];
        for (int i = 0; i < in.length; i++) {
            in[i] = inputs.get(i);
            if (in[i] == null) {
                throw new IllegalArgumentException(name + ": input " + i + " is null");
            }
        }
        return in;
    }

    /** The rule of a custom operation named {@code name} over {@code inputs}, whose shapes it keeps. */
    CustomRule(String name, Backward backward, Variable[] inputs) {
        this.name = name;
        this.backward = backward;
        this.shapes = new int[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            shapes[i] = inputs[i].value().shape();
        }
    }

    @Override
    public Tensor[] apply(Tensor gradOutput) {
        List<Tensor> gs = backward.apply(gradOutput);
        if (gs == null || gs.size() != shapes.length) {
            throw new IllegalStateException("custom operation '" + name + "': backward returned "
                    + (gs == null ? "null" : gs.size() + " gradients") + " for " + shapes.length + " inputs");
        }
        Tensor[] out = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            Tensor t = gs.get(i);
            if (t != null && !Arrays.equals(t.shape(), shapes[i])) {
                throw new IllegalStateException("custom operation '" + name + "': the gradient of input " + i
                        + " has shape " + Arrays.toString(t.shape()) + " but the input has shape "
                        + Arrays.toString(shapes[i]));
            }
            out[i] = t;
        }
        return out;
    }
}
