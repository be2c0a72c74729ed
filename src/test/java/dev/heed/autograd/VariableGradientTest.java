package dev.heed.autograd;

import static dev.heed.autograd.GradCheck.awayFromZero;
import static dev.heed.autograd.GradCheck.check;
import static dev.heed.autograd.GradCheck.normal;
import static dev.heed.autograd.GradCheck.positive;

import dev.heed.tensor.Tensor;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every operation's gradient against central finite differences, over odd, broadcast and strided shapes. */
class VariableGradientTest {

    /** Pairs of shapes that broadcast: equal, stretched, prepended, 0-d, both sides stretched. */
    static Stream<Arguments> broadcastPairs() {
        return Stream.of(
                Arguments.of(new int[] {13}, new int[] {13}),
                Arguments.of(new int[] {3, 1, 5}, new int[] {4, 5}),
                Arguments.of(new int[] {7}, new int[] {1}),
                Arguments.of(new int[] {2, 3}, new int[] {}),
                Arguments.of(new int[] {}, new int[] {3, 7}),
                Arguments.of(new int[] {1, 3}, new int[] {7, 1}),
                Arguments.of(new int[] {1}, new int[] {1, 1, 1}));
    }

    @ParameterizedTest
    @MethodSource("broadcastPairs")
    void addSubMulDivBroadcast(int[] a, int[] b) {
        List<Tensor> in = List.of(normal(1, a), awayFromZero(2, 0.5, b));
        check("add", in, v -> v.get(0).add(v.get(1)));
        check("sub", in, v -> v.get(0).sub(v.get(1)));
        check("mul", in, v -> v.get(0).mul(v.get(1)));
        check("div", in, v -> v.get(0).div(v.get(1)));
        check(
                "div reversed",
                List.of(awayFromZero(3, 0.5, a), normal(4, b)),
                v -> v.get(1).div(v.get(0)));
    }

    @Test
    void elementwiseOnStridedViews() {
        // a transposed, a step-2 slice and a broadcast (stride-0) operand
        List<Tensor> in = List.of(normal(5, 5, 3), normal(6, 3, 11), normal(7, 1, 5));
        check(
                "transpose * slice",
                in,
                v -> v.get(0).transpose(0, 1).mul(v.get(1).slice(1, 1, 11, 2)));
        check(
                "slice / broadcast",
                List.of(normal(8, 3, 11), awayFromZero(9, 0.5, 1, 5)),
                v -> v.get(0).slice(1, 0, 10, 2).div(v.get(1).broadcastTo(3, 5)));
        check(
                "broadcast - transpose",
                in,
                v -> v.get(2).broadcastTo(3, 5).sub(v.get(0).transpose(1, 0)));
    }

    @Test
    void scalarOps() {
        List<Tensor> in = List.of(normal(10, 3, 7));
        check("add(c)", in, v -> v.get(0).add(2.5));
        check("scale", in, v -> v.get(0).scale(-1.75));
        check("neg", in, v -> v.get(0).neg());
    }

    @Test
    void unaryOps() {
        check("tanh", List.of(normal(11, 3, 7)), v -> v.get(0).tanh());
        check("exp", List.of(normal(12, 13)), v -> v.get(0).exp());
        check("log", List.of(positive(13, 7, 3)), v -> v.get(0).log());
        check("sigmoid", List.of(normal(14, 13).scale(3)), v -> v.get(0).sigmoid());
        check("relu", List.of(awayFromZero(15, 1e-3, 3, 13)), v -> v.get(0).relu());
        check(
                "tanh of transpose",
                List.of(normal(16, 3, 5)),
                v -> v.get(0).transpose(0, 1).tanh());
        check(
                "exp of broadcast",
                List.of(normal(17, 5)),
                v -> v.get(0).broadcastTo(3, 5).exp());
    }

    @Test
    void softmaxAndLogSoftmaxEveryAxis() {
        Tensor x = normal(20, 3, 5, 7).scale(2);
        for (int axis : new int[] {0, 1, 2, -1, -2}) {
            check("softmax(" + axis + ")", List.of(x), v -> v.get(0).softmax(axis));
            check("logSoftmax(" + axis + ")", List.of(x), v -> v.get(0).logSoftmax(axis));
        }
        check(
                "softmax of transpose",
                List.of(normal(21, 7, 3)),
                v -> v.get(0).transpose(0, 1).softmax(-1));
        check(
                "logSoftmax of slice",
                List.of(normal(22, 3, 13)),
                v -> v.get(0).slice(1, 1, 13, 3).logSoftmax(-1));
        check("softmax of one element", List.of(normal(23, 4, 1)), v -> v.get(0).softmax(-1));
    }

