package dev.heed.attention;

import static dev.heed.testing.ReferenceAssertions.assertMatches;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.heed.layers.Embedding;
import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import dev.heed.testing.FiniteDifferences;
import dev.heed.testing.Fixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The PyTorch gradient fixtures mean what their backward tests will assume. Heed's attention
 * kernels accept every case of {@code grad_sdpa.txt} and {@code grad_simple.txt} (broadcast ranks,
 * transposed views, every mask) and reproduce its forward; for MultiHeadAttention, Linear,
 * Embedding and the losses ({@code grad_mha.txt}, {@code grad_layers.txt}, {@code grad_loss.txt})
 * Heed's own forwards, given the stored parameters in PyTorch layout, reproduce the stored outputs
 * to 1e-10, and central finite differences of those forwards reproduce every stored gradient — of
 * inputs and of each state_dict parameter. (The attention gradients themselves are proved in
 * {@link NaiveAttentionGradientsTest}.)
 */
class GradientFixturesTest {

    private static final double TOL = 1e-10;

    static Stream<Arguments> cases(String file) {
        return Fixtures.load(file).stream().map(c -> Arguments.of(Named.of(c.name(), c)));
    }

    static Stream<Arguments> mhaCases() {
        return cases("grad_mha.txt");
    }

    static Stream<Arguments> layerCases() {
        return cases("grad_layers.txt");
    }

    static Stream<Arguments> lossCases() {
        return cases("grad_loss.txt");
    }

    // ------------------------------------------------------------------ attention forwards

    static Stream<Arguments> attentionCases() {
        return Stream.concat(GradientFixtures.sdpa().stream(), GradientFixtures.simple().stream())
                .map(c -> Arguments.of(Named.of(c.fixture().file() + "#" + c, c)));
    }

