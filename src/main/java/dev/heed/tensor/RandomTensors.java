package dev.heed.tensor;

import java.util.Random;

/**
 * A seeded generator of random tensors, made by {@link Tensor#random(long)}. Keeping the seed out
 * of the shape's argument list is deliberate: {@code Tensor.random(1).normal(3, 4)} cannot be read
 * as a {@code [1, 3, 4]} tensor.
 *
 * <p>Samples come from {@link Random}, whose algorithm the Java specification fixes, so a given
 * seed gives the same tensors on every JVM (not the values NumPy or PyTorch draw for that seed).
 * Each call draws the next samples from the same stream, like NumPy's {@code Generator}: a fresh
 * generator per call repeats its tensor, one generator used for several tensors gives different
 * ones. Not thread-safe: share one generator between threads only with external locking.
 */
public final class RandomTensors {
    private final Random random;

    RandomTensors(long seed) {
        this.random = new Random(seed);
    }

    /**
     * A new row-major tensor of standard normal samples ({@link Random#nextGaussian()}).
     *
     * @param shape the shape; each extent {@code >= 0}
     * @return a new tensor
     * @throws IllegalArgumentException if an extent is negative or the size exceeds {@code 2^31 - 1}
     */
    public Tensor normal(int... shape) {
        int[] s = shape.clone();
        double[] d = new double[Shapes.checkedSize(s)];
        for (int i = 0; i < d.length; i++) {
            d[i] = random.nextGaussian();
        }
        return Tensor.of(d, s);
    }

    /**
     * A new row-major tensor of samples uniform in {@code [low, high)}.
     *
     * @param low   the inclusive lower bound, finite
     * @param high  the exclusive upper bound, finite, {@code >= low}
     * @param shape the shape; each extent {@code >= 0}
     * @return a new tensor
     * @throws IllegalArgumentException unless {@code low <= high}, both finite, or for a bad shape
     */
    public Tensor uniform(double low, double high, int... shape) {
        if (!(low <= high) || Double.isInfinite(low) || Double.isInfinite(high)) {
            throw new IllegalArgumentException("uniform needs finite low <= high, got [" + low + ", " + high + ")");
        }
        int[] s = shape.clone();
        double[] d = new double[Shapes.checkedSize(s)];
        for (int i = 0; i < d.length; i++) {
            d[i] = low + (high - low) * random.nextDouble();
        }
        return Tensor.of(d, s);
    }
}
