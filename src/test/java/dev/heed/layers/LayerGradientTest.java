package dev.heed.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.autograd.Variable;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Linear.backward and Embedding.backward against central finite differences and hand sums, and
 * the trainable forms' autograd gradients against both.
 */
class LayerGradientTest {
    private static final double H = 1e-6;

    /** Central differences of {@code Σ f(x) ∘ r} with respect to each element of {@code x}. */
    private static double[] numeric(Tensor x, Function<Tensor, Tensor> f, Tensor r) {
        double[] base = x.toArray();
        double[] out = new double[base.length];
        for (int j = 0; j < base.length; j++) {
            double[] p = base.clone();
            double[] m = base.clone();
            p[j] += H;
            m[j] -= H;
            out[j] = (f.apply(Tensor.of(p, x.shape())).mul(r).sum()
                            - f.apply(Tensor.of(m, x.shape())).mul(r).sum())
                    / (2 * H);
        }
        return out;
    }

    private static void assertClose(String what, double[] actual, double[] expected) {
        assertThat(actual).as(what).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i])
                    .as("%s element %d", what, i)
                    .isCloseTo(expected[i], within(1e-7 * Math.max(1, Math.abs(expected[i]))));
        }
    }

    @ParameterizedTest(name = "in={0} out={1} bias={2}")
    @CsvSource({"1,1,true", "3,1,false", "7,13,true", "13,7,false"})
    void linearBackwardMatchesFiniteDifferences(int in, int out, boolean bias) {
        Linear layer = Linear.seeded(in, out, bias, 3);
        Tensor w = layer.weight();
        Tensor b = layer.bias();
        for (int[] lead : new int[][] {{}, {1}, {5}, {2, 3}}) {
            int[] shape = Arrays.copyOf(lead, lead.length + 1);
            shape[lead.length] = in;
            Tensor x = Tensor.random(7).normal(shape);
            int[] outShape = shape.clone();
            outShape[lead.length] = out;
            Tensor r = Tensor.random(8).normal(outShape);
            Linear.Gradients g = layer.backward(x, r);
            String what = Arrays.toString(shape);
            assertThat(g.input().shape()).containsExactly(shape);
            assertClose(what + " input", g.input().toArray(), numeric(x, layer::forward, r));
            assertClose(
                    what + " weight",
                    g.weight().toArray(),
                    numeric(w, wt -> Linear.of(wt, b).forward(x), r));
            if (bias) {
                assertClose(
                        what + " bias",
                        g.bias().toArray(),
                        numeric(b, bt -> Linear.of(w, bt).forward(x), r));
            } else {
                assertThat(g.bias()).isNull();
            }
        }
    }

    @Test
    void linearBackwardTakesStridedTensors() {
        Linear layer = Linear.seeded(3, 4, true, 5);
        Tensor x = Tensor.random(1).normal(3, 5).transpose(0, 1); // [5, 3], strided
        Tensor g = Tensor.random(2).normal(4, 5).transpose(0, 1); // [5, 4], strided
        Linear.Gradients strided = layer.backward(x, g);
        Linear.Gradients dense = layer.backward(x.copy(), g.copy());
        assertThat(strided.input().toArray()).containsExactly(dense.input().toArray());
        assertThat(strided.weight().toArray()).containsExactly(dense.weight().toArray());
        assertThat(strided.bias().toArray()).containsExactly(dense.bias().toArray());
    }

    @Test
    void linearBackwardRejectsMismatchedShapes() {
        Linear layer = Linear.seeded(3, 4, true, 5);
        assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 5), Tensor.zeros(2, 4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 5]");
        assertThatThrownBy(() -> layer.backward(Tensor.zeros(2, 3), Tensor.zeros(3, 4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]")
                .hasMessageContaining("[3, 4]");
        assertThatThrownBy(() -> layer.backward(Tensor.scalar(1), Tensor.zeros(4)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> layer.backward(null, Tensor.zeros(4))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void embeddingBackwardSumsRepeatedIds() {
        Embedding e = Embedding.seeded(4, 2, 1);
        Tensor g = Tensor.of(new double[] {1, 2, 10, 20, 100, 200}, 3, 2);
        Tensor grad = e.backward(new int[] {2, 0, 2}, g);
        assertThat(grad.shape()).containsExactly(4, 2);
        assertThat(grad.toArray()).containsExactly(10, 20, 0, 0, 101, 202, 0, 0);
        // batched, with a strided gradient
        Tensor gb = Tensor.arange(12).reshape(2, 3, 2).transpose(0, 1).copy().transpose(0, 1); // [2, 3, 2] strided
        Tensor batched = e.backward(new int[][] {{3, 3, 1}, {1, 0, 3}}, gb);
        double[] expected = new double[8];
        int[][] ids = {{3, 3, 1}, {1, 0, 3}};
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                for (int c = 0; c < 2; c++) {
                    expected[ids[i][j] * 2 + c] += gb.get(i, j, c);
                }
            }
        }
        assertThat(batched.toArray()).containsExactly(expected);
        assertThat(e.backward(new int[0], Tensor.zeros(0, 2)).toArray()).containsOnly(0.0);
    }

    @Test
    void embeddingBackwardRejectsBadInput() {
        Embedding e = Embedding.seeded(4, 2, 1);
        assertThatThrownBy(() -> e.backward(new int[] {4}, Tensor.zeros(1, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id 4");
        assertThatThrownBy(() -> e.backward(new int[] {1, 2}, Tensor.zeros(3, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 2]")
                .hasMessageContaining("[2, 2]");
        assertThatThrownBy(() -> e.backward(new int[][] {{1}, {1, 2}}, Tensor.zeros(2, 1, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rectangular");
        assertThatThrownBy(() -> e.backward(new int[][] {{1}}, Tensor.zeros(1, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[1, 1, 2]");
        assertThatThrownBy(() -> e.backward((int[]) null, Tensor.zeros(1, 2)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void trainableLinearMatchesTheImmutableLayer() {
        Linear layer = Linear.seeded(5, 3, true, 21);
        TrainableLinear t = TrainableLinear.seeded(5, 3, true, 21);
        assertThat(t.weight().value().toArray()).containsExactly(layer.weight().toArray());
        assertThat(t.bias().value().toArray()).containsExactly(layer.bias().toArray());
        Tensor x = Tensor.random(4).normal(2, 7, 5);
        Variable y = t.forward(Variable.parameter(x));
        assertThat(y.value().toArray()).containsExactly(layer.forward(x).toArray());
        Tensor r = Tensor.random(5).normal(2, 7, 3);
        Variable xv = Variable.parameter(x);
        t.forward(xv).backward(r);
        Linear.Gradients g = layer.backward(x, r);
        assertClose("weight", t.weight().grad().toArray(), g.weight().toArray());
        assertClose("bias", t.bias().grad().toArray(), g.bias().toArray());
        assertClose("input", xv.grad().toArray(), g.input().toArray());
        assertThat(t.parameters().keySet()).containsExactly("weight", "bias");
        assertThat(t.parameters().get("weight")).isSameAs(t.weight());
        assertThat(TrainableLinear.seeded(5, 3, false, 21).parameters().keySet())
                .containsExactly("weight");
        assertThat(t.parameterCount()).isEqualTo(18);
        assertThatThrownBy(() -> t.forward(Variable.constant(Tensor.zeros(2, 4))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 4]");
    }

    @Test
    void trainingACopyLeavesTheSourceAlone() {
        Linear layer = Linear.seeded(2, 2, true, 1);
        TrainableLinear t = layer.trainable();
        t.weight().assign(Tensor.zeros(2, 2));
        assertThat(layer.weight().toArray()).doesNotContain(0.0);
        Linear snap = t.snapshot();
        assertThat(snap.weight().toArray()).containsOnly(0.0);
        t.bias().assign(Tensor.ones(2));
        assertThat(snap.bias().toArray()).containsExactly(layer.bias().toArray());
    }

    @Test
    void trainableEmbeddingMatchesTheImmutableLayer() {
        Embedding e = Embedding.seeded(6, 3, 9);
        TrainableEmbedding t = TrainableEmbedding.seeded(6, 3, 9);
        assertThat(t.weight().value().toArray()).containsExactly(e.table().toArray());
        int[] ids = {5, 1, 5, 5, 0};
        assertThat(t.forward(ids).value().toArray())
                .containsExactly(e.lookup(ids).toArray());
        Tensor r = Tensor.random(2).normal(5, 3);
        t.forward(ids).backward(r);
        assertThat(t.weight().grad().toArray())
                .containsExactly(e.backward(ids, r).toArray());

        int[][] batch = {{1, 2}, {2, 2}, {0, 5}};
        t.zeroGrad();
        Variable looked = t.forward(batch);
        assertThat(looked.shape()).containsExactly(3, 2, 3);
        assertThat(looked.value().toArray()).containsExactly(e.lookup(batch).toArray());
        Tensor rb = Tensor.random(3).normal(3, 2, 3);
        looked.backward(rb);
        assertThat(t.weight().grad().toArray())
                .containsExactly(e.backward(batch, rb).toArray());
        assertThat(t.parameters().keySet()).containsExactly("weight");
        assertThat(t.snapshot().table().toArray()).containsExactly(e.table().toArray());
        assertThat(t.forward(new int[0][]).shape()).containsExactly(0, 0, 3);
        assertThatThrownBy(() -> t.forward(new int[][] {{1}, {7}}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ids[1][0]");
        assertThatThrownBy(() -> t.forward(6))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("id 6");
    }
}
