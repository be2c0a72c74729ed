package dev.heed.encoding;

import static dev.heed.testing.ReferenceAssertions.assertMatches;
import static dev.heed.testing.ReferenceAssertions.assertNoNaN;

import dev.heed.tensor.Tensor;
import dev.heed.testing.Fixtures;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SinusoidalEncoding.table against NumPy ({@code encoding.txt}): angle = pos / 10000^(2*(i//2)/dModel),
 * even columns sin, odd columns cos — the tutorial's get_positional_encoding, odd dModel included.
 */
class SinusoidalEncodingReferenceTest {

    /** Elementwise sin/cos of the same angles: much tighter than the attention tolerance. */
    private static final double TOL = 1e-12;

    static Stream<Arguments> cases() {
        return Fixtures.load("encoding.txt").stream().map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void tableMatchesReference(Fixtures.Case c) {
        int length = c.intScalar("length");
        int dModel = c.intScalar("d_model");
        String context = "SinusoidalEncoding.table(" + length + ", " + dModel + ")";

        Tensor table = SinusoidalEncoding.table(length, dModel);

        assertMatches(context, c.tensor("table"), table, TOL, TOL);
        assertNoNaN(context, table);
    }
}
