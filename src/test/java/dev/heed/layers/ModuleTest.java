package dev.heed.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModuleTest {

    /** An encoder with a tied output layer: the decoder reuses the embedding table. */
    static final class Model implements Module {
        final TrainableEmbedding embedding = TrainableEmbedding.seeded(5, 3, 1);
        final TrainableLinear[] layers = {TrainableLinear.seeded(3, 3, true, 2), TrainableLinear.seeded(3, 3, false, 3)
        };
        final Variable scale = Variable.parameter(Tensor.scalar(1));

        @Override
        public Map<String, Variable> parameters() {
            Module list = () ->
                    Module.builder().add("0", layers[0]).add("1", layers[1]).build();
            return Module.builder()
                    .add("embedding", embedding)
                    .add("layers", list)
                    .add("scale", scale)
                    .add("tied", embedding.weight())
                    .build();
        }
    }

    @Test
    void nestedModulesPrefixTheirChildrensNames() {
        Model m = new Model();
        assertThat(m.parameters().keySet())
                .containsExactly("embedding.weight", "layers.0.weight", "layers.0.bias", "layers.1.weight", "scale");
        assertThat(m.parameters().get("layers.1.weight")).isSameAs(m.layers[1].weight());
        assertThat(m.parameterCount()).isEqualTo(15 + 9 + 3 + 9 + 1);
        assertThatThrownBy(() -> m.parameters().put("x", m.scale)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void zeroGradClearsEveryParameter() {
        Model m = new Model();
        m.layers[0].forward(m.embedding.forward(1, 2)).sum().mul(m.scale).backward();
        assertThat(m.embedding.weight().grad()).isNotNull();
        assertThat(m.scale.grad()).isNotNull();
        m.zeroGrad();
        for (Variable p : m.parameters().values()) {
            assertThat(p.grad()).isNull();
        }
    }

    @Test
    void badNamesAreRefused() {
        Variable p = Variable.parameter(Tensor.zeros(1));
        assertThatThrownBy(() -> Module.builder().add("a.b", p))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a.b");
        assertThatThrownBy(() -> Module.builder().add("", p)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Module.builder().add(null, p)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Module.builder().add("w", (Variable) null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Module.builder().add("w", (Module) null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Module.builder().add("w", p).add("w", Variable.parameter(Tensor.zeros(1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'w'");
        TrainableLinear l = TrainableLinear.seeded(1, 1, true, 1);
        assertThatThrownBy(() -> Module.builder().add("fc.weight", p)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Module.builder().add("fc", l).add("fc", l.weight()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
