package dev.heed.layers;

import dev.heed.autograd.Variable;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Something with trainable parameters, named as PyTorch names them: a layer's own parameters by
 * their attribute names ({@code weight}, {@code bias}), a child module's prefixed with the child's
 * name and a dot ({@code encoder.layers.0.weight}). The names are what checkpoints store, so a
 * module whose names match a {@code torch.nn.Module}'s {@code state_dict} reads and writes the
 * same files.
 *
 * <p>Implement {@link #parameters()} with a {@link Builder}:
 * <pre>{@code
 * final class Classifier implements Module {
 *     final TrainableEmbedding embedding = TrainableEmbedding.seeded(100, 16, 1);
 *     final TrainableLinear head = TrainableLinear.seeded(16, 2, true, 2);
 *     final Variable temperature = Variable.parameter(Tensor.scalar(1));
 *
 *     public Map<String, Variable> parameters() {
 *         return Module.builder().add("embedding", embedding).add("head", head)
 *                 .add("temperature", temperature).build();   // embedding.weight, head.weight,
 *     }                                                       // head.bias, temperature
 * }
 * }</pre>
 */
public interface Module {
    /**
     * The trainable parameters by name, in registration order; each parameter appears once
     * (under the first name it was registered with), as PyTorch's {@code named_parameters()}.
     *
     * @return an insertion-ordered map; the variables are the module's own (shared, not copied),
     *         so optimisers and checkpoint loading change the module through them
     */
    Map<String, Variable> parameters();

    /** Drops the accumulated gradient of every parameter, as {@code module.zero_grad()}. */
    default void zeroGrad() {
        for (Variable p : parameters().values()) {
            p.zeroGrad();
        }
    }

    /**
     * The number of trainable numbers: the total size of the parameters' values.
     *
     * @return the sum of the parameters' sizes
     */
    default long parameterCount() {
        long n = 0;
        for (Variable p : parameters().values()) {
            n += p.value().size();
        }
        return n;
    }

    /**
     * A builder of a parameter map with dotted names.
     *
     * @return a new, empty builder
     */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Collects named parameters and children's parameters into the map {@link #parameters()}
     * returns. Names are checked as PyTorch's {@code register_parameter} and
     * {@code add_module} check them: not empty and without a dot. Not thread-safe.
     */
    final class Builder {
        private final Map<String, Variable> parameters = new LinkedHashMap<>();
        private final Set<Variable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        private final Set<String> names = new HashSet<>();

        private Builder() {}

        /**
         * Registers one parameter. A variable already registered (weight tying) is skipped, so
         * it keeps its first name.
         *
         * @param name      the parameter's name, not empty, no dot
         * @param parameter the variable, shared, not copied
         * @return this builder
         * @throws IllegalArgumentException if the name is invalid or already given to a parameter
         *                                  or child, or {@code parameter} is null
         */
        public Builder add(String name, Variable parameter) {
            checkName(name);
            if (parameter == null) {
                throw new IllegalArgumentException("parameter '" + name + "' is null");
            }
            put(name, parameter);
            return this;
        }

        /**
         * Registers every parameter of {@code child}, each named {@code name + "." + its name}.
         *
         * @param name  the child's name, not empty, no dot
         * @param child the child module
         * @return this builder
         * @throws IllegalArgumentException if the name is invalid or already given to a parameter
         *                                  or child, or {@code child} is null
         */
        public Builder add(String name, Module child) {
            checkName(name);
            if (child == null) {
                throw new IllegalArgumentException("module '" + name + "' is null");
            }
            for (Map.Entry<String, Variable> e : child.parameters().entrySet()) {
                put(name + "." + e.getKey(), e.getValue());
            }
            return this;
        }

        /**
         * The map.
         *
         * @return a new unmodifiable insertion-ordered map; the builder may be reused
         */
        public Map<String, Variable> build() {
            return Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        }

        private void put(String name, Variable parameter) {
            if (parameters.containsKey(name)) {
                throw new IllegalArgumentException("parameter name '" + name + "' is registered twice");
            }
            if (seen.add(parameter)) {
                parameters.put(name, parameter);
            }
        }

        private void checkName(String name) {
            if (name == null || name.isEmpty() || name.contains(".")) {
                throw new IllegalArgumentException(
                        "a parameter or module name must be non-empty and contain no '.', got "
                                + (name == null ? "null" : "'" + name + "'"));
            }
            if (!names.add(name)) {
                throw new IllegalArgumentException("the name '" + name + "' is registered twice");
            }
        }
    }
}
