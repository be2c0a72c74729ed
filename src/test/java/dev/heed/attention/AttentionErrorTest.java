package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad arguments give an {@link IllegalArgumentException} whose message names the shapes or values
 * involved — from every kernel, before any work is done.
 */
class AttentionErrorTest {
    private static final List<Attention> KERNELS = List.of(
            new ScaledDotProductAttention(), new ChunkedAttention(), new ChunkedAttention(2, 3), new SimpleAttention());

    private static final Tensor Q = random(1, 2, 3, 4); // [B=2, L=3, d=4]
    private static final Tensor K = random(2, 2, 5, 4); // [B=2, S=5, d=4]
    private static final Tensor V = random(3, 2, 5, 6); // [B=2, S=5, dv=6]

    private static void rejects(Attention a, Tensor q, Tensor k, Tensor v, Mask m, String... fragments) {
        assertThatThrownBy(() -> a.apply(q, k, v, m))
                .as("%s", a)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll(fragments);
    }

    @Test
    void rankBelowTwo() {
        for (Attention a : KERNELS) {
            if (!(a instanceof SimpleAttention)) {
                rejects(a, random(1, 4), K, V, Mask.none(), "rank >= 2", "query [4]");
                rejects(a, Tensor.scalar(1), K, V, Mask.none(), "rank >= 2", "query []");
            }
            rejects(a, Q, random(2, 4), V, Mask.none(), "rank >= 2", "key [4]");
            rejects(a, Q, K, random(3, 6), Mask.none(), "rank >= 2", "value [6]");
        }
        // SimpleAttention takes a [d] query but not a 0-d one
        assertThatThrownBy(() -> new SimpleAttention().apply(Tensor.scalar(1), K, V))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void depthMismatch() {
        for (Attention a : KERNELS) {
            rejects(a, Q, random(2, 2, 5, 3), V, Mask.none(), "d", "4 vs 3", "query [2, 3, 4]", "key [2, 5, 3]");
        }
        rejects(new SimpleAttention(), random(1, 7), K, V, Mask.none(), "7 vs 4", "key [2, 5, 4]");
    }

    @Test
    void keyCountMismatch() {
        for (Attention a : KERNELS) {
            rejects(a, Q, K, random(3, 2, 4, 6), Mask.none(), "5 vs 4", "key [2, 5, 4]", "value [2, 4, 6]");
        }
    }

    @Test
    void batchAxesThatDoNotBroadcast() {
        for (Attention a : KERNELS) {
            if (!(a instanceof SimpleAttention)) {
                rejects(a, random(1, 3, 3, 4), K, V, Mask.none(), "batch axes", "query [3, 3, 4]", "key [2, 5, 4]");
            }
            rejects(a, Q, K, random(3, 3, 5, 6), Mask.none(), "batch axes", "value [3, 5, 6]");
            rejects(a, Q, random(2, 2, 2, 5, 4), random(3, 3, 1, 5, 6), Mask.none(), "batch axes");
        }
    }

    @Test
    void masksThatDoNotBroadcast() {
        for (Attention a : KERNELS) {
            rejects(a, Q, K, V, Mask.allow(Tensor.ones(4, 5)), "allow", "[4, 5]", "[2, 3, 5]");
            rejects(a, Q, K, V, Mask.block(Tensor.ones(6)), "block", "[6]", "[2, 3, 5]");
            rejects(a, Q, K, V, Mask.bias(Tensor.ones(3, 3, 5)), "bias", "[3, 3, 5]", "[2, 3, 5]");
            // a mask may not add batch axes the inputs do not have
            rejects(a, Q, K, V, Mask.bias(Tensor.ones(4, 2, 3, 5)), "bias", "[4, 2, 3, 5]", "[2, 3, 5]");
            // inside a combination too
            rejects(a, Q, K, V, Mask.causal().and(Mask.allow(Tensor.ones(2, 5, 5))), "allow", "[2, 5, 5]");
        }
    }

    @Test
    void keyPaddingWithWrongLengths() {
        for (Attention a : KERNELS) {
            rejects(a, Q, K, V, Mask.keyPadding(1, 2, 3), "3 lengths", "[1, 2, 3]", "[2, 3, 5]", "2 elements");
            rejects(a, Q, K, V, Mask.keyPadding(5, 6), "6", "5 keys", "[2, 3, 5]");
            rejects(a, Q, K, V, Mask.causal().and(Mask.keyPadding(9)), "9", "5 keys");
            // unbatched scores [L, S] take exactly one length
            rejects(a, random(1, 3, 4), random(2, 5, 4), random(3, 5, 6), Mask.keyPadding(2, 2), "2 lengths", "[3, 5]");
        }
        assertThatThrownBy(() -> Mask.keyPadding(3, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll(">= 0", "[3, -1]");
        assertThatThrownBy(() -> Mask.keyPadding())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one length");
        assertThatThrownBy(() -> Mask.keyPadding((int[]) null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nonPositiveChunkSizes() {
        int[][] bad = {{0, 1}, {1, 0}, {-3, 5}, {4, -1}, {0, 0}, {Integer.MIN_VALUE, 1}};
        for (int[] c : bad) {
            assertThatThrownBy(() -> new ChunkedAttention(c[0], c[1]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContainingAll("positive", "queryChunk=" + c[0], "keyChunk=" + c[1]);
        }
    }

    @Test
    void nonFiniteScale() {
        for (double s : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            List<Executable> calls = List.of(
                    () -> new ScaledDotProductAttention().withScale(s),
                    () -> new ChunkedAttention().withScale(s),
                    () -> new ChunkedAttention(2, 2).withScale(s));
            for (Executable call : calls) {
                assertThatThrownBy(call::execute)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContainingAll("scale", "finite", String.valueOf(s));
            }
        }
    }

    @Test
    void nullArguments() {
        for (Attention a : KERNELS) {
            rejects(a, null, K, V, Mask.none(), "null");
            rejects(a, Q, null, V, Mask.none(), "null");
            rejects(a, Q, K, null, Mask.none(), "null");
            rejects(a, Q, K, V, null, "mask", "null", "Mask.none()");
            assertThatThrownBy(() -> a.apply(null, null, null)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> Mask.allow(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("allow", "null");
        assertThatThrownBy(() -> Mask.block(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("block", "null");
        assertThatThrownBy(() -> Mask.bias(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("bias", "null");
        assertThatThrownBy(() -> Mask.causal().and(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null");
    }

    @Test
    void zeroDimensionalMaskTensor() {
        assertThatThrownBy(() -> Mask.bias(Tensor.scalar(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("bias", "0-d");
        assertThatThrownBy(() -> Mask.allow(Tensor.scalar(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("allow", "0-d");
    }

    @Test
    void theFailedCallLeavesEverythingUsable() {
        Mask bad = Mask.keyPadding(9);
        Attention a = new ScaledDotProductAttention();
        assertThatThrownBy(() -> a.apply(Q, K, V, bad)).isInstanceOf(IllegalArgumentException.class);
        // the same mask fits a problem with enough keys, and the kernel still works
        AttentionResult r = a.apply(Q, random(4, 2, 9, 4), random(5, 2, 9, 6), bad);
        assertThat(r.output().shape()).containsExactly(2, 3, 6);
    }
}
