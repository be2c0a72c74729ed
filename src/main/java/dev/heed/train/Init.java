package dev.heed.train;

import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;

/**
 * Seeded parameter initialisation, as {@code torch.nn.init}: the same distributions and bounds,
 * drawn from a {@link java.util.Random} in row-major order, so a seed gives the same tensor on
 * every JVM (not PyTorch's numbers for that seed). Pass {@code new Random(seed)} for one tensor,
 * or one {@code Random} for several to initialise a whole model from one seed.
 *
 * <p>Fans follow PyTorch: for a shape {@code [out, in, k…]} the fan-in is {@code in · Πk} and the
 * fan-out {@code out · Πk} (a {@code Linear} weight {@code [out, in]} has fan-in {@code in}).
 * Symmetric uniform samples are drawn as {@code (2u − 1)·bound}, as
 * {@link dev.heed.layers.Linear#seeded(int, int, boolean, Random)} draws them; other uniform
 * samples as {@code low + (high − low)·u}; normal ones as {@code mean + std·g} with {@code g} from
 * {@link Random#nextGaussian()}.
 */
public final class Init {
    private Init() {}

    /**
     * Samples uniform in {@code [low, high)}, as {@code nn.init.uniform_}.
     *
     * @param random modified: advanced by one draw per element
     * @param low    the lower bound, finite
     * @param high   the upper bound, finite, {@code >= low}
     * @param shape  the shape
     * @return a new row-major tensor
     * @throws IllegalArgumentException if {@code random} is null, the bounds are not finite with
     *                                  {@code low <= high}, or the shape is invalid
     */
    public static Tensor uniform(Random random, double low, double high, int... shape) {
        requireRandom(random);
        if (!(low <= high) || Double.isInfinite(low) || Double.isInfinite(high)) {
            throw new IllegalArgumentException("uniform needs finite low <= high, got [" + low + ", " + high + ")");
        }
        Tensor t = Tensor.zeros(shape);
        double[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = low + (high - low) * random.nextDouble();
        }
        return t;
    }

    /**
     * Normal samples, as {@code nn.init.normal_}.
     *
     * @param random modified: advanced by one Gaussian per element
     * @param mean   the mean, finite
     * @param std    the standard deviation, finite, {@code >= 0}
     * @param shape  the shape
     * @return a new row-major tensor
     * @throws IllegalArgumentException if {@code random} is null, {@code mean} is not finite,
     *                                  {@code std} is negative or not finite, or the shape is invalid
     */
    public static Tensor normal(Random random, double mean, double std, int... shape) {
        requireRandom(random);
        if (!Double.isFinite(mean) || !(std >= 0) || Double.isInfinite(std)) {
            throw new IllegalArgumentException(
                    "normal needs a finite mean and a finite std >= 0, got mean " + mean + ", std " + std);
        }
        Tensor t = Tensor.zeros(shape);
        double[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = mean + std * random.nextGaussian();
        }
        return t;
    }

    /**
     * Xavier/Glorot uniform, as {@code nn.init.xavier_uniform_}: uniform in {@code ±bound} with
     * {@code bound = gain · √(6 / (fanIn + fanOut))}.
     *
     * @param random modified: advanced by one draw per element
     * @param gain   the scaling factor (1 for linear or sigmoid layers, 5/3 for tanh)
     * @param shape  rank ≥ 2
     * @return a new row-major tensor
     * @throws IllegalArgumentException if {@code random} is null, {@code gain} is negative or not
     *                                  finite, or the shape has rank below 2
     */
    public static Tensor xavierUniform(Random random, double gain, int... shape) {
        requireRandom(random);
        requireGain(gain);
        double bound = gain * Math.sqrt(6.0 / (fanIn(shape) + fanOut(shape)));
        return symmetric(random, bound, shape);
    }

    /**
     * Xavier/Glorot normal, as {@code nn.init.xavier_normal_}: normal with mean 0 and
     * {@code std = gain · √(2 / (fanIn + fanOut))}.
     *
     * @param random modified: advanced by one Gaussian per element
     * @param gain   the scaling factor
     * @param shape  rank ≥ 2
     * @return a new row-major tensor
     * @throws IllegalArgumentException if {@code random} is null, {@code gain} is negative or not
     *                                  finite, or the shape has rank below 2
     */
    public static Tensor xavierNormal(Random random, double gain, int... shape) {
        requireRandom(random);
        requireGain(gain);
        double std = gain * Math.sqrt(2.0 / (fanIn(shape) + fanOut(shape)));
        return normal(random, 0, std, shape);
    }

