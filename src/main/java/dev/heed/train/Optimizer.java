package dev.heed.train;

import dev.heed.autograd.Variable;
import java.util.List;

/**
 * Updates parameters from their gradients, as a {@code torch.optim.Optimizer}: compute a loss,
 * {@link Variable#backward()}, {@link #step()}, {@link #zeroGrad()}, repeat.
 *
 * <p>An optimiser holds its parameters in the order given (each once) and per-parameter state
 * (momentum buffers, moment estimates). {@link #step()} updates every parameter that has a
 * gradient, in place through {@link Variable#assign}, and skips those without one (their state
 * does not advance), as PyTorch skips parameters whose {@code grad} is {@code None}. Optimisers
 * are not thread-safe.
 */
public interface Optimizer {
    /**
     * Updates every parameter that has a gradient, by one step of the optimiser's rule. The
     * gradients are read, not changed.
     */
    void step();

    /** Drops the gradient of every parameter ({@link Variable#zeroGrad()}). */
    void zeroGrad();

    /**
     * The parameters.
     *
     * @return an unmodifiable list of the optimiser's parameters (the variables themselves), each
     *         once, in the order given
     */
    List<Variable> parameters();

    /**
     * The learning rate the next {@link #step()} uses.
     *
     * @return the learning rate
     */
    double learningRate();

    /**
     * Changes the learning rate for later steps (a schedule); the state is kept.
     *
     * @param learningRate the new rate, {@code >= 0} and finite
     * @throws IllegalArgumentException if the rate is negative, NaN or infinite
     */
    void setLearningRate(double learningRate);
}
