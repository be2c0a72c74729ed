package dev.heed.train;

import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import java.util.Collections;
import java.util.List;

/**
 * What every optimiser shares: the parameters, the learning rate, and a {@link #step()} that skips
 * parameters without a gradient and writes each updated value back through {@link Variable#assign}.
 * Subclasses give the update rule of one parameter. Package-private.
 */
abstract class ParameterOptimizer implements Optimizer {
    /** The parameters, each once, in the order given. */
    final List<Variable> parameters;

    private double learningRate;

    ParameterOptimizer(List<Variable> parameters, double learningRate) {
        this.parameters = parameters;
        this.learningRate = learningRate;
    }

    /**
     * Updates parameter {@code index} in place.
     *
     * @param index        the parameter's position in {@link #parameters}, for its state
     * @param gradient     its gradient's elements in row-major order; must not be modified
     * @param value        modified: a copy of its value's elements in row-major order, updated in place
     * @param learningRate the rate of this step
     */
    abstract void update(int index, double[] gradient, double[] value, double learningRate);

    @Override
    public final void step() {
        for (int i = 0; i < parameters.size(); i++) {
            Variable p = parameters.get(i);
            Tensor grad = p.grad();
            if (grad == null) {
                continue; // as PyTorch skips a parameter whose grad is None: its state does not advance
            }
            double[] x = Parameters.values(p);
            update(i, Parameters.gradient(grad), x, learningRate);
            p.assign(Tensor.of(x, p.shape()));
        }
    }

    @Override
    public final void zeroGrad() {
        for (Variable p : parameters) {
            p.zeroGrad();
        }
    }

    @Override
    public final List<Variable> parameters() {
        return Collections.unmodifiableList(parameters);
    }

    @Override
    public final double learningRate() {
        return learningRate;
    }

    @Override
    public final void setLearningRate(double learningRate) {
        this.learningRate = Parameters.learningRate(learningRate);
    }
}
