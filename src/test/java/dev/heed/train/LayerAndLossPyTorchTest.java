package dev.heed.train;

import static dev.heed.testing.ReferenceAssertions.assertMatches;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.heed.autograd.Variable;
import dev.heed.layers.Embedding;
import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import dev.heed.testing.Fixtures;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Linear's and Embedding's backward, their autograd forms, and the losses' autograd gradients against
 * PyTorch float64 autograd (grad_layers.txt, grad_loss.txt from src/test/python/make_gradient_fixtures.py),
 * to 1e-10.
 */
class LayerAndLossPyTorchTest {
    private static final double TOL = 1e-10;

    static Stream<Arguments> layerCases() {
        return Fixtures.load("grad_layers.txt").stream().map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    static Stream<Arguments> lossCases() {
        return Fixtures.load("grad_loss.txt").stream().map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    private static Tensor tensor(Fixtures.Case c, String name) {
        Fixtures.TensorData t = c.tensor(name);
        return Tensor.copyOf(t.data(), t.shape());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layerCases")
    void layerBackwardsMatchPyTorch(Fixtures.Case c) {
        Tensor gOut = tensor(c, "grad_out");
        Tensor weight = tensor(c, "weight");
        String kind = c.string("kind");
        if (kind.equals("linear")) {
            boolean hasBias = c.string("has_bias").equals("true");
            Tensor x = tensor(c, "x");
            Linear linear = Linear.of(weight, hasBias ? tensor(c, "bias") : null);
            Linear.Gradients g = linear.backward(x, gOut);
            assertMatches(c.name() + " dx", c.tensor("dx"), g.input(), TOL, TOL);
            assertMatches(c.name() + " dweight", c.tensor("dweight"), g.weight(), TOL, TOL);
            if (hasBias) {
                assertMatches(c.name() + " dbias", c.tensor("dbias"), g.bias(), TOL, TOL);
            }
            // The same through autograd.
            var trainable = linear.trainable();
            Variable xv = Variable.parameter(x);
            trainable.forward(xv).backward(gOut);
            assertMatches(c.name() + " autograd dx", c.tensor("dx"), xv.grad(), TOL, TOL);
            assertMatches(
                    c.name() + " autograd dweight",
                    c.tensor("dweight"),
                    trainable.weight().grad(),
                    TOL,
                    TOL);
            return;
        }
        if (!kind.equals("embedding")) {
            return; // padding_idx: Heed's Embedding has no padding index (the fixture keeps torch's rule apart)
        }
        int[] ids = c.ints("ids");
        int[] shape = c.ints("ids_shape");
        Embedding e = Embedding.of(weight);
        Tensor dweight;
        if (shape.length == 1) {
            dweight = e.backward(ids, gOut);
        } else {
            int[][] rows = new int[shape[0]][];
            for (int i = 0; i < shape[0]; i++) {
                rows[i] = Arrays.copyOfRange(ids, i * shape[1], (i + 1) * shape[1]);
            }
            dweight = e.backward(rows, gOut);
        }
        assertMatches(c.name() + " dweight", c.tensor("dweight"), dweight, TOL, TOL);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lossCases")
    void lossGradientsMatchPyTorch(Fixtures.Case c) {
        Reduction reduction = c.string("reduction").equals("mean") ? Reduction.MEAN : Reduction.SUM;
        double expectedLoss = c.scalar("loss");
        if (c.string("kind").equals("mse")) {
            Variable input = Variable.parameter(tensor(c, "input"));
            Variable loss = Losses.meanSquaredError(input, tensor(c, "target"), reduction);
            loss.backward();
            assertThat(loss.item()).isCloseTo(expectedLoss, within(TOL * (1 + Math.abs(expectedLoss))));
            assertMatches(c.name() + " dinput", c.tensor("dinput"), input.grad(), TOL, TOL);
            return;
        }
        int[] targets = c.ints("targets");
        Variable logits = Variable.parameter(tensor(c, "logits"));
        Variable loss = c.optionalScalar("ignore_index").isPresent()
                ? Losses.crossEntropy(
                        logits, targets, c.optionalScalar("ignore_index").get().intValue(), reduction)
                : Losses.crossEntropy(logits, targets, Losses.DEFAULT_IGNORE_INDEX, reduction);
        loss.backward();
        assertThat(loss.item()).as("loss").isCloseTo(expectedLoss, within(TOL * (1 + Math.abs(expectedLoss))));
        assertMatches(c.name() + " dlogits", c.tensor("dlogits"), logits.grad(), TOL, TOL);
    }
}
