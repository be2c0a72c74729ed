package dev.heed.encoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.heed.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SinusoidalEncodingTest {

    @ParameterizedTest(name = "length={0} dModel={1}")
    @CsvSource({"1, 1", "3, 2", "7, 7", "13, 64", "65, 13", "257, 3"})
    void eachColumnPairSharesOneFrequency(int length, int dModel) {
        Tensor pe = SinusoidalEncoding.table(length, dModel);
        assertThat(pe.shape()).containsExactly(length, dModel);
        for (int pos = 0; pos < length; pos++) {
            for (int i = 0; i < dModel; i++) {
                // Written from the paper's formula: PE(pos, 2m) = sin(pos / 10000^(2m/d)), PE(pos, 2m+1) = cos(...).
                int m = i / 2;
                double angle = pos * Math.exp(-Math.log(10000.0) * 2 * m / dModel);
                double expected = i % 2 == 0 ? Math.sin(angle) : Math.cos(angle);
                assertThat(pe.get(pos, i)).as("PE[%d, %d]", pos, i).isCloseTo(expected, within(1e-12));
            }
        }
    }

    @Test
    void positionZeroIsSinZeroCosZero() {
        assertThat(SinusoidalEncoding.table(1, 6).toArray()).containsExactly(0, 1, 0, 1, 0, 1);
    }

    @Test
    void offsetTableIsTheTailOfTheLongerTable() {
        Tensor full = SinusoidalEncoding.table(20, 10);
        Tensor tail = SinusoidalEncoding.table(12, 8, 10);
        assertThat(tail.toArray()).containsExactly(full.slice(0, 12, 20).toArray());
    }

    @Test
    void addToBroadcastsOverBatchAndLeavesTheInputAlone() {
        Tensor x = Tensor.random(3).normal(2, 5, 6);
        double[] before = x.toArray();
        Tensor y = SinusoidalEncoding.addTo(x);
        assertThat(x.toArray()).containsExactly(before);
        Tensor pe = SinusoidalEncoding.table(5, 6);
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < 5; i++) {
                for (int c = 0; c < 6; c++) {
                    assertThat(y.get(b, i, c)).isEqualTo(x.get(b, i, c) + pe.get(i, c));
                }
            }
        }
        Tensor shifted = SinusoidalEncoding.addTo(x, 4);
        assertThat(shifted.sub(x).select(0, 1).allClose(SinusoidalEncoding.table(4, 5, 6), 1e-12, 1e-12))
                .isTrue();
    }

    @Test
    void relativeOffsetIsARotation() {
        // sin/cos pairs at pos+k are a fixed rotation of those at pos, whatever pos is.
        Tensor pe = SinusoidalEncoding.table(40, 8);
        int k = 3;
        for (int m = 0; m < 4; m++) {
            double w = Math.pow(10000, -2.0 * m / 8);
            for (int pos = 0; pos + k < 40; pos++) {
                double s = pe.get(pos, 2 * m);
                double c = pe.get(pos, 2 * m + 1);
                assertThat(pe.get(pos + k, 2 * m)).isCloseTo(s * Math.cos(k * w) + c * Math.sin(k * w), within(1e-12));
                assertThat(pe.get(pos + k, 2 * m + 1))
                        .isCloseTo(c * Math.cos(k * w) - s * Math.sin(k * w), within(1e-12));
            }
        }
    }

    @Test
    void emptyAndBadArguments() {
        assertThat(SinusoidalEncoding.table(0, 4).shape()).containsExactly(0, 4);
        assertThatThrownBy(() -> SinusoidalEncoding.table(-1, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length=-1");
        assertThatThrownBy(() -> SinusoidalEncoding.table(3, -2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dModel=-2");
        assertThatThrownBy(() -> SinusoidalEncoding.table(100_000, 100_000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2^31-1");
        assertThatThrownBy(() -> SinusoidalEncoding.addTo(Tensor.zeros(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[5]");
    }
}
