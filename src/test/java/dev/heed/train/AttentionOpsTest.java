package dev.heed.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.Attention;
import dev.heed.attention.AttentionGradients;
import dev.heed.attention.AttentionResult;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.attention.SimpleAttention;
import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AttentionOpsTest {

    static Stream<Arguments> kernels() {
        return Stream.of(
                Arguments.of(new ScaledDotProductAttention(), Mask.causal()),
                Arguments.of(new ChunkedAttention(3, 2), Mask.causal()),
                Arguments.of(new ChunkedAttention(2, 5).withScale(0.7), Mask.keyPadding(4, 1)),
                Arguments.of(new SimpleAttention(), Mask.none()));
    }

    /** A loss that is not linear in the attention output: sum(tanh(out) ∘ w). */
    private static Variable loss(Attention kernel, Variable q, Variable k, Variable v, Mask mask, Tensor w) {
        return AttentionOps.attention(kernel, q, k, v, mask)
                .output()
                .tanh()
                .mul(Variable.constant(w))
                .sum();
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void gradientsThroughAGraphEqualFiniteDifferences(Attention kernel, Mask mask) {
        // q [2, 5, 3]; k and v [1, 6, 3] broadcast over the batch: their gradients sum back to [1, ...].
        Tensor q = Tensor.random(1).normal(2, 5, 3);
        Tensor k = Tensor.random(2).normal(1, 6, 3);
        Tensor v = Tensor.random(3).normal(1, 6, 4);
        Tensor w = Tensor.random(4).normal(2, 5, 4);
        Variable qv = Variable.parameter(q);
        Variable kv = Variable.parameter(k);
        Variable vv = Variable.parameter(v);
        loss(kernel, qv, kv, vv, mask, w).backward();
        FiniteDifferences.ScalarFunction f = in ->
                kernel.apply(in[0], in[1], in[2], mask).output().tanh().mul(w).sum();
        FiniteDifferences.assertGradient(kernel + " dq", qv.grad(), f, 0, q, k, v);
        FiniteDifferences.assertGradient(kernel + " dk", kv.grad(), f, 1, q, k, v);
        FiniteDifferences.assertGradient(kernel + " dv", vv.grad(), f, 2, q, k, v);
        assertThat(kv.grad().shape()).containsExactly(1, 6, 3);
    }

    @Test
    void theBackwardIsTheKernelsOwnBitForBit() {
        ChunkedAttention kernel = new ChunkedAttention(3, 4);
        Tensor q = Tensor.random(5).normal(7, 5);
        Tensor k = Tensor.random(6).normal(9, 5);
        Tensor v = Tensor.random(7).normal(9, 2);
        Tensor gradOut = Tensor.random(8).normal(7, 2);
        Variable qv = Variable.parameter(q);
        Variable kv = Variable.parameter(k);
        Variable vv = Variable.parameter(v);
        AttentionOps.Attended a = AttentionOps.attention(kernel, qv, kv, vv, Mask.causal());
        a.output().backward(gradOut);
        AttentionResult direct = kernel.apply(q, k, v, Mask.causal());
        AttentionGradients g = kernel.backward(q, k, v, Mask.causal(), direct, gradOut);
        assertThat(a.output().value().toArray()).containsExactly(direct.output().toArray());
        assertThat(a.forward().logSumExp().toArray())
                .containsExactly(direct.logSumExp().toArray());
        assertThat(qv.grad().toArray()).containsExactly(g.query().toArray());
        assertThat(kv.grad().toArray()).containsExactly(g.key().toArray());
        assertThat(vv.grad().toArray()).containsExactly(g.value().toArray());
    }

    @Test
    void constantsGetNoGradientAndEmptyRowsPassBackZeros() {
        Tensor q = Tensor.random(9).normal(4, 3);
        Variable qv = Variable.parameter(q);
        Variable kv = Variable.constant(Tensor.random(10).normal(2, 3));
        Variable vv = Variable.parameter(Tensor.random(11).normal(2, 3));
        // causal with L = 4 > S = 2: queries 0 and 1 may attend to nothing.
        AttentionOps.attention(new ScaledDotProductAttention(), qv, kv, vv, Mask.causal())
                .output()
                .sum()
                .backward();
        assertThat(kv.grad()).isNull();
        double[] dq = qv.grad().toArray();
        assertThat(List.of(dq[0], dq[1], dq[2], dq[3], dq[4], dq[5])).containsOnly(0.0);
        assertThat(dq).doesNotContain(Double.NaN);
    }

    @Test
    void badArgumentsAreRefusedByName() {
        Variable x = Variable.parameter(Tensor.zeros(2, 3));
        assertThatThrownBy(() -> AttentionOps.attention(null, x, x, x, Mask.none()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kernel");
        Variable wrong = Variable.parameter(Tensor.zeros(2, 4));
        assertThatThrownBy(() -> AttentionOps.attention(new ScaledDotProductAttention(), x, wrong, x, Mask.none()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 4]");
    }
}
