package dev.heed.tour;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/** Runs the whole tour once into a temporary directory and checks what it prints and writes. */
class TourTest {
    static final List<String> HEADERS = List.of(
            "== 1. Simple attention ",
            "== 2. Scaled dot-product attention and masks ",
            "== 3. Multi-head attention: splitting into heads ",
            "== 4. Sinusoidal positional encoding ",
            "== 5. Text classification: additive attention pooling ",
            "== 6. Translation: alignment attention ",
            "== 7. Transformer self-attention ",
            "== 8. Metrics ",
            "== 9. Heatmaps ",
            "== 10. Chunked attention on a long sequence ",
            "== 11. Document summarisation: hierarchical attention ",
            "== 12. Modern attention: ALiBi, sliding windows, grouped queries, a KV cache ");

    static final List<String> PICTURES = List.of(
            "02-causal-mask",
            "04-positional-encoding",
            "04-position-similarity",
            "05-review-1",
            "05-review-2",
            "06-alignment-luong-general",
            "06-alignment-bahdanau-hand-set",
            "07-causal-heads",
            "07-induction-head",
            "07-induction-partner",
            "09-self-attention",
            "11-word-importance",
            "12-alibi-heads",
            "12-sliding-window",
            "12-grouped-query-heads");

    @TempDir
    static Path temp;

    static Path directory;
    static String text;
    static List<Path> written;

    @BeforeAll
    static void runTheTour() throws IOException {
        directory = temp.resolve("tour"); // not there yet: the tour creates it
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            written = Tour.run(directory, out);
        }
        text = bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void everySectionAppearsOnceInTheTutorialsOrder() {
        int previous = -1;
        for (String header : HEADERS) {
            int at = text.indexOf(header);
            assertThat(at).as("header %s", header).isGreaterThan(previous);
            assertThat(text.indexOf(header, at + 1))
                    .as("%s appears once", header)
                    .isEqualTo(-1);
            previous = at;
        }
        assertThat(text).contains("Done in");
    }

    @Test
    void printsOnlyAscii() {
        assertThat(text.chars().filter(c -> c > 126 || (c < 32 && c != '\n' && c != '\r')))
                .isEmpty();
    }

    @Test
    void simpleAttentionGivesTheTutorialsNumbers() {
        double[] query = {0.1, 0.2, 0.3};
        double[][] keys = {{0.4, 0.5, 0.6}, {0.7, 0.8, 0.9}};
        double[][] values = {{1.0, 1.1}, {1.2, 1.3}};
        double[] scores = new double[2];
        for (int j = 0; j < 2; j++) {
            for (int i = 0; i < 3; i++) {
                scores[j] += query[i] * keys[j][i];
            }
        }
        double w0 = 1 / (1 + Math.exp(scores[1] - scores[0]));
        double w1 = 1 - w0;
        String weights = String.format(Locale.ROOT, "weights: [%.8f %.8f]", w0, w1);
        String output = String.format(
                Locale.ROOT,
                "output: [%.8f %.8f]",
                w0 * values[0][0] + w1 * values[1][0],
                w0 * values[0][1] + w1 * values[1][1]);
        assertThat(weights).isEqualTo("weights: [0.45512111 0.54487889]");
        assertThat(section(1)).contains(weights, output);
    }

    @Test
    void masksBlockExactlyWhereTheTutorialsTrickDoesNot() {
        String masks = section(2);
        assertThat(masks).contains("gives [NaN, NaN, NaN, NaN] there");
        assertThat(masks).contains("output row 3 with Mask.block: [0. 0. 0. 0. 0. 0. 0. 0.]");
        assertThat(masks).containsPattern("logSumExp with Mask.block: \\[.*-inf\\]");
        assertThat(masks).contains("[0.26894142 0.73105858]");
    }

    @Test
    void multiHeadStepsEqualForward() {
        assertThat(section(3))
                .contains(
                        "splitHeads(q)              [1, 2, 4, 4]",
                        "it shares q's data",
                        "mergeHeads(...)            [1, 4, 8]",
                        "Step by step equals mha.forward(x): true");
    }

