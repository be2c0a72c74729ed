import java.lang.management.*;
import java.net.*;
import java.util.*;
import java.util.function.*;
/**
 * Alternates builds of Heed in one JVM (a class loader each), round by round, timing each by the
 * calling thread's CPU time: {@code java AB rounds 'jar|workload[|property=value...]' ...}. See
 * README.md. A development tool, not part of the Maven build.
 */
public class AB {
    public static void main(String[] a) throws Exception {
        System.setProperty("dev.heed.parallelism", "1");
        int rounds = Integer.parseInt(a[0]);
        int nj = a.length - 1;
        Runnable[] work = new Runnable[nj];
        for (int j = 0; j < nj; j++) {
            String[] spec = a[j + 1].split("\\|");
            if (spec.length > 1) System.setProperty("ab.args", spec[1]);
            System.clearProperty("dev.heed.gemm.shape");
            for (int x = 2; x < spec.length; x++) { String[] kv = spec[x].split("="); System.setProperty(kv[0], kv[1]); }
            URLClassLoader cl = new URLClassLoader(new URL[] {new java.io.File(spec[0]).toURI().toURL(), new java.io.File("task/").toURI().toURL()}, ClassLoader.getPlatformClassLoader());
            @SuppressWarnings("unchecked")
            Supplier<Runnable> t = (Supplier<Runnable>) cl.loadClass("Task").getDeclaredConstructor().newInstance();
            work[j] = t.get();
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        boolean wall = Boolean.getBoolean("ab.wall");
        double peak = 0;
        double[] flopsOf = new double[nj];
        for (int j = 0; j < nj; j++) {
            String[] spec = a[j + 1].split("\\|");
            String[] t = (spec.length > 1 ? spec[1] : System.getProperty("ab.args")).split(" ");
            if (t[0].equals("mm") || t[0].equals("pg")) { double n = Double.parseDouble(t[1]); flopsOf[j] = 2 * n * n * n; continue; }
            double L = Double.parseDouble(t[1]);
            double pairs = t[4].equals("causal") ? 8 * L * (L + 1) / 2 : t[4].equals("padding") ? 4 * L * (0.75 * L + 0.5 * L) : 8 * L * L;
            if (t[4].startsWith("window")) { // a causal window: query i sees min(i + 1, W + 1) keys
                int w = Integer.parseInt(t[4].substring(6));
                pairs = 0;
                for (int i = 0; i < L; i++) pairs += 8 * Math.min(i + 1, w + 1);
            }
            flopsOf[j] = 4.0 * 64 * pairs * (t[0].equals("bwd") ? 2.5 : 1);
        }
        double[][] ms = new double[nj][rounds];
        for (int r = -2; r < rounds; r++) {
            peak = Math.max(peak, Peak.gflops());
            for (int j = 0; j < nj; j++) {
                // ab.wall=true: wall-clock time (for workloads on several threads), else this thread's CPU time
                long t0 = wall ? System.nanoTime() : mx.getCurrentThreadCpuTime();
                int reps = 0;
                long t;
                do { work[j].run(); reps++; t = wall ? System.nanoTime() : mx.getCurrentThreadCpuTime(); } while (t - t0 < 250_000_000L);
                if (r >= 0) ms[j][r] = (t - t0) / 1e6 / reps;
            }
        }
        System.out.printf("one-core FMA peak by CPU time (max over rounds): %.1f GFLOP/s%n", peak);
        for (int j = 0; j < nj; j++) {
            double[] s = ms[j].clone(); Arrays.sort(s);
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) ratio[r] = ms[j][r] / ms[0][r];
            Arrays.sort(ratio);
            System.out.printf("%-30s min %.2f ms  median %.2f ms  median ratio to first %.3f  (ratios %.3f..%.3f)  %% of peak %.1f (min) %.1f (median)%n", a[j+1].replace(".jar",""), s[0], s[rounds/2], ratio[rounds/2], ratio[0], ratio[rounds-1], 100 * flopsOf[j] / (s[0] * 1e6) / peak, 100 * flopsOf[j] / (s[rounds/2] * 1e6) / peak);
        }
    }
}
