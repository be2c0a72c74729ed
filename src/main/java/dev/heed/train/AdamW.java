package dev.heed.train;

import dev.heed.autograd.Variable;
import dev.heed.layers.Module;
import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov &amp; Hutter), step for step
 * {@code torch.optim.AdamW}. For each parameter {@code p} with gradient {@code g}, at its
 * {@code t}-th step:
 * <pre>
 * p ← p · (1 − lr · weightDecay)                    (decoupled decay, before the Adam step)
 * m ← m + (1 − β₁) · (g − m)                        (= β₁ m + (1 − β₁) g)
 * v ← β₂ · v + (1 − β₂) · g²
 * v̂ ← max(v̂, v) if amsgrad, else v̂ = v
 * p ← p − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
 * </pre>
 * with the operations in PyTorch's order, so the numbers agree with PyTorch's float64 to the last
 * bit or so. Defaults as PyTorch: learning rate 1e-3, betas (0.9, 0.999), ε 1e-8, weight decay
 * 1e-2, no AMSGrad. Weight decay applies to every parameter given (biases included, as
 * PyTorch does unless parameter groups say otherwise): build a second optimiser for parameters
 * that should not decay.
 */
public final class AdamW extends ParameterOptimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean amsgrad;
    private final double[][] m;
    private final double[][] v;
    private final double[][] vMax;
    private final int[] steps;

    private AdamW(Builder b, List<Variable> parameters) {
        super(parameters, b.learningRate);
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.eps = b.eps;
        this.weightDecay = b.weightDecay;
        this.amsgrad = b.amsgrad;
        int n = parameters.size();
        this.m = new double[n][];
        this.v = new double[n][];
        this.vMax = new double[n][];
        this.steps = new int[n];
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
        return new Builder(Parameters.distinct(parameters, "AdamW"));
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
            throw new IllegalArgumentException("AdamW: module is null");
        }
        return builder(module.parameters().values());
    }

    /** Settings of an {@link AdamW}; each setter checks its value and returns this builder. Not thread-safe. */
    public static final class Builder {
        private final List<Variable> parameters;
        private double learningRate = 1e-3;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double weightDecay = 1e-2;
        private boolean amsgrad;

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
         * The decay rates of the first and second moment estimates.
         *
         * @param beta1 in {@code [0, 1)}; default 0.9
         * @param beta2 in {@code [0, 1)}; default 0.999
         * @return this builder
         * @throws IllegalArgumentException if either is outside {@code [0, 1)}, naming it
         */
        public Builder betas(double beta1, double beta2) {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException(
                        "invalid betas (" + beta1 + ", " + beta2 + "): each must be in [0, 1)");
            }
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        /**
         * The term added to the denominator for numerical stability.
         *
         * @param eps finite, {@code >= 0}; default 1e-8
         * @return this builder
         * @throws IllegalArgumentException if negative, NaN or infinite
         */
        public Builder eps(double eps) {
            this.eps = Parameters.nonNegative("eps", eps);
            return this;
        }

        /**
         * The decoupled weight decay: each step first multiplies the parameter by
         * {@code 1 − learningRate · weightDecay}.
         *
         * @param weightDecay finite, {@code >= 0}; default 1e-2
         * @return this builder
         * @throws IllegalArgumentException if negative, NaN or infinite
         */
        public Builder weightDecay(double weightDecay) {
            this.weightDecay = Parameters.nonNegative("weight decay", weightDecay);
            return this;
        }

        /**
         * Whether to use the AMSGrad variant (the running maximum of the second moment).
         *
         * @param amsgrad default false
         * @return this builder
         */
        public Builder amsgrad(boolean amsgrad) {
            this.amsgrad = amsgrad;
            return this;
        }

        /**
         * The optimiser.
         *
         * @return a new optimiser with fresh state
         */
        public AdamW build() {
            return new AdamW(this, parameters);
        }
    }

    @Override
    void update(int i, double[] g, double[] x, double learningRate) {
        if (m[i] == null) {
            m[i] = new double[x.length];
            v[i] = new double[x.length];
            vMax[i] = amsgrad ? new double[x.length] : null;
        }
        int t = ++steps[i];
        double[] mi = m[i];
        double[] vi = v[i];
        double[] vm = vMax[i];
        double decay = 1 - learningRate * weightDecay;
        double oneMinusBeta1 = 1 - beta1;
        double oneMinusBeta2 = 1 - beta2;
        double stepSize = learningRate / (1 - Math.pow(beta1, t));
        double correction2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        for (int j = 0; j < x.length; j++) {
            if (weightDecay != 0) {
                x[j] = x[j] * decay;
            }
            mi[j] = mi[j] + oneMinusBeta1 * (g[j] - mi[j]); // torch.lerp for a weight < 0.5
            vi[j] = vi[j] * beta2 + oneMinusBeta2 * g[j] * g[j]; // torch.addcmul
            double second = vi[j];
            if (vm != null) {
                vm[j] = Math.max(vm[j], vi[j]);
                second = vm[j];
            }
            double denom = Math.sqrt(second) / correction2Sqrt + eps;
            x[j] = x[j] + -stepSize * mi[j] / denom; // torch.addcdiv
        }
    }

    /**
     * The settings.
     *
     * @return e.g. {@code AdamW{lr=0.001, betas=(0.9, 0.999), eps=1.0E-8, weightDecay=0.01, amsgrad=false, parameters=4}}
     */
    @Override
    public String toString() {
        return "AdamW{lr=" + learningRate() + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps + ", weightDecay="
                + weightDecay + ", amsgrad=" + amsgrad + ", parameters=" + parameters.size() + "}";
    }
}