    /** The kernels the backward will be added to accept every case and agree with its forward. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("attentionCases")
    void heedForwardsMatchTheAttentionFixtures(GradientFixtures.AttentionCase c) {
        boolean simple = c.fixture().file().equals("grad_simple.txt");
        List<Attention> kernels = new ArrayList<>();
        if (simple) {
            kernels.add(new SimpleAttention());
        } else {
            double scale = c.customScale().orElse(1.0 / Math.sqrt(c.query().shape(-1)));
            kernels.add(new ScaledDotProductAttention().withScale(scale));
            kernels.add(new ChunkedAttention(3, 5).withScale(scale));
        }
        for (Attention kernel : kernels) {
            AttentionResult r = kernel.apply(c.query(), c.key(), c.value(), c.mask());
            String context = c + " via " + kernel;
            assertMatches(context + " out", c.fixture().tensor("out"), r.output(), TOL, TOL);
            assertMatches(context + " weights", c.fixture().tensor("weights"), r.weights(), TOL, TOL);
            if (!simple) {
                assertMatches(context + " lse", c.fixture().tensor("lse"), r.logSumExp(), TOL, TOL);
            }
        }
    }

    // ------------------------------------------------------------------ MultiHeadAttention

    /** Heed's MultiHeadAttention from the case's state_dict tensors (in the order of 'params'). */
    private static MultiHeadAttention mha(Fixtures.Case c, List<String> names, Tensor[] params) {
        int e = c.intScalar("embed_dim");
        Tensor wq;
        Tensor wk;
        Tensor wv;
        if (names.contains("in_proj_weight")) {
            Tensor w = params[names.indexOf("in_proj_weight")];
            wq = w.slice(0, 0, e);
            wk = w.slice(0, e, 2 * e);
            wv = w.slice(0, 2 * e, 3 * e);
        } else {
            wq = params[names.indexOf("q_proj_weight")];
            wk = params[names.indexOf("k_proj_weight")];
            wv = params[names.indexOf("v_proj_weight")];
        }
        boolean bias = c.string("bias").equals("true");
        MultiHeadAttention.Builder b = MultiHeadAttention.builder(e, c.intScalar("num_heads"))
                .keyDim(c.intScalar("kdim"))
                .valueDim(c.intScalar("vdim"))
                .bias(bias)
                .weights(wq, wk, wv, params[names.indexOf("out_proj.weight")]);
        if (bias) {
            Tensor in = params[names.indexOf("in_proj_bias")];
            b.biases(
                    in.slice(0, 0, e),
                    in.slice(0, e, 2 * e),
                    in.slice(0, 2 * e, 3 * e),
                    params[names.indexOf("out_proj.bias")]);
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mhaCases")
    void multiHeadAttentionFixturesAreGradientsOfHeedsForward(Fixtures.Case c) {
        List<String> names = List.of(c.string("params").split(","));
        Mask mask = FixtureMasks.of(c);
        Tensor gOut = GradientFixtures.tensor(c, "grad_out");
        // inputs: query, key, value, then the parameters
        List<Tensor> inputs = new ArrayList<>(List.of(
                GradientFixtures.tensor(c, "query"),
                GradientFixtures.tensor(c, "key"),
                GradientFixtures.tensor(c, "value")));
        for (String n : names) {
            inputs.add(GradientFixtures.tensor(c, n));
        }
        Tensor[] in = inputs.toArray(new Tensor[0]);
        FiniteDifferences.ScalarFunction f = x -> FiniteDifferences.dot(
                mha(c, names, Arrays.copyOfRange(x, 3, x.length))
                        .forward(x[0], x[1], x[2], mask)
                        .output(),
                gOut);

        AttentionResult r = mha(c, names, Arrays.copyOfRange(in, 3, in.length)).forward(in[0], in[1], in[2], mask);
        assertMatches(c.name() + " out", c.tensor("out"), r.output(), TOL, TOL);
        assertMatches(c.name() + " weights", c.tensor("weights"), r.weights(), TOL, TOL);

        List<String> expected = new ArrayList<>(List.of("dquery", "dkey", "dvalue"));
        names.forEach(n -> expected.add("grad." + n));
        for (int i = 0; i < in.length; i++) {
            FiniteDifferences.assertGradient(
                    c.name() + " " + expected.get(i), GradientFixtures.tensor(c, expected.get(i)), f, i, in);
        }
        if (c.string("self_attention").equals("true")) {
            // one tensor as query, key and value: its gradient is the sum of the three partials
            Tensor total = GradientFixtures.tensor(c, "dquery")
                    .add(GradientFixtures.tensor(c, "dkey"))
                    .add(GradientFixtures.tensor(c, "dvalue"));
            Tensor[] params = Arrays.copyOfRange(in, 3, in.length);
            MultiHeadAttention m = mha(c, names, params);
            FiniteDifferences.assertGradient(
                    c.name() + " self-attention total",
                    total,
                    x -> FiniteDifferences.dot(m.forward(x[0], x[0], x[0], mask).output(), gOut),
                    0,
                    in[0]);
        }
    }

    // ------------------------------------------------------------------ Linear and Embedding

    @ParameterizedTest(name = "{0}")
    @MethodSource("layerCases")
    void layerFixturesAreGradientsOfHeedsForward(Fixtures.Case c) {
        Tensor gOut = GradientFixtures.tensor(c, "grad_out");
        Tensor weight = GradientFixtures.tensor(c, "weight");
        String kind = c.string("kind");
        if (kind.equals("linear")) {
            boolean bias = c.string("has_bias").equals("true");
            Tensor x = GradientFixtures.tensor(c, "x");
            Tensor b = bias ? GradientFixtures.tensor(c, "bias") : null;
            assertMatches(
                    c.name() + " out", c.tensor("out"), Linear.of(weight, b).forward(x), TOL, TOL);
            FiniteDifferences.ScalarFunction f = in ->
                    FiniteDifferences.dot(Linear.of(in[1], bias ? in[2] : null).forward(in[0]), gOut);
            Tensor[] in = bias ? new Tensor[] {x, weight, b} : new Tensor[] {x, weight};
            FiniteDifferences.assertGradient(c.name() + " dx", GradientFixtures.tensor(c, "dx"), f, 0, in);
            FiniteDifferences.assertGradient(c.name() + " dweight", GradientFixtures.tensor(c, "dweight"), f, 1, in);
            if (bias) {
                FiniteDifferences.assertGradient(c.name() + " dbias", GradientFixtures.tensor(c, "dbias"), f, 2, in);
            }
            return;
        }
        assertThat(kind).isIn("embedding", "embedding_padding_idx");
        int[] ids = c.ints("ids");
        int[] idsShape = c.ints("ids_shape");
        FiniteDifferences.ScalarFunction f =
                in -> FiniteDifferences.dot(lookup(Embedding.of(in[0]), ids, idsShape), gOut);
        assertMatches(c.name() + " out", c.tensor("out"), lookup(Embedding.of(weight), ids, idsShape), TOL, TOL);
        Tensor dweight = GradientFixtures.tensor(c, "dweight");
        if (kind.equals("embedding")) {
            FiniteDifferences.assertGradient(c.name() + " dweight", dweight, f, 0, weight);
        } else {
            // torch's padding_idx: the lookup is the same, the padding row's gradient is held at 0
            int p = c.intScalar("padding_idx");
            Tensor numeric = FiniteDifferences.gradient(f, 0, weight);
            assertThat(Arrays.stream(numeric.select(0, p).toArray()).anyMatch(x -> x != 0))
                    .as("the padding id is looked up")
                    .isTrue();
            for (int j = 0; j < weight.shape(1); j++) {
                numeric.set(0.0, p, j);
            }
            FiniteDifferences.assertClose(c.name() + " dweight", dweight, numeric, FiniteDifferences.RTOL, 1e-3);
            assertThat(dweight.select(0, p).toArray()).containsOnly(0.0);
        }
    }

    private static Tensor lookup(Embedding e, int[] ids, int[] shape) {
        if (shape.length == 1) {
            return e.lookup(ids);
        }
        int[][] rows = new int[shape[0]][];
        for (int i = 0; i < shape[0]; i++) {
            rows[i] = Arrays.copyOfRange(ids, i * shape[1], (i + 1) * shape[1]);
        }
        return e.lookup(rows);
    }

    // ------------------------------------------------------------------ losses

    @ParameterizedTest(name = "{0}")
    @MethodSource("lossCases")
    void lossFixturesAreGradientsOfTheirDefinitions(Fixtures.Case c) {
        boolean mean = c.string("reduction").equals("mean");
        if (c.string("kind").equals("mse")) {
            FiniteDifferences.ScalarFunction f = in -> {
                double[] a = in[0].toArray();
                double[] b = in[1].toArray();
                double sum = 0;
                for (int i = 0; i < a.length; i++) {
                    sum += (a[i] - b[i]) * (a[i] - b[i]);
                }
                return mean ? sum / a.length : sum;
            };
            Tensor input = GradientFixtures.tensor(c, "input");
            Tensor target = GradientFixtures.tensor(c, "target");
            assertThat(f.apply(input, target)).isCloseTo(c.scalar("loss"), within(1e-12));
            FiniteDifferences.assertGradient(
                    c.name() + " dinput", GradientFixtures.tensor(c, "dinput"), f, 0, input, target);
            FiniteDifferences.assertGradient(
                    c.name() + " dtarget", GradientFixtures.tensor(c, "dtarget"), f, 1, input, target);
            return;
        }
        assertThat(c.string("kind")).isEqualTo("cross_entropy");
        int[] targets = c.ints("targets");
        int ignore = c.optionalScalar("ignore_index").map(Double::intValue).orElse(Integer.MIN_VALUE);
        Tensor logits = GradientFixtures.tensor(c, "logits");
        FiniteDifferences.ScalarFunction f = in -> crossEntropy(in[0], targets, ignore, mean);
        double loss = c.scalar("loss");
        assertThat(f.apply(logits)).as("loss").isCloseTo(loss, within(TOL * (1 + Math.abs(loss))));
        Tensor dlogits = GradientFixtures.tensor(c, "dlogits");
        assertMatches(
                c.name() + " dlogits",
                dlogits.toArray(),
                dlogits.shape(),
                softmaxMinusOneHot(logits, targets, ignore, mean),
                TOL,
                TOL);
        if (Arrays.stream(logits.toArray()).allMatch(x -> Math.abs(x) < 100)) {
            // a relative step on logits of 1e6 would be 6: finite differences only for ordinary logits
            FiniteDifferences.assertGradient(c.name() + " dlogits", dlogits, f, 0, logits);
        }
    }

    /** Cross-entropy from logits [N, C], stable: log Σ exp(x - max) - (x_t - max) per kept row. */
    private static double crossEntropy(Tensor logits, int[] targets, int ignore, boolean mean) {
        int n = logits.shape(0);
        int classes = logits.shape(1);
        double[] x = logits.toArray();
        double sum = 0;
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (targets[i] == ignore) {
                continue;
            }
            kept++;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < classes; j++) {
                max = Math.max(max, x[i * classes + j]);
            }
            double s = 0;
            for (int j = 0; j < classes; j++) {
                s += Math.exp(x[i * classes + j] - max);
            }
            sum += Math.log(s) - (x[i * classes + targets[i]] - max);
        }
        return mean ? sum / kept : sum;
    }

    private static Tensor softmaxMinusOneHot(Tensor logits, int[] targets, int ignore, boolean mean) {
        int n = logits.shape(0);
        int classes = logits.shape(1);
        double[] x = logits.toArray();
        double[] g = new double[x.length];
        int kept = (int) Arrays.stream(targets).filter(t -> t != ignore).count();
        for (int i = 0; i < n; i++) {
            if (targets[i] == ignore) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < classes; j++) {
                max = Math.max(max, x[i * classes + j]);
            }
            double s = 0;
            for (int j = 0; j < classes; j++) {
                s += Math.exp(x[i * classes + j] - max);
            }
            for (int j = 0; j < classes; j++) {
                double p = Math.exp(x[i * classes + j] - max) / s - (j == targets[i] ? 1 : 0);
                g[i * classes + j] = mean ? p / kept : p;
            }
        }
        return Tensor.of(g, n, classes);
    }
}
