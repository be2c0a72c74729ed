package dev.heed.attention;

import dev.heed.internal.attention.ScoreMod;
import dev.heed.internal.attention.ScorePartials;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/** The built-in {@link ScoreFunction}s and the adapter that binds one to a call for the kernels. Package-private. */
final class ScoreFunctions {
    private ScoreFunctions() {}

    /** {@link ScoreFunction#of}: a function and its derivative, no parameters. */
    static final class Plain implements ScoreFunction {
        private final Modifier apply;
        private final Modifier derivative;

        Plain(Modifier apply, Modifier derivative) {
            if (apply == null || derivative == null) {
                throw new IllegalArgumentException(
                        "a score function needs its value and its derivative, got " + apply + " and " + derivative);
            }
            this.apply = apply;
            this.derivative = derivative;
        }

        @Override
        public double apply(int batch, int head, int query, int key, double score) {
            return apply.apply(batch, head, query, key, score);
        }

        @Override
        public double derivative(int batch, int head, int query, int key, double score) {
            return derivative.apply(batch, head, query, key, score);
        }

        @Override
        public String toString() {
            return "ScoreFunction.of(" + apply + ", " + derivative + ")";
        }
    }

    /** {@link ScoreFunction#bias}: {@code s + table[index(...)]}, the gradient scattered into the table. */
    static class TableBias implements ScoreFunction {
        final Tensor table;
        private final Index index;
        private final String name;
        private final List<Tensor> parameters;
        /** The table's shape and strides, to read an element by its row-major index through any layout. */
        private final int[] shape;

        private final int[] strides;
        private final boolean dense;

        TableBias(Tensor table, Index index, String name) {
            if (table == null || index == null) {
                throw new IllegalArgumentException(
                        name + " needs a table and an index, got " + table + " and " + index);
            }
            this.table = table;
            this.index = index;
            this.name = name;
            this.parameters = List.of(table);
            this.shape = table.shape();
            this.strides = table.strides();
            this.dense = table.isContiguous();
        }

        @Override
        public double apply(int batch, int head, int query, int key, double score) {
            return score + read(at(batch, head, query, key));
        }

        @Override
        public double derivative(int batch, int head, int query, int key, double score) {
            return 1.0;
        }

        @Override
        public List<Tensor> parameters() {
            return parameters;
        }

        @Override
        public void backward(
                int batch, int head, int query, int key, double score, double gradient, GradientSink sink) {
            sink.add(0, at(batch, head, query, key), gradient);
        }

        /** The element a pair reads, checked against the table's size. */
        private int at(int batch, int head, int query, int key) {
            int i = index.at(batch, head, query, key);
            if (i < 0 || i >= table.size()) {
                throw new IllegalArgumentException(name + ": (batch " + batch + ", head " + head + ", query " + query
                        + ", key " + key + ") reads element " + i + ", outside the table " + Arrays.toString(shape)
                        + " of " + table.size() + " elements");
            }
            return i;
        }

        /** Element {@code i} (row-major over the shape) of the table, read through its strides. */
        double read(int i) {
            double[] data = table.data();
            if (dense) {
                return data[table.offset() + i];
            }
            int at = table.offset();
            for (int axis = shape.length - 1; axis >= 0; axis--) {
                at += (i % shape[axis]) * strides[axis];
                i /= shape[axis];
            }
            return data[at];
        }

        @Override
        public String toString() {
            return "ScoreFunction." + name + "(table " + Arrays.toString(shape) + ")";
        }
    }

    /** {@link ScoreFunction#relativePositionBias}, checked. */
    static ScoreFunction relativePositionBias(Tensor table, boolean bidirectional, int numBuckets, int maxDistance) {
        checkBuckets(bidirectional, numBuckets, maxDistance);
        if (table == null || table.rank() != 2 || table.shape(1) != numBuckets) {
            throw new IllegalArgumentException("relativePositionBias needs a table [heads, numBuckets = " + numBuckets
                    + "], got " + (table == null ? "null" : Arrays.toString(table.shape())));
        }
        return new RelativePositionBias(table, bidirectional, numBuckets, maxDistance, 0);
    }

    /** T5's bucketed bias, for scores whose queries sit {@code shift = S − L} positions into the keys. */
    static final class RelativePositionBias extends TableBias {
        private final boolean bidirectional;
        private final int numBuckets;
        private final int maxDistance;
        private final int shift;

        RelativePositionBias(Tensor table, boolean bidirectional, int numBuckets, int maxDistance, int shift) {
            super(table, index(table, bidirectional, numBuckets, maxDistance, shift), "relativePositionBias");
            this.bidirectional = bidirectional;
            this.numBuckets = numBuckets;
            this.maxDistance = maxDistance;
            this.shift = shift;
        }