    @Test
    void softmaxWithMaskedEntries() {
        // -inf entries (a mask) get zero weight and zero gradient; the others differentiate as usual.
        Tensor bias = Tensor.of(new double[] {0, Double.NEGATIVE_INFINITY, 0, 0, 0, Double.NEGATIVE_INFINITY}, 2, 3);
        check(
                "masked softmax",
                List.of(normal(24, 2, 3)),
                v -> v.get(0).add(Variable.constant(bias)).softmax(-1));
    }

    @Test
    void reductions() {
        Tensor x = normal(30, 3, 5, 7);
        check("sum", List.of(x), v -> v.get(0).sum());
        check("mean", List.of(x), v -> v.get(0).mean());
        for (int axis : new int[] {0, 1, 2, -1}) {
            check("sum(" + axis + ")", List.of(x), v -> v.get(0).sum(axis));
            check("mean(" + axis + ")", List.of(x), v -> v.get(0).mean(axis));
        }
        check(
                "sum of transpose",
                List.of(normal(31, 3, 7)),
                v -> v.get(0).transpose(0, 1).sum(1));
        check("sum of 0-d", List.of(Tensor.scalar(1.5)), v -> v.get(0).sum());
    }

    static Stream<Arguments> matmulShapes() {
        return Stream.of(
                Arguments.of(new int[] {3, 4}, new int[] {4, 5}),
                Arguments.of(new int[] {1, 1}, new int[] {1, 1}),
                Arguments.of(new int[] {2, 3, 4}, new int[] {4, 5}),
                Arguments.of(new int[] {3, 4}, new int[] {2, 4, 5}),
                Arguments.of(new int[] {2, 1, 3, 4}, new int[] {5, 4, 2}),
                Arguments.of(new int[] {4}, new int[] {4, 5}),
                Arguments.of(new int[] {3, 4}, new int[] {4}),
                Arguments.of(new int[] {7}, new int[] {7}),
                Arguments.of(new int[] {4}, new int[] {2, 4, 3}),
                Arguments.of(new int[] {2, 3, 4}, new int[] {4}));
    }

    @ParameterizedTest
    @MethodSource("matmulShapes")
    void matmul(int[] a, int[] b) {
        check("matmul", List.of(normal(40, a), normal(41, b)), v -> v.get(0).matmul(v.get(1)));
    }

    @Test
    void matmulOfViews() {
        // q kᵀ with k transposed as a view, a strided slice on the left, and a broadcast batch.
        check(
                "q kT",
                List.of(normal(42, 2, 5, 3), normal(43, 2, 7, 3)),
                v -> v.get(0).matmul(v.get(1).transpose(-1, -2)));
        check(
                "slice @ W",
                List.of(normal(44, 7, 6), normal(45, 3, 4)),
                v -> v.get(0).slice(1, 0, 6, 2).matmul(v.get(1)));
        check(
                "broadcast batch",
                List.of(normal(46, 1, 3, 4), normal(47, 4, 5)),
                v -> v.get(0).broadcastTo(3, 3, 4).matmul(v.get(1)));
        check("x @ x", List.of(normal(48, 3, 3)), v -> v.get(0).matmul(v.get(0)));
    }

    @Test
    void shapeOps() {
        Tensor x = normal(50, 3, 5, 7);
        check("reshape", List.of(x), v -> v.get(0).reshape(15, -1));
        check(
                "reshape of transpose (copy)",
                List.of(x),
                v -> v.get(0).transpose(0, 2).reshape(7, 15));
        check("transpose", List.of(x), v -> v.get(0).transpose(0, -1));
        check("permute", List.of(x), v -> v.get(0).permute(2, 0, 1));
        check("permute negative", List.of(x), v -> v.get(0).permute(-1, -3, -2));
        check("unsqueeze", List.of(x), v -> v.get(0).unsqueeze(-1).unsqueeze(1));
        check("squeeze", List.of(normal(51, 3, 1, 5)), v -> v.get(0).squeeze(1));
        check("broadcastTo", List.of(normal(52, 3, 1)), v -> v.get(0).broadcastTo(2, 3, 7));
        check("select", List.of(x), v -> v.get(0).select(1, -2));
        check("select twice", List.of(x), v -> v.get(0).select(0, 2).select(-1, 6));
        check("slice", List.of(x), v -> v.get(0).slice(2, 1, 6));
        check("slice step", List.of(x), v -> v.get(0).slice(-1, 0, 7, 3).slice(0, -2, 3));
    }

