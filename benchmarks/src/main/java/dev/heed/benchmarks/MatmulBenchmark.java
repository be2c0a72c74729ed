package dev.heed.benchmarks;

import dev.heed.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * {@link Tensor#matmul} of two square {@code [size, size]} matrices of seeded standard-normal
 * numbers, on Heed's scalar kernels ({@code matmulScalar}) and its Vector API kernels
 * ({@code matmulVector}, forks started with {@code --add-modules=jdk.incubator.vector}). Average
 * time per call in milliseconds; GFLOP/s = {@code 2·size³ / (ms · 1e6)}, the dgemm count.
 *
 * <p>{@code size} defaults to 256, 1024 and 2048; odd sizes ({@code -p size=1000,1023}) exercise the
 * kernels' edges. {@code matmul} takes no thread count: it uses Heed's default parallelism, the
 * system property {@code dev.heed.parallelism} or else the processor count, so
 * {@code -jvmArgsAppend -Ddev.heed.parallelism=1} measures one thread.
 *
 * <p>{@link #setup} checks, once per trial, that the fork runs the kernel path the method's name
 * claims, and that the product matches direct dot products at the four corners, the centre and a
 * few seeded random entries to a relative {@value #RELATIVE_TOLERANCE}; otherwise it throws.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MatmulBenchmark {
    /** Largest difference allowed, relative to Σ|a_ip·b_pj| of the entry checked. */
    static final double RELATIVE_TOLERANCE = 1e-12;

    /** Rows and columns of both operands. */
    @Param({"256", "1024", "2048"})
    public int size;

    private Tensor a;
    private Tensor b;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        Checks.requireKernelPath(params.getBenchmark());
        if (size < 1) {
            throw new IllegalArgumentException("size must be positive, got " + size);
        }
        a = Tensor.random(11).normal(size, size);
        b = Tensor.random(12).normal(size, size);
        double[] c = a.matmul(b).toArray();
        double[] x = a.toArray();
        double[] y = b.toArray();
        java.util.Random random = new java.util.Random(42);
        int last = size - 1;
        int[][] entries = {
            {0, 0},
            {0, last},
            {last, 0},
            {last, last},
            {size / 2, size / 2},
            {random.nextInt(size), random.nextInt(size)},
            {random.nextInt(size), random.nextInt(size)},
            {random.nextInt(size), random.nextInt(size)},
            {random.nextInt(size), random.nextInt(size)}
        };
        for (int[] e : entries) {
            int i = e[0];
            int j = e[1];
            double dot = 0;
            double magnitude = 0;
            for (int p = 0; p < size; p++) {
                double t = x[i * size + p] * y[p * size + j];
                dot += t;
                magnitude += Math.abs(t);
            }
            double diff = Math.abs(c[i * size + j] - dot);
            if (!(diff <= RELATIVE_TOLERANCE * magnitude)) {
                throw new IllegalStateException(params.getBenchmark() + " is wrong: C[" + i + "][" + j + "] = "
                        + c[i * size + j] + ", a direct dot product gives " + dot + " (size=" + size + ", kernels="
                        + Checks.kernels() + ")");
            }
        }
    }

    /** Scalar kernels. */
    @Benchmark
    public Tensor matmulScalar() {
        return a.matmul(b);
    }

    /** Vector API kernels. */
    @Benchmark
    @Fork(value = 1, jvmArgsPrepend = Checks.VECTOR_FLAG)
    public Tensor matmulVector() {
        return a.matmul(b);
    }
}
