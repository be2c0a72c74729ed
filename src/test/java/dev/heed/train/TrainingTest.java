package dev.heed.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.heed.autograd.Variable;
import dev.heed.layers.Module;
import dev.heed.layers.TrainableEmbedding;
import dev.heed.layers.TrainableLinear;
import dev.heed.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Small models trained end to end on seeded synthetic data: the pieces working together. */
class TrainingTest {
    @TempDir
    Path dir;

    /** Points and labels. */
    record Data(Tensor x, int[] y) {}

    /** Gaussian points labelled by the side of the line 2a − b + 0.5 = 0 they fall on. */
    static Data halfPlanes(long seed, int n) {
        Random r = new Random(seed);
        double[] x = new double[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = r.nextGaussian();
            x[2 * i + 1] = r.nextGaussian();
            y[i] = 2 * x[2 * i] - x[2 * i + 1] + 0.5 > 0 ? 1 : 0;
        }
        return new Data(Tensor.of(x, n, 2), y);
    }

    /** A disc of radius 1 (class 0) inside a ring of radii 1.5 to 2.5 (class 1): not linearly separable. */
    static Data discAndRing(long seed, int n) {
        Random r = new Random(seed);
        double[] x = new double[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            double radius = y[i] == 0 ? Math.sqrt(r.nextDouble()) : 1.5 + r.nextDouble();
            double angle = 2 * Math.PI * r.nextDouble();
            x[2 * i] = radius * Math.cos(angle);
            x[2 * i + 1] = radius * Math.sin(angle);
        }
        return new Data(Tensor.of(x, n, 2), y);
    }

    static double accuracy(Variable logits, int[] y) {
        Tensor predicted = logits.value().argmax(-1);
        int right = 0;
        for (int i = 0; i < y.length; i++) {
            right += (int) predicted.get(i) == y[i] ? 1 : 0;
        }
        return (double) right / y.length;
    }

    @Test
    void logisticRegressionWithSgdMomentum() {
        Data train = halfPlanes(1, 200);
        Data test = halfPlanes(2, 500);
        TrainableLinear model = TrainableLinear.seeded(2, 2, true, 3);
        Sgd sgd = Sgd.builder(model).learningRate(0.5).momentum(0.9).build();
        Variable x = Variable.constant(train.x());
        double first = Double.NaN;
        double last = Double.NaN;
        for (int step = 0; step < 100; step++) {
            Variable loss = Losses.crossEntropy(model.forward(x), train.y());
            first = step == 0 ? loss.item() : first;
            last = loss.item();
            sgd.zeroGrad();
            loss.backward();
            sgd.step();
        }
        assertThat(first).isGreaterThan(0.3);
        assertThat(last).isLessThan(0.1);
        assertThat(accuracy(model.forward(Variable.constant(test.x())), test.y()))
                .isGreaterThanOrEqualTo(0.97);
    }

    /** 2 → 16 → 2 with tanh. */
    static final class Mlp implements Module {
        final TrainableLinear hidden;
        final TrainableLinear out;

        Mlp(long seed) {
            Random r = new Random(seed);
            hidden = TrainableLinear.seeded(2, 16, true, r);
            out = TrainableLinear.seeded(16, 2, true, r);
        }

        Variable forward(Variable x) {
            return out.forward(hidden.forward(x).tanh());
        }

        @Override
        public Map<String, Variable> parameters() {
            return Module.builder().add("hidden", hidden).add("out", out).build();
        }
    }

    /** Trains an MLP for {@code steps} full-batch AdamW steps with clipping; returns the last loss. */
    static double train(Mlp model, Data data, int steps) {
        AdamW adam = AdamW.builder(model).learningRate(0.05).build();
        Variable x = Variable.constant(data.x());
        double last = Double.NaN;
        for (int step = 0; step < steps; step++) {
            Variable loss = Losses.crossEntropy(model.forward(x), data.y());
            last = loss.item();
            adam.zeroGrad();
            loss.backward();
            GradientClipping.clipNorm(model.parameters().values(), 1.0);
            adam.step();
        }
        return last;
    }

