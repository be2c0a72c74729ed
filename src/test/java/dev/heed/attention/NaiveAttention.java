package dev.heed.attention;

import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A deliberately plain attention, written from the DESIGN semantics and nothing else, that every
 * kernel is checked against (EJML's and Jlama's "naive twin").
 *
 * <p>It shares no code with {@code dev.heed.attention} or {@code dev.heed.internal}: it reads its
 * inputs element by element through {@link Tensor#get(int...)}, broadcasts the batch axes by
 * hand, loops over every batch index, query row and key, and builds the mask of each row as a
 * boolean "allowed" vector plus a bias vector from a {@link Spec}, the test-side description of a
 * mask (which can also build the {@link Mask} under test). Softmax subtracts the row maximum; a
 * row with nothing allowed gives output 0, weights 0 and logSumExp {@code -inf}.
 *
 * <p>Semantics encoded here (DESIGN.md, "Semantics that users trip over"):
 * <ul>
 *   <li>causal: query {@code i} sees key {@code j} iff {@code j <= i + (S - L)} (bottom-right);</li>
 *   <li>allow: nonzero (NaN included) = may attend; block: nonzero (NaN included) = may not;</li>
 *   <li>bias: added to the scaled score, {@code -inf} blocks, NaN makes the row NaN;</li>
 *   <li>keyPadding: element {@code b} of the scores' leading axis sees {@code j < lengths[b]}
 *       (one length applies to all; an unbatched [L, S] problem takes one length);</li>
 *   <li>and: allowed where every part allows; biases add; a blocked key stays blocked whatever
 *       bias is added to it;</li>
 *   <li>a blocked key contributes nothing to the output, even if its value holds an infinity.</li>
 * </ul>
 */
final class NaiveAttention {
    private NaiveAttention() {}

    /** Row-major results with their shapes. */
    record Result(
            double[] output,
            int[] outputShape,
            double[] weights,
            int[] weightsShape,
            double[] logSumExp,
            int[] logSumExpShape) {}

    /**
     * @param scale the score scale, or NaN for {@code 1/sqrt(d)}
     */
    static Result attend(Tensor query, Tensor key, Tensor value, Spec mask, double scale) {
        return attend(query, key, value, mask, scale, 0.0);
    }

    /**
     * @param scale   the score scale, or NaN for {@code 1/sqrt(d)}
     * @param softCap 0 for none, else the score is {@code softCap · tanh(scale · q·k / softCap)} before the bias
     */
    static Result attend(Tensor query, Tensor key, Tensor value, Spec mask, double scale, double softCap) {
        return attend(query, key, value, mask, scale, softCap, null);
    }

    /**
     * A score function as the reference applies it, after the scale and the cap and before the bias: its value, its
     * slope in the score, and for a table bias the element of the table a pair reads (its gradient there is the
     * score's).
     */
    interface Score {
        double value(int batch, int head, int query, int key, double s);

        double slope(int batch, int head, int query, int key, double s);

        /** The table element a bias reads at this pair, or -1 for a function without a table. */
        default int tableIndex(int batch, int head, int query, int key) {
            return -1;
        }
    }

    /** The head (axis -3 of the scores) and the batch element (row-major over the axes before it) of {@code bi}. */
    static int[] batchAndHead(int[] batch, int[] bi) {
        if (batch.length == 0) {
            return new int[] {0, 0};
        }
        int flat = 0;
        for (int k = 0; k < batch.length - 1; k++) {
            flat = flat * batch[k] + bi[k];
        }
        return new int[] {flat, bi[batch.length - 1]};
    }

    /** @param fn the score function, or null for none */
    static Result attend(Tensor query, Tensor key, Tensor value, Spec mask, double scale, double softCap, Score fn) {
        int[] qs = query.shape();
        int[] ks = key.shape();
        int[] vs = value.shape();
        int L = qs[qs.length - 2];
        int d = qs[qs.length - 1];
        int S = ks[ks.length - 2];
        int dv = vs[vs.length - 1];
        if (ks[ks.length - 1] != d || vs[vs.length - 2] != S) {
            throw new IllegalArgumentException("naive: shapes do not fit");
        }
        if (Double.isNaN(scale)) {
            scale = 1.0 / Math.sqrt(d);
        }
        int[] batch = batchShape(qs, ks, vs);
        int batches = 1;
        for (int n : batch) {
            batches *= n;
        }
        int[] scoresShape = append(batch, L, S);
        double[] out = new double[batches * L * dv];
        double[] weights = new double[batches * L * S];
        double[] lse = new double[batches * L];
        int[] bi = new int[batch.length];
        for (int b = 0; b < batches; b++) {
            unravel(b, batch, bi);
            double[][] q = rows(query, batch, bi, L, d);
            double[][] k = rows(key, batch, bi, S, d);
            double[][] v = rows(value, batch, bi, S, dv);
            for (int i = 0; i < L; i++) {
                boolean[] allowed = new boolean[S];
                double[] bias = new double[S];
                mask.row(scoresShape, bi, i, allowed, bias);
                double[] score = new double[S];
                for (int j = 0; j < S; j++) {
                    if (!allowed[j]) {
                        score[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int c = 0; c < d; c++) {
                        dot += q[i][c] * k[j][c];
                    }
                    double x = scale * dot;
                    double c = softCap == 0 ? x : softCap * Math.tanh(x / softCap);
                    if (fn != null) {
                        int[] bh = batchAndHead(batch, bi);
                        c = fn.value(bh[0], bh[1], i, j, c);
                    }
                    score[j] = c + bias[j];
                }
                int row = b * L + i;
                softmaxRow(score, v, dv, weights, row * S, out, row * dv, lse, row);
            }
        }
        return new Result(out, append(batch, L, dv), weights, scoresShape, lse, append(batch, L));
    }

    /** The softmax of one row of scores, its weighted sum of values, and its log-sum-exp. */
    private static void softmaxRow(
            double[] score, double[][] v, int dv, double[] weights, int w, double[] out, int o, double[] lse, int row) {
        int S = score.length;
        boolean nan = false;
        double max = Double.NEGATIVE_INFINITY;
        for (double s : score) {
            if (Double.isNaN(s)) {
                nan = true;
            } else if (s > max) {
                max = s;
            }
        }
        if (nan || max == Double.POSITIVE_INFINITY) {
            // IEEE: exp(NaN) or exp(inf - inf); the whole row is NaN except keys that were blocked
            for (int j = 0; j < S; j++) {
                weights[w + j] = score[j] == Double.NEGATIVE_INFINITY ? 0 : Double.NaN;
            }
            Arrays.fill(out, o, o + dv, Double.NaN);
            lse[row] = Double.NaN;
            return;
        }
        if (max == Double.NEGATIVE_INFINITY) {
            lse[row] = Double.NEGATIVE_INFINITY; // nothing to attend to: zeros stay
            return;
        }
        double sum = 0;
        double[] e = new double[S];
        for (int j = 0; j < S; j++) {
            e[j] = score[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(score[j] - max);
            sum += e[j];
        }
        for (int j = 0; j < S; j++) {
            weights[w + j] = e[j] / sum;
            if (score[j] == Double.NEGATIVE_INFINITY) {
                continue; // a blocked key contributes nothing, whatever its value
            }
            for (int c = 0; c < dv; c++) {
                out[o + c] += weights[w + j] * v[j][c];
            }
        }
        lse[row] = max + Math.log(sum);
    }

    /** The [rows, cols] matrix of {@code t} at batch index {@code bi}, broadcasting size-1 axes. */
    private static double[][] rows(Tensor t, int[] batch, int[] bi, int rows, int cols) {
        int[] shape = t.shape();
        int r = shape.length;
        int[] idx = new int[r];
        int skip = bi.length - (r - 2);
        for (int k = 0; k < r - 2; k++) {
            idx[k] = source(shape[k], batch[k + skip], bi[k + skip]);
        }
        double[][] m = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < cols; c++) {
                idx[r - 2] = i;
                idx[r - 1] = c;
                m[i][c] = t.get(idx);
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ masks, from first principles

    /**
     * The test-side description of a mask: a list of terms that all must allow a key, whose biases
     * add. Tensor terms keep a private row-major copy, so the reference is immune to later writes.
     */
    static final class Spec {
        enum Kind {
            CAUSAL,
            ALLOW,
            BLOCK,
            BIAS,
            KEY_PADDING,
            WINDOW,
            ALIBI,
            WHERE
        }

        private record Term(Kind kind, double[] data, int[] shape, int[] lengths, Mask.Predicate predicate) {
            Term(Kind kind, double[] data, int[] shape, int[] lengths) {
                this(kind, data, shape, lengths, null);
            }

            /** The element broadcast (right-aligned, size-1 axes stretched) to scores index (bi, i, j). */
            double at(int[] scoresShape, int[] bi, int i, int j) {
                int rank = scoresShape.length;
                int r = shape.length;
                if (r > rank) {
                    throw new IllegalArgumentException("naive: mask rank " + r + " > scores rank " + rank);
                }
                int flat = 0;
                for (int k = 0; k < r; k++) {
                    int axis = k + (rank - r);
                    int index = axis == rank - 1 ? j : axis == rank - 2 ? i : bi[axis];
                    if (shape[k] != 1 && shape[k] != scoresShape[axis]) {
                        throw new IllegalArgumentException(
                                "naive: mask " + Arrays.toString(shape) + " vs scores " + Arrays.toString(scoresShape));
                    }
                    flat = flat * shape[k] + (shape[k] == 1 ? 0 : index);
                }
                return data[flat];
            }
        }

        private final List<Term> terms;

        private Spec(List<Term> terms) {
            this.terms = List.copyOf(terms);
        }

        static Spec none() {
            return new Spec(List.of());
        }

        static Spec causal() {
            return new Spec(List.of(new Term(Kind.CAUSAL, null, null, null)));
        }

        static Spec allow(Tensor t) {
            return tensor(Kind.ALLOW, t);
        }

        static Spec block(Tensor t) {
            return tensor(Kind.BLOCK, t);
        }

        static Spec bias(Tensor t) {
            return tensor(Kind.BIAS, t);
        }

        /** Key j visible from query i iff p - left <= j <= p + right, p = i + S - L; -1 = unbounded side. */
        static Spec slidingWindow(int left, int right) {
            return new Spec(List.of(new Term(Kind.WINDOW, null, null, new int[] {left, right})));
        }

        /** Bias -slopes[h]·|i + S - L - j|, h the scores' index on axis -3 (0 below rank 3); one slope serves all. */
        static Spec alibi(double... slopes) {
            return new Spec(List.of(new Term(Kind.ALIBI, slopes.clone(), null, null)));
        }

        /** Allowed where predicate(batch, head, i, j): batch flat over the axes before -3 (0 below rank 4), head on -3. */
        static Spec where(Mask.Predicate predicate) {
            return new Spec(List.of(new Term(Kind.WHERE, null, null, null, predicate)));
        }

        static Spec keyPadding(int... lengths) {
            return new Spec(List.of(new Term(Kind.KEY_PADDING, null, null, lengths.clone())));
        }

        private static Spec tensor(Kind kind, Tensor t) {
            int[] shape = t.shape();
            int n = 1;
            for (int x : shape) {
                n *= x;
            }
            double[] data = new double[n];
            int[] idx = new int[shape.length];
            for (int f = 0; f < n; f++) {
                unravel(f, shape, idx);
                data[f] = t.get(idx);
            }
            return new Spec(List.of(new Term(kind, data, shape, null)));
        }

        Spec and(Spec other) {
            List<Term> all = new ArrayList<>(terms);
            all.addAll(other.terms);
            return new Spec(all);
        }

        /** The Heed mask this spec describes, terms combined left to right with {@link Mask#and}. */
        Mask toMask() {
            Mask m = Mask.none();
            for (Term t : terms) {
                Mask part = switch (t.kind) {
                    case CAUSAL -> Mask.causal();
                    case ALLOW -> Mask.allow(Tensor.of(t.data.clone(), t.shape));
                    case BLOCK -> Mask.block(Tensor.of(t.data.clone(), t.shape));
                    case BIAS -> Mask.bias(Tensor.of(t.data.clone(), t.shape));
                    case KEY_PADDING -> Mask.keyPadding(t.lengths);
                    case WINDOW -> Mask.slidingWindow(t.lengths[0], t.lengths[1]);
                    case ALIBI -> Mask.alibi(t.data.clone());
                    case WHERE -> Mask.where(t.predicate);
                };
                m = m.and(part);
            }
            return m;
        }

        /**
         * Fills {@code allowed} and {@code bias} for row {@code i} of the scores at batch index
         * {@code bi}, scores shape {@code [batch..., L, S]}.
         */
        void row(int[] scoresShape, int[] bi, int i, boolean[] allowed, double[] bias) {
            int rank = scoresShape.length;
            int L = scoresShape[rank - 2];
            int S = scoresShape[rank - 1];
            Arrays.fill(allowed, true);
            Arrays.fill(bias, 0.0);
            for (Term t : terms) {
                for (int j = 0; j < S; j++) {
                    switch (t.kind) {
                        case CAUSAL -> allowed[j] &= j <= i + (S - L);
                        case WHERE -> {
                            int head = rank >= 3 ? bi[rank - 3] : 0;
                            int batch = 0;
                            for (int a = 0; a < rank - 3; a++) {
                                batch = batch * scoresShape[a] + bi[a];
                            }
                            allowed[j] &= t.predicate.test(batch, head, i, j);
                        }
                        case ALIBI -> {
                            int h = rank >= 3 ? bi[rank - 3] : 0;
                            double slope = t.data.length == 1 ? t.data[0] : t.data[h];
                            bias[j] += -slope * Math.abs(i + (S - L) - j);
                        }
                        case WINDOW -> {
                            int p = i + (S - L);
                            int left = t.lengths[0];
                            int right = t.lengths[1];
                            allowed[j] &= (left == -1 || j >= p - left) && (right == -1 || j <= p + right);
                        }
                        case KEY_PADDING -> {
                            int lead = rank > 2 ? bi[0] : 0;
                            int n = t.lengths.length == 1 ? t.lengths[0] : t.lengths[lead];
                            allowed[j] &= j < n;
                        }
                        case ALLOW -> allowed[j] &= t.at(scoresShape, bi, i, j) != 0; // NaN != 0: allowed
                        case BLOCK -> allowed[j] &= !(t.at(scoresShape, bi, i, j) != 0);
                        case BIAS -> {
                            double x = t.at(scoresShape, bi, i, j);
                            if (x == Double.NEGATIVE_INFINITY) {
                                allowed[j] = false;
                            }
                            bias[j] += x;
                        }
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ shape arithmetic, by hand

    /**
     * The broadcast batch shape of query, key and value {@code [..., rows, cols]}, where a key or
     * value whose head axis (-3) has a count dividing the query's (grouped-query attention) counts
     * as having the query's heads.
     */
    static int[] batchShape(int[] qs, int[] ks, int[] vs) {
        return broadcast(broadcast(lead(qs), grouped(lead(ks), qs)), grouped(lead(vs), qs));
    }

    private static int[] grouped(int[] lead, int[] qs) {
        int hq = qs.length >= 3 ? qs[qs.length - 3] : 1;
        int[] out = lead.clone();
        if (out.length > 0 && out[out.length - 1] != 1 && hq % out[out.length - 1] == 0) {
            out[out.length - 1] = hq;
        }
        return out;
    }

    /**
     * Which index of an input's batch axis of {@code size} serves batch index {@code index} of a
     * broadcast axis of {@code batchSize}: 0 when broadcast (size 1), else index / (batchSize /
     * size) — the index itself when the sizes are equal, query head h's key head h / group for
     * grouped-query attention.
     */
    static int source(int size, int batchSize, int index) {
        return size == 1 ? 0 : index / (batchSize / size);
    }

    static int[] broadcast(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int k = 0; k < rank; k++) {
            int x = k - (rank - a.length) >= 0 ? a[k - (rank - a.length)] : 1;
            int y = k - (rank - b.length) >= 0 ? b[k - (rank - b.length)] : 1;
            if (x != y && x != 1 && y != 1) {
                throw new IllegalArgumentException("naive: " + Arrays.toString(a) + " vs " + Arrays.toString(b));
            }
            out[k] = x == 1 ? y : x;
        }
        return out;
    }

    static void unravel(int flat, int[] shape, int[] idx) {
        for (int k = shape.length - 1; k >= 0; k--) {
            idx[k] = flat % shape[k];
            flat /= shape[k];
        }
    }

    private static int[] lead(int[] shape) {
        return Arrays.copyOf(shape, shape.length - 2);
    }

    static int[] append(int[] xs, int... more) {
        int[] out = Arrays.copyOf(xs, xs.length + more.length);
        System.arraycopy(more, 0, out, xs.length, more.length);
        return out;
    }
}
