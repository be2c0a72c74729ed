package dev.heed.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fixture parser itself, and a few invariants of the shipped fixtures. */
class FixturesTest {

    private static List<Fixtures.Case> parse(String text) throws Exception {
        return Fixtures.parse("inline.txt", new BufferedReader(new StringReader(text)));
    }

    @Test
    void parsesEveryEntryKind() throws Exception {
        List<Fixtures.Case> cases = parse("""
                # comment
                case first
                tensor t 2 2 3
                0.1 -2.0 1e-300 inf -inf nan
                tensor s 0
                3.5
                tensor empty 2 0 4

                ints lengths 3 0 -1
                ints none
                scalar scale 0.37
                string mask causal&allow:m0
                case second
                scalar x -inf
                """);
        assertThat(cases).extracting(Fixtures.Case::name).containsExactly("first", "second");
        Fixtures.Case c = cases.get(0);
        assertThat(c.tensor("t").shape()).containsExactly(2, 3);
        double[] t = c.tensor("t").data();
        assertThat(t[0]).isEqualTo(0.1);
        assertThat(t[2]).isEqualTo(1e-300);
        assertThat(t[3]).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(t[4]).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(t[5]).isNaN();
        assertThat(c.tensor("s").shape()).isEmpty();
        assertThat(c.tensor("s").data()).containsExactly(3.5);
        assertThat(c.tensor("empty").data()).isEmpty();
        assertThat(c.ints("lengths")).containsExactly(3, 0, -1);
        assertThat(c.ints("none")).isEmpty();
        assertThat(c.scalar("scale")).isEqualTo(0.37);
        assertThat(c.string("mask")).isEqualTo("causal&allow:m0");
        assertThat(cases.get(1).scalar("x")).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(cases.get(1).optionalString("mask")).isEmpty();
    }

    @Test
    void rejectsWrongValueCount() {
        assertThatThrownBy(() -> parse("case a\ntensor t 1 3\n1.0 2.0\n"))
                .hasMessageContaining("expected 3 values, found 2");
    }

    @Test
    void shippedFixturesLoad() {
        assertThat(Fixtures.load("sdpa.txt")).hasSizeGreaterThanOrEqualTo(45);
        assertThat(Fixtures.load("mha.txt")).hasSizeGreaterThanOrEqualTo(15);
        assertThat(Fixtures.load("simple.txt")).isNotEmpty();
        assertThat(Fixtures.load("encoding.txt")).isNotEmpty();
        assertThat(Fixtures.load("metrics.txt")).isNotEmpty();
    }

    @Test
    void referenceWeightRowsSumToOneOrZero() {
        for (String file : List.of("sdpa.txt", "mha.txt")) {
            for (Fixtures.Case c : Fixtures.load(file)) {
                Fixtures.TensorData w = c.tensor("weights");
                int s = w.shape()[w.rank() - 1];
                double[] d = w.data();
                for (int row = 0; row < d.length / s; row++) {
                    double sum = 0;
                    for (int j = 0; j < s; j++) {
                        assertThat(d[row * s + j]).as("%s row %d", c, row).isBetween(0.0, 1.0);
                        sum += d[row * s + j];
                    }
                    if (sum != 0.0) {
                        assertThat(sum)
                                .as("%s row %d sums to 1", c, row)
                                .isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-12));
                    }
                }
            }
        }
    }
}
