package dev.heed.attention;

import static dev.heed.testing.ReferenceAssertions.assertMatches;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.internal.attention.Dropout;
import dev.heed.tensor.Tensor;
import dev.heed.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dropout against PyTorch float64 ({@code dropout.txt}, written by
 * {@code src/test/python/make_dropout_fixtures.py}): the script computes the keep mask with its own
 * copy of the generator, applies it in torch ({@code P * Z}, as {@code F.dropout} does) and lets
 * autograd give the gradients. Every mask kind, causal, windows, ALiBi, GQA, soft cap, odd sizes,
 * both kernels at odd tiles; the keep mask bitwise, everything else to 1e-10 (they also pass at 1e-14 + 1e-13 relative).
 */
class DropoutFixturesTest {
    private static final double ABS = 1e-10;
    private static final double REL = 1e-10;

    static Stream<Arguments> cases() {
        return Fixtures.load("dropout.txt").stream()
                .filter(c -> !c.name().equals("generator"))
                .map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    private static Tensor tensor(Fixtures.Case c, String name) {
        Fixtures.TensorData t = c.tensor(name);
        return Tensor.of(t.copyOfData(), t.shape());
    }

    /** The mask of a case: make_variant_fixtures.py's fields, then the allow, block and bias tensors. */
    private static Mask mask(Fixtures.Case c) {
        Mask m = VariantFixturesTest.mask(c);
        if (c.hasTensor("allow")) {
            m = m.and(Mask.allow(tensor(c, "allow")));
        }
        if (c.hasTensor("block")) {
            m = m.and(Mask.block(tensor(c, "block")));
        }
        if (c.hasTensor("bias")) {
            m = m.and(Mask.bias(tensor(c, "bias")));
        }
        return m;
    }

    private static List<Attention> kernels(Fixtures.Case c) {
        double p = c.scalar("p");
        long seed = Long.parseLong(c.string("seed"));
        double scale = c.scalar("scale");
        double cap = c.scalar("soft_cap");
        List<Attention> out = new ArrayList<>();
        ScaledDotProductAttention full =
                new ScaledDotProductAttention().withScale(scale).withDropout(p, seed);
        out.add(cap == 0 ? full : full.withSoftCap(cap));
        for (int[] chunks : new int[][] {{64, 64}, {1, 1}, {3, 7}, {7, 3}}) {
            ChunkedAttention a = new ChunkedAttention(chunks[0], chunks[1])
                    .withDropout(p, seed)
                    .withScale(scale);
            out.add(cap == 0 ? a : a.withSoftCap(cap));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAndGradientsEqualPyTorchWithTheSameKeepMask(Fixtures.Case c) {
        Tensor q = tensor(c, "q");
        Tensor k = tensor(c, "k");
        Tensor v = tensor(c, "v");
        Tensor dO = tensor(c, "grad_out");
        Mask mask = mask(c);
        double[] keep = c.tensor("keep").data();
        double[] allowedWeights = c.tensor("weights").data();
        for (Attention a : kernels(c)) {
            String ctx = c.name() + " " + a;
            AttentionResult r = a.apply(q, k, v, mask);
            assertMatches(ctx + " output", c.tensor("out"), r.output(), ABS, REL);
            assertMatches(ctx + " weights", c.tensor("weights"), r.weights(), ABS, REL);
            assertMatches(ctx + " logSumExp", c.tensor("lse"), r.logSumExp(), ABS, REL);
            double[] w = r.weights().toArray();
            for (int x = 0; x < w.length; x++) {
                if (keep[x] == 0) {
                    assertThat(w[x])
                            .as("%s: weight %d is dropped by the script's mask", ctx, x)
                            .isZero();
                } else if (allowedWeights[x] != 0) {
                    assertThat(w[x])
                            .as("%s: weight %d is kept by the script's mask", ctx, x)
                            .isNotZero();
                }
            }
            AttentionGradients g = a.backward(q, k, v, mask, r, dO);
            assertMatches(ctx + " dQuery", c.tensor("dq"), g.query(), ABS, REL);
            assertMatches(ctx + " dKey", c.tensor("dk"), g.key(), ABS, REL);
            assertMatches(ctx + " dValue", c.tensor("dv"), g.value(), ABS, REL);
        }
    }

    @Test
    void theGeneratorEqualsThePythonCopyBitForBit() {
        Fixtures.Case c = Fixtures.load("dropout.txt", "generator");
        int[] index = c.ints("index");
        String[] hashes = c.string("hashes").split(" ");
        String[] uniforms = c.string("uniforms").split(" ");
        assertThat(hashes).hasSize(index.length / 6).hasSize(uniforms.length).hasSizeGreaterThanOrEqualTo(10);
        for (int t = 0; t < hashes.length; t++) {
            int at = 6 * t;
            long seed = ((long) index[at] << 32) | (index[at + 1] & 0xffffffffL);
            long h = Dropout.hash(seed, index[at + 2], index[at + 3], index[at + 4], index[at + 5]);
            assertThat(Long.toHexString(h)).as("hash %d", t).isEqualTo(hashes[t].replaceFirst("^0+(?=.)", ""));
            assertThat(Dropout.uniform(h)).as("uniform %d", t).isEqualTo(Double.parseDouble(uniforms[t]));
            assertThat(NaiveDropout.keeps(seed, 0.5, index[at + 2], index[at + 3], index[at + 4], index[at + 5]))
                    .isEqualTo(Dropout.uniform(h) >= 0.5);
        }
    }
}
