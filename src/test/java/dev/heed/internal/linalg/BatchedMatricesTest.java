package dev.heed.internal.linalg;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Batch offsets against the index formula, and the de-duplication of broadcast matrices. */
class BatchedMatricesTest {

    @Test
    void offsetsFollowTheIndexFormulaInRowMajorOrder() {
        // [3, 1, 2] batch (a broadcast axis, stride 0, and a negative stride) of [4, 5] matrices.
        int[] shape = {3, 1, 2, 4, 5};
        int[] strides = {40, 0, -20, 5, 1};
        int base = 100;
        int[] off = BatchedMatrices.offsets(shape, strides, base);
        assertThat(off).hasSize(6);
        int b = 0;
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 2; k++) {
                assertThat(off[b++]).as("batch (%d, 0, %d)", i, k).isEqualTo(base + 40 * i - 20 * k);
            }
        }
        // batchRank 0: one matrix; an empty batch axis: none.
        assertThat(BatchedMatrices.offsets(new int[] {4, 5}, new int[] {5, 1}, 7))
                .containsExactly(7);
        assertThat(BatchedMatrices.offsets(new int[] {2, 0, 4, 5}, new int[] {0, 20, 5, 1}, 0))
                .isEmpty();
        // Only the leading batchRank axes count.
        assertThat(BatchedMatrices.offsets(new int[] {2, 3, 9}, new int[] {30, 10, 1}, 1, 1))
                .containsExactly(1, 31);
    }

    @Test
    void distinctGroupsEqualOffsetsInFirstSeenOrder() {
        BatchedMatrices.Distinct d = BatchedMatrices.distinct(new int[] {40, 0, 40, 0, 80, 40});
        assertThat(d.count()).isEqualTo(3);
        assertThat(new int[] {d.offset(0), d.offset(1), d.offset(2)}).containsExactly(40, 0, 80);
        int[] slots = new int[6];
        for (int b = 0; b < 6; b++) {
            slots[b] = d.slot(b);
        }
        assertThat(slots).containsExactly(0, 1, 0, 1, 2, 0);
        // A whole batch broadcast from one matrix is one matrix; no batch at all, none.
        assertThat(BatchedMatrices.distinct(BatchedMatrices.offsets(new int[] {5, 2, 2}, new int[] {0, 2, 1}, 3))
                        .count())
                .isEqualTo(1);
        assertThat(BatchedMatrices.distinct(new int[0]).count()).isZero();
    }
}