        private static Index index(Tensor table, boolean bidirectional, int numBuckets, int maxDistance, int shift) {
            boolean shared = table.shape(0) == 1;
            // Buckets of the distances below the cache's end computed once; the rest saturate or are computed.
            int[] cached = buckets(bidirectional, numBuckets, maxDistance);
            int half = cached.length / 2;
            return (batch, head, query, key) -> {
                long rel = (long) key - query - shift;
                int bucket = rel > -half && rel < half
                        ? cached[(int) rel + half]
                        : bucket(
                                (int) Math.max(Integer.MIN_VALUE + 1, Math.min(Integer.MAX_VALUE, rel)),
                                bidirectional,
                                numBuckets,
                                maxDistance);
                return (shared ? 0 : head) * numBuckets + bucket;
            };
        }

        @Override
        public ScoreFunction bind(int[] scoresShape) {
            int rank = scoresShape.length;
            int heads = rank >= 3 ? scoresShape[rank - 3] : 1;
            if (table.shape(0) != 1 && table.shape(0) != heads) {
                throw new IllegalArgumentException("relativePositionBias has a table " + Arrays.toString(table.shape())
                        + " for " + table.shape(0) + " head(s) but the scores " + Arrays.toString(scoresShape)
                        + " have " + heads + " head(s) on axis -3 (give one row per head, or one for all)");
            }
            return new Aligned(this, scoresShape[rank - 2], scoresShape[rank - 1]);
        }
    }

    /**
     * T5's bias bound to one call with {@code L} queries and {@code S} keys: the bias depends on the head and
     * {@code p = j − i + L − 1} only, so the table is read once, at the start of the call, into a bias per (table row,
     * p) and a table element per p — {@code (heads + 1)·(L + S − 1)} numbers — and a row of scores costs one load and
     * one addition per key ({@link #addRow}).
     */
    static final class Aligned implements ScoreFunction {
        private final RelativePositionBias source;
        private final int rows;
        private final int span;
        private final int queries;
        private final double[] bias;
        private final int[] element;

        Aligned(RelativePositionBias source, int queries, int keys) {
            this.source = source;
            this.rows = source.table.shape(0);
            this.queries = queries;
            this.span = Math.max(0, queries + keys - 1);
            this.element = new int[span];
            this.bias = new double[rows * span];
            int n = source.numBuckets;
            for (int p = 0; p < span; p++) {
                // p = j - i + L - 1, so the relative position j - (i + S - L) is p - S + 1
                int bucket = bucket(p - keys + 1, source.bidirectional, n, source.maxDistance);
                element[p] = bucket;
                for (int h = 0; h < rows; h++) {
                    double b = source.read(h * n + bucket);
                    if (Double.isNaN(b) || b == Double.POSITIVE_INFINITY) {
                        throw new IllegalArgumentException("relativePositionBias: the table "
                                + Arrays.toString(source.table.shape()) + " holds " + b + " at [" + h + ", " + bucket
                                + "]: a bias must be finite, or -inf to block");
                    }
                    bias[h * span + p] = b;
                }
            }
        }

        private int at(int head, int query, int key) {
            return (rows == 1 ? 0 : head) * span + key - query + queries - 1;
        }

        @Override
        public double apply(int batch, int head, int query, int key, double score) {
            return score + bias[at(head, query, key)];
        }

        @Override
        public double derivative(int batch, int head, int query, int key, double score) {
            return 1.0;
        }

        @Override
        public List<Tensor> parameters() {
            return source.parameters();
        }

        @Override
        public void backward(
                int batch, int head, int query, int key, double score, double gradient, GradientSink sink) {
            sink.add(0, element(head, query, key), gradient);
        }

        /** The table element a pair reads, row-major over {@code [rows, numBuckets]}. */
        int element(int head, int query, int key) {
            return (rows == 1 ? 0 : head) * source.numBuckets + element[key - query + queries - 1];
        }

        /** Adds the bias to the scores of keys {@code [j0, j0 + n)} of one query, at {@code x[off + j·stride]}. */
        void addRow(int head, int query, int j0, int n, double[] x, int off, int stride) {
            int from = at(head, query, j0);
            for (int j = 0; j < n; j++) {
                x[off + j * stride] += bias[from + j];
            }
        }

        @Override
        public String toString() {
            return source.toString();
        }
    }

    /** The buckets of relative positions {@code (−n, n)} at index {@code rel + n}, n covering the exact and log bins. */
    private static int[] buckets(boolean bidirectional, int numBuckets, int maxDistance) {
        int n = (int) Math.min(4096, (long) maxDistance + 1);
        int[] out = new int[2 * n];
        for (int rel = -n + 1; rel < n; rel++) {
            out[rel + n] = bucket(rel, bidirectional, numBuckets, maxDistance);
        }
        return out;
    }

