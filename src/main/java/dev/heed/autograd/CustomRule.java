package dev.heed.autograd;

import dev.heed.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/** A caller's {@link Backward} as a recorded rule, held to its contract: one gradient per input, shaped like it. */
final class CustomRule implements Rule {
    private final String name;
    private final Backward backward;
    /** The inputs' shapes when the operation was recorded. */
    private final int[][] shapes;

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
