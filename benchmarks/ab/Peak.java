import jdk.incubator.vector.*;
import java.lang.management.*;
public class Peak {
    static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    static double[] sink = new double[64];
    static double run(int iters) {
        DoubleVector a = DoubleVector.broadcast(S, 1.0000001), b = DoubleVector.broadcast(S, 0.9999999);
        DoubleVector c0=DoubleVector.broadcast(S,0.1),c1=DoubleVector.broadcast(S,0.2),c2=DoubleVector.broadcast(S,0.3),c3=DoubleVector.broadcast(S,0.4),
        c4=DoubleVector.broadcast(S,0.5),c5=DoubleVector.broadcast(S,0.6),c6=DoubleVector.broadcast(S,0.7),c7=DoubleVector.broadcast(S,0.8),
        c8=DoubleVector.broadcast(S,0.9),c9=DoubleVector.broadcast(S,1.0),c10=DoubleVector.broadcast(S,1.1),c11=DoubleVector.broadcast(S,1.2);
        for (int i = 0; i < iters; i++) {
            c0=a.fma(c0,b);c1=a.fma(c1,b);c2=a.fma(c2,b);c3=a.fma(c3,b);c4=a.fma(c4,b);c5=a.fma(c5,b);
            c6=a.fma(c6,b);c7=a.fma(c7,b);c8=a.fma(c8,b);c9=a.fma(c9,b);c10=a.fma(c10,b);c11=a.fma(c11,b);
        }
        c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).intoArray(sink, 0);
        return 12.0 * 2 * S.length() * iters;
    }
    /** GFLOP/s by CPU time, best of a few 50 ms slices. */
    static double gflops() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double best = 0;
        for (int r = 0; r < 5; r++) {
            long t0 = mx.getCurrentThreadCpuTime();
            double f = run(2_000_000);
            best = Math.max(best, f / (mx.getCurrentThreadCpuTime() - t0));
        }
        return best;
    }
}