    static void checkBuckets(boolean bidirectional, int numBuckets, int maxDistance) {
        int n = bidirectional ? numBuckets / 2 : numBuckets;
        int maxExact = n / 2;
        if (maxExact < 1 || maxDistance <= maxExact) {
            throw new IllegalArgumentException("T5 buckets need numBuckets >= " + (bidirectional ? 4 : 2)
                    + " and maxDistance > the exact buckets (" + maxExact + "), got numBuckets=" + numBuckets
                    + ", maxDistance=" + maxDistance + ", bidirectional=" + bidirectional);
        }
    }

    /**
     * Hugging Face's {@code _relative_position_bucket}, step by step: {@code //} on non-negative ints is Java's
     * {@code /}; {@code relative_position.float() / max_exact}, {@code torch.log}, the division by the double
     * {@code math.log(max_distance / max_exact)} and the product with {@code num_buckets − max_exact} are
     * single-precision operations in PyTorch (a float32 tensor with Python scalars stays float32), so they are
     * {@code float} here; {@code .to(torch.long)} truncates toward zero.
     */
    static int bucket(int relativePosition, boolean bidirectional, int numBuckets, int maxDistance) {
        int buckets = 0;
        int n = numBuckets;
        long rel = relativePosition;
        if (bidirectional) {
            n /= 2;
            buckets += rel > 0 ? n : 0;
            rel = Math.abs(rel);
        } else {
            rel = -Math.min(rel, 0);
        }
        int maxExact = n / 2;
        if (rel < maxExact) {
            return buckets + (int) rel;
        }
        float ratio = (float) rel / (float) maxExact;
        float log = (float) Math.log(ratio);
        float scaled = log / (float) Math.log((double) maxDistance / maxExact) * (float) (n - maxExact);
        long large = maxExact + (long) scaled;
        return buckets + (int) Math.min(large, n - 1);
    }

    /** The function bound to one call for the kernels: indices mapped, values checked, gradients routed. */
    static final class Bound implements ScoreMod {
        private final ScoreFunction fn;
        private final int heads;
        private final int[] sizes;

        Bound(ScoreFunction fn, int[] scoresShape) {
            ScoreFunction bound = fn.bind(scoresShape.clone());
            if (bound == null) {
                throw new IllegalArgumentException("the score function " + fn + " bound to the scores "
                        + Arrays.toString(scoresShape) + " gave null");
            }
            this.fn = bound;
            int rank = scoresShape.length;
            this.heads = rank >= 3 ? scoresShape[rank - 3] : 1;
            List<Tensor> params = bound.parameters();
            this.sizes = new int[params.size()];
            for (int t = 0; t < sizes.length; t++) {
                sizes[t] = params.get(t).size();
            }
        }

        @Override
        public void apply(int b, int i0, int rows, int j0, int n, double[] x, int off, int rowStride, int colStride) {
            int batch = b / heads;
            int head = b % heads;
            if (fn instanceof Aligned t) {
                // T5's bias: finite or -inf by construction, added along each row without a call per score
                for (int r = 0; r < rows; r++) {
                    t.addRow(head, i0 + r, j0, n, x, off + r * rowStride, colStride);
                }
                return;
            }
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    int at = off + r * rowStride + j * colStride;
                    double s = x[at];
                    double y = fn.apply(batch, head, i0 + r, j0 + j, s);
                    if ((Double.isNaN(y) || y == Double.POSITIVE_INFINITY) && Double.isFinite(s)) {
                        throw new IllegalArgumentException("the score function " + fn + " returned " + y
                                + " for the finite score " + s + " at (batch " + batch + ", head " + head
                                + ", query " + (i0 + r) + ", key " + (j0 + j)
                                + "): it must return a finite value, or -inf to block the pair");
                    }
                    x[at] = y;
                }
            }
        }

        @Override
        public double backward(
                int b, int query, int key, double score, double gradient, ScorePartials.Partial partial) {
            int head = b % heads;
            if (fn instanceof Aligned t) {
                partial.add(0, t.element(head, query, key), gradient); // a bias: derivative 1
                return gradient;
            }
            int batch = b / heads;
            double d = fn.derivative(batch, head, query, key, score);
            if (!Double.isFinite(d) && Double.isFinite(score)) {
                throw new IllegalArgumentException("the score function " + fn + " has derivative " + d
                        + " at the finite score " + score + " at (batch " + batch + ", head " + head + ", query "
                        + query + ", key " + key + "): it must be finite");
            }
            if (sizes.length > 0) {
                fn.backward(batch, head, query, key, score, gradient, sink(partial));
            }
            return gradient * d;
        }

        /** The sink writing into one task's partial sums, made once per task. */
        private static ScoreFunction.GradientSink sink(ScorePartials.Partial partial) {
            Object a = partial.attachment;
            if (a == null) {
                ScoreFunction.GradientSink s = partial::add;
                partial.attachment = s;
                return s;
            }
            return (ScoreFunction.GradientSink) a;
        }

        @Override
        public int[] parameterSizes() {
            return sizes.clone();
        }

        /** The parameters of the function bound to the call. */
        List<Tensor> parameters() {
            return fn.parameters();
        }
    }
}