    @Test
    void gatherRowsWithRepeats() {
        check("gatherRows", List.of(normal(60, 5, 3)), v -> v.get(0).gatherRows(4, 0, 4, 2, 4));
        check("gatherRows rank 3", List.of(normal(61, 3, 2, 2)), v -> v.get(0).gatherRows(1, 1));
        check(
                "gatherRows of transpose",
                List.of(normal(62, 3, 5)),
                v -> v.get(0).transpose(0, 1).gatherRows(2, 2, 0));
        check("gatherRows none", List.of(normal(63, 3, 2)), v -> v.get(0).gatherRows());
    }

    @Test
    void concatAndStack() {
        List<Tensor> in = List.of(normal(70, 3, 2), normal(71, 3, 5), normal(72, 3, 1));
        check("concat -1", in, v -> Variable.concat(List.of(v.get(0), v.get(1), v.get(2)), -1));
        check(
                "concat 0 with a transpose",
                List.of(normal(73, 2, 3), normal(74, 3, 4)),
                v -> Variable.concat(List.of(v.get(0).transpose(0, 1), v.get(1)), 1));
        check(
                "concat the same part twice",
                List.of(normal(75, 2, 3)),
                v -> Variable.concat(List.of(v.get(0), v.get(0)), 0));
        List<Tensor> same = List.of(normal(76, 2, 3), normal(77, 2, 3), normal(78, 2, 3));
        for (int axis : new int[] {0, 1, 2, -1}) {
            check("stack " + axis, same, v -> Variable.stack(v, axis));
        }
    }

    @Test
    void compositionsThatModelsUse() {
        // additive attention pooling: score = vᵀ tanh(W h + b), softmax over tokens, weighted sum
        List<Tensor> pooling = List.of(normal(80, 2, 5, 4), normal(81, 3, 4), normal(82, 3), normal(83, 3));
        check("additive pooling", pooling, p -> {
            Variable h = p.get(0);
            Variable u = h.matmul(p.get(1).transpose(0, 1)).add(p.get(2)).tanh(); // [2, 5, 3]
            Variable weights = u.matmul(p.get(3)).softmax(-1); // [2, 5]
            return weights.unsqueeze(-1).mul(h).sum(1); // [2, 4]
        });
        // Bahdanau: score_j = vᵀ tanh(W_s s + W_h h_j), context = Σ a_j h_j
        List<Tensor> bahdanau =
                List.of(normal(84, 3, 4), normal(85, 7, 4), normal(86, 5, 4), normal(87, 5, 4), normal(88, 5));
        check("bahdanau", bahdanau, p -> {
            Variable s = p.get(0).matmul(p.get(2).transpose(0, 1)).unsqueeze(1); // [3, 1, 5]
            Variable h = p.get(1).matmul(p.get(3).transpose(0, 1)); // [7, 5]
            Variable a = s.add(h).tanh().matmul(p.get(4)).softmax(-1); // [3, 7]
            return a.matmul(p.get(1)); // [3, 4]
        });
        // Luong general: score = s W hᵀ
        check(
                "luong general",
                List.of(normal(89, 3, 4), normal(90, 6, 4), normal(91, 4, 4)),
                p -> p.get(0)
                        .matmul(p.get(2))
                        .matmul(p.get(1).transpose(0, 1))
                        .softmax(-1)
                        .matmul(p.get(1)));
        // causal self-attention head over a batch, with the mask as a -inf bias
        double[] mask = new double[5 * 5];
        for (int i = 0; i < 5; i++) {
            for (int j = i + 1; j < 5; j++) {
                mask[i * 5 + j] = Double.NEGATIVE_INFINITY;
            }
        }
        Variable bias = Variable.constant(Tensor.of(mask, 5, 5));
        check("causal head", List.of(normal(92, 2, 5, 6), normal(93, 6, 4), normal(94, 6, 4), normal(95, 6, 4)), p -> {
            Variable x = p.get(0);
            Variable q = x.matmul(p.get(1));
            Variable k = x.matmul(p.get(2));
            Variable v = x.matmul(p.get(3));
            Variable scores = q.matmul(k.transpose(-1, -2)).scale(0.5).add(bias);
            return scores.softmax(-1).matmul(v);
        });
        // cross-entropy written from primitives
        check(
                "log-softmax NLL",
                List.of(normal(96, 4, 7)),
                p -> p.get(0)
                        .logSoftmax(-1)
                        .gatherRows(0)
                        .neg()
                        .sum()
                        .add(p.get(0).sigmoid().mean()));
    }
}
