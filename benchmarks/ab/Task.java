import dev.heed.tensor.Tensor;
import dev.heed.attention.*;
import java.util.function.*;
/** One workload, loaded once per jar by AB. */
public class Task implements Supplier<Runnable> {
    static String[] args = System.getProperty("ab.args", "fwd 1024 64 64 none").split(" ");
    public Runnable get() {
        String mode = args[0];
        if (mode.equals("pg")) { // pg n kc mc nc: PackedGemm.multiply on one thread with that blocking
            int n = Integer.parseInt(args[1]);
            dev.heed.internal.vector.PackedGemm g = dev.heed.internal.vector.PackedGemm.of(dev.heed.internal.vector.VectorizationProvider.support())
                    .withBlocking(Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            double[] a = Tensor.random(1).normal(n, n).data(), b = Tensor.random(2).normal(n, n).data(), c = new double[n * n];
            return () -> g.multiply(n, n, n, a, 0, n, 1, b, 0, n, c, 0, n);
        }
        if (mode.equals("mm")) {
            int n = Integer.parseInt(args[1]);
            Tensor x = Tensor.random(1).normal(n, n), y = Tensor.random(2).normal(n, n);
            return () -> x.matmul(y);
        }
        int L = Integer.parseInt(args[1]), qc = Integer.parseInt(args[2]), kc = Integer.parseInt(args[3]);
        String maskName = args[4];
        int B = 8, d = 64;
        Tensor q = Tensor.random(1).normal(B, L, d), k = Tensor.random(2).normal(B, L, d), v = Tensor.random(3).normal(B, L, d);
        // padding: numpy_peer's, 3L/4 keys for the first half of the batch and L/2 for the rest
        int[] lengths = new int[B];
        for (int b = 0; b < B; b++) lengths[b] = b < B / 2 ? 3 * L / 4 : L / 2;
        Mask mask = maskName.equals("causal") ? Mask.causal() : maskName.equals("padding") ? Mask.keyPadding(lengths)
                : maskName.startsWith("window") ? Mask.slidingWindow(Integer.parseInt(maskName.substring(6)), 0) : Mask.none();
        int threads = args.length > 5 ? Integer.parseInt(args[5]) : 1; // threads > 1: time with ab.wall=true
        ChunkedAttention c = new ChunkedAttention(qc, kc).withParallelism(threads);
        AttentionResult fwd = c.apply(q, k, v, mask);
        Tensor g = Tensor.random(4).normal(B, L, d);
        if (mode.equals("bwd")) return () -> c.backward(q, k, v, mask, fwd, g);
        return () -> c.apply(q, k, v, mask).output();
    }
}
