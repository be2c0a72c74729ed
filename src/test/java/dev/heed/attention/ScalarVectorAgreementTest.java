package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.assertClose;
import static dev.heed.attention.AttentionChecks.random;

import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import dev.heed.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fast path against the slow path in one JVM: every kernel run on the Vector API support and
 * on the scalar support, over awkward sizes and every mask kind, agreeing to 1e-12. Runs when the
 * tests run with {@code --add-modules jdk.incubator.vector} (the second surefire execution).
 */
class ScalarVectorAgreementTest {

    @ParameterizedTest(name = "L={0} S={1} d={2} dv={3}")
    @CsvSource({
        "1, 1, 1, 1",
        "3, 7, 5, 2",
        "13, 13, 8, 9",
        "64, 65, 16, 16",
        "65, 64, 13, 7",
        "100, 257, 64, 33",
        "257, 100, 3, 64"
    })
    void vectorAndScalarSupportsAgree(int queries, int keys, int depth, int valueDepth) {
        KernelSupport vector = VectorizationProvider.vector().orElse(null);
        Assumptions.assumeTrue(vector != null, "the Vector API is not enabled in this JVM");
        KernelSupport scalar = VectorizationProvider.scalar();
        Tensor q = random(1, 2, queries, depth);
        Tensor k = random(2, 2, keys, depth);
        Tensor v = random(3, 2, keys, valueDepth);
        Mask[] masks = {
            Mask.none(),
            Mask.causal(),
            Mask.keyPadding(keys, keys / 2),
            Mask.bias(random(4, queries, keys)),
            Mask.block(AttentionChecks.bits(5, 0.3, 2, 1, keys)).and(Mask.causal()),
            Mask.allow(AttentionChecks.bits(6, 0.8, queries, keys))
        };
        for (Mask mask : masks) {
            Attention[][] pairs = {
                {
                    new ScaledDotProductAttention().withSupport(vector),
                    new ScaledDotProductAttention().withSupport(scalar)
                },
                {new ChunkedAttention().withSupport(vector), new ChunkedAttention().withSupport(scalar)},
                {new ChunkedAttention(7, 5).withSupport(vector), new ChunkedAttention(7, 5).withSupport(scalar)}
            };
            for (Attention[] pair : pairs) {
                AttentionResult fast = pair[0].apply(q, k, v, mask);
                AttentionResult slow = pair[1].apply(q, k, v, mask);
                String ctx = pair[0] + " " + mask;
                assertClose(
                        ctx + " output", slow.output().toArray(), slow.output().shape(), fast.output());
                assertClose(
                        ctx + " logSumExp",
                        slow.logSumExp().toArray(),
                        slow.logSumExp().shape(),
                        fast.logSumExp());
                assertClose(
                        ctx + " weights",
                        slow.weights().toArray(),
                        slow.weights().shape(),
                        fast.weights());
            }
        }
    }
}
