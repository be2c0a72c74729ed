package dev.heed.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The graph's semantics: accumulation, leaves, versions, custom operations, edges and errors. */
class VariableTest {

    private static Tensor t(double... xs) {
        return Tensor.of(xs.clone(), xs.length);
    }

    @Test
    void parameterCopiesAndConstantWraps() {
        double[] data = {1, 2, 3};
        Tensor source = Tensor.of(data, 3);
        Variable p = Variable.parameter(source);
        Variable c = Variable.constant(source);
        data[0] = 10;
        assertThat(p.value().toArray()).containsExactly(1, 2, 3);
        assertThat(c.value().toArray()).containsExactly(10, 2, 3);
        assertThat(p.requiresGrad()).isTrue();
        assertThat(c.requiresGrad()).isFalse();
        assertThat(p.isLeaf()).isTrue();
        assertThat(p.op()).isEqualTo("parameter");
        assertThat(p.grad()).isNull();
        // a parameter made from a strided view owns a row-major copy
        Variable q = Variable.parameter(
                Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1));
        assertThat(q.value().isContiguous()).isTrue();
        assertThat(q.value().toArray()).containsExactly(1, 4, 2, 5, 3, 6);
    }

    @Test
    void sharedSubexpressionsSumTheirPaths() {
        // y = x·x + x  →  dy/dx = 2x + 1
        Variable x = Variable.parameter(t(1.5, -2, 0.25));
        x.mul(x).add(x).sum().backward();
        assertThat(x.grad().toArray()).containsExactly(4, -3, 1.5);
    }

    @Test
    void gradientsAccumulateUntilZeroGrad() {
        Variable x = Variable.parameter(t(1, 2));
        Variable loss = x.scale(3).sum();
        loss.backward();
        Tensor first = x.grad();
        loss.backward();
        assertThat(x.grad()).isSameAs(first); // accumulated in place, as PyTorch
        assertThat(x.grad().toArray()).containsExactly(6, 6);
        x.scale(-1).sum().backward();
        assertThat(x.grad().toArray()).containsExactly(5, 5);
        x.zeroGrad();
        assertThat(x.grad()).isNull();
        x.sum().backward();
        assertThat(x.grad().toArray()).containsExactly(1, 1);
    }

    @Test
    void constantsAndResultsOfConstantsTakeNoGradient() {
        Variable c = Variable.constant(t(1, 2));
        Variable p = Variable.parameter(t(3, 4));
        Variable r = c.mul(c);
        assertThat(r.requiresGrad()).isFalse();
        assertThat(r.isLeaf()).isTrue();
        c.mul(p).sum().backward();
        assertThat(c.grad()).isNull();
        assertThat(p.grad().toArray()).containsExactly(1, 2);
        assertThatThrownBy(() -> r.sum().backward())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does not require a gradient");
    }

    @Test
    void resultsKeepGradientsOnlyWhenRetained() {
        Variable x = Variable.parameter(t(1, 2, 3));
        Variable h = x.scale(2);
        Variable kept = x.exp().retainGrad();
        h.add(kept).sum().backward();
        assertThat(h.grad()).isNull();
        assertThat(kept.grad().toArray()).containsExactly(1, 1, 1);
        assertThat(h.isLeaf()).isFalse();
        assertThat(h.op()).isEqualTo("scale");
    }

    @Test
    void frozenParametersGetNoGradient() {
        Variable w = Variable.parameter(t(1, 2));
        Variable b = Variable.parameter(t(3, 4));
        w.setRequiresGrad(false);
        w.mul(b).sum().backward();
        assertThat(w.grad()).isNull();
        assertThat(b.grad().toArray()).containsExactly(1, 2);
        w.setRequiresGrad(true);
        w.mul(b).sum().backward();
        assertThat(w.grad().toArray()).containsExactly(3, 4);
        assertThatThrownBy(() -> w.scale(2).setRequiresGrad(false)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void backwardWithAnExplicitGradient() {
        Variable x = Variable.parameter(t(1, 2, 3));
        x.scale(2).backward(t(1, 10, 100));
        assertThat(x.grad().toArray()).containsExactly(2, 20, 200);
        assertThatThrownBy(() -> x.scale(2).backward())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3]");
        assertThatThrownBy(() -> x.scale(2).backward(t(1, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2]")
                .hasMessageContaining("[3]");
        assertThatThrownBy(() -> x.backward(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void backwardOnALeafAndOnASingleElementNonScalar() {
        Variable x = Variable.parameter(Tensor.of(new double[] {4}, 1, 1));
        x.backward();
        assertThat(x.grad().shape()).containsExactly(1, 1);
        assertThat(x.grad().item()).isEqualTo(1);
    }

    @Test
    void assignInvalidatesGraphsRecordedBefore() {
        Variable w = Variable.parameter(t(1, 2));
        Variable loss = w.mul(w).sum();
        Tensor before = w.value();
        w.assign(t(5, 6));
        assertThat(w.value()).isSameAs(before);
        assertThat(w.value().toArray()).containsExactly(5, 6);
        assertThatThrownBy(loss::backward)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("mul")
                .hasMessageContaining("assigned");
        // a graph recorded after the assignment is fine
        w.mul(w).sum().backward();
        assertThat(w.grad().toArray()).containsExactly(10, 12);
    }

    @Test
    void assignIsSeenThroughViews() {
        Variable w = Variable.parameter(Tensor.of(new double[] {1, 2, 3, 4}, 2, 2));
        Variable x = Variable.parameter(Tensor.of(new double[] {1, 1}, 1, 2));
        Variable loss = x.matmul(w.transpose(0, 1)).sum();
        w.assign(Tensor.zeros(2, 2));
        assertThatThrownBy(loss::backward).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void assignChecksItsArguments() {
        Variable w = Variable.parameter(t(1, 2));
        assertThatThrownBy(() -> w.assign(t(1, 2, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3]")
                .hasMessageContaining("[2]");
        assertThatThrownBy(() -> Variable.constant(t(1)).assign(t(2))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> w.assign(null)).isInstanceOf(IllegalArgumentException.class);
        // any layout is accepted
        w.assign(Tensor.of(new double[] {7}, 1).broadcastTo(2));
        assertThat(w.value().toArray()).containsExactly(7, 7);
    }

    @Test
    void detachCutsTheGraph() {
        Variable x = Variable.parameter(t(2, 3));
        Variable d = x.mul(x).detach();
        assertThat(d.requiresGrad()).isFalse();
        d.mul(x).sum().backward();
        assertThat(x.grad().toArray()).containsExactly(4, 9);
    }

    @Test
    void softmaxRowOfMinusInfinityHasZeroWeightsAndGradients() {
        double ninf = Double.NEGATIVE_INFINITY;
        Variable x = Variable.parameter(Tensor.of(new double[] {1, 2, 3, 0, 0, 0}, 2, 3));
        Variable bias = Variable.constant(Tensor.of(new double[] {0, 0, 0, ninf, ninf, ninf}, 2, 3));
        Variable s = x.add(bias).softmax(-1);
        assertThat(s.value().select(0, 1).toArray()).containsExactly(0, 0, 0);
        s.mul(Variable.constant(Tensor.random(3).normal(2, 3))).sum().backward();
        assertThat(Arrays.stream(x.grad().select(0, 1).toArray()).allMatch(g -> g == 0))
                .isTrue(); // ±0
        assertThat(Arrays.stream(x.grad().toArray()).allMatch(Double::isFinite)).isTrue();

        Variable y = Variable.parameter(Tensor.of(new double[] {1, 2, 3, 0, 0, 0}, 2, 3));
        Variable ls = y.add(bias).logSoftmax(-1);
        assertThat(ls.value().select(0, 1).toArray()).containsExactly(ninf, ninf, ninf);
        ls.select(0, 0).sum().add(ls.select(0, 1).select(0, 0).scale(0).sum()).backward();
        assertThat(Arrays.stream(y.grad().select(0, 1).toArray()).allMatch(g -> g == 0))
                .isTrue();
    }

    @Test
    void logSoftmaxIsExactAtHugeLogits() {
        Variable x = Variable.parameter(t(1e6, -1e6, 1e6 - 1));
        Variable y = x.logSoftmax(0);
        double lse = Math.log(1 + Math.exp(-2e6) + Math.exp(-1));
        assertThat(y.value().toArray()).containsExactly(-lse, -2e6 - lse, -1 - lse);
        y.select(0, 0).backward();
        double p0 = 1 / (1 + Math.exp(-1));
        assertThat(x.grad().get(0)).isCloseTo(1 - p0, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(x.grad().get(1)).isEqualTo(-0.0);
        assertThat(Arrays.stream(x.grad().toArray()).allMatch(Double::isFinite)).isTrue();
        Variable s = Variable.parameter(t(1e6, -1e6)).softmax(0);
        assertThat(s.value().toArray()).containsExactly(1, 0);
    }

    @Test
    void sigmoidAndReluAtTheExtremes() {
        Variable x = Variable.parameter(t(-1000, 1000, 0, Double.NaN));
        assertThat(x.sigmoid().value().toArray()).containsExactly(0, 1, 0.5, Double.NaN);
        assertThat(x.relu().value().toArray()).containsExactly(0, 1000, 0, Double.NaN);
        Variable z = Variable.parameter(t(-1, 0, 2));
        z.relu().sum().backward();
        assertThat(z.grad().toArray()).containsExactly(0, 0, 1);
    }

    @Test
    void deepGraphsDoNotOverflowTheStack() {
        Variable x = Variable.parameter(t(1));
        Variable y = x;
        for (int i = 0; i < 100_000; i++) {
            y = y.add(x);
        }
        y.sum().backward();
        assertThat(x.grad().toArray()).containsExactly(100_001);
    }

    @Test
    void customOperationPlugsInItsOwnBackward() {
        // A toy fused op: rowDot(a, b)[i] = Σ_j a[i, j] b[i, j], computed in one loop, with its
        // hand-written backward; compared with finite differences and with the composed form.
        List<Tensor> in = List.of(GradCheck.normal(1, 3, 5), GradCheck.normal(2, 3, 5));
        GradCheck.check("rowDot", in, v -> rowDot(v.get(0), v.get(1)));

        Variable a = Variable.parameter(in.get(0));
        Variable b = Variable.constant(in.get(1));
        Variable fused = rowDot(a, b);
        assertThat(fused.op()).isEqualTo("rowDot");
        assertThat(fused.value().toArray())
                .containsExactly(a.mul(b).sum(1).value().toArray());
        fused.sum().backward();
        assertThat(a.grad().toArray()).containsExactly(in.get(1).toArray());
        // inputs that need no gradient receive none
        assertThat(b.grad()).isNull();
    }

    private static Variable rowDot(Variable a, Variable b) {
        Tensor av = a.value();
        Tensor bv = b.value();
        int rows = av.shape(0);
        int cols = av.shape(1);
        double[] out = new double[rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[i] += av.get(i, j) * bv.get(i, j);
            }
        }
        return Variable.custom("rowDot", Tensor.of(out, rows), List.of(a, b), g -> {
            Tensor gc = g.unsqueeze(1);
            return Arrays.asList(a.requiresGrad() ? gc.mul(bv) : null, b.requiresGrad() ? gc.mul(av) : null);
        });
    }

    @Test
    void customOperationContractIsChecked() {
        Variable x = Variable.parameter(t(1, 2));
        Variable wrongCount = Variable.custom("twice", x.value().scale(2), List.of(x), g -> List.of());
        assertThatThrownBy(() -> wrongCount.sum().backward())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("twice")
                .hasMessageContaining("0 gradients");
        Variable wrongShape = Variable.custom("twice", x.value().scale(2), List.of(x), g -> List.of(Tensor.zeros(3)));
        assertThatThrownBy(() -> wrongShape.sum().backward())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("twice")
                .hasMessageContaining("[3]")
                .hasMessageContaining("[2]");
        Variable nullMeansZero = Variable.custom("ignore", x.value(), List.of(x), g -> Arrays.asList((Tensor) null));
        x.zeroGrad();
        nullMeansZero.sum().add(x.sum()).backward();
        assertThat(x.grad().toArray()).containsExactly(1, 1);
        assertThatThrownBy(() -> Variable.custom(" ", x.value(), List.of(x), g -> null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Variable.custom("f", null, List.of(x), g -> null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Variable.custom("f", x.value(), Arrays.asList(x, null), g -> null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("input 1");
        assertThat(Variable.custom("c", Tensor.scalar(1), List.of(), g -> List.of())
                        .requiresGrad())
                .isFalse();
    }

    @Test
    void badArgumentsNameTheShapes() {
        Variable a = Variable.parameter(Tensor.zeros(2, 3));
        Variable b = Variable.parameter(Tensor.zeros(4, 5));
        assertThatThrownBy(() -> a.add(b))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]")
                .hasMessageContaining("[4, 5]");
        assertThatThrownBy(() -> a.matmul(b))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]")
                .hasMessageContaining("[4, 5]");
        assertThatThrownBy(() -> Variable.parameter(Tensor.zeros(3)).matmul(b))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3]")
                .hasMessageContaining("[4, 5]");
        assertThatThrownBy(() -> a.matmul(Variable.parameter(Tensor.scalar(1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[]");
        assertThatThrownBy(() -> a.softmax(2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("axis 2")
                .hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> a.logSoftmax(-3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.sum(5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.reshape(4, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> a.gatherRows(0, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("id 2")
                .hasMessageContaining("position 1")
                .hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> a.gatherRows(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Variable.parameter(Tensor.scalar(1)).gatherRows(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Variable.concat(List.of(a, b), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]")
                .hasMessageContaining("[4, 5]");
        assertThatThrownBy(() -> Variable.concat(List.of(), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Variable.stack(List.of(a, b), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]")
                .hasMessageContaining("[4, 5]");
        assertThatThrownBy(() -> a.mul(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Variable.parameter(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.squeeze(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.broadcastTo(3, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void viewsAreViewsAndValuesAreEager() {
        Variable x = Variable.parameter(Tensor.arange(6).reshape(2, 3));
        assertThat(x.transpose(0, 1).value().data()).isSameAs(x.value().data());
        assertThat(x.slice(1, 0, 3, 2).value().toArray()).containsExactly(0, 2, 3, 5);
        assertThat(Variable.stack(List.of(x, x), 1).shape()).containsExactly(2, 2, 3);
        assertThat(Variable.concat(List.of(x, x), -1).value().toArray())
                .containsExactly(0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5);
        assertThat(x.gatherRows(1, 1).value().toArray()).containsExactly(3, 4, 5, 3, 4, 5);
        assertThat(x.toString()).contains("parameter").contains("[2, 3]").contains("requiresGrad=true");
    }

    @Test
    void graphsOnSeparateThreadsShareParameters() throws Exception {
        Variable w = Variable.parameter(t(1, 2, 3));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int j = 0; j < 8; j++) {
                jobs.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        w.mul(Variable.constant(t(1, 1, 1))).sum().backward();
                    }
                }));
            }
            for (Future<?> f : jobs) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(w.grad().toArray()).containsExactly(1600, 1600, 1600);
    }
}
