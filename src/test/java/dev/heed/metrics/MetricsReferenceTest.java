package dev.heed.metrics;

import static dev.heed.testing.ReferenceAssertions.assertMatches;
import static dev.heed.testing.ReferenceAssertions.assertNoNaN;
import static dev.heed.testing.ReferenceAssertions.assertUnchanged;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.heed.tensor.Tensor;
import dev.heed.testing.Fixtures;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Metrics against NumPy ({@code metrics.txt}): entropy in nats over the last axis with 0·log 0 = 0
 * exactly (no epsilon: a one-hot row has entropy exactly 0), concentration = row max, accuracy =
 * fraction of equal labels.
 */
class MetricsReferenceTest {

    private static final double TOL = 1e-12;

    static Stream<Arguments> rowCases() {
        return Fixtures.load("metrics.txt").stream()
                .filter(c -> c.string("kind").equals("rows"))
                .map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    static Stream<Arguments> accuracyCases() {
        return Fixtures.load("metrics.txt").stream()
                .filter(c -> c.string("kind").equals("accuracy"))
                .map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    private static Tensor weights(Fixtures.Case c, double[] data) {
        return Tensor.of(data, c.tensor("weights").shape());
    }

    @ParameterizedTest(name = "entropy {0}")
    @MethodSource("rowCases")
    void entropyMatchesReference(Fixtures.Case c) {
        double[] data = c.tensor("weights").copyOfData();
        String context = "Metrics.entropy " + c.name();

        Tensor entropy = Metrics.entropy(weights(c, data));

        assertMatches(context, c.tensor("entropy"), entropy, TOL, TOL);
        assertNoNaN(context, entropy);
        assertUnchanged(context + " input", c.tensor("weights").data(), data);
        // exact zeros where the reference is exactly zero (one-hot and all-zero rows): no epsilon
        double[] expected = c.tensor("entropy").data();
        double[] actual = entropy.toArray();
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == 0.0) {
                assertThat(actual[i])
                        .as("%s: row %d has entropy exactly 0", context, i)
                        .isZero();
            }
        }
    }

    @ParameterizedTest(name = "concentration {0}")
    @MethodSource("rowCases")
    void concentrationMatchesReference(Fixtures.Case c) {
        double[] data = c.tensor("weights").copyOfData();
        String context = "Metrics.concentration " + c.name();

        Tensor concentration = Metrics.concentration(weights(c, data));

        assertMatches(context, c.tensor("concentration"), concentration, 0.0, 0.0); // a max is exact
        assertUnchanged(context + " input", c.tensor("weights").data(), data);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accuracyCases")
    void accuracyMatchesReference(Fixtures.Case c) {
        int[] truth = c.ints("truth");
        int[] predicted = c.ints("predicted");

        double accuracy = Metrics.accuracy(truth, predicted);

        assertThat(accuracy).as("Metrics.accuracy %s", c.name()).isCloseTo(c.scalar("accuracy"), within(1e-15));
    }
}
