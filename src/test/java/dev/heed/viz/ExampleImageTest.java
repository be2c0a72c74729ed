package dev.heed.viz;

import static dev.heed.viz.VizTesting.decode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.attention.AttentionResult;
import dev.heed.attention.Mask;
import dev.heed.attention.MultiHeadAttention;
import dev.heed.encoding.SinusoidalEncoding;
import dev.heed.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The example image of {@code docs/visualisation.md}: causal self-attention of a ten-token sentence
 * through {@link MultiHeadAttention}, its inputs the sinusoidal encoding of the positions, its
 * weights built so that each head looks a fixed distance back.
 *
 * <p>Regenerate it with {@code mvn test -Dtest=ExampleImageTest -Dheed.writeExamples=true}; a
 * plain test run only checks the committed file and the picture's structure.
 */
class ExampleImageTest {
    static final Path EXAMPLE = Path.of("docs/images/causal-self-attention-heads.png");
    static final List<String> TOKENS =
            List.of("the", "cat", "sat", "on", "the", "mat", "because", "it", "was", "tired");
    private static final int EMBED = 64;
    private static final int HEADS = 4;
    private static final int HEAD_DIM = EMBED / HEADS;
    /** How far back each head looks, and from which feature of the encoding its frequencies start. */
    private static final int[] OFFSET = {0, 1, 2, 0};

    private static final int[] FIRST_FEATURE = {0, 0, 0, 16};
    /** Sharpens the scores: the dot products of encodings differ by < 1 between neighbours. */
    private static final double SHARPNESS = 24;

    /**
     * Multi-head attention whose head {@code h} compares the encoding of query position {@code i}
     * moved back {@code OFFSET[h]} places with that of key position {@code j}. Sinusoidal encodings
     * make that move a rotation of each (sin, cos) pair by {@code −offset·ω}, so Wq is
     * block-rotations and Wk a selection: the score peaks where {@code j = i − offset}. Head 3
     * reads slower frequencies with no offset: a window over the recent past that fades with
     * distance.
     */
    static MultiHeadAttention offsetHeads() {
        Tensor wq = Tensor.zeros(EMBED, EMBED);
        Tensor wk = Tensor.zeros(EMBED, EMBED);
        for (int h = 0; h < HEADS; h++) {
            for (int m = 0; m < HEAD_DIM / 2; m++) {
                int in = FIRST_FEATURE[h] + 2 * m; // sin at in, cos at in + 1
                int out = h * HEAD_DIM + 2 * m;
                double omega = Math.pow(SinusoidalEncoding.BASE, -(double) in / EMBED);
                double c = Math.cos(OFFSET[h] * omega) * SHARPNESS;
                double s = Math.sin(OFFSET[h] * omega) * SHARPNESS;
                // sin((p − k)ω) = sin(pω)cos(kω) − cos(pω)sin(kω); cos((p − k)ω) = cos(pω)cos(kω) + sin(pω)sin(kω)
                wq.set(c, out, in);
                wq.set(-s, out, in + 1);
                wq.set(s, out + 1, in);
                wq.set(c, out + 1, in + 1);
                wk.set(1.0, out, in);
                wk.set(1.0, out + 1, in + 1);
            }
        }
        Tensor identity = Tensor.zeros(EMBED, EMBED);
        for (int i = 0; i < EMBED; i++) {
            identity.set(1.0, i, i);
        }
        return MultiHeadAttention.builder(EMBED, HEADS)
                .weights(wq, wk, identity, identity)
                .build();
    }

    static Tensor exampleWeights() {
        Tensor positions = SinusoidalEncoding.table(TOKENS.size(), EMBED);
        AttentionResult result = offsetHeads().forward(positions, Mask.causal());
        return result.weights(); // [H, L, L]
    }

    static HeadGrid exampleChart() {
        return HeadGrid.of(exampleWeights())
                .labels(TOKENS)
                .range(0, 1)
                .title("Causal self-attention: heads that look 0, 1, 2 tokens back, and a fading window");
    }

    @Test
    void eachHeadLooksWhereItWasBuiltTo() {
        Tensor w = exampleWeights();
        assertThat(w.shape()).containsExactly(HEADS, 10, 10);
        for (int h = 0; h < 3; h++) {
            for (int i = OFFSET[h]; i < 10; i++) {
                assertThat(w.get(h, i, i - OFFSET[h]))
                        .as("head %d, query %d", h, i)
                        .isGreaterThan(0.9);
            }
        }
        for (int i = 2; i < 10; i++) {
            assertThat(w.get(3, i, i)).as("the window is largest at the query").isGreaterThan(w.get(3, i, i - 1));
            assertThat(w.get(3, i, i - 1)).isGreaterThan(w.get(3, i, i - 2));
        }
        for (int i = 0; i < 10; i++) {
            for (int j = i + 1; j < 10; j++) {
                assertThat(w.get(0, i, j)).as("causal: no weight on the future").isZero();
            }
        }
    }

    @Test
    void exampleImageIsCommittedSmallAndCurrent() throws Exception {
        HeadGrid chart = exampleChart();
        byte[] png = chart.toPng();
        if (Boolean.getBoolean("heed.writeExamples")) {
            Files.createDirectories(EXAMPLE.getParent());
            Files.write(EXAMPLE, png);
        }
        assertThat(png.length).isLessThan(100_000);
        assertThat(EXAMPLE)
                .as("run with -Dheed.writeExamples=true to create it")
                .exists();
        assertThat(Files.size(EXAMPLE)).isLessThan(100_000);
        BufferedImage committed = decode(Files.readAllBytes(EXAMPLE));
        assertThat(committed.getWidth()).isBetween(600, 1400);
        assertThat(committed.getHeight()).isBetween(150, 600);
    }
}
