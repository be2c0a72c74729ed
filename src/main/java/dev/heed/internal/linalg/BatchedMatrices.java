package dev.heed.internal.linalg;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the matrices of a batch live in a flat array, and which of them are one and the same
 * matrix. Not API.
 *
 * <p>A batch of matrices is a strided tensor {@code [batch..., rows, cols]}; its batch elements
 * are numbered row-major over the batch axes. Broadcasting (stride 0 on a batch axis) makes
 * several batch elements start at the same offset: kernels that copy or pack a matrix do it once
 * per distinct offset ({@link #distinct}).
 */
public final class BatchedMatrices {
    private BatchedMatrices() {}

    /**
     * The offset of each batch element's first element, row-major over the first
     * {@code batchRank} axes of a tensor with the given shape and strides.
     *
     * @param shape     at least {@code batchRank} axes; the axes after them are ignored
     * @param strides   as many entries as {@code shape}
     * @param base      the offset of element {@code (0, …, 0)}
     * @param batchRank how many leading axes number the batch elements
     * @return one offset per batch element (a single {@code base} when {@code batchRank == 0})
     */
    public static int[] offsets(int[] shape, int[] strides, int base, int batchRank) {
        int count = 1;
        for (int k = 0; k < batchRank; k++) {
            count *= shape[k];
        }
        int[] out = new int[count];
        int[] idx = new int[batchRank];
        int off = base;
        for (int b = 0; b < count; b++) {
            out[b] = off;
            // Odometer step: bump the last axis, carrying into earlier ones.
            for (int k = batchRank - 1; k >= 0; k--) {
                if (++idx[k] < shape[k]) {
                    off += strides[k];
                    break;
                }
                idx[k] = 0;
                off -= strides[k] * (shape[k] - 1);
            }
        }
        return out;
    }

    /**
     * {@link #offsets(int[], int[], int, int)} of a batch of matrices: every axis but the last two
     * numbers the batch elements.
     *
     * @param shape   {@code [batch..., rows, cols]}
     * @param strides as many entries as {@code shape}
     * @param base    the offset of element {@code (0, …, 0)}
     * @return one offset per batch element
     */
    public static int[] offsets(int[] shape, int[] strides, int base) {
        return offsets(shape, strides, base, shape.length - 2);
    }

    /**
     * Groups equal offsets: batch elements that start at the same offset (and so, with one set of
     * strides, are the same matrix) share one slot.
     *
     * @param offsets one per batch element; not modified
     * @return the distinct offsets in the order first seen, and each batch element's slot
     */
    public static Distinct distinct(int[] offsets) {
        int[] firsts = new int[offsets.length];
        int[] slots = new int[offsets.length];
        Map<Integer, Integer> seen = new HashMap<>();
        int count = 0;
        for (int b = 0; b < offsets.length; b++) {
            Integer slot = seen.get(offsets[b]);
            if (slot == null) {
                slot = count;
                seen.put(offsets[b], slot);
                firsts[count++] = offsets[b];
            }
            slots[b] = slot;
        }
        return new Distinct(Arrays.copyOf(firsts, count), slots);
    }

    /** The distinct offsets of a batch and the slot of each batch element among them. */
    public static final class Distinct {
        private final int[] firsts;
        private final int[] slots;

        private Distinct(int[] firsts, int[] slots) {
            this.firsts = firsts;
            this.slots = slots;
        }

        /** @return the number of distinct matrices */
        public int count() {
            return firsts.length;
        }

        /**
         * @param slot in {@code [0, count())}
         * @return the offset of the matrix in that slot
         */
        public int offset(int slot) {
            return firsts[slot];
        }

        /**
         * @param batch a batch element
         * @return the slot of its matrix, in {@code [0, count())}
         */
        public int slot(int batch) {
            return slots[batch];
        }
    }
}
