package dev.heed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * Each surefire execution says which kernels it means to test ({@code -Dheed.test.expectKernels},
 * set in the pom): the default run {@code scalar}, the {@code vector-api} run {@code vector}. If the
 * Vector API kernels failed to load (the provider falls back to scalar quietly), the second run
 * would otherwise pass while testing the scalar path twice. {@code -Dheed.test.maxVectorBits=N} (CI's
 * narrower-width passes) also requires kernels no wider than N bits, so a width flag that the JVM
 * ignored cannot pass for a narrower run.
 */
class KernelPathTest {

    private static final String EXPECT = "heed.test.expectKernels";
    private static final String MAX_BITS = "heed.test.maxVectorBits";

    @Test
    void thisRunTestsTheKernelsItWasMeantTo() {
        String expected = System.getProperty(EXPECT);
        assumeTrue(expected != null, "-D" + EXPECT + " is not set (the Maven build sets it)");
        Heed.KernelInfo kernels = Heed.kernels();
        switch (expected) {
            case "scalar" -> {
                assertThat(kernels.vectorApi())
                        .as("vectorApi() in a run expecting the scalar kernels")
                        .isFalse();
                assertThat(kernels.name()).isEqualTo("scalar");
            }
            case "vector" -> {
                assertThat(kernels.vectorApi())
                        .as("vectorApi() in a run expecting the Vector API kernels: did PanamaKernelSupport fail "
                                + "to load? (its WARNING is in the test output)")
                        .isTrue();
                assertThat(kernels.name()).startsWith("vector-");
                // CI's narrower-width passes (-XX:MaxVectorSize) also say the widest vectors they allow.
                String maxBits = System.getProperty(MAX_BITS);
                if (maxBits != null) {
                    assertThat(Integer.parseInt(kernels.name().substring("vector-".length())))
                            .as("vector bits with -D%s=%s", MAX_BITS, maxBits)
                            .isLessThanOrEqualTo(Integer.parseInt(maxBits));
                }
            }
            default -> fail("-D%s must be scalar or vector, not %s", EXPECT, expected);
        }
    }
}
