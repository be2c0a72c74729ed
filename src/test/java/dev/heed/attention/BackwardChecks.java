package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared helpers of the backward tests: the kernels, the masks every test sweeps (each as a
 * {@link NaiveAttention.Spec}, so the naive twin sees the same mask), and comparisons of
 * {@link AttentionGradients} with {@link NaiveBackward}.
 */
final class BackwardChecks {
    private BackwardChecks() {}

    /** A mask under test, with a name for messages. */
    record NamedMask(String name, NaiveAttention.Spec spec) {
        Mask mask() {
            return spec.toMask();
        }
    }

    /**
     * Every mask kind on scores {@code [B, L, S]} (B = 2): none, causal, allow, block, bias
     * (with some {@code -inf}), keyPadding (one sequence empty), and combinations with rows that
     * may attend to nothing.
     */
    static List<NamedMask> masks(int L, int S) {
        List<NamedMask> out = new ArrayList<>();
        out.add(new NamedMask("none", NaiveAttention.Spec.none()));
        out.add(new NamedMask("causal", NaiveAttention.Spec.causal()));
        out.add(new NamedMask("allow", NaiveAttention.Spec.allow(AttentionChecks.bits(11, 0.7, L, S))));
        out.add(new NamedMask("block", NaiveAttention.Spec.block(AttentionChecks.bits(12, 0.3, 2, 1, S))));
        Tensor bias = Tensor.random(13).normal(2, L, S).map(x -> x < -1.2 ? Double.NEGATIVE_INFINITY : 2 * x);
        out.add(new NamedMask("bias(-inf)", NaiveAttention.Spec.bias(bias)));
        out.add(new NamedMask("keyPadding", NaiveAttention.Spec.keyPadding(Math.max(0, S - 2), 0)));
        out.add(new NamedMask(
                "causal.and(keyPadding).and(bias)",
                NaiveAttention.Spec.causal()
                        .and(NaiveAttention.Spec.keyPadding(S, Math.max(1, S / 2)))
                        .and(NaiveAttention.Spec.bias(Tensor.random(14).normal(L, S)))));
        Tensor emptyRows = AttentionChecks.bits(15, 0.5, L, S);
        for (int j = 0; j < S; j++) {
            emptyRows.set(0.0, L / 2, j); // row L/2 may attend to nothing
        }
        out.add(new NamedMask(
                "allow with an empty row .and(block)",
                NaiveAttention.Spec.allow(emptyRows)
                        .and(NaiveAttention.Spec.block(AttentionChecks.bits(16, 0.2, 2, L, S)))));
        return out;
    }

    /** A kernel for the backward tests; {@code scale} NaN means the kernel's default. */
    record Kernel(String name, Attention attention, double scale) {}

    /** The full kernel, SimpleAttention (scale 1) and ChunkedAttention over odd tilings, at {@code scale}. */
    static List<Kernel> kernels(double scale) {
        boolean custom = !Double.isNaN(scale);
        List<Kernel> out = new ArrayList<>();
        ScaledDotProductAttention sdpa = new ScaledDotProductAttention();
        out.add(new Kernel("ScaledDotProductAttention", custom ? sdpa.withScale(scale) : sdpa, scale));
        if (!custom) {
            out.add(new Kernel("SimpleAttention", new SimpleAttention(), 1.0));
        }
        int[][] chunks = {{64, 64}, {1, 1}, {3, 7}, {7, 3}, {1000, 1000}};
        for (int[] c : chunks) {
            ChunkedAttention a = new ChunkedAttention(c[0], c[1]);
            out.add(new Kernel("ChunkedAttention(" + c[0] + "," + c[1] + ")", custom ? a.withScale(scale) : a, scale));
        }
        return out;
    }

    /**
     * Runs the forward and the backward of {@code kernel} and the naive backward on the same
     * inputs and compares the three gradients within {@code tol}; checks the inputs are not modified.
     */
    static AttentionGradients checkAgainstNaive(
            String context,
            Kernel kernel,
            Tensor q,
            Tensor k,
            Tensor v,
            NaiveAttention.Spec mask,
            Tensor gradOutput,
            double tol) {
        NaiveBackward.Gradients expected = NaiveBackward.backward(q, k, v, mask, kernel.scale(), gradOutput);
        double[] before = concat(q, k, v, gradOutput);
        Mask m = mask.toMask();
        AttentionResult forward = kernel.attention().apply(q, k, v, m);
        AttentionGradients actual = kernel.attention().backward(q, k, v, m, forward, gradOutput);
        String ctx = context + " " + kernel.name();
        assertSame(ctx, expected, actual, tol);
        assertThat(concat(q, k, v, gradOutput)).as("%s: inputs modified", ctx).isEqualTo(before);
        return actual;
    }

    static void assertSame(String context, NaiveBackward.Gradients expected, AttentionGradients actual, double tol) {
        assertClose(context + " dQuery", expected.query(), expected.queryShape(), actual.query(), tol);
        assertClose(context + " dKey", expected.key(), expected.keyShape(), actual.key(), tol);
        assertClose(context + " dValue", expected.value(), expected.valueShape(), actual.value(), tol);
    }

    /** Gradients of two kernels agree within {@code tol}. */
    static void assertSame(String context, AttentionGradients expected, AttentionGradients actual, double tol) {
        assertClose(
                context + " dQuery",
                expected.query().toArray(),
                expected.query().shape(),
                actual.query(),
                tol);
        assertClose(context + " dKey", expected.key().toArray(), expected.key().shape(), actual.key(), tol);
        assertClose(
                context + " dValue",
                expected.value().toArray(),
                expected.value().shape(),
                actual.value(),
                tol);
    }

    static void assertBitwise(String context, AttentionGradients expected, AttentionGradients actual) {
        AttentionChecks.assertBitwise(context + " dQuery", expected.query(), actual.query());
        AttentionChecks.assertBitwise(context + " dKey", expected.key(), actual.key());
        AttentionChecks.assertBitwise(context + " dValue", expected.value(), actual.value());
    }

    /** An upstream gradient for an output of {@code shape}. */
    static Tensor gradOutput(long seed, int... shape) {
        return Tensor.random(seed).normal(shape);
    }

    private static double[] concat(Tensor... ts) {
        List<Double> all = new ArrayList<>();
        for (Tensor t : ts) {
            for (double x : t.data()) {
                all.add(x);
            }
        }
        double[] out = new double[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }
}
