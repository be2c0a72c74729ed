package dev.heed.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.heed.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EmbeddingTest {

    @Test
    void looksUpRowsOfTheTable() {
        Embedding e = Embedding.of(Tensor.of(new double[][] {{0, 0.5}, {1, 1.5}, {2, 2.5}}));
        Tensor v = e.lookup(2, 0, 2);
        assertThat(v.shape()).containsExactly(3, 2);
        assertThat(v.toArray()).containsExactly(2, 2.5, 0, 0.5, 2, 2.5);
        Tensor batch = e.lookup(new int[][] {{1, 2}, {0, 1}});
        assertThat(batch.shape()).containsExactly(2, 2, 2);
        assertThat(batch.toArray()).containsExactly(1, 1.5, 2, 2.5, 0, 0.5, 1, 1.5);
    }

    @Test
    void matchesNaiveIndexingForOddSizes() {
        for (int[] size : new int[][] {{1, 1}, {3, 7}, {13, 3}, {7, 13}}) {
            int vocab = size[0];
            int dim = size[1];
            Embedding e = Embedding.seeded(vocab, dim, 3);
            double[] table = e.table().toArray();
            Random random = new Random(vocab * 31L + dim);
            int[][] ids = new int[3][5];
            for (int[] row : ids) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = random.nextInt(vocab);
                }
            }
            double[] got = e.lookup(ids).toArray();
            for (int b = 0; b < 3; b++) {
                for (int j = 0; j < 5; j++) {
                    for (int c = 0; c < dim; c++) {
                        assertThat(got[(b * 5 + j) * dim + c]).isEqualTo(table[ids[b][j] * dim + c]);
                    }
                }
            }
        }
    }

    @Test
    void seededTableIsStandardNormalAndReproducible() {
        Embedding e = Embedding.seeded(50, 40, 7);
        assertThat(e.table().toArray())
                .containsExactly(Tensor.random(7).normal(50, 40).toArray());
        assertThat(Embedding.seeded(50, 40, new Random(7)).table().toArray())
                .containsExactly(e.table().toArray());
        assertThat(Embedding.seeded(50, 40, 8).table().toArray())
                .isNotEqualTo(e.table().toArray());
        double[] t = e.table().toArray();
        double mean = 0;
        double sq = 0;
        for (double x : t) {
            mean += x / t.length;
            sq += x * x / t.length;
        }
        assertThat(mean).isBetween(-0.1, 0.1);
        assertThat(sq).isBetween(0.9, 1.1);
        assertThat(e.vocabSize()).isEqualTo(50);
        assertThat(e.embedDim()).isEqualTo(40);
    }

    @Test
    void emptyLookupsAreEmpty() {
        Embedding e = Embedding.seeded(4, 3, 1);
        assertThat(e.lookup().shape()).containsExactly(0, 3);
        assertThat(e.lookup(new int[0][]).shape()).containsExactly(0, 0, 3);
        assertThat(e.lookup(new int[][] {{}, {}}).shape()).containsExactly(2, 0, 3);
    }

    @Test
    void tableIsCopiedInAndOutAndLookupsAreNotViews() {
        double[] data = {1, 2, 3, 4};
        Embedding e = Embedding.of(Tensor.of(data, 2, 2));
        data[0] = 100;
        e.table().set(100, 1, 1);
        Tensor row = e.lookup(0);
        row.set(-5, 0, 0);
        assertThat(e.table().toArray()).containsExactly(1, 2, 3, 4);
        assertThat(e.lookup(0).toArray()).containsExactly(1, 2);
        // a transposed table is taken as the matrix it shows
        Embedding t =
                Embedding.of(Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1));
        assertThat(t.lookup(1).toArray()).containsExactly(2, 5);
        assertThat(t.toString()).isEqualTo("Embedding{vocabSize=3, embedDim=2}");
    }

    @Test
    void outOfRangeIdsAreNamedWithTheVocabularySize() {
        Embedding e = Embedding.seeded(10, 3, 1);
        assertThatThrownBy(() -> e.lookup(1, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id 10")
                .hasMessageContaining("ids[1]")
                .hasMessageContaining("vocabulary of 10");
        assertThatThrownBy(() -> e.lookup(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id -1");
        assertThatThrownBy(() -> e.lookup(new int[][] {{1, 2}, {3, 99}}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id 99")
                .hasMessageContaining("ids[1][1]");
        assertThatThrownBy(() -> e.lookup(new int[][] {{1, 2}, {3}}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rectangular");
        assertThatThrownBy(() -> e.lookup(new int[][] {{1}, null}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("row 1");
        assertThatThrownBy(() -> e.lookup((int[]) null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Embedding.of(Tensor.zeros(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3]");
        assertThatThrownBy(() -> Embedding.of(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Embedding.seeded(0, 3, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vocabSize=0");
        assertThatThrownBy(() -> Embedding.seeded(3, 0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("embedDim=0");
    }
}
