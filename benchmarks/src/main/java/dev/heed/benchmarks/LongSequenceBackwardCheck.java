package dev.heed.benchmarks;

import dev.heed.attention.AttentionGradients;
import dev.heed.attention.AttentionResult;
import dev.heed.attention.ChunkedAttention;
import dev.heed.attention.Mask;
import dev.heed.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.TreeSet;

/**
 * The long-sequence memory check of the gradients issue: one head of 32,768 tokens, d = 64, causal,
 * forward and backward through {@link ChunkedAttention} in a small heap. Run it with the heap bound:
 *
 * <pre>
 * java -Xmx512m --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *     dev.heed.benchmarks.LongSequenceBackwardCheck [tokens [depth]]
 * </pre>
 *
 * <p>It builds seeded q, k, v and an upstream gradient dO of shape {@code [1, tokens, depth]}
 * (defaults 32768 and 64: 16 MiB each), runs {@code apply} then {@code backward} once, and checks
 * sampled rows — the first, the second, the middle, the last and a few seeded random ones:
 * <ul>
 *   <li>the output and the log-sum-exp of each sampled query, by a direct double loop over its keys
 *       {@code j <= i};</li>
 *   <li>{@code dQ} of each sampled query, from scratch: its weights {@code p}, {@code dP_j = dO·v_j},
 *       {@code D = Σ_j p_j dP_j}, {@code dQ = scale Σ_j p_j (dP_j − D) k_j};</li>
 *   <li>{@code dK} and {@code dV} of each sampled key {@code j}, which sum over every query
 *       {@code i >= j}: {@code dV_j = Σ_i p_ij dO_i} and {@code dK_j = scale Σ_i p_ij (dO_i·v_j − D_i) q_i},
 *       with {@code p_ij = exp(scale q_i·k_j − lse_i)} and {@code D_i = dO_i·O_i} taken from the
 *       forward's log-sum-exp and output (sampled rows of which the first check covers) — a direct
 *       recomputation of every row would cost as much as the attention itself, per key.</li>
 * </ul>
 * It prints the kernel path, the two times, the largest errors and the heap. The weights alone
 * would be {@code 8·tokens²} bytes, 8 GiB at 32,768 tokens; passing in {@code -Xmx512m} shows
 * that neither pass holds them.
 *
 * <p>Exit status: 0 if every sampled value is within {@value #TOLERANCE}, 1 if one is not (or the
 * heap runs out: the JVM's own non-zero status), 2 on bad arguments.
 */
public final class LongSequenceBackwardCheck {
    /** Largest absolute difference allowed between a sampled row and its direct computation. */
    static final double TOLERANCE = 1e-9;

    private static final int RANDOM_ROWS = 4;

    private LongSequenceBackwardCheck() {}

    public static void main(String[] args) {
        int tokens;
        int depth;
        try {
            if (args.length > 2) {
                throw new IllegalArgumentException("too many arguments");
            }
            tokens = args.length > 0 ? Integer.parseInt(args[0]) : 32768;
            depth = args.length > 1 ? Integer.parseInt(args[1]) : 64;
            if (tokens < 1 || depth < 1) {
                throw new IllegalArgumentException("tokens and depth must be positive");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("LongSequenceBackwardCheck: "
                    + (e instanceof NumberFormatException
                            ? "tokens and depth must be integers, got " + String.join(" ", args)
                            : e.getMessage()));
            System.err.println("usage: java -Xmx512m [--add-modules jdk.incubator.vector] -cp benchmarks.jar "
                    + "dev.heed.benchmarks.LongSequenceBackwardCheck [tokens (32768) [depth (64)]]");
            System.exit(2);
            return;
        }
        System.exit(run(tokens, depth) ? 0 : 1);
    }

    /** Runs the check and prints its report; whether every sampled value was right. */
    static boolean run(int tokens, int depth) {
        Tensor q = Tensor.random(1).normal(1, tokens, depth);
        Tensor k = Tensor.random(2).normal(1, tokens, depth);
        Tensor v = Tensor.random(3).normal(1, tokens, depth);
        Tensor dO = Tensor.random(4).normal(1, tokens, depth);
        ChunkedAttention attention = new ChunkedAttention();
        System.out.printf(
                Locale.ROOT,
                "LongSequenceBackwardCheck: [1, %d, %d] causal, %s, kernels=%s, "
                        + "%d processors, max heap %s (weights would need %s)%n",
                tokens,
                depth,
                attention,
                Checks.kernels(),
                Runtime.getRuntime().availableProcessors(),
                mib(Runtime.getRuntime().maxMemory()),
                mib(8.0 * tokens * tokens));

        long start = System.nanoTime();
        AttentionResult forward = attention.apply(q, k, v, Mask.causal());
        long middle = System.nanoTime();
        AttentionGradients g = attention.backward(q, k, v, Mask.causal(), forward, dO);
        long end = System.nanoTime();
        long peak = peakHeapUsed();

        Problem p = new Problem(tokens, depth, q, k, v, dO, forward, g);
        TreeSet<Integer> rows = new TreeSet<>(Arrays.asList(0, Math.min(1, tokens - 1), tokens / 2, tokens - 1));
        Random random = new Random(42);
        for (int r = 0; r < RANDOM_ROWS; r++) {
            rows.add(random.nextInt(tokens));
        }
        double forwardError = 0;
        double queryError = 0;
        double keyValueError = 0;
        for (int i : rows) {
            forwardError = worst(forwardError, p.forwardError(i));
            queryError = worst(queryError, p.gradQueryError(i));
            keyValueError = worst(keyValueError, p.gradKeyValueError(i));
        }
        boolean ok = forwardError <= TOLERANCE && queryError <= TOLERANCE && keyValueError <= TOLERANCE;
        double forwardSeconds = (middle - start) / 1e9;
        double backwardSeconds = (end - middle) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "  forward %.2f s, backward %.2f s (%.2f× the forward), one call each, " + "JIT warm-up included%n",
                forwardSeconds,
                backwardSeconds,
                backwardSeconds / forwardSeconds);
        System.out.printf(
                Locale.ROOT,
                "  rows and keys checked %s: max |error| output and logSumExp %.3g, dQ %.3g, "
                        + "dK and dV %.3g (tolerance %.0e)%n",
                rows,
                forwardError,
                queryError,
                keyValueError,
                TOLERANCE);
        System.out.printf(
                Locale.ROOT,
                "  heap: peak used %s (inputs, gradients and garbage not yet collected) " + "of max %s%n",
                mib(peak),
                mib(Runtime.getRuntime().maxMemory()));
        System.out.println(ok ? "OK" : "FAILED: sampled values differ from the direct computation");
        return ok;
    }

