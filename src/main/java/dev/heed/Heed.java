package dev.heed;

import dev.heed.internal.Parallel;
import dev.heed.internal.vector.VectorizationProvider;

/**
 * Facts about the Heed library as it runs in this JVM.
 *
 * <p>Which kernels run is decided once, when Heed is first used: the Vector API kernels when the
 * JVM was started with {@code --add-modules jdk.incubator.vector} (and {@code -Ddev.heed.vector}
 * is not {@code false}), the scalar kernels otherwise. The choice is also logged through
 * {@code java.util.logging} at level {@code FINE} under the logger
 * {@code dev.heed.internal.vector.VectorizationProvider}, which a default JVM does not print.
 */
public final class Heed {
    private Heed() {}

    /**
     * The kernels this JVM runs.
     *
     * @return the same description on every call
     */
    public static KernelInfo kernels() {
        return KernelInfo.CURRENT;
    }

    /**
     * Which kernels run in this JVM: the path, the vector width and the default thread count.
     * Immutable; two instances are equal when every component is.
     *
     * @param vectorApi   whether the Vector API kernels run (false: the scalar kernels)
     * @param vectorBits  bits of one vector register the kernels use: 128, 256 or 512 on the Vector
     *                    API path (the JVM's preferred width, narrowed by {@code -XX:MaxVectorSize}
     *                    or {@code -XX:UseAVX}), 64 on the scalar path (one double)
     * @param parallelism the number of threads a kernel call uses unless the caller bounds it
     *                    ({@code -Ddev.heed.parallelism}, else the common pool's parallelism)
     */
    public record KernelInfo(boolean vectorApi, int vectorBits, int parallelism) {
        static final KernelInfo CURRENT = new KernelInfo(
                VectorizationProvider.vector().isPresent(),
                VectorizationProvider.support().vectorBits(),
                Parallel.defaultParallelism());

        /**
         * Doubles per vector: {@code vectorBits / 64}, 1 on the scalar path.
         *
         * @return the number of lanes
         */
        public int doubleLanes() {
            return vectorBits / Double.SIZE;
        }

        /**
         * A short name: {@code "scalar"}, or {@code "vector-256"} and the like.
         *
         * @return the name benchmarks and the tour print
         */
        public String name() {
            return vectorApi ? "vector-" + vectorBits : "scalar";
        }

        /**
         * The name, the lanes and the parallelism, e.g. {@code "vector-512 (8 doubles per vector), 2 threads"}.
         *
         * @return a one-line description
         */
        @Override
        public String toString() {
            return name() + " (" + doubleLanes() + (doubleLanes() == 1 ? " double" : " doubles") + " per vector), "
                    + parallelism + (parallelism == 1 ? " thread" : " threads");
        }
    }
}
