package dev.heed.train;

import dev.heed.autograd.Variable;
import dev.heed.layers.Module;
import java.util.List;

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
 * step for step {@code torch.optim.SGD}. For each parameter {@code p} with gradient {@code g}:
 * <pre>
 * g ← g + weightDecay · p                      (if weightDecay ≠ 0)
 * if momentum ≠ 0:
 *     b ← g                                    (first step)
 *     b ← momentum · b + (1 − dampening) · g   (later steps)
 *     g ← g + momentum · b  if nesterov, else  g ← b
 * p ← p − learningRate · g
 * </pre>
 * Defaults as PyTorch: learning rate 1e-3, no momentum, no dampening, no weight decay, no
 * Nesterov.
 */
public final class Sgd extends ParameterOptimizer {
    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;
    private final double[][] buffers;

    private Sgd(Builder b, List<Variable> parameters) {
        super(parameters, b.learningRate);
        this.momentum = b.momentum;
        this.dampening = b.dampening;
        this.weightDecay = b.weightDecay;
        this.nesterov = b.nesterov;
        this.buffers = new double[parameters.size()][];
    }

    /**
     * A builder for an optimiser of {@code parameters}.
     *
     * @param parameters the variables to update; each kept once (a repeated one is updated once);
     *                   not modified until {@link #step()}
     * @return a new builder with PyTorch's defaults
     * @throws IllegalArgumentException if {@code parameters} is null or holds null
     */
    public static Builder builder(Iterable<Variable> parameters) {
        return new Builder(Parameters.distinct(parameters, "Sgd"));
    }

    /**
     * A builder for an optimiser of every parameter of {@code module}.
     *
     * @param module the module whose {@link Module#parameters()} to update
     * @return a new builder with PyTorch's defaults
     * @throws IllegalArgumentException if {@code module} is null
     */
    public static Builder builder(Module module) {
        if (module == null) {
            throw new IllegalArgumentException("Sgd: module is null");
        }
        return builder(module.parameters().values());
    }

    /** Settings of an {@link Sgd}; each setter checks its value and returns this builder. Not thread-safe. */
    public static final class Builder {
        private final List<Variable> parameters;
        private double learningRate = 1e-3;
        private double momentum;
        private double dampening;
        private double weightDecay;
        private boolean nesterov;

        private Builder(List<Variable> parameters) {
            this.parameters = parameters;
        }

        /**
         * The learning rate.
         *
         * @param learningRate finite, {@code >= 0}; default 1e-3
         * @return this builder
         * @throws IllegalArgumentException if negative, NaN or infinite
         */
        public Builder learningRate(double learningRate) {
            this.learningRate = Parameters.learningRate(learningRate);
            return this;
        }

        /**
         * The momentum factor.
         *
         * @param momentum finite, {@code >= 0}; default 0 (plain SGD)
         * @return this builder
         * @throws IllegalArgumentException if negative, NaN or infinite
         */
        public Builder momentum(double momentum) {
            this.momentum = Parameters.nonNegative("momentum", momentum);
            return this;
        }

        /**
         * The dampening of the gradient's contribution to the momentum buffer.
         *
         * @param dampening finite, {@code >= 0}; default 0
         * @return this builder
         * @throws IllegalArgumentException if negative, NaN or infinite
         */
        public Builder dampening(double dampening) {
            this.dampening = Parameters.nonNegative("dampening", dampening);
            return this;
        }

        /**
         * The L2 penalty added to the gradient (coupled weight decay, as PyTorch's SGD).
         *
         * @param weightDecay finite, {@code >= 0}; default 0
         * @return this builder
         * @throws IllegalArgumentException if negative, NaN or infinite
         */
        public Builder weightDecay(double weightDecay) {
            this.weightDecay = Parameters.nonNegative("weight decay", weightDecay);
            return this;
        }

        /**
         * Whether to use Nesterov momentum; needs a momentum and zero dampening.
         *
         * @param nesterov default false
         * @return this builder
         */
        public Builder nesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        /**
         * The optimiser.
         *
         * @return a new optimiser with fresh state
         * @throws IllegalArgumentException if Nesterov is asked for without a momentum or with
         *                                  dampening, naming both
         */
        public Sgd build() {
            if (nesterov && (momentum <= 0 || dampening != 0)) {
                throw new IllegalArgumentException("Nesterov momentum needs momentum > 0 and dampening 0, got momentum "
                        + momentum + " and dampening " + dampening);
            }
            return new Sgd(this, parameters);
        }
    }

    @Override
    void update(int i, double[] g, double[] x, double learningRate) {
        double[] d = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            d[j] = weightDecay != 0 ? g[j] + weightDecay * x[j] : g[j];
        }
        if (momentum != 0) {
            double[] b = buffers[i];
            if (b == null) {
                buffers[i] = d.clone();
                b = buffers[i];
            } else {
                for (int j = 0; j < b.length; j++) {
                    b[j] = momentum * b[j] + (1 - dampening) * d[j];
                }
            }
            for (int j = 0; j < d.length; j++) {
                d[j] = nesterov ? d[j] + momentum * b[j] : b[j];
            }
        }
        for (int j = 0; j < x.length; j++) {
            x[j] = x[j] - learningRate * d[j];
        }
    }

    /**
     * The settings.
     *
     * @return e.g. {@code Sgd{lr=0.1, momentum=0.9, dampening=0.0, weightDecay=0.0, nesterov=true, parameters=4}}
     */
    @Override
    public String toString() {
        return "Sgd{lr=" + learningRate() + ", momentum=" + momentum + ", dampening=" + dampening + ", weightDecay="
                + weightDecay + ", nesterov=" + nesterov + ", parameters=" + parameters.size() + "}";
    }
}
