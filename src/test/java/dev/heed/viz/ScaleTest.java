package dev.heed.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ScaleTest {

    @Test
    void defaultAttentionRangeHasTicksEveryFifth() {
        Scale s = Scale.fixed(0, 1);
        assertThat(s.ticks()).containsExactly(0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0);
        assertThat(Arrays.stream(s.ticks()).mapToObj(s::label))
                .containsExactly("0.0", "0.2", "0.4", "0.6", "0.8", "1.0");
    }

    @Test
    void fractionClampsAndKeepsNaN() {
        Scale s = Scale.fixed(-2, 2);
        assertThat(s.fraction(0)).isEqualTo(0.5);
        assertThat(s.fraction(-3)).isZero();
        assertThat(s.fraction(Double.NEGATIVE_INFINITY)).isZero();
        assertThat(s.fraction(Double.POSITIVE_INFINITY)).isEqualTo(1);
        assertThat(s.fraction(Double.NaN)).isNaN();
    }

    @Test
    void autoRangeIgnoresNaNAndInfinities() {
        Scale s = Scale.auto(new double[] {Double.NaN, 3, Double.NEGATIVE_INFINITY, -1, Double.POSITIVE_INFINITY});
        assertThat(s.low).isEqualTo(-1);
        assertThat(s.high).isEqualTo(3);
    }

    @Test
    void autoRangeOfNothingFiniteIsUnitAndOfAConstantIsCentred() {
        Scale none = Scale.auto(new double[] {Double.NaN, Double.POSITIVE_INFINITY});
        assertThat(none.low).isZero();
        assertThat(none.high).isEqualTo(1);
        Scale constant = Scale.auto(new double[] {0.25, 0.25});
        assertThat(constant.fraction(0.25)).isEqualTo(0.5);
        Scale huge = Scale.auto(new double[] {Double.MAX_VALUE});
        assertThat(huge.high).isEqualTo(Double.MAX_VALUE);
        assertThat(huge.fraction(Double.MAX_VALUE)).isBetween(0.0, 1.0);
    }

    @Test
    void extremeRangesGiveFewFiniteTicks() {
        for (Scale s : new Scale[] {
            Scale.fixed(-Double.MAX_VALUE, Double.MAX_VALUE),
            Scale.fixed(0, 1e-12),
            Scale.fixed(1e9, 1e9 + 3),
            Scale.fixed(-0.37, 0.015)
        }) {
            double[] ticks = s.ticks();
            assertThat(ticks.length).as("ticks of [%s, %s]", s.low, s.high).isBetween(2, 21);
            for (double t : ticks) {
                assertThat(t).isBetween(s.low, s.high);
                assertThat(s.label(t)).isNotBlank().doesNotContain("NaN").doesNotContain("Infinity");
            }
        }
        assertThat(Scale.fixed(-Double.MAX_VALUE, Double.MAX_VALUE).fraction(0)).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void labelsHaveNoNegativeZero() {
        Scale s = Scale.fixed(-1, 1);
        assertThat(Arrays.stream(s.ticks()).mapToObj(s::label)).contains("0.0").doesNotContain("-0.0");
    }
}
