package dev.heed.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.Attention;
import dev.heed.attention.AttentionGradients;
import dev.heed.attention.AttentionResult;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.attention.SimpleAttention;
import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Dropout where a model uses it: {@link AttentionOps#attention} with a kernel that drops weights (the
 * backward through autograd drops the same ones), and {@link TrainableMultiHeadAttention#dropout}
 * with training and evaluation modes and one seed per forward call.
 */
class AttentionDropoutTrainingTest {

    private static void assertClose(String what, Tensor expected, Tensor actual) {
        assertThat(actual.shape()).as(what).containsExactly(expected.shape());
        assertThat(actual.allClose(expected, 1e-11, 1e-12))
                .as(what + ": " + actual + " vs " + expected)
                .isTrue();
    }

    @Test
    void theAutogradOpDropsInItsBackwardWhatItsForwardDropped() {
        Tensor q = Tensor.random(1).normal(2, 3, 6, 4);
        Tensor k = Tensor.random(2).normal(2, 3, 7, 4);
        Tensor v = Tensor.random(3).normal(2, 3, 7, 5);
        Tensor g = Tensor.random(4).normal(2, 3, 6, 5);
        for (Attention kernel : new Attention[] {
            new ScaledDotProductAttention().withDropout(0.4, 11), new ChunkedAttention(2, 3).withDropout(0.4, 11)
        }) {
            Variable qv = Variable.parameter(q);
            Variable kv = Variable.parameter(k);
            Variable vv = Variable.parameter(v);
            AttentionOps.Attended out = AttentionOps.attention(kernel, qv, kv, vv, Mask.causal());
            out.output().backward(g);
            AttentionResult direct = kernel.apply(q, k, v, Mask.causal());
            AttentionGradients expected = kernel.backward(q, k, v, Mask.causal(), direct, g);
            assertThat(out.output().value().toArray())
                    .containsExactly(direct.output().toArray());
            assertThat(qv.grad().toArray()).containsExactly(expected.query().toArray());
            assertThat(kv.grad().toArray()).containsExactly(expected.key().toArray());
            assertThat(vv.grad().toArray()).containsExactly(expected.value().toArray());
            // and the mask is not the undropped attention's: some weight was dropped
            assertThat(out.forward().weights().toArray()).contains(0.0);
            assertThat(out.output().value().toArray())
                    .isNotEqualTo(new ScaledDotProductAttention()
                            .apply(q, k, v, Mask.causal())
                            .output()
                            .toArray());
        }
    }

    @Test
    void trainableModuleDrawsSeedPlusCallAndMatchesTheFusedModule() {
        Tensor x = Tensor.random(5).normal(2, 5, 8);
        Tensor gy = Tensor.random(6).normal(2, 5, 8);
        for (Attention kernel : new Attention[] {new ScaledDotProductAttention(), new ChunkedAttention(2, 3)}) {
            MultiHeadAttention mha =
                    MultiHeadAttention.builder(8, 2).seed(3).kernel(kernel).build();
            TrainableMultiHeadAttention t = TrainableMultiHeadAttention.of(mha).dropout(0.3, 100);
            assertThat(t.isDropoutActive()).isTrue();
            assertThat(t.toString()).contains("dropout=0.3, seed=100, training=true");
            for (int call = 0; call < 3; call++) {
                Attention dropped = kernel instanceof ChunkedAttention c
                        ? c.withDropout(0.3, 100 + call)
                        : ((ScaledDotProductAttention) kernel).withDropout(0.3, 100 + call);
                MultiHeadAttention reference =
                        MultiHeadAttention.builder(8, 2).seed(3).kernel(dropped).build();
                t.zeroGrad();
                Variable xv = Variable.parameter(x);
                AttentionOps.Attended out = t.forward(xv, Mask.causal());
                assertClose(
                        "call " + call + " output",
                        reference.forward(x, Mask.causal()).output(),
                        out.output().value());
                out.output().backward(gy);
                MultiHeadAttention.Gradients g = reference.backward(x, x, x, Mask.causal(), gy);
                assertClose("call " + call + " d x", g.query().add(g.key()).add(g.value()), xv.grad());
                Map<String, Variable> params = t.parameters();
                for (var e : g.parameters().entrySet()) {
                    assertClose(
                            "call " + call + " " + e.getKey(),
                            e.getValue(),
                            params.get(e.getKey()).grad());
                }
            }
        }
    }

    @Test
    void evaluationModeAndZeroProbabilityAreExactlyNoDropout() {
        MultiHeadAttention mha = MultiHeadAttention.builder(8, 2).seed(4).build();
        Tensor x = Tensor.random(7).normal(2, 5, 8);
        double[] plain = mha.forward(x, Mask.causal()).output().toArray();
        TrainableMultiHeadAttention t = TrainableMultiHeadAttention.of(mha).dropout(0.5, 1);
        double[] training =
                t.forward(Variable.constant(x), Mask.causal()).output().value().toArray();
        assertThat(training).isNotEqualTo(plain);
        t.train(false);
        assertThat(t.isDropoutActive()).isFalse();
        assertThat(t.forward(Variable.constant(x), Mask.causal())
                        .output()
                        .value()
                        .toArray())
                .containsExactly(plain);
        t.train(true).dropout(0.0, 1);
        assertThat(t.isDropoutActive()).isFalse();
        assertThat(t.forward(Variable.constant(x), Mask.causal())
                        .output()
                        .value()
                        .toArray())
                .containsExactly(plain);
        assertThat(t.snapshot().forward(x, Mask.causal()).output().toArray()).containsExactly(plain);
    }

    @Test
    void rejectsBadProbabilitiesAndKernelsWithoutDropout() {
        TrainableMultiHeadAttention t =
                TrainableMultiHeadAttention.of(MultiHeadAttention.builder(4, 2).build());
        for (double p : new double[] {-0.5, 1.0, Double.NaN}) {
            assertThatThrownBy(() -> t.dropout(p, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[0, 1)");
        }
        TrainableMultiHeadAttention simple = TrainableMultiHeadAttention.of(
                MultiHeadAttention.builder(4, 2).kernel(new SimpleAttention()).build());
        assertThatThrownBy(() -> simple.dropout(0.1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SimpleAttention");
        assertThat(simple.dropout(0.0, 0).isDropoutActive()).isFalse();
    }
}
