package dev.heed.benchmarks;

import dev.heed.Heed;

/**
 * What every benchmark checks before it measures: that the fork runs the kernel path its name
 * claims, and that a result is right, against a direct double loop. Not part of Heed's API.
 */
final class Checks {
    private Checks() {}

    /** The JVM flag that makes the Vector API available to Heed. */
    static final String VECTOR_FLAG = "--add-modules=jdk.incubator.vector";

    /** The kernel implementation Heed chose in this JVM: "scalar", or "vector-512" etc. */
    static String kernels() {
        return Heed.kernels().name();
    }

    /** Whether Heed runs its Vector API kernels in this JVM. */
    static boolean vectorKernels() {
        return Heed.kernels().vectorApi();
    }

    /**
     * Fails unless this JVM runs the kernel path that the benchmark method's name promises: a name
     * ending in {@code Vector} needs the Vector API kernels, one ending in {@code Scalar} needs the
     * scalar ones. A number labelled "vector" that was measured on the scalar path (or the reverse)
     * is worse than no number.
     *
     * @param benchmark the fully qualified benchmark method, from JMH's {@code BenchmarkParams}
     */
    static void requireKernelPath(String benchmark) {
        boolean wantVector = benchmark.endsWith("Vector");
        boolean wantScalar = benchmark.endsWith("Scalar");
        if (!wantVector && !wantScalar) {
            return;
        }
        if (wantVector && !vectorKernels()) {
            throw new IllegalStateException(benchmark + " must run on Heed's Vector API kernels, but this JVM runs '"
                    + kernels() + "': the method's @Fork adds " + VECTOR_FLAG + ", which JMH ignores with -f 0 "
                    + "and which -jvmArgsPrepend on the command line replaces. Run with -f 1 (or more), or select "
                    + "only the *Scalar methods for an in-process run.");
        }
        if (wantScalar && vectorKernels()) {
            throw new IllegalStateException(benchmark + " must run on Heed's scalar kernels, but this JVM runs '"
                    + kernels() + "': do not add " + VECTOR_FLAG + " to every fork (e.g. with -jvmArgsAppend); the "
                    + "*Vector methods add it to their own forks.");
        }
    }

    /**
     * One row of softmax attention computed directly: {@code out = Σ_j p_j v_j / Σ_j p_j} with
     * {@code p_j = exp(scale · q_i·k_j − max)} over the keys {@code j < keyEnd}. Inputs are row-major
     * {@code [batch, L, d]}, {@code [batch, S, d]} and {@code [batch, S, dv]}.
     *
     * @return the {@code dv} outputs of query {@code i} of batch element {@code b}; zeros if
     *         {@code keyEnd <= 0}
     */
    static double[] referenceRow(
            double[] q,
            double[] k,
            double[] v,
            int b,
            int i,
            int queries,
            int keys,
            int depth,
            int valueDepth,
            int keyEnd,
            double scale) {
        double[] out = new double[valueDepth];
        if (keyEnd <= 0) {
            return out;
        }
        double[] scores = new double[keyEnd];
        int qOff = (b * queries + i) * depth;
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < keyEnd; j++) {
            int kOff = (b * keys + j) * depth;
            double dot = 0;
            for (int c = 0; c < depth; c++) {
                dot += q[qOff + c] * k[kOff + c];
            }
            scores[j] = dot * scale;
            max = Math.max(max, scores[j]);
        }
        double sum = 0;
        for (int j = 0; j < keyEnd; j++) {
            double p = Math.exp(scores[j] - max);
            sum += p;
            int vOff = (b * keys + j) * valueDepth;
            for (int c = 0; c < valueDepth; c++) {
                out[c] += p * v[vOff + c];
            }
        }
        for (int c = 0; c < valueDepth; c++) {
            out[c] /= sum;
        }
        return out;
    }

    /** Largest absolute difference between {@code expected} and {@code actual[offset ...]}; NaN wins. */
    static double maxDifference(double[] expected, double[] actual, int offset) {
        double worst = 0;
        for (int c = 0; c < expected.length; c++) {
            double diff = Math.abs(expected[c] - actual[offset + c]);
            if (!(diff <= worst)) {
                worst = diff;
                if (Double.isNaN(diff)) {
                    break;
                }
            }
        }
        return worst;
    }
}
