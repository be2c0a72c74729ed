package dev.heed.attention;

import static dev.heed.testing.ReferenceAssertions.assertMatches;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel's backward against PyTorch float64 autograd (src/test/python/make_gradient_fixtures.py):
 * every mask kind, custom scales, ranks 2–4, odd sizes, broadcast and transposed inputs, rows that may
 * attend to nothing (zero gradients, where torch's own SDPA would give NaN).
 */
class AttentionBackwardPyTorchTest {
    private static final double TOL = 1e-10;

    static Stream<Arguments> cases() {
        return Stream.concat(GradientFixtures.sdpa().stream(), GradientFixtures.simple().stream())
                .map(c -> Arguments.of(Named.of(c.fixture().file() + "#" + c, c)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsMatchPyTorch(GradientFixtures.AttentionCase c) {
        List<Attention> kernels = new ArrayList<>();
        if (c.fixture().file().equals("grad_simple.txt")) {
            kernels.add(new SimpleAttention());
        } else {
            double scale = c.customScale().orElse(1.0 / Math.sqrt(c.query().shape(-1)));
            kernels.add(new ScaledDotProductAttention().withScale(scale));
            kernels.add(new ChunkedAttention(3, 5).withScale(scale));
            kernels.add(new ChunkedAttention(1, 7).withScale(scale));
            kernels.add(new ChunkedAttention().withScale(scale));
        }
        for (Attention kernel : kernels) {
            AttentionResult forward = kernel.apply(c.query(), c.key(), c.value(), c.mask());
            AttentionGradients g = kernel.backward(c.query(), c.key(), c.value(), c.mask(), forward, c.gradOutput());
            String context = c + " via " + kernel;
            assertMatches(context + " dq", c.fixture().tensor("dq"), g.query(), TOL, TOL);
            assertMatches(context + " dk", c.fixture().tensor("dk"), g.key(), TOL, TOL);
            assertMatches(context + " dv", c.fixture().tensor("dv"), g.value(), TOL, TOL);
        }
    }
}
