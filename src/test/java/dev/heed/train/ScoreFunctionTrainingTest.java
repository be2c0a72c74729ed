package dev.heed.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.attention.Attention;
import dev.heed.attention.AttentionGradients;
import dev.heed.attention.AttentionResult;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.attention.ScaledDotProductAttention;
import dev.heed.attention.ScoreFunction;
import dev.heed.attention.SimpleAttention;
import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A score function's table as a trainable {@link Variable}: {@link AttentionOps#attention(Attention, Variable,
 * Variable, Variable, Mask, List)} passes the kernel's table gradient to it, equal to the kernel's own backward and to
 * finite differences, and AdamW learns a T5 relative-position bias from a teacher's outputs.
 */
class ScoreFunctionTrainingTest {
    private static final List<Function<ScoreFunction, Attention>> KERNELS = List.of(
            fn -> new ScaledDotProductAttention().withScoreFunction(fn),
            fn -> new ChunkedAttention(3, 4).withScoreFunction(fn));

    @Test
    void theTableVariableGetsTheKernelsGradient() {
        Tensor q = Tensor.random(1).normal(2, 2, 7, 4);
        Tensor k = Tensor.random(2).normal(2, 2, 9, 4);
        Tensor v = Tensor.random(3).normal(2, 2, 9, 3);
        Tensor w = Tensor.random(4).normal(2, 2, 7, 3);
        for (Function<ScoreFunction, Attention> make : KERNELS) {
            Variable table = Variable.parameter(Tensor.random(5).normal(2, 8));
            Variable qv = Variable.parameter(q);
            Variable kv = Variable.constant(k);
            Variable vv = Variable.parameter(v);
            Attention kernel = make.apply(ScoreFunction.relativePositionBias(table.value(), true, 8, 6));
            Mask mask = Mask.causal();
            AttentionOps.Attended a = AttentionOps.attention(kernel, qv, kv, vv, mask, List.of(table));
            a.output().tanh().mul(Variable.constant(w)).sum().backward();
            // the kernel's own backward with the same upstream gradient, 1 - tanh² times w
            Tensor t = a.forward().output().tanh();
            Tensor dO = t.mul(t).neg().add(1).mul(w);
            AttentionResult r = kernel.apply(q, k, v, mask);
            AttentionGradients g = kernel.backward(q, k, v, mask, r, dO);
            assertThat(table.grad().toArray())
                    .containsExactly(g.scoreParameters().get(0).toArray());
            assertThat(qv.grad().toArray()).containsExactly(g.query().toArray());
            assertThat(kv.grad()).isNull();
            FiniteDifferences.ScalarFunction f = in -> make.apply(ScoreFunction.relativePositionBias(in[3], true, 8, 6))
                    .apply(in[0], in[1], in[2], mask)
                    .output()
                    .tanh()
                    .mul(w)
                    .sum();
            FiniteDifferences.assertGradient(kernel + " dTable", table.grad(), f, 3, q, k, v, table.value());
        }
    }

    @Test
    void adamWLearnsAT5BiasFromATeacher() {
        // q, k, v fixed; the teacher's table is random, the student's starts at 0 and is trained on the outputs
        int heads = 2;
        int buckets = 8;
        Tensor q = Tensor.random(6).normal(3, heads, 16, 4);
        Tensor k = Tensor.random(7).normal(3, heads, 16, 4);
        Tensor v = Tensor.random(8).normal(3, heads, 16, 3);
        Tensor teacherTable = Tensor.random(9).normal(heads, buckets).scale(0.5);
        Mask mask = Mask.causal();
        for (Function<ScoreFunction, Attention> make : KERNELS) {
            Tensor target = make.apply(ScoreFunction.relativePositionBias(teacherTable, false, buckets, 10))
                    .apply(q, k, v, mask)
                    .output();
            Variable table = Variable.parameter(Tensor.zeros(heads, buckets));
            Attention student = make.apply(ScoreFunction.relativePositionBias(table.value(), false, buckets, 10));
            AdamW adam = AdamW.builder(List.of(table)).learningRate(0.05).build();
            double first = Double.NaN;
            double last = Double.NaN;
            for (int step = 0; step < 400; step++) {
                adam.zeroGrad();
                Variable out = AttentionOps.attention(
                                student,
                                Variable.constant(q),
                                Variable.constant(k),
                                Variable.constant(v),
                                mask,
                                List.of(table))
                        .output();
                Variable loss = Losses.meanSquaredError(out, target);
                loss.backward();
                adam.step();
                last = loss.item();
                if (step == 0) {
                    first = last;
                }
            }
            assertThat(last).as(student + " loss " + first + " -> " + last).isLessThan(first * 1e-3);
            // The softmax ignores a constant added to every key of a row, and every causal row of a decoder sees
            // bucket 0 of every head: the student can only learn the teacher's table up to one constant per head.
            // Far buckets are seen by few pairs of small weight, so ask for the whole table to be 10x closer.
            double error = 0;
            double initial = 0;
            for (int h = 0; h < heads; h++) {
                double shift = table.value().get(h, 0) - teacherTable.get(h, 0);
                for (int b = 0; b < buckets; b++) {
                    double e = table.value().get(h, b) - shift - teacherTable.get(h, b);
                    double e0 = teacherTable.get(h, b) - teacherTable.get(h, 0);
                    error += e * e;
                    initial += e0 * e0;
                }
            }
            assertThat(Math.sqrt(error)).as(student + " table error").isLessThan(0.1 * Math.sqrt(initial));
        }
    }

    @Test
    void scoreParametersMustBeTheFunctionsTables() {
        Variable q = Variable.parameter(Tensor.random(10).normal(2, 3, 4));
        Variable table = Variable.parameter(Tensor.zeros(2, 8));
        Variable other = Variable.parameter(Tensor.zeros(2, 8));
        Attention kernel =
                new ChunkedAttention().withScoreFunction(ScoreFunction.relativePositionBias(table.value(), true, 8, 5));
        assertThatThrownBy(() -> AttentionOps.attention(kernel, q, q, q, Mask.none(), List.of(other)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("variable.value()");
        assertThatThrownBy(() -> AttentionOps.attention(kernel, q, q, q, Mask.none(), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 tensor(s)");
        assertThatThrownBy(() -> AttentionOps.attention(new SimpleAttention(), q, q, q, Mask.none(), List.of(table)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("with a score function");
        assertThatThrownBy(() -> AttentionOps.attention(kernel, q, q, q, Mask.none(), null))
                .isInstanceOf(IllegalArgumentException.class);
        // a table that does not require a gradient gets none
        table.setRequiresGrad(false);
        AttentionOps.attention(kernel, q, q, q, Mask.none(), List.of(table))
                .output()
                .sum()
                .backward();
        assertThat(table.grad()).isNull();
        assertThat(q.grad()).isNotNull();
    }
}
