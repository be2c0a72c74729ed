package dev.heed.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.TensorTesting.Layout;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Tensor#toString()} against NumPy 1.24's {@code print()} of the same array. The
 * expected strings come from {@code src/test/python/make_tensor_format_fixtures.py}.
 */
class TensorFormatTest {

    private static final String FIXTURES = "/dev/heed/tensor/format-fixtures.txt";

    record Case(String name, int[] shape, double[] values, String expected) {
        @Override
        public String toString() {
            return name + " " + Arrays.toString(shape);
        }
    }

    static List<Case> cases() throws IOException {
        List<Case> out = new ArrayList<>();
        try (InputStream in = TensorFormatTest.class.getResourceAsStream(FIXTURES)) {
            assertThat(in).as("resource %s", FIXTURES).isNotNull();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.startsWith("case ")) {
                    continue;
                }
                String name = line.substring(5);
                int[] shape = Arrays.stream(words(r.readLine(), "shape"))
                        .mapToInt(Integer::parseInt)
                        .toArray();
                double[] values = Arrays.stream(words(r.readLine(), "values"))
                        .mapToDouble(TensorFormatTest::parse)
                        .toArray();
                int lines = Integer.parseInt(words(r.readLine(), "expected")[0]);
                StringBuilder expected = new StringBuilder();
                for (int i = 0; i < lines; i++) {
                    if (i > 0) {
                        expected.append('\n');
                    }
                    expected.append(r.readLine());
                }
                out.add(new Case(name, shape, values, expected.toString()));
            }
        }
        return out;
    }

    private static String[] words(String line, String key) {
        assertThat(line).startsWith(key);
        String rest = line.substring(key.length()).trim();
        return rest.isEmpty() ? new String[0] : rest.split(" ");
    }

    private static double parse(String s) {
        switch (s) {
            case "nan":
                return Double.NaN;
            case "inf":
                return Double.POSITIVE_INFINITY;
            case "-inf":
                return Double.NEGATIVE_INFINITY;
            default:
                return Double.parseDouble(s);
        }
    }

    static Stream<Case> fixtures() throws IOException {
        return cases().stream();
    }

    static Stream<Arguments> fixturesInEveryLayout() throws IOException {
        return cases().stream()
                .filter(c -> c.shape().length > 0)
                .flatMap(c -> Arrays.stream(Layout.values()).map(l -> Arguments.of(c, l)));
    }

    @Test
    void fixtureFileHasTheAdvertisedCases() throws IOException {
        List<Case> all = cases();
        assertThat(all).hasSizeGreaterThan(50);
        assertThat(all)
                .extracting(Case::name)
                .contains(
                        "summary_1d",
                        "summary_3d",
                        "rank3",
                        "nan_inf",
                        "negative_zero",
                        "scalar_one",
                        "empty_2x0",
                        "sci_mixed_mantissas",
                        "wrap_2d");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void printsLikeNumPy(Case c) {
        Tensor t = Tensor.of(c.values().clone(), c.shape());
        assertThat(t.toString()).as("str of %s", c.name()).isEqualTo(c.expected());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("fixturesInEveryLayout")
    void layoutDoesNotChangeTheText(Case c, Layout layout) {
        Tensor t = TensorTesting.layout(layout, c.values(), c.shape());
        assertThat(t.toString()).as("str of %s stored %s", c.name(), layout).isEqualTo(c.expected());
    }

    @Test
    void broadcastViewPrintsItsRepeatedElements() {
        Tensor row = Tensor.of(new double[] {1.5, -2, 3}, 3);
        assertThat(row.broadcastTo(2, 3).toString()).isEqualTo("[[ 1.5 -2.   3. ]\n [ 1.5 -2.   3. ]]");
    }

    @Test
    void printingDoesNotModifyTheTensor() {
        double[] d = {0.1, 0.2, Double.NaN, -0.0};
        Tensor t = Tensor.of(d, 2, 2);
        t.toString();
        assertThat(d).containsExactly(0.1, 0.2, Double.NaN, -0.0);
    }

    @Test
    void anEmptyTensorKeepsItsShape() {
        // NumPy's repr: array([], shape=(0, 4), dtype=float64); a 1-d empty array is array([], dtype=float64).
        assertThat(Tensor.zeros(0, 4).toString()).isEqualTo("[], shape=(0, 4)");
        assertThat(Tensor.zeros(3, 0, 2).toString()).isEqualTo("[], shape=(3, 0, 2)");
        assertThat(Tensor.zeros(0).toString()).isEqualTo("[]");
        assertThat(Tensor.ones(5, 4).slice(0, 2, 2).toString())
                .as("an empty view")
                .isEqualTo("[], shape=(0, 4)");
        assertThat(Tensor.ones(5, 4).slice(1, 1, 1).transpose(0, 1).toString()).isEqualTo("[], shape=(0, 5)");
    }
}
