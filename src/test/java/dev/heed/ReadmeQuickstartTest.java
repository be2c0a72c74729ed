package dev.heed;

import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiles and runs the README's quickstart exactly as written, so it cannot rot. */
class ReadmeQuickstartTest {

    @Test
    void quickstartCompilesRunsAndPrintsWhatTheReadmeSays(@TempDir Path dir) throws Exception {
        String readme = Files.readString(Paths.get("README.md"), StandardCharsets.UTF_8);
        int marker = readme.indexOf("<!-- quickstart");
        assertThat(marker).as("quickstart marker in README.md").isNotNegative();
        int start = readme.indexOf("```java\n", marker) + "```java\n".length();
        int end = readme.indexOf("```", start);
        List<String> imports = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (String line : readme.substring(start, end).split("\n")) {
            if (line.startsWith("import ")) {
                imports.add(line);
            } else {
                body.append("        ").append(line).append('\n');
            }
        }
        String source = String.join("\n", imports) + "\n\npublic class Quickstart {\n"
                + "    public static void main(String[] args) {\n" + body + "    }\n}\n";
        Path file = dir.resolve("Quickstart.java");
        Files.writeString(file, source);

        Path classes = Paths.get(
                Tensor.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = javac.run(
                null, null, diagnostics, "-classpath", classes.toString(), "-d", dir.toString(), file.toString());
        assertThat(status)
                .as("javac output:\n%s\nsource:\n%s", diagnostics, source)
                .isZero();

        PrintStream original = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (URLClassLoader loader =
                new URLClassLoader(new URL[] {dir.toUri().toURL()}, ReadmeQuickstartTest.class.getClassLoader())) {
            Method main = loader.loadClass("Quickstart").getMethod("main", String[].class);
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(original);
        }
        String[] lines = printed.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines[0]).isEqualTo("[2, 5, 16]");
        // The head-0 weights of batch 0 are lower triangular: row 0 is [1, 0, 0, 0, 0].
        assertThat(lines[1]).isEqualTo("[[1.         0.         0.         0.         0.        ]");
        assertThat(lines[lines.length - 1]).isEqualTo("true");
    }
}
