package dev.heed.attention;

import static dev.heed.attention.AttentionChecks.random;
import static org.assertj.core.api.Assertions.fail;

import dev.heed.attention.BackwardChecks.Kernel;
import dev.heed.attention.BackwardChecks.NamedMask;
import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Attention#backward} against central finite differences of the forward, in float64: for a
 * random upstream gradient {@code G}, the loss {@code Σ output ∘ G} is evaluated with each input
 * element moved by {@code ±h}, and {@code (loss(x + h) − loss(x − h)) / 2h} must match the
 * gradient element. This checks the backward against the forward itself, not against another
 * formula — every mask kind, every kernel, a custom scale and a broadcast key.
 */
class AttentionFiniteDifferenceTest {
    /** Step: the truncation error h²·f‴ and the rounding error ε/h are both about 1e-10 here. */
    private static final double H = 1e-5;

    private static final double TOL = 1e-7;

    @Test
    void everyMaskKindAndKernel() {
        int L = 4;
        int S = 5;
        Tensor q = random(1, 2, L, 3);
        Tensor k = random(2, 2, S, 3);
        Tensor v = random(3, 2, S, 2);
        Tensor g = random(4, 2, L, 2);
        List<Kernel> kernels = new ArrayList<>();
        kernels.add(new Kernel("ScaledDotProductAttention", new ScaledDotProductAttention(), Double.NaN));
        kernels.add(new Kernel("SimpleAttention", new SimpleAttention(), 1.0));
        kernels.add(new Kernel("ChunkedAttention(3,2)", new ChunkedAttention(3, 2), Double.NaN));
        for (Kernel kernel : kernels) {
            for (NamedMask m : BackwardChecks.masks(L, S)) {
                check(kernel.name() + " " + m.name(), kernel.attention(), q, k, v, m.mask(), g);
            }
        }
    }

    @Test
    void aCustomScaleAndABroadcastKey() {
        Tensor q = random(5, 3, 4, 3);
        Tensor k = random(6, 1, 6, 3);
        Tensor v = random(7, 3, 6, 2);
        Tensor g = random(8, 3, 4, 2);
        Mask mask = Mask.causal().and(Mask.bias(random(9, 4, 6)));
        check("sdpa scale 0.8", new ScaledDotProductAttention().withScale(0.8), q, k, v, mask, g);
        check("chunked scale 0.8", new ChunkedAttention(2, 4).withScale(0.8), q, k, v, mask, g);
    }

    @Test
    void aSingleQuery() {
        Tensor q = random(10, 3);
        Tensor k = random(11, 5, 3);
        Tensor v = random(12, 5, 4);
        check("SimpleAttention 1-d", new SimpleAttention(), q, k, v, Mask.none(), random(13, 4));
    }

    private static void check(String context, Attention a, Tensor q, Tensor k, Tensor v, Mask mask, Tensor g) {
        AttentionGradients grads = a.backward(q, k, v, mask, a.apply(q, k, v, mask), g);
        Tensor[] inputs = {q.copy(), k.copy(), v.copy()};
        Tensor[] analytic = {grads.query(), grads.key(), grads.value()};
        String[] names = {"query", "key", "value"};
        for (int which = 0; which < 3; which++) {
            double[] x = inputs[which].data();
            double[] expected = analytic[which].toArray();
            for (int e = 0; e < x.length; e++) {
                double saved = x[e];
                x[e] = saved + H;
                double up = loss(a, inputs, mask, g);
                x[e] = saved - H;
                double down = loss(a, inputs, mask, g);
                x[e] = saved;
                double numeric = (up - down) / (2 * H);
                if (!(Math.abs(numeric - expected[e]) <= TOL * (1 + Math.abs(numeric)))) {
                    fail(context + ": d loss / d " + names[which] + "[" + e + "] is " + expected[e]
                            + " but the central difference gives " + numeric);
                }
            }
        }
    }

    private static double loss(Attention a, Tensor[] inputs, Mask mask, Tensor g) {
        double[] out = a.apply(inputs[0], inputs[1], inputs[2], mask).output().toArray();
        double[] w = g.toArray();
        double s = 0;
        for (int i = 0; i < out.length; i++) {
            s += out[i] * w[i];
        }
        return s;
    }
}
