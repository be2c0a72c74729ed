package dev.heed;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

class HeedTest {

    private static boolean vectorModuleInBootLayer() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                && !"false".equals(System.getProperty("dev.heed.vector"));
    }

    @Test
    void kernelsSayWhichPathThisJvmRuns() {
        Heed.KernelInfo k = Heed.kernels();
        assertThat(k.vectorApi()).isEqualTo(vectorModuleInBootLayer());
        if (k.vectorApi()) {
            assertThat(k.vectorBits()).isIn(128, 256, 512);
            assertThat(k.name()).isEqualTo("vector-" + k.vectorBits());
        } else {
            assertThat(k.vectorBits()).isEqualTo(64);
            assertThat(k.name()).isEqualTo("scalar");
        }
        assertThat(k.doubleLanes()).isEqualTo(k.vectorBits() / 64);
        assertThat(k.parallelism()).isPositive();
        assertThat(Heed.kernels()).isSameAs(k);
    }

    @Test
    void kernelWidthFollowsMaxVectorSize() {
        if (!Heed.kernels().vectorApi()) {
            return;
        }
        // -XX:MaxVectorSize caps the preferred species; the kernels must report the width they use.
        String max = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-XX:MaxVectorSize="))
                .map(a -> a.substring("-XX:MaxVectorSize=".length()))
                .reduce((a, b) -> b)
                .orElse(null);
        if (max != null) {
            assertThat(Heed.kernels().vectorBits()).isLessThanOrEqualTo(8 * Integer.parseInt(max));
        }
    }

    @Test
    void toStringNamesPathLanesAndThreads() {
        assertThat(new Heed.KernelInfo(true, 256, 2).toString())
                .isEqualTo("vector-256 (4 doubles per vector), 2 threads");
        assertThat(new Heed.KernelInfo(false, 64, 1).toString()).isEqualTo("scalar (1 double per vector), 1 thread");
        assertThat(ForkJoinPool.getCommonPoolParallelism()).isPositive();
    }
}
