package dev.heed.tour;

import dev.heed.tensor.Tensor;
import dev.heed.viz.Chart;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The tour's voice: section headers, lines of text, tensors, and pictures written as PNG and SVG
 * with one line saying what the reader sees in them.
 *
 * <p>Everything printed is ASCII, so the tour reads the same in any terminal and locale (Java 17
 * writes {@code System.out} in the platform charset). Picture titles, drawn into the images, may
 * use any character.
 */
final class Narrator {
    private static final String INDENT = "    ";
    private static final int RULE_WIDTH = 78;

    private final PrintStream out;
    private final Path directory;
    private final List<Path> files = new ArrayList<>();

    Narrator(PrintStream out, Path directory) {
        this.out = out;
        this.directory = directory;
    }

    /** A blank line and a ruled header: {@code == 3. Multi-head attention ====…}. */
    void section(int number, String title) {
        String head = "== " + number + ". " + title + " ";
        out.println();
        out.println(head + "=".repeat(Math.max(2, RULE_WIDTH - head.length())));
    }

    /** One line of text, {@link String#format formatted} in the root locale (a dot for decimals). */
    void say(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
    }

    /** A blank line. */
    void gap() {
        out.println();
    }

    /**
     * A labelled tensor as NumPy would print it: on the label's line when it fits on one line,
     * otherwise indented below it.
     */
    void show(String label, Tensor t) {
        String text = t.toString();
        if (!text.contains("\n") && label.length() + text.length() < RULE_WIDTH) {
            out.println(label + ": " + text);
            return;
        }
        out.println(label + ":");
        for (String line : text.split("\n", -1)) {
            out.println(line.isEmpty() ? "" : INDENT + line);
        }
    }

    /**
     * Writes {@code chart} as {@code name.png} and {@code name.svg} in the tour's directory and
     * says, in a line, what the reader will see in it.
     */
    void picture(String name, Chart<?> chart, String whatYouSee) throws IOException {
        Path png = chart.writePng(directory.resolve(name + ".png"));
        Path svg = chart.writeSvg(directory.resolve(name + ".svg"));
        files.add(png);
        files.add(svg);
        say("[picture] %s.png/.svg: %s", name, whatYouSee);
    }

    /** The files written so far, in order. */
    List<Path> files() {
        return Collections.unmodifiableList(files);
    }

    /** Lists the files written so far with their sizes. */
    void listFiles() throws IOException {
        for (Path file : files) {
            say("%s%-34s %,9d bytes", INDENT, file.getFileName(), Files.size(file));
        }
    }

    /** Where the pictures go. */
    Path directory() {
        return directory;
    }
}
