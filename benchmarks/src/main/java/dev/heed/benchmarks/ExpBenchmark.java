package dev.heed.benchmarks;

import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The exponential of the attention kernels, in <b>ns per element</b> on one thread: a row of
 * {@value #ELEMENTS} scores in [−30, 0] (what softmax feeds it) through the kernels' own
 * {@code expShiftSum} — {@code heedVector} on the Vector API kernels (fork with
 * {@code --add-modules=jdk.incubator.vector}), {@code heedScalar} on the scalar ones — against
 * {@code Math.exp} ({@code mathExp}, a C2 intrinsic) and {@code StrictMath.exp} ({@code strictMathExp}).
 * Each call first copies the row back (the kernels work in place), the same for every method: about
 * 0.03 ns per element.
 *
 * <p>Run it per vector width to find operations the JIT does not intrinsify at that width (a
 * fallback to Java costs tens of ns per element):
 * {@code -jvmArgsAppend -XX:MaxVectorSize=16} (128-bit), {@code -jvmArgsAppend -XX:UseAVX=2}
 * (256-bit on an AVX-512 machine). The dev.heed.internal package is reachable here because the
 * benchmark jar runs on the class path.
 *
 * <p>{@link #setup} checks once per trial that the fork runs the kernels its name says and that the
 * measured function is within one ulp of {@code StrictMath.exp} on the whole row.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ExpBenchmark {
    /** Elements per call. */
    static final int ELEMENTS = 1024;

    private final double[] row = new double[ELEMENTS];
    private final double[] work = new double[ELEMENTS];
    private KernelSupport kernels;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        Checks.requireKernelPath(params.getBenchmark());
        kernels = VectorizationProvider.support();
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < ELEMENTS; i++) {
            row[i] = random.nextDouble(-30, 0);
        }
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        if (method.startsWith("heed")) {
            heedScalar();
        } else if (method.equals("mathExp")) {
            mathExp();
        } else {
            strictMathExp();
        }
        double[] got = work;
        for (int i = 0; i < ELEMENTS; i++) {
            double expected = StrictMath.exp(row[i]);
            if (Math.abs(Double.doubleToLongBits(got[i]) - Double.doubleToLongBits(expected)) > 1) {
                throw new IllegalStateException(params.getBenchmark() + " is wrong: exp(" + row[i] + ") gave " + got[i]
                        + ", StrictMath.exp " + expected + " (kernels " + kernels.name() + ")");
            }
        }
    }

    /** Heed's Vector API exponential. */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    @OperationsPerInvocation(ELEMENTS)
    public double heedVector() {
        System.arraycopy(row, 0, work, 0, ELEMENTS);
        return kernels.expShiftSum(work, 0, ELEMENTS, 0.0);
    }

    /** Heed's scalar exponential (the same steps as the vector lanes, one element at a time). */
    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public double heedScalar() {
        System.arraycopy(row, 0, work, 0, ELEMENTS);
        return kernels.expShiftSum(work, 0, ELEMENTS, 0.0);
    }

    /** {@code Math.exp}, which C2 replaces by its own intrinsic. */
    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public double mathExp() {
        System.arraycopy(row, 0, work, 0, ELEMENTS);
        double s = 0;
        for (int i = 0; i < ELEMENTS; i++) {
            double e = Math.exp(work[i]);
            work[i] = e;
            s += e;
        }
        return s;
    }

    /** {@code StrictMath.exp}, fdlibm's algorithm in Java. */
    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public double strictMathExp() {
        System.arraycopy(row, 0, work, 0, ELEMENTS);
        double s = 0;
        for (int i = 0; i < ELEMENTS; i++) {
            double e = StrictMath.exp(work[i]);
            work[i] = e;
            s += e;
        }
        return s;
    }

    /**
     * The same four functions without JMH, timed by this thread's CPU time, which a machine shared
     * with other work does not inflate the way it inflates wall time: after two seconds of warm-up
     * each, the best of {@code rounds} (default 30) rounds of about 20 ms of CPU. Prints one line per
     * function, in ns per element, and the kernels of this JVM ({@code heed} is the Vector API
     * exponential when the JVM has {@code --add-modules jdk.incubator.vector}, else the scalar one).
     *
     * @param args {@code [rounds]}
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        ExpBenchmark b = new ExpBenchmark();
        b.kernels = VectorizationProvider.support();
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < ELEMENTS; i++) {
            b.row[i] = random.nextDouble(-30, 0);
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        String[] names = {"heed (" + b.kernels.name() + ")", "heed scalar twin", "Math.exp", "StrictMath.exp"};
        KernelSupport scalar = VectorizationProvider.scalar();
        double sink = 0;
        for (int f = 0; f < names.length; f++) {
            double best = Double.MAX_VALUE;
            for (int round = -100; round < rounds; round++) {
                long begin = threads.getCurrentThreadCpuTime();
                long calls = 0;
                long elapsed;
                do {
                    for (int k = 0; k < 64; k++) {
                        if (f == 0) {
                            sink += b.heedVector();
                        } else if (f == 1) {
                            System.arraycopy(b.row, 0, b.work, 0, ELEMENTS);
                            sink += scalar.expShiftSum(b.work, 0, ELEMENTS, 0.0);
                        } else if (f == 2) {
                            sink += b.mathExp();
                        } else {
                            sink += b.strictMathExp();
                        }
                    }
                    calls += 64;
                    elapsed = threads.getCurrentThreadCpuTime() - begin;
                } while (elapsed < 20_000_000L);
                if (round >= 0) {
                    best = Math.min(best, (double) elapsed / (calls * ELEMENTS));
                }
            }
            System.out.printf(Locale.ROOT, "%-28s %6.3f ns/element%n", names[f], best);
        }
        System.out.println(sink > 0 ? "" : "?");
    }
}