    private static double worst(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
    }

    /** The inputs and results as row-major arrays, and the direct computations they are checked with. */
    private static final class Problem {
        final int n;
        final int d;
        final double scale;
        final double[] q;
        final double[] k;
        final double[] v;
        final double[] dO;
        final double[] out;
        final double[] lse;
        final double[] dq;
        final double[] dk;
        final double[] dv;

        Problem(int n, int d, Tensor q, Tensor k, Tensor v, Tensor dO, AttentionResult forward, AttentionGradients g) {
            this.n = n;
            this.d = d;
            this.scale = 1 / Math.sqrt(d);
            this.q = rowMajor(q);
            this.k = rowMajor(k);
            this.v = rowMajor(v);
            this.dO = rowMajor(dO);
            this.out = rowMajor(forward.output());
            this.lse = rowMajor(forward.logSumExp());
            this.dq = rowMajor(g.query());
            this.dk = rowMajor(g.key());
            this.dv = rowMajor(g.value());
        }

        double score(int i, int j) {
            double s = 0;
            for (int c = 0; c < d; c++) {
                s += q[i * d + c] * k[j * d + c];
            }
            return scale * s;
        }

        double dot(double[] a, int i, double[] b, int j) {
            double s = 0;
            for (int c = 0; c < d; c++) {
                s += a[i * d + c] * b[j * d + c];
            }
            return s;
        }

        /** Weights of query i over keys j <= i, by the stable softmax; their log-sum-exp in the last slot. */
        double[] weights(int i) {
            double[] p = new double[i + 2];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) {
                p[j] = score(i, j);
                max = Math.max(max, p[j]);
            }
            double sum = 0;
            for (int j = 0; j <= i; j++) {
                p[j] = Math.exp(p[j] - max);
                sum += p[j];
            }
            for (int j = 0; j <= i; j++) {
                p[j] /= sum;
            }
            p[i + 1] = max + Math.log(sum);
            return p;
        }

        double forwardError(int i) {
            double[] expected = Checks.referenceRow(q, k, v, 0, i, n, n, d, d, i + 1, scale);
            double err = Checks.maxDifference(expected, out, i * d);
            return worst(err, Math.abs(weights(i)[i + 1] - lse[i]));
        }

        double gradQueryError(int i) {
            double[] p = weights(i);
            double[] dp = new double[i + 1];
            double delta = 0;
            for (int j = 0; j <= i; j++) {
                dp[j] = dot(dO, i, v, j);
                delta += p[j] * dp[j];
            }
            double[] expected = new double[d];
            for (int j = 0; j <= i; j++) {
                double ds = p[j] * (dp[j] - delta);
                for (int c = 0; c < d; c++) {
                    expected[c] += scale * ds * k[j * d + c];
                }
            }
            return Checks.maxDifference(expected, dq, i * d);
        }

        double gradKeyValueError(int j) {
            double[] expectedK = new double[d];
            double[] expectedV = new double[d];
            for (int i = j; i < n; i++) {
                double p = Math.exp(score(i, j) - lse[i]);
                double delta = dot(dO, i, out, i);
                double ds = p * (dot(dO, i, v, j) - delta);
                for (int c = 0; c < d; c++) {
                    expectedV[c] += p * dO[i * d + c];
                    expectedK[c] += scale * ds * q[i * d + c];
                }
            }
            return worst(Checks.maxDifference(expectedK, dk, j * d), Checks.maxDifference(expectedV, dv, j * d));
        }
    }

    /** The elements in row-major order: the backing array if it is exactly that, else a copy. */
    private static double[] rowMajor(Tensor t) {
        return t.isContiguous() && t.offset() == 0 && t.data().length == t.size() ? t.data() : t.toArray();
    }

    /** Sum over the heap pools of their peak usage (an upper bound on the peak of the heap as a whole). */
    private static long peakHeapUsed() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }

    private static String mib(double bytes) {
        return String.format(Locale.ROOT, "%.0f MiB", bytes / (1 << 20));
    }
}
