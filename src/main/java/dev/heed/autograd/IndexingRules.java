package dev.heed.autograd;

import dev.heed.tensor.Tensor;
import java.util.Arrays;

/** Copies by index (row gathers, joins along an axis) and their gradients, sent back where each element came from. */
final class IndexingRules {
    private IndexingRules() {}

    /**
     * The rows of {@code table} at {@code ids} along axis 0, a row-major copy
     * {@code [ids.length, shape(1), …]}; the arguments are checked here.
     */
    static Tensor gatherRowsValue(Tensor table, int[] ids) {
        if (ids == null) {
            throw new IllegalArgumentException("gatherRows: ids is null");
        }
        if (table.rank() == 0) {
            throw new IllegalArgumentException("gatherRows needs a value of rank >= 1, got shape []");
        }
        int[] shape = table.shape();
        int rows = shape[0];
        for (int j = 0; j < ids.length; j++) {
            if (ids[j] < 0 || ids[j] >= rows) {
                throw new IllegalArgumentException(
                        "gatherRows: id " + ids[j] + " at position " + j + " is out of range for shape "
                                + Arrays.toString(shape) + " (valid ids are 0.." + (rows - 1) + ")");
            }
        }
        int width = rowWidth(table);
        if ((long) ids.length * width > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("gatherRows: " + ids.length + " rows of shape " + Arrays.toString(shape)
                    + " would exceed 2^31-1 elements");
        }
        int[] outShape = shape.clone();
        outShape[0] = ids.length;
        Tensor src = table.contiguous();
        double[] out = new double[ids.length * width];
        for (int j = 0; j < ids.length; j++) {
            System.arraycopy(src.data(), src.offset() + ids[j] * width, out, j * width, width);
        }
        return Tensor.of(out, outShape);
    }

    /**
     * gatherRows' rule: the gradient of each output row added into the {@code table} row it was
     * picked from, so a row picked several times gets the sum. {@code ids} are copied.
     */
    static Rule gatherRows(Tensor table, int[] ids) {
        int[] picked = ids.clone();
        int[] shape = table.shape();
        int size = table.size();
        int width = rowWidth(table);
        return g -> {
            Tensor gc = g.contiguous();
            double[] gd = gc.data();
            int go = gc.offset();
            double[] dx = new double[size];
            for (int j = 0; j < picked.length; j++) {
                int d = picked[j] * width;
                int s = go + j * width;
                for (int c = 0; c < width; c++) {
                    dx[d + c] += gd[s + c];
                }
            }
            return new Tensor[] {Tensor.of(dx, shape)};
        };
    }

    /** The elements in one row of {@code table} along axis 0 (0 when it has no rows). */
    private static int rowWidth(Tensor table) {
        int rows = table.shape(0);
        return rows == 0 ? 0 : table.size() / rows;
    }

    /** The axis to concatenate {@code first} and its fellow parts along, {@code axis} adjusted; checks the rank. */
    static int concatAxis(Tensor first, int axis) {
        if (first.rank() == 0) {
            throw new IllegalArgumentException("concat needs values of rank >= 1, got shape []");
        }
        return Checks.axis(first, axis, "concat");
    }

    /**
     * Where each of {@code parts} starts along axis {@code a} (= {@code axis} adjusted) of their
     * concatenation, and where the last ends: {@code parts.length + 1} offsets. Checks that the
     * parts have one rank and agree on every other axis.
     */
    static int[] concatStarts(Tensor[] parts, int axis, int a) {
        int[] first = parts[0].shape();
        int[] starts = new int[parts.length + 1];
        for (int i = 0; i < parts.length; i++) {
            int[] s = parts[i].shape();
            boolean agree = s.length == first.length;
            for (int k = 0; agree && k < s.length; k++) {
                agree = k == a || s[k] == first[k];
            }
            if (!agree) {
                throw new IllegalArgumentException("concat along axis " + axis + ": shape " + Arrays.toString(s)
                        + " of part " + i + " does not agree with shape " + Arrays.toString(first) + " of part 0");
            }
            long end = (long) starts[i] + s[a];
            if (end > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("concat along axis " + axis + ": more than 2^31-1 entries");
            }
            starts[i + 1] = (int) end;
        }
        return starts;
    }

    /** {@code parts} joined along axis {@code a}, a row-major copy; {@code starts} from {@link #concatStarts}. */
    static Tensor concatValue(Tensor[] parts, int a, int[] starts) {
        int[] outShape = parts[0].shape();
        outShape[a] = starts[parts.length];
        Tensor out = Tensor.zeros(outShape);
        for (int i = 0; i < parts.length; i++) {
            Strided.copyInto(part(out, a, starts, i), parts[i]);
        }
        return out;
    }

    /** concat's rule: each part's gradient is its slice of the output's gradient (a view). */
    static Rule concat(int a, int[] starts) {
        return g -> {
            Tensor[] gs = new Tensor[starts.length - 1];
            for (int i = 0; i < gs.length; i++) {
                gs[i] = part(g, a, starts, i);
            }
            return gs;
        };
    }

    /** Part {@code i}'s slice of a concatenation along axis {@code a}. */
    private static Tensor part(Tensor joined, int a, int[] starts, int i) {
        return joined.slice(a, starts[i], starts[i + 1]);
    }
}