    @Test
    void encodingSimilarityDependsOnDistanceOnly() {
        Matcher m = Pattern.compile("sim\\(3, 5\\) = (\\S+)\\s+sim\\(20, 22\\) = (\\S+)")
                .matcher(section(4));
        assertThat(m.find()).isTrue();
        assertThat(m.group(1)).isEqualTo(m.group(2));
    }

    @Test
    void theTrainedClassifierReachesItsAccuracyAndReadsTheSentimentWords() {
        String classification = section(5);
        assertThat(number(classification, "\nheld-out accuracy: (\\d\\.\\d{3})\n"))
                .isGreaterThanOrEqualTo(0.97);
        assertThat(number(classification, "mean pooling weight on the deciding words: (\\d\\.\\d{3})"))
                .isGreaterThan(0.5);
        assertThat(classification).containsPattern("AdamW steps in \\d+\\.\\d s");
        // Review 1 ("not bad ... great") is positive, review 2 ("really not good") negative, and in both
        // the sentiment words take most of the weight.
        assertThat(classification.indexOf("-> positive"))
                .isPositive()
                .isLessThan(classification.indexOf("-> negative"));
        String weight = "(\\d\\.\\d{3})";
        double notBad = number(classification, "not " + weight + "  bad") + number(classification, " bad " + weight);
        double notGood = number(classification, "not " + weight + "  good") + number(classification, " good " + weight);
        assertThat(notBad + number(classification, " great " + weight)).isGreaterThan(0.8);
        assertThat(notGood).isGreaterThan(0.8);
        assertThat(classification).contains("The 8 padded slots get weight 0.0 in all");
    }

    @Test
    void theTrainedTranslatorAlignsAndCrossesAtTheAdjectives() {
        String translation = section(6);
        assertThat(number(translation, "\nalignment accuracy: (\\d\\.\\d{3})\n"))
                .isGreaterThanOrEqualTo(0.95);
        assertThat(translation)
                .contains(
                        "the black cat sees a red bird on my tree   (right)",
                        "trained W_a:              10/10 target words find their source",
                        "hand-set Bahdanau: 8/8 target words find their source");
        assertThat(translation)
                .containsPattern("black\\s+-> noir")
                .containsPattern("cat\\s+-> chat")
                .containsPattern("red\\s+-> rouge")
                .containsPattern("bird\\s+-> oiseau");
    }

    @Test
    void theTrainedTransformerHasAnInductionHead() {
        String transformer = section(7);
        assertThat(number(transformer, "loss on the repeated half: (\\d\\.\\d{3})"))
                .isLessThan(0.15);
        double firstHalf = number(transformer, "loss on the first half: +(\\d\\.\\d{3})");
        assertThat(firstHalf).isGreaterThan(number(transformer, "no model can beat (\\d\\.\\d{3})"));
        assertThat(number(transformer, "induction head: layer 1 head \\d, score (\\d\\.\\d{3})"))
                .isGreaterThan(0.8);
        assertThat(number(transformer, "\n(\\d\\.\\d{3}) of each repeated token's attention on the token after"))
                .isGreaterThan(0.8);
        assertThat(transformer).containsPattern("Its partner is layer 0's head \\d, a (duplicate|previous)-token head");
    }

    @Test
    void eachHeadLooksWhereItWasBuiltTo() {
        assertThat(section(7))
                .contains(
                        "head 0: \"tired\" looks at \"tired\" (position 9)",
                        "head 1: \"tired\" looks at \"was\" (position 8)",
                        "head 2: \"tired\" looks at \"it\" (position 7)",
                        "head 3: \"tired\" looks at \"the\" (position 0)");
    }

    @Test
    void metricsOfTheTutorialsLabelsAndOfTheHeads() {
        String metrics = section(8);
        assertThat(metrics).contains("accuracy([1, 0, 1, 1, 0], [1, 0, 1, 0, 0]) = 0.80");
        assertThat(metrics).contains(String.format(Locale.ROOT, "0.0    %.4f   1.0000", Math.log(10)));
        // Mean distance per head: 0, then (0 + 9·1)/10 and (0 + 1 + 8·2)/10, then the mean position 4.5.
        double[] expected = {0, 0.9, 1.7, 4.5};
        Matcher m = Pattern.compile("\\n  (\\d)      (\\d+\\.\\d+)").matcher(metrics);
        for (double distance : expected) {
            assertThat(m.find()).isTrue();
            assertThat(Double.parseDouble(m.group(2))).isCloseTo(distance, org.assertj.core.data.Offset.offset(0.02));
        }
    }

