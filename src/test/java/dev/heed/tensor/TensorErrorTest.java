package dev.heed.tensor;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bad argument gives an {@link IllegalArgumentException} (never an
 * {@code ArrayIndexOutOfBoundsException} or a silently wrong tensor) whose message names the
 * shape or value at fault.
 */
class TensorErrorTest {

    private static final Tensor M = Tensor.zeros(2, 3);
    private static final Tensor T3 = Tensor.zeros(2, 3, 4);
    private static final int BIG = 1 << 16;

    private static Arguments bad(String name, ThrowingCallable call, String... mentions) {
        return Arguments.of(name, call, mentions);
    }

    static Stream<Arguments> badCalls() {
        return Stream.of(
                // wrong number of indices
                bad("get with too few indices", () -> M.get(1), "[1]", "[2, 3]", "rank 2"),
                bad("get with too many indices", () -> M.get(0, 0, 0), "[0, 0, 0]", "[2, 3]"),
                bad("get of a scalar with an index", () -> Tensor.scalar(1).get(0), "[0]", "[]"),
                bad("set with too few indices", () -> M.set(1, 0), "[0]", "[2, 3]"),
                // indices out of bounds
                bad("get past the end", () -> M.get(2, 0), "[2, 0]", "[2, 3]"),
                bad("get past the last column", () -> M.get(0, 3), "[0, 3]", "[2, 3]"),
                bad("get before the start", () -> M.get(-3, 0), "[-3, 0]", "[2, 3]"),
                bad("get at Integer.MIN_VALUE", () -> M.get(0, Integer.MIN_VALUE), "-2147483648", "[2, 3]"),
                bad("get in an empty tensor", () -> Tensor.zeros(0, 3).get(0, 0), "[0, 0]", "[0, 3]"),
                bad("set past the end", () -> M.set(1, 1, 3), "[1, 3]", "[2, 3]"),
                bad("get through a transposed view", () -> M.transpose(0, 1).get(0, 2), "[0, 2]", "[3, 2]"),
                // bad axes
                bad("transpose axis too large", () -> M.transpose(2, 0), "axis 2", "[2, 3]"),
                bad("transpose axis too small", () -> M.transpose(0, -3), "axis -3", "[2, 3]"),
                bad("permute with too few axes", () -> T3.permute(0, 1), "[0, 1]", "[2, 3, 4]"),
                bad("permute repeating an axis", () -> T3.permute(0, 1, -2), "[0, 1, -2]", "repeats axis 1"),
                bad("permute out of range", () -> T3.permute(0, 1, 3), "axis 3", "[2, 3, 4]"),
                bad("slice bad axis", () -> M.slice(2, 0, 1), "axis 2", "[2, 3]"),
                bad("select bad axis", () -> M.select(-3, 0), "axis -3", "[2, 3]"),
                bad("unsqueeze too far right", () -> M.unsqueeze(3), "axis 3", "[2, 3]"),
                bad("unsqueeze too far left", () -> M.unsqueeze(-4), "axis -4", "[2, 3]"),
                bad("squeeze bad axis", () -> M.squeeze(2), "axis 2", "[2, 3]"),
                bad("squeeze an axis that is not 1", () -> M.squeeze(-1), "axis -1", "size 3", "[2, 3]"),
                bad("shape of bad axis", () -> M.shape(5), "axis 5", "[2, 3]"),
                bad("sum along bad axis", () -> M.sum(2), "axis 2", "[2, 3]"),
                bad("mean along bad axis", () -> M.mean(-3), "axis -3", "[2, 3]"),
                bad("max along bad axis", () -> M.max(7), "axis 7", "[2, 3]"),
                bad("argmax along bad axis", () -> M.argmax(-9), "axis -9", "[2, 3]"),
                bad("logSumExp along bad axis", () -> M.logSumExp(2), "axis 2", "[2, 3]"),
                bad("softmax along bad axis", () -> M.softmax(2), "axis 2", "[2, 3]"),
                bad("softmax of a scalar", () -> Tensor.scalar(1).softmax(0), "axis 0", "[]"),
                bad("sum of a scalar along an axis", () -> Tensor.scalar(1).sum(-1), "axis -1", "[]"),
                // shapes that do not broadcast
                bad("add", () -> M.add(Tensor.zeros(4)), "add", "[2, 3]", "[4]"),
                bad("sub", () -> M.sub(Tensor.zeros(3, 3)), "sub", "[2, 3]", "[3, 3]"),
                bad("mul", () -> Tensor.zeros(0).mul(Tensor.zeros(2)), "mul", "[0]", "[2]"),
                bad("div", () -> T3.div(Tensor.zeros(3, 1, 4)), "div", "[2, 3, 4]", "[3, 1, 4]"),
                bad("zip", () -> M.zip(Tensor.zeros(2), Double::sum), "[2, 3]", "[2]"),
                bad("allClose", () -> M.allClose(Tensor.zeros(3, 2)), "allClose", "[2, 3]", "[3, 2]"),
                bad(
                        "broadcastShapes",
                        () -> Tensor.broadcastShapes(new int[] {2, 3}, new int[] {5, 1, 2}),
                        "[2, 3]",
                        "[5, 1, 2]"),
                bad("broadcastTo a different size", () -> M.broadcastTo(2, 4), "[2, 3]", "[2, 4]"),
                bad("broadcastTo a lower rank", () -> M.broadcastTo(3), "[2, 3]", "[3]"),
                bad("broadcastTo stretching a non-1 axis", () -> M.broadcastTo(4, 3), "[2, 3]", "[4, 3]"),
                bad("broadcastTo zero from 2", () -> M.broadcastTo(0, 3), "[2, 3]", "[0, 3]"),
                // matmul
                bad("matmul inner mismatch", () -> M.matmul(Tensor.zeros(4, 5)), "[2, 3]", "[4, 5]", "3 != 4"),
                bad("matmul vector mismatch", () -> Tensor.zeros(3).matmul(Tensor.zeros(4)), "[3]", "[4]"),
                bad("matmul vector @ matrix mismatch", () -> Tensor.zeros(3).matmul(M), "[3]", "[2, 3]"),
                bad("matmul matrix @ vector mismatch", () -> M.matmul(Tensor.zeros(2)), "[2, 3]", "[2]"),
                bad("matmul batch mismatch", () -> T3.matmul(Tensor.zeros(3, 4, 5)), "[2, 3, 4]", "[3, 4, 5]"),
                bad("matmul of a scalar", () -> Tensor.scalar(1).matmul(M), "[]", "[2, 3]"),
                bad("matmul by a scalar", () -> M.matmul(Tensor.scalar(1)), "[2, 3]", "[]"),
                // negative dimensions
                bad("zeros", () -> Tensor.zeros(2, -1), "negative", "[2, -1]"),
                bad("ones", () -> Tensor.ones(-3), "negative", "[-3]"),
                bad("full", () -> Tensor.full(1, 0, -2), "negative", "[0, -2]"),
                bad("randn", () -> Tensor.random(1).normal(-1, 2), "negative", "[-1, 2]"),
                bad("uniform", () -> Tensor.random(1).uniform(0, 1, -5), "negative", "[-5]"),
                bad("arange", () -> Tensor.arange(-1), "negative", "[-1]"),
                bad("of", () -> Tensor.of(new double[0], 0, -1), "negative", "[0, -1]"),
                bad(
                        "strided",
                        () -> Tensor.strided(new double[4], 0, new int[] {-2}, new int[] {1}),
                        "negative",
                        "[-2]"),
                bad("broadcastTo", () -> M.broadcastTo(-2, 3), "negative", "[-2, 3]"),
                bad("reshape", () -> Tensor.zeros(0).reshape(-2, 0), "negative", "[-2, 0]"),
                // more than 2^31 - 1 elements
                bad("zeros too large", () -> Tensor.zeros(BIG, BIG), "2^31-1", "[65536, 65536]"),
                bad("ones too large", () -> Tensor.ones(46341, 46341), "2^31-1", "[46341, 46341]"),
                bad("of too large", () -> Tensor.of(new double[1], BIG, BIG / 2), "2^31-1", "[65536, 32768]"),
                bad("broadcastTo too large", () -> Tensor.ones(1).broadcastTo(BIG, BIG), "2^31-1", "[65536, 65536]"),
                bad(
                        "add with a too large result",
                        () -> Tensor.zeros(BIG, 1).add(Tensor.zeros(BIG)),
                        "2^31-1",
                        "[65536, 65536]"),
                bad(
                        "matmul with a too large result",
                        () -> Tensor.zeros(BIG, 1).matmul(Tensor.zeros(1, BIG)),
                        "2^31-1",
                        "[65536, 65536]"),
                bad(
                        "strided too large",
                        () -> Tensor.strided(new double[1], 0, new int[] {BIG, BIG}, new int[] {0, 0}),
                        "2^31-1",
                        "[65536, 65536]"),
                bad(
                        "reshape to a product that wraps around",
                        () -> Tensor.zeros(0).reshape(BIG, BIG, BIG, BIG),
                        "2^31-1",
                        "[65536, 65536, 65536, 65536]"),
                // reshape
                bad("reshape count mismatch", () -> M.reshape(4), "[2, 3]", "6", "[4]"),
                bad("reshape count mismatch up", () -> M.reshape(2, 2, 2), "[2, 3]", "[2, 2, 2]"),
                bad("reshape two -1", () -> M.reshape(-1, -1), "[2, 3]", "[-1, -1]", "only one"),
                bad("reshape -1 not dividing", () -> M.reshape(-1, 4), "[2, 3]", "[-1, 4]"),
                bad("reshape -1 beside a zero", () -> Tensor.zeros(0, 3).reshape(0, -1), "[0, 3]", "[0, -1]"),
                bad("reshape of a transposed view", () -> M.transpose(0, 1).reshape(5), "[3, 2]", "[5]"),
                // slices and selects
                bad("slice start after end", () -> M.slice(1, 2, 1), "[2, 1)", "axis 1", "[2, 3]"),
                bad("slice end past the axis", () -> M.slice(1, 0, 4), "[0, 4)", "[2, 3]"),
                bad("slice start before the axis", () -> M.slice(1, -4, 2), "[-4, 2)", "[2, 3]"),
                bad("slice end before the axis", () -> M.slice(0, 0, -3), "[0, -3)", "[2, 3]"),
                bad("slice with step 0", () -> M.slice(1, 0, 3, 0), "step 0", "[2, 3]"),
                bad("slice with a negative step", () -> M.slice(1, 0, 3, -1), "step -1", "[2, 3]"),
                bad("slice from Integer.MIN_VALUE", () -> M.slice(0, Integer.MIN_VALUE, 1), "-2147483648"),
                bad("slice to Integer.MAX_VALUE", () -> M.slice(0, 0, Integer.MAX_VALUE), "2147483647"),
                bad("select index past the axis", () -> M.select(1, 3), "index 3", "[2, 3]"),
                bad("select index before the axis", () -> M.select(0, -3), "index -3", "[2, 3]"),
                bad("select in an empty axis", () -> Tensor.zeros(0, 2).select(0, 0), "index 0", "[0, 2]"),
                // creation
                bad("of with too few elements", () -> Tensor.of(new double[5], 2, 3), "[2, 3]", "6", "5"),
                bad("of with too many elements", () -> Tensor.of(new double[2]), "[]", "1", "2"),
                bad("of with null data", () -> Tensor.of(null, 2), "null"),
                bad("copyOf with null data", () -> Tensor.copyOf(null, 2), "null"),
                bad("copyOf with too few elements", () -> Tensor.copyOf(new double[1], 2), "[2]", "1"),
                bad("strided with null data", () -> Tensor.strided(null, 0, new int[] {1}, new int[] {1}), "null"),
                bad(
                        "strided past the end",
                        () -> Tensor.strided(new double[6], 1, new int[] {2, 3}, new int[] {3, 1}),
                        "[2, 3]",
                        "[3, 1]",
                        "offset 1",
                        "6"),
                bad("ragged rows", () -> Tensor.of(new double[][] {{1}, {2, 3}}), "ragged", "row 1"),
                bad("ragged blocks", () -> Tensor.of(new double[][][] {{{1}}, {{2}, {3}}}), "ragged", "block 1"),
                bad("uniform low > high", () -> Tensor.random(0).uniform(1, -1, 2), "1.0", "-1.0"),
                bad("item of many", () -> M.item(), "[2, 3]"),
                bad("item of none", () -> Tensor.zeros(0).item(), "[0]"),
                // reductions over empty axes that have no identity
                bad("max of an empty tensor", () -> Tensor.zeros(0).max(), "empty", "[0]"),
                bad("max along an empty axis", () -> Tensor.zeros(4, 0).max(1), "empty", "[4, 0]"),
                bad("argmax along an empty axis", () -> Tensor.zeros(0, 4).argmax(-2), "empty", "[0, 4]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badCalls")
    void throwsIllegalArgumentExceptionNamingTheCulprit(String name, ThrowingCallable call, String[] mentions) {
        var thrown = assertThatThrownBy(call).as(name).isExactlyInstanceOf(IllegalArgumentException.class);
        for (String m : mentions) {
            thrown.hasMessageContaining(m);
        }
    }

    @Test
    void aFailedCallLeavesTheTensorUsable() {
        Tensor t = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertThatThrownBy(() -> t.set(9, 2, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.reshape(7)).isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThat(t.toArray()).containsExactly(1, 2, 3, 4, 5, 6);
        org.assertj.core.api.Assertions.assertThat(t.shape()).containsExactly(2, 3);
    }
}
