package dev.heed.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The machine's float64 fused-multiply-add peak as Java reaches it: {@value #CHAINS} independent
 * chains {@code c = c·a + b} of {@code DoubleVector}s, on every thread at once. The score is in
 * ops/ns = <b>GFLOP/s</b>, summed over the threads (2 flops per lane per FMA), the ceiling every
 * kernel's rate is compared with ({@code numpy_peer.py}'s "% of peak").
 *
 * <p>Methods: {@code preferred} at the JVM's preferred width ({@code DoubleVector.SPECIES_PREFERRED},
 * which {@code -XX:MaxVectorSize=16} or {@code -XX:UseAVX=2} narrow, as they narrow Heed's kernels),
 * {@code bits128}, {@code bits256}, {@code bits512} at a fixed width, and {@code scalar}
 * ({@code Math.fma} on doubles). A fixed width wider than the preferred one is not measured: the
 * Vector API runs it in plain Java, hundreds of times slower, so its trial stops with an error
 * (select the others with a regex, e.g. {@code 'PeakBenchmark.(preferred|scalar)'}). Every fork
 * gets {@code --add-modules=jdk.incubator.vector}; {@code -t 1} measures one thread.
 *
 * <p>Why {@value #CHAINS} chains: an FMA unit starts one FMA per cycle but each takes about 4
 * cycles (Zen 3–5, Skylake and later), and x86 cores have two such units, so at least 8 chains must
 * be in flight; 12 leave slack and still fit AVX2's 16 registers with {@code a} and {@code b}. Each
 * method spells its loop out with a constant species (a species passed to a helper is a constant only
 * if C2 inlines the helper, and the vector operations are intrinsified only then). The
 * chains start at different values so that C2 cannot merge them, the loop counts are constants,
 * {@code a} and {@code b} are read from fields (not folded), and the lanes are summed into the
 * result (stored to an array) so nothing is dead. {@code a·c + b} with {@code a} just below 1 converges to {@code b/(1−a)}:
 * no overflow, no subnormals. Cross-check: the theoretical peak is FMA units × lanes × 2 × GHz ×
 * cores (Zen 4 executes a 512-bit FMA as two 256-bit halves, so its 512- and 256-bit peaks are
 * equal); a score far below it would mean the loop is not compiled to packed {@code vfmadd}s.
 *
 * <p>{@code main} prints the preferred width, Heed's kernels in this JVM and the one-core peaks
 * (vector and scalar) timed by CPU time, without JMH; {@code numpy_peer.py} uses it for the width.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(Threads.MAX)
public class PeakBenchmark {
    /** Independent FMA chains per loop iteration. */
    static final int CHAINS = 12;
    /** Flops per call of every method: 2 per lane per FMA, divisible by every width's lanes. */
    static final int FLOPS = CHAINS * 2 * 8 * 4096;

    static final VectorSpecies<Double> PREFERRED = DoubleVector.SPECIES_PREFERRED;

    static final int PREFERRED_LANES = PREFERRED.length();

    /** Read in each call so that C2 cannot fold the chains. */
    double multiplier = 1 - 0x1p-20;

    double addend = 0x1p-21;
    /** Each chain's start: all different, so that no two chains are the same computation. */
    double[] start = new double[CHAINS];
    /**
     * Receives the chains' sum, so nothing is dead. Not {@code lane(0)}: C2 (JDK 17) sometimes leaves
     * its helper out of line when a call is rare, and then keeps every chain boxed on the heap through
     * the loop — measured at 128 bits, 12 bytes allocated per flop and 100 times slower.
     */
    double[] out = new double[8];

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        for (int i = 0; i < CHAINS; i++) {
            start[i] = 0.25 + i / 64.0;
        }
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        if (method.startsWith("bits") && Integer.parseInt(method.substring(4)) > PREFERRED.vectorBitSize()) {
            throw new IllegalStateException(method + " is wider than this JVM's preferred " + PREFERRED.vectorBitSize()
                    + "-bit vectors, which the Vector API would emulate in plain Java: select the narrower methods, "
                    + "e.g. 'PeakBenchmark.(preferred|scalar|bits128)'");
        }
        if (FLOPS % (CHAINS * 2 * PREFERRED.length()) != 0) {
            throw new IllegalStateException("PREFERRED has " + PREFERRED.length() + " lanes, which do not divide "
                    + FLOPS + " flops into whole iterations");
        }
    }

    /** The preferred width: what Heed's kernels use in this JVM. */
    @Benchmark
    @OperationsPerInvocation(FLOPS)
    public double preferred() {
        DoubleVector a = DoubleVector.broadcast(PREFERRED, multiplier);
        DoubleVector b = DoubleVector.broadcast(PREFERRED, addend);
        DoubleVector c0 = DoubleVector.broadcast(PREFERRED, start[0]);
        DoubleVector c1 = DoubleVector.broadcast(PREFERRED, start[1]);
        DoubleVector c2 = DoubleVector.broadcast(PREFERRED, start[2]);
        DoubleVector c3 = DoubleVector.broadcast(PREFERRED, start[3]);
        DoubleVector c4 = DoubleVector.broadcast(PREFERRED, start[4]);
        DoubleVector c5 = DoubleVector.broadcast(PREFERRED, start[5]);
        DoubleVector c6 = DoubleVector.broadcast(PREFERRED, start[6]);
        DoubleVector c7 = DoubleVector.broadcast(PREFERRED, start[7]);
        DoubleVector c8 = DoubleVector.broadcast(PREFERRED, start[8]);
        DoubleVector c9 = DoubleVector.broadcast(PREFERRED, start[9]);
        DoubleVector c10 = DoubleVector.broadcast(PREFERRED, start[10]);
        DoubleVector c11 = DoubleVector.broadcast(PREFERRED, start[11]);
        for (int i = 0; i < FLOPS / (CHAINS * 2 * PREFERRED_LANES); i++) {
            c0 = c0.fma(a, b);
            c1 = c1.fma(a, b);
            c2 = c2.fma(a, b);
            c3 = c3.fma(a, b);
            c4 = c4.fma(a, b);
            c5 = c5.fma(a, b);
            c6 = c6.fma(a, b);
            c7 = c7.fma(a, b);
            c8 = c8.fma(a, b);
            c9 = c9.fma(a, b);
            c10 = c10.fma(a, b);
            c11 = c11.fma(a, b);
        }
        c0.add(c1)
                .add(c2.add(c3))
                .add(c4.add(c5).add(c6.add(c7)))
                .add(c8.add(c9).add(c10.add(c11)))
                .intoArray(out, 0);
        return out[0];
    }

    /** 128-bit vectors, 2 lanes (SSE, NEON). */
    @Benchmark
    @OperationsPerInvocation(FLOPS)
    public double bits128() {
        DoubleVector a = DoubleVector.broadcast(DoubleVector.SPECIES_128, multiplier);
        DoubleVector b = DoubleVector.broadcast(DoubleVector.SPECIES_128, addend);
        DoubleVector c0 = DoubleVector.broadcast(DoubleVector.SPECIES_128, start[0]);
        DoubleVector c1 = DoubleVector.broadcast(DoubleVector.SPECIES_128, start[1]);
        DoubleVector c2 = DoubleVector.broadcast(DoubleVector.SPECIES_128, start[2]);
        DoubleVector c3 = DoubleVector.broadcast(DoubleVector.SPECIES_128, start[3]);
        DoubleVector c4 = DoubleVector.broadcast(DoubleVector.SPECIES_128, start[4]);
        DoubleVector c5 = DoubleVector.broadcast(DoubleVector.SPECIES_128, start[5]);
        DoubleVector c6 = DoubleVector.broadcast(DoubleVector.SPECIES_128, start[6]);
        DoubleVector c7 = DoubleVector.broadcast(DoubleVector.SPECIES_128, start[7]);
        DoubleVector c8 = DoubleVector.broadcast(DoubleVector.SPECIES_128, start[8]);
        DoubleVector c9 = DoubleVector.broadcast(DoubleVector.SPECIES_128, start[9]);
        DoubleVector c10 = DoubleVector.broadcast(DoubleVector.SPECIES_128, start[10]);
        DoubleVector c11 = DoubleVector.broadcast(DoubleVector.SPECIES_128, start[11]);
        for (int i = 0; i < FLOPS / (CHAINS * 2 * 2); i++) {
            c0 = c0.fma(a, b);
            c1 = c1.fma(a, b);
            c2 = c2.fma(a, b);
            c3 = c3.fma(a, b);
            c4 = c4.fma(a, b);
            c5 = c5.fma(a, b);
            c6 = c6.fma(a, b);
            c7 = c7.fma(a, b);
            c8 = c8.fma(a, b);
            c9 = c9.fma(a, b);
            c10 = c10.fma(a, b);
            c11 = c11.fma(a, b);
        }
        c0.add(c1)
                .add(c2.add(c3))
                .add(c4.add(c5).add(c6.add(c7)))
                .add(c8.add(c9).add(c10.add(c11)))
                .intoArray(out, 0);
        return out[0];
    }

    /** 256-bit vectors, 4 lanes (AVX2). */
    @Benchmark
    @OperationsPerInvocation(FLOPS)
    public double bits256() {
        DoubleVector a = DoubleVector.broadcast(DoubleVector.SPECIES_256, multiplier);
        DoubleVector b = DoubleVector.broadcast(DoubleVector.SPECIES_256, addend);
        DoubleVector c0 = DoubleVector.broadcast(DoubleVector.SPECIES_256, start[0]);
        DoubleVector c1 = DoubleVector.broadcast(DoubleVector.SPECIES_256, start[1]);
        DoubleVector c2 = DoubleVector.broadcast(DoubleVector.SPECIES_256, start[2]);
        DoubleVector c3 = DoubleVector.broadcast(DoubleVector.SPECIES_256, start[3]);
        DoubleVector c4 = DoubleVector.broadcast(DoubleVector.SPECIES_256, start[4]);
        DoubleVector c5 = DoubleVector.broadcast(DoubleVector.SPECIES_256, start[5]);
        DoubleVector c6 = DoubleVector.broadcast(DoubleVector.SPECIES_256, start[6]);
        DoubleVector c7 = DoubleVector.broadcast(DoubleVector.SPECIES_256, start[7]);
        DoubleVector c8 = DoubleVector.broadcast(DoubleVector.SPECIES_256, start[8]);
        DoubleVector c9 = DoubleVector.broadcast(DoubleVector.SPECIES_256, start[9]);
        DoubleVector c10 = DoubleVector.broadcast(DoubleVector.SPECIES_256, start[10]);
        DoubleVector c11 = DoubleVector.broadcast(DoubleVector.SPECIES_256, start[11]);
        for (int i = 0; i < FLOPS / (CHAINS * 2 * 4); i++) {
            c0 = c0.fma(a, b);
            c1 = c1.fma(a, b);
            c2 = c2.fma(a, b);
            c3 = c3.fma(a, b);
            c4 = c4.fma(a, b);
            c5 = c5.fma(a, b);
            c6 = c6.fma(a, b);
            c7 = c7.fma(a, b);
            c8 = c8.fma(a, b);
            c9 = c9.fma(a, b);
            c10 = c10.fma(a, b);
            c11 = c11.fma(a, b);
        }
        c0.add(c1)
                .add(c2.add(c3))
                .add(c4.add(c5).add(c6.add(c7)))
                .add(c8.add(c9).add(c10.add(c11)))
                .intoArray(out, 0);
        return out[0];
    }

    /** 512-bit vectors, 8 lanes (AVX-512). */
    @Benchmark
    @OperationsPerInvocation(FLOPS)
    public double bits512() {
        DoubleVector a = DoubleVector.broadcast(DoubleVector.SPECIES_512, multiplier);
        DoubleVector b = DoubleVector.broadcast(DoubleVector.SPECIES_512, addend);
        DoubleVector c0 = DoubleVector.broadcast(DoubleVector.SPECIES_512, start[0]);
        DoubleVector c1 = DoubleVector.broadcast(DoubleVector.SPECIES_512, start[1]);
        DoubleVector c2 = DoubleVector.broadcast(DoubleVector.SPECIES_512, start[2]);
        DoubleVector c3 = DoubleVector.broadcast(DoubleVector.SPECIES_512, start[3]);
        DoubleVector c4 = DoubleVector.broadcast(DoubleVector.SPECIES_512, start[4]);
        DoubleVector c5 = DoubleVector.broadcast(DoubleVector.SPECIES_512, start[5]);
        DoubleVector c6 = DoubleVector.broadcast(DoubleVector.SPECIES_512, start[6]);
        DoubleVector c7 = DoubleVector.broadcast(DoubleVector.SPECIES_512, start[7]);
        DoubleVector c8 = DoubleVector.broadcast(DoubleVector.SPECIES_512, start[8]);
        DoubleVector c9 = DoubleVector.broadcast(DoubleVector.SPECIES_512, start[9]);
        DoubleVector c10 = DoubleVector.broadcast(DoubleVector.SPECIES_512, start[10]);
        DoubleVector c11 = DoubleVector.broadcast(DoubleVector.SPECIES_512, start[11]);
        for (int i = 0; i < FLOPS / (CHAINS * 2 * 8); i++) {
            c0 = c0.fma(a, b);
            c1 = c1.fma(a, b);
            c2 = c2.fma(a, b);
            c3 = c3.fma(a, b);
            c4 = c4.fma(a, b);
            c5 = c5.fma(a, b);
            c6 = c6.fma(a, b);
            c7 = c7.fma(a, b);
            c8 = c8.fma(a, b);
            c9 = c9.fma(a, b);
            c10 = c10.fma(a, b);
            c11 = c11.fma(a, b);
        }
        c0.add(c1)
                .add(c2.add(c3))
                .add(c4.add(c5).add(c6.add(c7)))
                .add(c8.add(c9).add(c10.add(c11)))
                .intoArray(out, 0);
        return out[0];
    }

    /** {@code Math.fma} on doubles: one lane, the scalar kernels' ceiling. */
    @Benchmark
    @OperationsPerInvocation(FLOPS)
    public double scalar() {
        double a = multiplier;
        double b = addend;
        double c0 = start[0];
        double c1 = start[1];
        double c2 = start[2];
        double c3 = start[3];
        double c4 = start[4];
        double c5 = start[5];
        double c6 = start[6];
        double c7 = start[7];
        double c8 = start[8];
        double c9 = start[9];
        double c10 = start[10];
        double c11 = start[11];
        for (int i = 0; i < FLOPS / (CHAINS * 2); i++) {
            c0 = Math.fma(c0, a, b);
            c1 = Math.fma(c1, a, b);
            c2 = Math.fma(c2, a, b);
            c3 = Math.fma(c3, a, b);
            c4 = Math.fma(c4, a, b);
            c5 = Math.fma(c5, a, b);
            c6 = Math.fma(c6, a, b);
            c7 = Math.fma(c7, a, b);
            c8 = Math.fma(c8, a, b);
            c9 = Math.fma(c9, a, b);
            c10 = Math.fma(c10, a, b);
            c11 = Math.fma(c11, a, b);
        }
        return ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
    }

    /**
     * Prints {@code preferredBits=… lanes=… kernels=… gflops=… scalarGflops=…}: the preferred vector
     * width, Heed's kernels in this JVM, and the one-core rates of {@link #preferred} and
     * {@link #scalar} timed by this thread's CPU time (the best of 20 rounds of 50 ms after 20 of
     * warm-up; no JMH). CPU time is what a shared machine does not inflate: the rate per core is
     * right even while other work takes turns on it, so times the cores it is the peak an idle
     * machine would show (if the clock stays the same on all cores). Run it with
     * {@code --add-modules jdk.incubator.vector} and the width flags to check.
     *
     * @param args none
     */
    public static void main(String[] args) {
        PeakBenchmark peak = new PeakBenchmark();
        for (int i = 0; i < CHAINS; i++) {
            peak.start[i] = 0.25 + i / 64.0;
        }
        double[] best = new double[2];
        double sink = 0;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (int which = 0; which < 2; which++) {
            for (int round = 0; round < 40; round++) {
                long begin = threads.getCurrentThreadCpuTime();
                long calls = 0;
                long elapsed;
                do {
                    sink += which == 0 ? peak.preferred() : peak.scalar();
                    calls++;
                    elapsed = threads.getCurrentThreadCpuTime() - begin;
                } while (elapsed < 50_000_000L);
                if (round >= 20) {
                    best[which] = Math.max(best[which], (double) calls * FLOPS / elapsed);
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "preferredBits=%d lanes=%d kernels=%s gflops=%.1f scalarGflops=%.1f sink=%s%n",
                PREFERRED.vectorBitSize(),
                PREFERRED.length(),
                Checks.kernels(),
                best[0],
                best[1],
                sink > 0 ? "ok" : "?");
    }
}
