package dev.heed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The module boundary and the direction of dependencies that docs/architecture.md describes: the
 * module exports exactly the public packages, needs the incubator module only statically, and each
 * package uses only the packages below it. A new package fails here until it is placed: exported in
 * module-info.java (or kept internal), and given its row in {@link #MAY_USE} and in the document.
 */
class ModuleBoundaryTest {

    private static final Path SOURCES = Path.of("src", "main", "java");

    /**
     * Which packages of ours each package may use, besides itself and {@code dev.heed.internal.*}
     * (which every package but the tour may use). Mirrors the picture in docs/architecture.md.
     */
    private static final Map<String, Set<String>> MAY_USE = Map.ofEntries(
            Map.entry("dev.heed", Set.of()),
            Map.entry("dev.heed.tensor", Set.of()),
            Map.entry("dev.heed.autograd", Set.of("dev.heed.tensor")),
            Map.entry("dev.heed.layers", Set.of("dev.heed.tensor", "dev.heed.autograd")),
            Map.entry("dev.heed.encoding", Set.of("dev.heed.tensor")),
            Map.entry("dev.heed.metrics", Set.of("dev.heed.tensor")),
            Map.entry("dev.heed.attention", Set.of("dev.heed.tensor", "dev.heed.layers", "dev.heed.encoding")),
            Map.entry("dev.heed.viz", Set.of("dev.heed.tensor", "dev.heed.attention", "dev.heed.metrics")),
            Map.entry("dev.heed.io", Set.of("dev.heed.tensor", "dev.heed.attention", "dev.heed.layers")),
            Map.entry(
                    "dev.heed.train",
                    Set.of(
                            "dev.heed.tensor",
                            "dev.heed.autograd",
                            "dev.heed.layers",
                            "dev.heed.attention",
                            "dev.heed.io",
                            "dev.heed.encoding")),
            Map.entry(
                    "dev.heed.examples",
                    Set.of(
                            "dev.heed.tensor",
                            "dev.heed.autograd",
                            "dev.heed.layers",
                            "dev.heed.attention",
                            "dev.heed.encoding",
                            "dev.heed.train")));

    /** Kernels work on arrays and tensors: they may use the tensor package, nothing public above it. */
    private static final Set<String> INTERNAL_MAY_USE = Set.of("dev.heed.tensor");

    private static final Pattern REFERENCE = Pattern.compile("\\b(dev\\.heed(?:\\.[a-z][a-z0-9]*)*)\\.[A-Z]");

    private static boolean isInternal(String pkg) {
        return pkg.equals("dev.heed.internal") || pkg.startsWith("dev.heed.internal.");
    }

    /** Packages that hold main sources, from the directory tree. */
    private static Set<String> mainPackages() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            return files.filter(f -> f.toString().endsWith(".java")
                            && f.getParent() != null
                            && !f.getParent().equals(SOURCES))
                    .map(f -> SOURCES.relativize(f.getParent())
                            .toString()
                            .replace(f.getFileSystem().getSeparator(), "."))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static boolean inModule() {
        String expected = System.getProperty("heed.test.expectModule");
        assumeTrue(expected != null, "-Dheed.test.expectModule is not set (the Maven build sets it)");
        return true;
    }

    @Test
    void testsRunInsideTheNamedModule() {
        inModule();
        assertThat(Heed.class.getModule().getName())
                .as("the tests must run on the module path, so module-info.java is what they test")
                .isEqualTo(System.getProperty("heed.test.expectModule"));
    }

    @Test
    void theModuleExportsThePublicPackagesAndNothingElse() throws IOException {
        inModule();
        ModuleDescriptor descriptor = Heed.class.getModule().getDescriptor();
        Set<String> exported = new TreeSet<>();
        for (ModuleDescriptor.Exports e : descriptor.exports()) {
            assertThat(e.isQualified()).as("qualified export of %s", e.source()).isFalse();
            exported.add(e.source());
        }
        Set<String> expected = mainPackages().stream()
                .filter(p -> !isInternal(p) && !p.equals("dev.heed.tour"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(exported).as("exports in module-info.java").isEqualTo(expected);
        assertThat(descriptor.isOpen()).isFalse();
        assertThat(descriptor.opens()).isEmpty();
    }

    @Test
    void theIncubatorModuleIsRequiredOnlyStatically() {
        inModule();
        ModuleDescriptor.Requires vector = Heed.class.getModule().getDescriptor().requires().stream()
                .filter(r -> r.name().equals("jdk.incubator.vector"))
                .findFirst()
                .orElseThrow();
        assertThat(vector.modifiers()).containsExactly(ModuleDescriptor.Requires.Modifier.STATIC);
        // With --add-modules jdk.incubator.vector the static edge becomes a read edge at run time.
        ModuleLayer.boot()
                .findModule("jdk.incubator.vector")
                .ifPresent(m -> assertThat(Heed.class.getModule().canRead(m)).isTrue());
    }

    @Test
    void everyPackageIsPlacedInTheArchitecture() throws IOException {
        for (String pkg : mainPackages()) {
            if (!isInternal(pkg) && !pkg.equals("dev.heed.tour")) {
                assertThat(MAY_USE)
                        .as("package %s: add it to docs/architecture.md and MAY_USE", pkg)
                        .containsKey(pkg);
            }
        }
    }

    @Test
    void dependenciesPointDownward() throws IOException {
        Map<String, List<String>> violations = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(SOURCES)) {
            files = walk.filter(f -> f.toString().endsWith(".java") && !f.endsWith("module-info.java"))
                    .toList();
        }
        for (Path file : files) {
            String pkg = SOURCES.relativize(file.getParent())
                    .toString()
                    .replace(file.getFileSystem().getSeparator(), ".");
            String code = withoutCommentsAndStrings(Files.readString(file, StandardCharsets.UTF_8));
            Matcher m = REFERENCE.matcher(code);
            Set<String> used = new TreeSet<>();
            while (m.find()) {
                used.add(m.group(1));
            }
            for (String target : used) {
                if (!allowed(pkg, target)) {
                    violations
                            .computeIfAbsent(SOURCES.relativize(file).toString(), k -> new ArrayList<>())
                            .add(target);
                }
            }
            if (!isInternal(pkg)) {
                assertThat(code)
                        .as("%s: only dev.heed.internal may use the incubator module", file)
                        .doesNotContain("jdk.incubator.vector");
            }
        }
        assertThat(violations)
                .as("files that use a package they may not (see docs/architecture.md)")
                .isEmpty();
    }

    private static boolean allowed(String from, String to) {
        if (from.equals(to)) {
            return true;
        }
        if (from.equals("dev.heed.tour")) {
            return !isInternal(to);
        }
        if (isInternal(to)) {
            return true;
        }
        if (isInternal(from)) {
            return INTERNAL_MAY_USE.contains(to);
        }
        return MAY_USE.getOrDefault(from, Set.of()).contains(to);
    }

    /** The code with comments and string and character literals blanked, so prose cannot count as use. */
    static String withoutCommentsAndStrings(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            if (c == '/' && i + 1 < n && source.charAt(i + 1) == '/') {
                while (i < n && source.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && source.charAt(i + 1) == '*') {
                int end = source.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                out.append(' ');
            } else if (source.startsWith("\"\"\"", i)) {
                int end = source.indexOf("\"\"\"", i + 3);
                i = end < 0 ? n : end + 3;
                out.append("\"\"");
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < n && source.charAt(i) != c) {
                    i += source.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                out.append(c).append(c);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    @Test
    void theScannerSkipsCommentsAndLiterals() {
        String code = "import dev.heed.tensor.Tensor; // dev.heed.viz.Heatmap\n/* dev.heed.io.Npy */ "
                + "String s = \"dev.heed.layers.Linear \\\" dev.heed.metrics.Metrics\"; char q = '\"'; dev.heed.encoding.X x;";
        Matcher m = REFERENCE.matcher(withoutCommentsAndStrings(code));
        List<String> found = new ArrayList<>();
        while (m.find()) {
            found.add(m.group(1));
        }
        assertThat(found).containsExactly("dev.heed.tensor", "dev.heed.encoding");
    }
}