    @Test
    void chunkedAttentionMatchesTheMaterialisedKernelAndSaysWhatItSaves() {
        String chunked = section(10);
        Matcher m = Pattern.compile("largest difference (\\S+)").matcher(chunked);
        int checks = 0;
        while (m.find()) {
            assertThat(Double.parseDouble(m.group(1))).isLessThan(1e-12);
            checks++;
        }
        assertThat(checks).isEqualTo(5);
        assertThat(chunked).contains("8,192 x 8,192 scores = 512 MiB", "a 64 x 64 score tile (32 KiB)");
    }

    @Test
    void summaryPicksTheOnTopicSentences() {
        String summary = section(11);
        assertThat(summary).contains("The padding sentence weighs exactly 0.0");
        assertThat(summary.substring(summary.indexOf("Summary")))
                .contains("  attention weighs inputs.\n", "  each query scores keys.\n", "  softmax makes weights.\n");
        assertThat(summary).doesNotContain("  we had lunch by a river.\n");
    }

    @Test
    void alibiHeadsLookCloserTheSteeperTheirSlope() {
        Matcher m = Pattern.compile("(?m)^  (\\d)      (\\S+)\\s+(\\d+\\.\\d{3})\\s+(\\d+\\.\\d{3})$")
                .matcher(section(12));
        double previousSlope = Double.POSITIVE_INFINITY;
        double previousDistance = 0;
        int heads = 0;
        while (m.find()) {
            double slope = Double.parseDouble(m.group(2));
            double distance = Double.parseDouble(m.group(3));
            double causalAlone = Double.parseDouble(m.group(4));
            assertThat(Integer.parseInt(m.group(1))).isEqualTo(heads);
            assertThat(slope).isLessThan(previousSlope);
            assertThat(distance)
                    .as("head %d", heads)
                    .isGreaterThan(previousDistance)
                    .isLessThan(causalAlone);
            previousSlope = slope;
            previousDistance = distance;
            heads++;
        }
        assertThat(heads).isEqualTo(ModernAttention.ALIBI_HEADS);
        // The steepest head looks at the last token or two; the flattest is nearly plain causal attention.
        assertThat(number(section(12), "(?m)^  0      \\S+\\s+(\\d\\.\\d{3})")).isLessThan(1.5);
    }

    @Test
    void theWindowBlocksEverythingOutsideItsBandAndSkipsMostTiles() {
        String modern = section(12);
        assertThat(modern).contains("largest weight outside the band: 0.0;");
        assertThat(number(modern, "every row sums to 1 within (\\S+)\n")).isLessThan(1e-15);
        assertThat(number(modern, "window touches [\\d,]+ tiles, causal attention [\\d,]+: 1/(\\d+) of the work"))
                .isGreaterThanOrEqualTo(10);
        // Tiles of 64: 4 query tiles see 1..4 key tiles, then 252 see 5; causal sees 1 + 2 + ... + 256.
        assertThat(ModernAttention.tilesTouched(16_384, 64, 64, 255)).isEqualTo(1 + 2 + 3 + 4 + 252 * 5);
        assertThat(ModernAttention.tilesTouched(16_384, 64, 64, 16_384)).isEqualTo(256 * 257 / 2);
        // Query tiles of 4 over key tiles of 3, the diagonal only: keys 0-3, 4-7 and 8-9 each straddle two key tiles.
        assertThat(ModernAttention.tilesTouched(10, 4, 3, 0)).isEqualTo(2 + 2 + 2);
    }

    @Test
    void groupedQueryHeadsSharingAKeyValueHeadLookAlike() {
        String modern = section(12);
        assertThat(modern)
                .contains("weights [8, 12, 12]; equal bit for bit to plain attention over each key/value head "
                        + "repeated 4 times: true");
        assertThat(modern).contains("Heads 0-3 share key/value head 0, heads 4-7 share head 1.");
        Matcher m = Pattern.compile("(\\d\\.\\d{4}) when they share a key/value head, (\\d\\.\\d{4}) when not")
                .matcher(modern);
        assertThat(m.find()).isTrue();
        assertThat(Double.parseDouble(m.group(1))).isLessThan(Double.parseDouble(m.group(2)) / 2);
    }

