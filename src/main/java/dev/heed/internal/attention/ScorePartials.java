package dev.heed.internal.attention;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gradients of the tensors a {@link ScoreMod} reads, summed so that they are bitwise the same for any thread
 * count. Not API.
 *
 * <p>Each backward task (a key tile of the chunked backward, a query tile of the materialised one, a batch element of
 * the exact one) owns one {@link Partial}, keyed by its batch element and first row or key, and adds into it in its
 * own fixed order. {@link #sum} then adds the partials in increasing key order: no sum depends on which thread ran
 * what. Memory: one copy of every parameter per task that touched one (allocated on its first gradient), so the
 * tables should be small, as a relative-position table is ({@code heads × buckets}).
 */
public final class ScorePartials {
    private final int[] sizes;
    private final Map<Long, Partial> partials = new ConcurrentHashMap<>();

    /** @param sizes the number of elements of each parameter */
    public ScorePartials(int[] sizes) {
        this.sizes = sizes.clone();
    }

    /** The partial sums of the task whose first row or key is {@code first} in batch element {@code batch}. */
    public Partial of(int batch, int first) {
        return partials.computeIfAbsent(((long) batch << 32) | first, k -> new Partial(sizes));
    }

    /** The gradient of each parameter: every task's partial, added in increasing (batch element, first) order. */
    public double[][] sum() {
        double[][] out = new double[sizes.length][];
        for (int t = 0; t < sizes.length; t++) {
            out[t] = new double[sizes[t]];
        }
        for (Partial p : new TreeMap<>(partials).values()) {
            if (p.tables == null) {
                continue; // a task that met no gradient
            }
            for (int t = 0; t < sizes.length; t++) {
                double[] src = p.tables[t];
                for (int i = 0; i < src.length; i++) {
                    out[t][i] += src[i];
                }
            }
        }
        return out;
    }

    /** One task's partial sums of the parameters' gradients; written by that task only. */
    public static final class Partial {
        private final int[] sizes;
        private double[][] tables;

        /** Whatever the adapter of a {@link ScoreMod} keeps with this partial (a sink writing into it), or null. */
        public Object attachment;

        Partial(int[] sizes) {
            this.sizes = sizes;
        }

        /**
         * Adds {@code value} to element {@code index} of parameter {@code parameter}.
         *
         * @throws IllegalArgumentException if there is no such parameter or element
         */
        public void add(int parameter, int index, double value) {
            if (parameter < 0 || parameter >= sizes.length || index < 0 || index >= sizes[parameter]) {
                throw new IllegalArgumentException("a score function's gradient went to element " + index
                        + " of parameter " + parameter + ", but it has " + sizes.length + " parameter(s)"
                        + (parameter >= 0 && parameter < sizes.length
                                ? " and that one has " + sizes[parameter] + " element(s)"
                                : ""));
            }
            if (tables == null) {
                tables = new double[sizes.length][];
                for (int t = 0; t < sizes.length; t++) {
                    tables[t] = new double[sizes[t]];
                }
            }
            tables[parameter][index] += value;
        }
    }
}