    /**
     * Kaiming/He uniform over the fan-in for a leaky ReLU of negative slope {@code a}, as
     * {@code nn.init.kaiming_uniform_(a=a)}: uniform in {@code ±bound} with
     * {@code bound = √3 · gain / √fanIn} and {@code gain = √(2 / (1 + a²))}. {@code a = 0} suits
     * ReLU; {@code a = √5} gives {@code torch.nn.Linear}'s default weight, {@code ±1/√fanIn}.
     *
     * @param random modified: advanced by one draw per element
     * @param a      the negative slope, finite
     * @param shape  rank ≥ 2
     * @return a new row-major tensor
     * @throws IllegalArgumentException if {@code random} is null, {@code a} is not finite, or the
     *                                  shape has rank below 2 or a zero fan-in
     */
    public static Tensor kaimingUniform(Random random, double a, int... shape) {
        requireRandom(random);
        double std = kaimingStd(a, shape);
        return symmetric(random, Math.sqrt(3.0) * std, shape);
    }

    /**
     * Kaiming/He normal over the fan-in, as {@code nn.init.kaiming_normal_(a=a)}: normal with mean
     * 0 and {@code std = gain / √fanIn}, {@code gain = √(2 / (1 + a²))}.
     *
     * @param random modified: advanced by one Gaussian per element
     * @param a      the negative slope, finite
     * @param shape  rank ≥ 2
     * @return a new row-major tensor
     * @throws IllegalArgumentException if {@code random} is null, {@code a} is not finite, or the
     *                                  shape has rank below 2 or a zero fan-in
     */
    public static Tensor kaimingNormal(Random random, double a, int... shape) {
        requireRandom(random);
        return normal(random, 0, kaimingStd(a, shape), shape);
    }

    /**
     * The fan-in of a weight of {@code shape}: {@code shape[1]} times the product of the axes
     * after it.
     *
     * @param shape rank ≥ 2
     * @return the fan-in
     * @throws IllegalArgumentException if the rank is below 2, naming the shape
     */
    public static long fanIn(int... shape) {
        return (long) checkedRank(shape)[1] * receptiveField(shape);
    }

    /**
     * The fan-out of a weight of {@code shape}: {@code shape[0]} times the product of the axes
     * after the second.
     *
     * @param shape rank ≥ 2
     * @return the fan-out
     * @throws IllegalArgumentException if the rank is below 2, naming the shape
     */
    public static long fanOut(int... shape) {
        return (long) checkedRank(shape)[0] * receptiveField(shape);
    }

    private static double kaimingStd(double a, int[] shape) {
        if (!Double.isFinite(a)) {
            throw new IllegalArgumentException("kaiming init needs a finite negative slope a, got " + a);
        }
        long fan = fanIn(shape);
        if (fan == 0) {
            throw new IllegalArgumentException("kaiming init of shape " + Arrays.toString(shape) + ": the fan-in is 0");
        }
        double gain = Math.sqrt(2.0 / (1 + a * a));
        return gain / Math.sqrt(fan);
    }

    private static Tensor symmetric(Random random, double bound, int[] shape) {
        Tensor t = Tensor.zeros(shape);
        double[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (2 * random.nextDouble() - 1) * bound;
        }
        return t;
    }

    private static int[] checkedRank(int[] shape) {
        if (shape == null || shape.length < 2) {
            throw new IllegalArgumentException("fan-in and fan-out need a shape of rank >= 2, got "
                    + (shape == null ? "null" : Arrays.toString(shape)));
        }
        return shape;
    }

    private static long receptiveField(int[] shape) {
        long r = 1;
        for (int k = 2; k < shape.length; k++) {
            r *= shape[k];
        }
        return r;
    }

    private static void requireRandom(Random random) {
        if (random == null) {
            throw new IllegalArgumentException("random is null");
        }
    }

    private static void requireGain(double gain) {
        if (!(gain >= 0) || Double.isInfinite(gain)) {
            throw new IllegalArgumentException("gain must be finite and >= 0, got " + gain);
        }
    }
}
