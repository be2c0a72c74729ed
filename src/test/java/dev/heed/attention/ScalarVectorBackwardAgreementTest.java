package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.TOL;
import static dev.heed.attention.AttentionChecks.random;

import dev.heed.attention.BackwardChecks.NamedMask;
import dev.heed.internal.vector.KernelSupport;
import dev.heed.internal.vector.VectorizationProvider;
import dev.heed.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The backward on the Vector API support against the backward on the scalar support, in one JVM:
 * every kernel, every mask kind, awkward sizes, agreeing to 1e-12. Runs when the tests run with
 * {@code --add-modules jdk.incubator.vector} (the second surefire execution).
 */
class ScalarVectorBackwardAgreementTest {

    @ParameterizedTest(name = "L={0} S={1} d={2} dv={3}")
    @CsvSource({"1, 1, 1, 1", "3, 7, 5, 2", "13, 13, 8, 9", "64, 65, 16, 16", "65, 64, 13, 7", "100, 257, 64, 33"})
    void vectorAndScalarBackwardsAgree(int L, int S, int d, int dv) {
        KernelSupport vector = VectorizationProvider.vector().orElse(null);
        Assumptions.assumeTrue(vector != null, "the Vector API is not enabled in this JVM");
        KernelSupport scalar = VectorizationProvider.scalar();
        Tensor q = random(1, 2, L, d);
        Tensor k = random(2, 2, S, d);
        Tensor v = random(3, 2, S, dv);
        Tensor dO = random(4, 2, L, dv);
        for (NamedMask m : BackwardChecks.masks(L, S)) {
            Mask mask = m.mask();
            Attention[][] pairs = {
                {
                    new ScaledDotProductAttention().withSupport(vector),
                    new ScaledDotProductAttention().withSupport(scalar)
                },
                {new ChunkedAttention().withSupport(vector), new ChunkedAttention().withSupport(scalar)},
                {new ChunkedAttention(7, 5).withSupport(vector), new ChunkedAttention(7, 5).withSupport(scalar)}
            };
            for (Attention[] pair : pairs) {
                AttentionGradients fast = pair[0].backward(q, k, v, mask, pair[0].apply(q, k, v, mask), dO);
                AttentionGradients slow = pair[1].backward(q, k, v, mask, pair[1].apply(q, k, v, mask), dO);
                BackwardChecks.assertSame(pair[0] + " " + m.name(), slow, fast, TOL);
            }
        }
    }
}
