#!/usr/bin/python3
"""Expected Tensor.toString() output, produced by NumPy's print().

Run with NumPy 1.24 (the one in /usr/bin/python3 is):

    /usr/bin/python3 src/test/python/make_tensor_format_fixtures.py

It rewrites src/test/resources/dev/heed/tensor/format-fixtures.txt, read by
TensorFormatTest. The output is deterministic (seeded generators).

File format
-----------
Plain text, UTF-8. Lines starting with '#' and blank lines between cases are ignored.

    case <name>
    shape <d0> <d1> ...          nothing after 'shape' for a 0-d array
    values <v0> <v1> ...         row-major, Python repr; 'nan', 'inf', '-inf' (may be empty)
    expected <n>                 the next n lines, verbatim, are str(array) (see heed_str)
"""

import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "dev", "heed", "tensor",
                   "format-fixtures.txt")


def rng(seed):
    return np.random.default_rng(seed)


def cases():
    nan, inf = float("nan"), float("inf")
    yield "vector", np.array([0.5, 1.0, -2.25])
    yield "integer_valued", np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    yield "integer_valued_negative", np.array([[-1.0, 20.0], [300.0, -4000.0]])
    yield "fraction_lengths", np.array([1.0, 2.5, 3.125, -0.0625])
    yield "all_zeros", np.zeros(4)
    yield "single", np.array([[5.0]])
    yield "random_3x4", rng(1).standard_normal((3, 4))
    yield "thirds", np.array([1 / 3, 2 / 3, 1.0])
    yield "rounding_ties", np.array([0.123456785, 1.000000005, 2.675, 0.5 + 2.0 ** -30])
    yield "fixed_boundary_small", np.array([1e-4, 0.1])
    yield "fixed_boundary_ratio", np.array([0.1, 100.0])
    yield "large_integers", np.array([12345678.0, 99999999.0, 1.0])
    yield "large_fixed", np.array([12345678.0, 99999.5, 123456.25])
    yield "sci_small", np.array([1e-5, 1.0, 2.5])
    yield "sci_large", np.array([1e8, 1.0])
    yield "sci_large_negative", np.array([1.5e10, -2.0])
    yield "sci_ratio", np.array([0.001, 10.0])
    yield "sci_mixed_mantissas", np.array([1.5e-5, 2.0, 3.25e6, -7.0])
    yield "sci_negative_exponents", np.array([[-1e-5, 1e5], [2.5e-7, 3.0]])
    yield "sci_three_digit_exponent_small", np.array([1e-300, 1.0])
    yield "sci_three_digit_exponent_large", np.array([1e200, 3.0, -2.5e-3])
    yield "sci_random", rng(2).standard_normal((2, 3)) * np.array([1e-6, 1.0, 1e6])
    yield "nan_inf", np.array([nan, 1.5, inf, -inf])
    yield "nan_only", np.array([nan])
    yield "inf_pair", np.array([inf, -inf])
    yield "nan_posinf", np.array([nan, inf])
    yield "nonfinite_wide", np.array([nan, 0.5, -inf, 1234.25])
    yield "nonfinite_sci", np.array([nan, 1e-5, -inf])
    yield "nonfinite_column", np.array([[nan, 1.0], [2.0, -inf]])
    yield "negative_zero", np.array([-0.0, 1.0])
    yield "negative_zero_pair", np.array([-0.0, 0.0])
    yield "negative_zero_sci", np.array([-0.0, 1e-5])
    for name, v in [("one", 1.0), ("half", 0.5), ("negative_zero", -0.0), ("zero", 0.0), ("tiny", 1e-5),
                    ("big", 1e16), ("below_big", 123456789.0), ("nan", nan), ("neg_inf", -inf),
                    ("point_three", 0.1 + 0.2), ("huge", 1e22), ("negative", -2.5e-7)]:
        yield "scalar_" + name, np.array(v)
    # Doubles from random bit patterns: shortest round-trip digits, both notations, subnormals.
    bits = rng(13).integers(-2 ** 63, 2 ** 63 - 1, size=150, dtype=np.int64)
    for i, x in enumerate(bits.view(np.float64)):
        if np.isfinite(x):
            yield "scalar_bits_%03d" % i, np.array(x)
    for i, x in enumerate(rng(14).uniform(-1e3, 1e3, size=30) * 10.0 ** rng(15).integers(-8, 20, size=30)):
        yield "scalar_decimal_%02d" % i, np.array(x)
    for i, x in enumerate([5e-324, 1.7976931348623157e308, 2e23, 9007199254740993.0, -1.6130484589462314e17,
                           1e-4, 9.999999999999999e-05, 1e16 - 2, 123456.789e3]):
        yield "scalar_edge_%d" % i, np.array(x)
    yield "large_magnitudes", np.array([-1.6130484589462314e17, -3.888032916356391e16, 1.0])
    yield "empty_1d", np.zeros((0,))
    yield "empty_2x0", np.zeros((2, 0))
    yield "empty_0x3", np.zeros((0, 3))
    yield "empty_2x0x3", np.zeros((2, 0, 3))
    yield "rank3", np.arange(24.0).reshape(2, 3, 4) / 7
    yield "rank3_integers", np.arange(24.0).reshape(2, 3, 4)
    yield "rank4", np.arange(16.0).reshape(2, 2, 2, 2) - 8
    yield "wrap_1d", rng(3).standard_normal(30)
    yield "wrap_2d", rng(4).standard_normal((3, 20))
    yield "wrap_3d", rng(5).standard_normal((2, 2, 15))
    yield "wrap_4d", rng(6).standard_normal((2, 1, 2, 14))
    yield "wrap_integers", np.arange(40.0)
    yield "wrap_sci", rng(7).standard_normal(12) * 1e-5
    yield "summary_1d", np.arange(2000.0)
    yield "summary_1d_1001", rng(8).standard_normal(1001)
    yield "summary_2d", rng(9).standard_normal((40, 40))
    yield "summary_2d_short_rows", np.arange(2002.0).reshape(2, 1001) / 4
    yield "summary_2d_short_columns", np.arange(2002.0).reshape(1001, 2)
    yield "summary_3d", np.arange(1331.0).reshape(11, 11, 11)
    yield "summary_3d_nonfinite", np.where(np.arange(1331) % 97 == 0, nan,
                                           rng(10).standard_normal(1331)).reshape(11, 11, 11)
    yield "summary_sci", rng(11).standard_normal((10, 120)) * 1e-6
    yield "summary_fixed_2d", rng(12).uniform(1.0, 2.0, (40, 40))
    yield "summary_integers", np.arange(1001.0) % 10
    yield "not_summarised_1000", np.arange(1000.0).reshape(10, 100)


