package dev.heed.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.Mask;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.autograd.Variable;
import dev.heed.encoding.RotaryEncoding;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RotaryOpsTest {

    private static RotaryEncoding encoding(boolean interleaved) {
        RotaryEncoding r = RotaryEncoding.of(6).withBase(500000);
        return interleaved ? r.interleaved() : r;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void valueAndGradientAreTheEncodingsOwnBitForBit(boolean interleaved) {
        RotaryEncoding rope = encoding(interleaved);
        Tensor x = Tensor.random(1).normal(2, 5, 8);
        Tensor g = Tensor.random(2).normal(2, 5, 8);
        Variable xv = Variable.parameter(x);
        Variable y = RotaryOps.apply(rope, xv, 7);
        assertThat(y.op()).isEqualTo("rotary");
        assertThat(y.value().toArray()).containsExactly(rope.apply(x, 7).toArray());
        y.backward(g);
        assertThat(xv.grad().toArray()).containsExactly(rope.backward(g, 7).toArray());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void rotaryAttentionGradientsEqualFiniteDifferences(boolean interleaved) {
        // Llama's order: rotate q and k, then causal attention; loss = sum(w ∘ tanh(out)).
        RotaryEncoding rope = encoding(interleaved);
        Tensor q = Tensor.random(3).normal(2, 5, 8);
        Tensor k = Tensor.random(4).normal(2, 7, 8);
        Tensor v = Tensor.random(5).normal(2, 7, 3);
        Tensor w = Tensor.random(6).normal(2, 5, 3);
        ScaledDotProductAttention kernel = new ScaledDotProductAttention();
        Variable qv = Variable.parameter(q);
        Variable kv = Variable.parameter(k);
        Variable vv = Variable.constant(v);
        // the 5 queries are the last 5 of the 7 keys' positions, as when decoding after 2 cached
        Variable out = AttentionOps.attention(
                        kernel, RotaryOps.apply(rope, qv, 12), RotaryOps.apply(rope, kv, 10), vv, Mask.causal())
                .output();
        out.tanh().mul(Variable.constant(w)).sum().backward();
        FiniteDifferences.ScalarFunction f =
                in -> kernel.apply(rope.apply(in[0], 12), rope.apply(in[1], 10), v, Mask.causal())
                        .output()
                        .tanh()
                        .mul(w)
                        .sum();
        FiniteDifferences.assertGradient("dq", qv.grad(), f, 0, q, k);
        FiniteDifferences.assertGradient("dk", kv.grad(), f, 1, q, k);
    }

    @Test
    void aConstantInputRecordsNothing() {
        Variable y = RotaryOps.apply(RotaryEncoding.of(4), Variable.constant(Tensor.ones(3, 4)), 0);
        assertThat(y.requiresGrad()).isFalse();
        assertThat(y.isLeaf()).isTrue();
    }

    @Test
    void badArgumentsAreRefusedByName() {
        Variable x = Variable.parameter(Tensor.zeros(3, 4));
        assertThatThrownBy(() -> RotaryOps.apply(null, x, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 4]");
        assertThatThrownBy(() -> RotaryOps.apply(RotaryEncoding.of(4), null, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
        assertThatThrownBy(() -> RotaryOps.apply(RotaryEncoding.of(8), x, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 4]")
                .hasMessageContaining("d >= 8");
        assertThatThrownBy(() -> RotaryOps.apply(RotaryEncoding.of(4), x, -2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-2");
    }
}
