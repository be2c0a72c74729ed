package dev.heed.viz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Charts render, text included, in a JVM started with {@code -Djava.awt.headless=true}, even when
 * {@code DISPLAY} names an X server that does not exist; and in one started with no flag and no
 * {@code DISPLAY}, which the JDK runs headless by itself. The viz code sets no system property.
 */
class HeadlessTest {

    /**
     * The probe's class path: the library's and the tests' classes, which surefire puts on the module
     * path (not in {@code java.class.path}), and the test dependencies.
     */
    private static String classPath() {
        List<String> entries = new java.util.ArrayList<>();
        for (Class<?> c : List.of(Heatmap.class, HeadlessProbe.class)) {
            try {
                entries.add(Path.of(c.getProtectionDomain()
                                .getCodeSource()
                                .getLocation()
                                .toURI())
                        .toString());
            } catch (java.net.URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        entries.add(System.getProperty("java.class.path"));
        return String.join(java.io.File.pathSeparator, entries);
    }

    private static String probe(List<String> jvmFlags, String display) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>();
        command.add(java);
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", classPath(), HeadlessProbe.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("DISPLAY");
        if (display != null) {
            builder.environment().put("DISPLAY", display);
        }
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("probe output:%n%s", output).isZero();
        return output;
    }

    @Test
    void rendersWithTheHeadlessFlagEvenWithABrokenDisplay() throws Exception {
        assertThat(probe(List.of("-Djava.awt.headless=true"), ":97")).contains("headless=true");
    }

    @Test
    void rendersWithoutAnyFlagWhenThereIsNoDisplay() throws Exception {
        String output = probe(List.of(), null);
        if (System.getProperty("os.name").startsWith("Linux")) {
            assertThat(output)
                    .as("OpenJDK on Linux is headless without DISPLAY")
                    .contains("headless=true");
        }
    }

    @Test
    void theLibraryLeavesTheHeadlessPropertyAlone() {
        String before = System.getProperty("java.awt.headless");
        Heatmap.of(dev.heed.tensor.Tensor.zeros(2, 2)).labels(List.of("a", "b")).toPng();
        assertThat(System.getProperty("java.awt.headless")).isEqualTo(before);
    }
}
