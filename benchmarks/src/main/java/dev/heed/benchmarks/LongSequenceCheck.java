package dev.heed.benchmarks;

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
 * The long-sequence memory check of the performance issue: one head of 32,768 tokens, d = 64,
 * causal, through {@link ChunkedAttention} in a small heap. Run it with the heap bound:
 *
 * <pre>
 * java -Xmx256m --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *     dev.heed.benchmarks.LongSequenceCheck [tokens [depth]]
 * </pre>
 *
 * <p>It builds seeded q, k, v of shape {@code [1, tokens, depth]} (defaults 32768 and 64: 16 MB
 * each), runs {@code new ChunkedAttention().apply(q, k, v, Mask.causal())} once, and checks
 * sampled query rows — the first, the second, the middle, the last and a few seeded random ones —
 * against a direct double loop (stable softmax over the keys {@code j <= i}). It prints the kernel
 * path, the time, the largest error and the heap: the maximum and the peak used. The materialised
 * weights alone would be {@code 8·tokens²} bytes, 8 GiB at 32,768 tokens, so passing within
 * {@code -Xmx256m} shows the O(L) memory.
 *
 * <p>Exit status: 0 if every sampled row is within {@value #TOLERANCE}, 1 if one is not (or the
 * heap runs out: the JVM's own non-zero status), 2 on bad arguments.
 */
public final class LongSequenceCheck {
    /** Largest absolute difference allowed between a sampled output row and the direct computation. */
    static final double TOLERANCE = 1e-9;

    private static final int RANDOM_ROWS = 4;

    private LongSequenceCheck() {}

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
            System.err.println("LongSequenceCheck: "
                    + (e instanceof NumberFormatException
                            ? "tokens and depth must be integers, got " + String.join(" ", args)
                            : e.getMessage()));
            System.err.println("usage: java -Xmx256m [--add-modules jdk.incubator.vector] -cp benchmarks.jar "
                    + "dev.heed.benchmarks.LongSequenceCheck [tokens (32768) [depth (64)]]");
            System.exit(2);
            return;
        }
        System.exit(run(tokens, depth) ? 0 : 1);
    }

    /** Runs the check and prints its report; whether every sampled row was right. */
    static boolean run(int tokens, int depth) {
        Tensor q = Tensor.random(1).normal(1, tokens, depth);
        Tensor k = Tensor.random(2).normal(1, tokens, depth);
        Tensor v = Tensor.random(3).normal(1, tokens, depth);
        ChunkedAttention attention = new ChunkedAttention();
        System.out.printf(
                Locale.ROOT,
                "LongSequenceCheck: [1, %d, %d] causal, %s, kernels=%s, %d processors, "
                        + "max heap %s (weights would need %s)%n",
                tokens,
                depth,
                attention,
                Checks.kernels(),
                Runtime.getRuntime().availableProcessors(),
                mib(Runtime.getRuntime().maxMemory()),
                mib(8.0 * tokens * tokens));

        long start = System.nanoTime();
        Tensor out = attention.apply(q, k, v, Mask.causal()).output();
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = peakHeapUsed();
        double flops = 4.0 * depth * tokens * (tokens + 1) / 2;

        double[] qa = rowMajor(q);
        double[] ka = rowMajor(k);
        double[] va = rowMajor(v);
        double[] oa = rowMajor(out);
        TreeSet<Integer> rows = new TreeSet<>(Arrays.asList(0, Math.min(1, tokens - 1), tokens / 2, tokens - 1));
        Random random = new Random(42);
        for (int r = 0; r < RANDOM_ROWS; r++) {
            rows.add(random.nextInt(tokens));
        }
        double worst = 0;
        int worstRow = -1;
        double scale = 1 / Math.sqrt(depth);
        for (int i : rows) {
            double[] expected = Checks.referenceRow(qa, ka, va, 0, i, tokens, tokens, depth, depth, i + 1, scale);
            double diff = Checks.maxDifference(expected, oa, i * depth);
            if (!(diff <= worst)) {
                worst = diff;
                worstRow = i;
            }
        }
        boolean ok = worst <= TOLERANCE;
        System.out.printf(
                Locale.ROOT,
                "  time %.2f s (%.1f GFLOP/s, causal count 2·L(L+1)·d), one call, " + "JIT warm-up included%n",
                seconds,
                flops / seconds / 1e9);
        System.out.printf(
                Locale.ROOT,
                "  rows checked %s: max |error| %.3g%s (tolerance %.0e)%n",
                rows,
                worst,
                worstRow >= 0 ? " at row " + worstRow : "",
                TOLERANCE);
        System.out.printf(
                Locale.ROOT,
                "  heap: peak used %s (inputs, output and garbage not yet collected) " + "of max %s%n",
                mib(peak),
                mib(Runtime.getRuntime().maxMemory()));
        System.out.println(ok ? "OK" : "FAILED: sampled rows differ from the direct computation");
        return ok;
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