def heed_str(a):
    """str(a), except for an empty array that is not 1-d: str prints '[]' for every empty array and
    loses the shape, so Heed follows repr there, '[], shape=(0, 4)' (NumPy's repr writes exactly
    this inside 'array(..., dtype=float64)')."""
    if a.size == 0 and a.shape != (0,):
        return "[], shape=%r" % (a.shape,)
    return str(a)


def write(f, name, a):
    f.write("case %s\n" % name)
    f.write(("shape " + " ".join(str(d) for d in a.shape)).rstrip() + "\n")
    f.write(("values " + " ".join(repr(float(x)) for x in a.ravel())).rstrip() + "\n")
    text = heed_str(a)
    lines = text.split("\n")
    f.write("expected %d\n" % len(lines))
    for line in lines:
        f.write(line + "\n")
    f.write("\n")


def main():
    assert np.__version__.startswith("1.24"), np.__version__
    np.set_printoptions()  # the defaults: precision 8, threshold 1000, edgeitems 3, linewidth 75
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("# Generated by src/test/python/make_tensor_format_fixtures.py with NumPy %s; do not edit.\n"
                % np.__version__)
        f.write("# Each case: the array, then str(array) as print() shows it (an empty array not 1-d: its repr's shape).\n\n")
        for name, a in cases():
            write(f, name, np.asarray(a, dtype=np.float64))


if __name__ == "__main__":
    main()
