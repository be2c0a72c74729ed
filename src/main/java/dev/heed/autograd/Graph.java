package dev.heed.autograd;

import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The backward pass over a recorded graph: its order, the walk, the sums into gradients, the version checks. */
final class Graph {
    private Graph() {}

    /**
     * Back-propagates {@code gradient} from {@code output} into the gradients of the parameters
     * (and retaining results) it depends on; the caller has checked the arguments.
     */
    static void backward(Variable output, Tensor gradient) {
        List<Variable> order = topologicalOrder(output);
        Map<Variable, Tensor> pending = new IdentityHashMap<>();
        pending.put(output, gradient);
        // Consumers come after their inputs in the order, so walking it backwards finishes every
        // variable's gradient (the sum over all its consumers) before passing it on.
        for (int i = order.size() - 1; i >= 0; i--) {
            Variable node = order.get(i);
            Tensor g = pending.remove(node);
            if (g == null) {
                continue;
            }
            if (node.inputs.length == 0) {
                accumulate(node, g);
                continue;
            }
            if (node.retainGrad) {
                accumulate(node, g);
            }
            checkVersions(node);
            Tensor[] gs = node.rule.apply(g);
            for (int k = 0; k < node.inputs.length; k++) {
                Variable in = node.inputs[k];
                if (in.requiresGrad && gs[k] != null) {
                    pending.merge(in, gs[k], Tensor::add);
                }
            }
        }
    }

    /** The variables requiring gradients that {@code output} depends on, inputs before their consumers. */
    private static List<Variable> topologicalOrder(Variable output) {
        // Iterative depth-first search: a graph may be thousands of operations deep (an unrolled
        // recurrence), too deep for the call stack.
        List<Variable> order = new ArrayList<>();
        Set<Variable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Variable> stack = new ArrayList<>();
        int[] next = new int[16];
        stack.add(output);
        seen.add(output);
        while (!stack.isEmpty()) {
            int top = stack.size() - 1;
            Variable v = stack.get(top);
            if (next[top] < v.inputs.length) {
                Variable in = v.inputs[next[top]++];
                if (in.requiresGrad && seen.add(in)) {
                    if (stack.size() == next.length) {
                        next = Arrays.copyOf(next, next.length * 2);
                    }
                    next[stack.size()] = 0;
                    stack.add(in);
                }
            } else {
                stack.remove(top);
                order.add(v);
            }
        }
        return order;
    }

    /** Adds {@code g} into the node's gradient, under the node's lock (as {@link Variable#grad()} reads it). */
    private static void accumulate(Variable node, Tensor g) {
        synchronized (node) {
            if (node.grad == null) {
                node.grad = g.copy();
            } else {
                Strided.accumulateInto(node.grad, g);
            }
        }
    }

    /** Refuses a node whose inputs were {@linkplain Variable#assign assigned} since it was recorded. */
    private static void checkVersions(Variable node) {
        for (int k = 0; k < node.inputs.length; k++) {
            Variable in = node.inputs[k];
            if (in.version.count != node.inputVersions[k]) {
                throw new IllegalStateException("backward: input " + k + " of '" + node.op() + "' (shape "
                        + Arrays.toString(in.value().shape()) + ") was assigned in place after the operation "
                        + "was recorded, so its saved values are stale; run the forward pass again");
            }
        }
    }
}
