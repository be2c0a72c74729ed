package dev.heed.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.Attention;
import dev.heed.attention.AttentionResult;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.autograd.Variable;
import dev.heed.io.SafeTensors;
import dev.heed.io.StateDicts;
import dev.heed.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The trainable module against the immutable one it came from: the same forward, and its autograd
 * gradients against {@link MultiHeadAttention#backward}'s fused ones — two independent derivations.
 */
class TrainableMultiHeadAttentionTest {

    static Stream<Arguments> modules() {
        return Stream.of(
                Arguments.of(MultiHeadAttention.builder(8, 2).seed(3).build(), 5, 5, Mask.causal()),
                Arguments.of(
                        MultiHeadAttention.builder(6, 3)
                                .keyDim(4)
                                .valueDim(5)
                                .seed(4)
                                .kernel(new ChunkedAttention(2, 3))
                                .build(),
                        3,
                        7,
                        Mask.keyPadding(7, 2)),
                Arguments.of(
                        MultiHeadAttention.builder(4, 1).bias(false).seed(5).build(), 1, 4, Mask.none()));
    }

    private static void assertClose(String what, Tensor expected, Tensor actual) {
        assertThat(actual.shape()).as(what).containsExactly(expected.shape());
        assertThat(actual.allClose(expected, 1e-11, 1e-12))
                .as(what + ": " + actual + " vs " + expected)
                .isTrue();
    }

    @ParameterizedTest
    @MethodSource("modules")
    void forwardAndGradientsEqualTheFusedModule(MultiHeadAttention mha, int queries, int keys, Mask mask) {
        Tensor x = Tensor.random(10).normal(2, queries, mha.embedDim());
        Tensor k = Tensor.random(11).normal(2, keys, mha.keyDim());
        Tensor v = Tensor.random(12).normal(2, keys, mha.valueDim());
        Tensor gy = Tensor.random(13).normal(2, queries, mha.embedDim());
        TrainableMultiHeadAttention t = TrainableMultiHeadAttention.of(mha);
        Variable xv = Variable.parameter(x);
        Variable kv = Variable.parameter(k);
        Variable vv = Variable.parameter(v);
        AttentionOps.Attended out = t.forward(xv, kv, vv, mask);
        AttentionResult expected = mha.forward(x, k, v, mask);
        assertClose("output", expected.output(), out.output().value());
        assertClose("weights", expected.weights(), out.forward().weights());
        out.output().backward(gy);
        MultiHeadAttention.Gradients g = mha.backward(x, k, v, mask, gy);
        assertClose("d query", g.query(), xv.grad());
        assertClose("d key", g.key(), kv.grad());
        assertClose("d value", g.value(), vv.grad());
        Map<String, Variable> params = t.parameters();
        assertThat(params.keySet()).containsExactlyElementsOf(g.parameters().keySet());
        for (var e : g.parameters().entrySet()) {
            assertClose(e.getKey(), e.getValue(), params.get(e.getKey()).grad());
        }
    }

    @Test
    void parameterNamesAreTorchsStateDictAndTheSnapshotIsTheSameModule(@TempDir Path dir) throws Exception {
        MultiHeadAttention mha = MultiHeadAttention.builder(8, 2).seed(9).build();
        TrainableMultiHeadAttention t = TrainableMultiHeadAttention.of(mha);
        Path file = dir.resolve("mha.safetensors");
        Checkpoints.save(file, t);
        Map<String, Tensor> saved = SafeTensors.read(file);
        Map<String, Tensor> torch = StateDicts.of(mha);
        assertThat(saved.keySet()).containsExactlyInAnyOrderElementsOf(torch.keySet());
        for (var e : torch.entrySet()) {
            assertThat(saved.get(e.getKey()).toArray())
                    .as(e.getKey())
                    .containsExactly(e.getValue().toArray());
        }
        Tensor x = Tensor.random(1).normal(5, 8);
        assertThat(t.snapshot().forward(x, Mask.causal()).output().toArray())
                .containsExactly(mha.forward(x, Mask.causal()).output().toArray());
    }

    @Test
    void trainingStepsMoveTheParametersAndLaterGraphsStillRun() {
        Attention kernel = new ScaledDotProductAttention();
        MultiHeadAttention mha =
                MultiHeadAttention.builder(4, 2).kernel(kernel).seed(2).build();
        TrainableMultiHeadAttention t = TrainableMultiHeadAttention.of(mha);
        Variable x = Variable.constant(Tensor.random(3).normal(2, 6, 4));
        Variable target = Variable.constant(Tensor.random(4).normal(2, 6, 4));
        Optimizer opt = AdamW.builder(t).learningRate(0.05).weightDecay(0).build();
        double first = Double.NaN;
        double last = Double.NaN;
        for (int step = 0; step < 30; step++) {
            Variable loss = Losses.meanSquaredError(t.forward(x, Mask.causal()).output(), target);
            opt.zeroGrad();
            loss.backward();
            opt.step();
            if (step == 0) {
                first = loss.item();
            }
            last = loss.item();
        }
        assertThat(last).isLessThan(0.5 * first);
        // The snapshot carries the trained weights.
        assertThat(t.snapshot().forward(x.value(), Mask.causal()).output().toArray())
                .containsExactly(t.forward(x, Mask.causal()).output().value().toArray());
    }

    @Test
    void unbatchedInputsAndBadShapes() {
        MultiHeadAttention mha = MultiHeadAttention.builder(4, 2).seed(2).build();
        TrainableMultiHeadAttention t = TrainableMultiHeadAttention.of(mha);
        Tensor x = Tensor.random(5).normal(3, 4);
        assertThat(t.forward(Variable.constant(x), Mask.none()).output().shape())
                .containsExactly(3, 4);
        assertThatThrownBy(() -> t.forward(Variable.constant(Tensor.zeros(3, 5)), Mask.none()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 5]");
        assertThatThrownBy(() -> TrainableMultiHeadAttention.of(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