    @Test
    void twoLayerPerceptronWithAdamWLearnsANonLinearBoundaryDeterministically() {
        Data train = discAndRing(10, 300);
        Data test = discAndRing(11, 600);
        Mlp model = new Mlp(12);
        double loss = train(model, train, 300);
        assertThat(loss).isLessThan(0.05);
        assertThat(accuracy(model.forward(Variable.constant(test.x())), test.y()))
                .isGreaterThanOrEqualTo(0.98);

        Mlp again = new Mlp(12);
        assertThat(Double.doubleToRawLongBits(train(again, train, 300))).isEqualTo(Double.doubleToRawLongBits(loss));
        assertThat(again.out.weight().value().toArray())
                .containsExactly(model.out.weight().value().toArray());
    }

    @Test
    void aSavedModelPredictsTheSameAfterLoading() throws IOException {
        Data train = discAndRing(20, 100);
        Mlp model = new Mlp(21);
        train(model, train, 50);
        Path file = dir.resolve("mlp.safetensors");
        Checkpoints.save(file, model);
        Mlp restored = new Mlp(22);
        Checkpoints.load(file, restored);
        Variable x = Variable.constant(discAndRing(23, 50).x());
        assertThat(restored.forward(x).value().toArray())
                .containsExactly(model.forward(x).value().toArray());
    }

    /**
     * Embedding → additive attention pooling (score = vᵀ tanh(W h + b), softmax over tokens,
     * weighted sum) → linear: the tutorial's classifier shape, composed from autograd operations.
     */
    static final class PoolingClassifier implements Module {
        final TrainableEmbedding embedding;
        final TrainableLinear attention;
        final Variable context;
        final TrainableLinear head;

        PoolingClassifier(long seed, int vocab, int dim) {
            Random r = new Random(seed);
            embedding = TrainableEmbedding.seeded(vocab, dim, r);
            attention = TrainableLinear.seeded(dim, dim, true, r);
            context = Variable.parameter(Init.uniform(r, -0.5, 0.5, dim));
            head = TrainableLinear.seeded(dim, 2, true, r);
        }

        /** The pooling weights [B, T] and the logits [B, 2]. */
        Variable[] forward(int[][] ids) {
            Variable h = embedding.forward(ids); // [B, T, D]
            Variable weights = attention.forward(h).tanh().matmul(context).softmax(-1); // [B, T]
            Variable pooled = weights.unsqueeze(-1).mul(h).sum(1); // [B, D]
            return new Variable[] {weights, head.forward(pooled)};
        }

        @Override
        public Map<String, Variable> parameters() {
            return Module.builder()
                    .add("embedding", embedding)
                    .add("attention", attention)
                    .add("context", context)
                    .add("head", head)
                    .build();
        }
    }

    /** Sequences of 6 filler tokens (2..11) with one marker, token 0 or 1, which is the label. */
    static int[][] markedSequences(Random r, int n, int[] labels, int[] markerAt) {
        int[][] ids = new int[n][6];
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < 6; t++) {
                ids[i][t] = 2 + r.nextInt(10);
            }
            labels[i] = r.nextInt(2);
            markerAt[i] = r.nextInt(6);
            ids[i][markerAt[i]] = labels[i];
        }
        return ids;
    }

    @Test
    void additiveAttentionPoolingLearnsToAttendToTheDecidingToken() {
        Random r = new Random(30);
        int[] trainLabels = new int[200];
        int[] trainAt = new int[200];
        int[][] train = markedSequences(r, 200, trainLabels, trainAt);
        int[] testLabels = new int[300];
        int[] testAt = new int[300];
        int[][] test = markedSequences(r, 300, testLabels, testAt);

        PoolingClassifier model = new PoolingClassifier(31, 12, 8);
        AdamW adam = AdamW.builder(model).learningRate(0.05).build();
        for (int step = 0; step < 150; step++) {
            Variable loss = Losses.crossEntropy(model.forward(train)[1], trainLabels);
            adam.zeroGrad();
            loss.backward();
            adam.step();
        }
        Variable[] out = model.forward(test);
        assertThat(accuracy(out[1], testLabels)).isGreaterThanOrEqualTo(0.97);
        double onMarker = 0;
        for (int i = 0; i < testAt.length; i++) {
            onMarker += out[0].value().get(i, testAt[i]);
        }
        assertThat(onMarker / testAt.length)
                .as("mean pooling weight on the marker")
                .isGreaterThan(0.5);
    }
}
