package dev.heed.encoding;

import static dev.heed.testing.ReferenceAssertions.assertMatches;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.Tensor;
import dev.heed.testing.Fixtures;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RotaryEncoding against PyTorch float64 ({@code rotary.txt}, from
 * {@code src/test/python/make_rotary_fixtures.py}): Hugging Face's Llama {@code rotate_half} and
 * GPT-J's {@code rotate_every_two}, ranks 2 to 4, L = 1, 3, 7, 13, partial rotary, bases 2.5 to
 * 10⁶, start positions 0, 5 and 1,000,003; the backward against torch autograd.
 *
 * <p>Each case holds torch's own result ({@code out}) and torch's formula fed correctly rounded
 * frequencies ({@code out_exact}, written where it differs). Heed's frequencies are the correctly
 * rounded ones, bit for bit; with them Heed agrees with torch to the last bit or two (sine and
 * cosine may each differ by an ulp). Against pure torch the only extra difference is torch's own
 * pow error, at most {@code p · |Δ invFreq|} per angle.
 */
class RotaryEncodingReferenceTest {

    /** Sine and cosine are each within an ulp in both libraries: a few ulps of the inputs' size. */
    private static final double ULPS = 4 * Math.ulp(1.0);

    static Stream<Arguments> rotateCases() {
        return cases("rotate");
    }

    static Stream<Arguments> frequencyCases() {
        return cases("frequencies");
    }

    private static Stream<Arguments> cases(String kind) {
        return Fixtures.load("rotary.txt").stream()
                .filter(c -> c.string("kind").equals(kind))
                .map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    private static Tensor tensor(Fixtures.TensorData data) {
        return Tensor.of(data.copyOfData(), data.shape());
    }

    private static RotaryEncoding encoding(Fixtures.Case c) {
        RotaryEncoding rope = RotaryEncoding.of(c.intScalar("dim")).withBase(c.scalar("base"));
        return switch (c.string("layout")) {
            case "half" -> rope;
            case "interleaved" -> rope.interleaved();
            default -> throw new IllegalStateException(c + ": layout " + c.string("layout"));
        };
    }

    private static double maxAbs(double[] values) {
        double m = 0;
        for (double v : values) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** What torch's pow error can do at the case's last position: p · max |Δ invFreq| · (|a| + |b|). */
    private static double torchPowGap(Fixtures.Case c, double inputScale) {
        double[] torch = c.tensor("inv_freq").data();
        double[] exact = c.tensor("inv_freq_exact").data();
        double worst = 0;
        for (int i = 0; i < torch.length; i++) {
            worst = Math.max(worst, Math.abs(torch[i] - exact[i]));
        }
        int[] shape = c.tensor("x").shape();
        double lastPosition = c.scalar("start") + shape[shape.length - 2] - 1;
        return lastPosition * worst * 2 * inputScale;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rotateCases")
    void matchesPyTorch(Fixtures.Case c) {
        RotaryEncoding rope = encoding(c);
        Tensor x = tensor(c.tensor("x"));
        int start = c.intScalar("start");
        String context = rope + ".apply(x" + java.util.Arrays.toString(x.shape()) + ", " + start + ")";

        assertThat(rope.inverseFrequencies())
                .as("%s: correctly rounded inv_freq", context)
                .containsExactly(c.tensor("inv_freq_exact").data());

        Tensor y = rope.apply(x, start);
        double scale = maxAbs(x.toArray());
        Fixtures.TensorData exact = c.hasTensor("out_exact") ? c.tensor("out_exact") : c.tensor("out");
        assertMatches(context + " vs torch with exact inv_freq", exact, y, ULPS * scale, 0);
        assertMatches(context + " vs torch", c.tensor("out"), y, ULPS * scale + torchPowGap(c, scale), 0);
        // A transposed view of the same input gives the same bits.
        Tensor transposed = x.transpose(-2, -1).copy().transpose(-2, -1);
        assertThat(rope.apply(transposed, start).toArray()).containsExactly(y.toArray());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rotateCases")
    void backwardMatchesTorchAutograd(Fixtures.Case c) {
        RotaryEncoding rope = encoding(c);
        Tensor gradOut = tensor(c.tensor("grad_out"));
        double scale = maxAbs(gradOut.toArray());
        Tensor dx = rope.backward(gradOut, c.intScalar("start"));
        assertMatches(rope + ".backward", c.tensor("dx"), dx, ULPS * scale + torchPowGap(c, scale), 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("frequencyCases")
    void frequenciesAreCorrectlyRounded(Fixtures.Case c) {
        int dim = c.intScalar("dim");
        double base = c.scalar("base");
        double[] exact = c.tensor("inv_freq_exact").data();
        assertThat(RotaryEncoding.of(dim).withBase(base).inverseFrequencies()).containsExactly(exact);
        // torch's vectorised pow is within an ulp of them
        double[] torch = c.tensor("inv_freq").data();
        for (int i = 0; i < exact.length; i++) {
            assertThat(Math.abs(torch[i] - exact[i])).as("pair %d", i).isLessThanOrEqualTo(Math.ulp(exact[i]));
        }
    }

    @Test
    void theFixturesExerciseTorchsPowError() {
        // Without a case where torch's inv_freq is an ulp off, the far-position bound above would
        // go untested; and the gap it allows must stay small.
        long cases = Fixtures.load("rotary.txt").stream()
                .filter(c -> c.hasTensor("out_exact"))
                .count();
        assertThat(cases).isGreaterThanOrEqualTo(2);
        for (Fixtures.Case c : Fixtures.load("rotary.txt")) {
            if (c.string("kind").equals("rotate")) {
                assertThat(torchPowGap(c, 1.0)).as(c.name()).isLessThan(1e-9);
            }
        }
    }
}