    @Test
    void everyDecodingStepEqualsTheFullCausalForward() {
        String modern = section(12);
        Matcher m = Pattern.compile("(?m)^  (\\d)\\s+(\\d+)\\.\\.(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+([\\d,]+)\\s+(\\S+)$")
                .matcher(modern);
        int steps = 0;
        int cached = 0;
        while (m.find()) {
            int first = Integer.parseInt(m.group(2));
            int last = Integer.parseInt(m.group(3));
            int capacity = Integer.parseInt(m.group(5));
            assertThat(first).isEqualTo(cached);
            assertThat(last - first + 1).isEqualTo(ModernAttention.STEPS[steps]);
            cached = last + 1;
            assertThat(Integer.parseInt(m.group(4))).as("cache length").isEqualTo(cached);
            assertThat(capacity).isGreaterThanOrEqualTo(cached);
            assertThat(Long.parseLong(m.group(6).replace(",", "")))
                    .as("bytes of keys and values at the capacity")
                    .isEqualTo(2L * 8 * capacity * ModernAttention.DECODE_EMBED);
            assertThat(Double.parseDouble(m.group(7))).as("step %d", steps + 1).isLessThanOrEqualTo(1e-12);
            steps++;
        }
        assertThat(steps).isEqualTo(ModernAttention.STEPS.length);
        assertThat(number(modern, "Every step equals the full causal forward: largest difference (\\S+) "))
                .isLessThanOrEqualTo(1e-12);
        assertThat(modern).contains("256 MiB for 32,768 tokens at E = 512");
    }

    @Test
    void writesEveryPictureAsPngAndSvg() throws IOException {
        List<Path> expected = new ArrayList<>();
        for (String name : PICTURES) {
            expected.add(directory.resolve(name + ".png"));
            expected.add(directory.resolve(name + ".svg"));
            assertThat(text).contains("[picture] " + name + ".png/.svg: ");
        }
        assertThat(written).containsExactlyElementsOf(expected);
        try (Stream<Path> files = Files.list(directory)) {
            assertThat(files).containsExactlyInAnyOrderElementsOf(expected);
        }
    }

    @Test
    void pngsDecodeAtSaneSizes() throws IOException {
        for (String name : PICTURES) {
            BufferedImage image = ImageIO.read(directory.resolve(name + ".png").toFile());
            assertThat(image).as(name).isNotNull();
            assertThat(image.getWidth()).as(name + " width").isBetween(200, 1400);
            assertThat(image.getHeight()).as(name + " height").isBetween(120, 900);
        }
    }

    @Test
    void svgsAreWellFormedXml() throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        for (String name : PICTURES) {
            Document svg = factory.newDocumentBuilder()
                    .parse(directory.resolve(name + ".svg").toFile());
            assertThat(svg.getDocumentElement().getLocalName()).as(name).isEqualTo("svg");
            assertThat(svg.getDocumentElement().getNamespaceURI()).isEqualTo("http://www.w3.org/2000/svg");
        }
    }

    @Test
    void helpPrintsUsageAndWrongArgumentsFail() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            assertThat(Tour.main(new String[] {"--help"}, o, e)).isZero();
            assertThat(Tour.main(new String[] {"a", "b"}, o, e)).isEqualTo(2);
            assertThat(Tour.main(new String[] {"--quiet"}, o, e)).isEqualTo(2);
            Path file = Files.writeString(temp.resolve("a-file"), "not a directory");
            assertThat(Tour.main(new String[] {file.toString()}, o, e)).isEqualTo(2);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("Usage: ").contains("heed-tour");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("at most one argument", "is not a directory");
    }

    /** The number captured by the first match of {@code regex} in {@code text}. */
    private static double number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s in the tour's text", regex).isTrue();
        return Double.parseDouble(m.group(1));
    }

    /** The text of section {@code number}, from its header to the next one (or the end). */
    private static String section(int number) {
        int start = text.indexOf(HEADERS.get(number - 1));
        int end = number < HEADERS.size() ? text.indexOf(HEADERS.get(number)) : text.length();
        assertThat(start).isNotNegative();
        return text.substring(start, end);
    }
}
