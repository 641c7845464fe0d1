"""Fixed-point arithmetic: the C header and the numpy module agree bit for bit,
agree with hand-derived values and with real-valued math, and reproduce
TFLM's integer kernels (the `tflite-micro` package is the oracle)."""

import ctypes
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinymem.quant import fixedpoint as fp
from tinymem.quant import multiplier as qm

ROOT = Path(__file__).resolve().parents[2]
INCLUDE = ROOT / "runtime_c" / "include"
I32_MIN, I32_MAX = -(2**31), 2**31 - 1
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", f"-I{INCLUDE}"]

# One wrapper per function: w_<python name>(a, b, c, out, n), all int64 arrays.
_WRAPPERS = {
    "sat_rounding_doubling_high_mul": "tm_sat_rounding_doubling_high_mul(I32(a), I32(b))",
    "rounding_divide_by_pot": "tm_rounding_divide_by_pot(I32(a), (int)b[i])",
    "saturating_rounding_multiply_by_pot":
        "tm_saturating_rounding_multiply_by_pot(I32(a), (int)b[i])",
    "rescale": "tm_rescale(I32(a), (int)b[i], (int)c[i])",
    "saturating_add": "tm_saturating_add(I32(a), I32(b))",
    "saturating_sub": "tm_saturating_sub(I32(a), I32(b))",
    "rounding_half_sum": "tm_rounding_half_sum(I32(a), I32(b))",
    "count_leading_zeros": "tm_count_leading_zeros((uint32_t)a[i])",
    "multiply_by_quantized_multiplier":
        "tm_multiply_by_quantized_multiplier(I32(a), I32(b), (int)c[i])",
    "multiply_by_quantized_multiplier_s64":
        "tm_multiply_by_quantized_multiplier_s64(a[i], I32(b), (int)c[i])",
    "multiply_by_quantized_multiplier_smaller_than_one_exp":
        "tm_multiply_by_quantized_multiplier_smaller_than_one_exp(I32(a), I32(b), (int)c[i])",
    "multiply_by_quantized_multiplier_greater_than_one":
        "tm_multiply_by_quantized_multiplier_greater_than_one(I32(a), I32(b), (int)c[i])",
    "exp_on_interval_between_negative_one_quarter_and_0_excl":
        "tm_exp_on_interval_between_negative_one_quarter_and_0_excl(I32(a))",
    "exp_on_negative_values": "tm_exp_on_negative_values(I32(a), (int)b[i])",
    "one_over_one_plus_x_for_x_in_0_1": "tm_one_over_one_plus_x_for_x_in_0_1(I32(a))",
    "one_minus_x_over_one_plus_x_for_x_in_0_1":
        "tm_one_minus_x_over_one_plus_x_for_x_in_0_1(I32(a))",
    "logistic": "tm_logistic(I32(a), (int)b[i])",
    "tanh": "tm_tanh(I32(a), (int)b[i])",
    "get_reciprocal": "tm_get_reciprocal(I32(a), (int)b[i], &bits)",
    "get_reciprocal_bits": "(tm_get_reciprocal(I32(a), (int)b[i], &bits), bits)",
    "min_log_x_output_bits": "tm_min_log_x_output_bits((int)a[i])",
    "log_x_for_x_greater_than_or_equal_to_1":
        "tm_log_x_for_x_greater_than_or_equal_to_1(I32(a), (int)b[i], (int)c[i])",
    "sat_rounding_doubling_high_mul_s16":
        "tm_sat_rounding_doubling_high_mul_s16(I16(a), I16(b))",
    "sat_doubling_high_mul_s16": "tm_sat_doubling_high_mul_s16(I16(a), I16(b))",
    "rounding_divide_by_pot_s16": "tm_rounding_divide_by_pot_s16(I16(a), (int)b[i])",
    "saturating_left_shift_s16": "tm_saturating_left_shift_s16(I16(a), (int)b[i])",
}


def _shim_source() -> str:
    lines = ['#include <stdint.h>', '#include "tinymem/fixedpoint.h"',
             "#define I32(p) ((int32_t)(p)[i])", "#define I16(p) ((int16_t)(p)[i])"]
    for name, expr in _WRAPPERS.items():
        lines.append(
            f"void w_{name}(const int64_t *a, const int64_t *b, const int64_t *c,"
            " int64_t *o, int n) {\n  int i, bits = 0;\n  (void)a; (void)b; (void)c;"
            f" (void)bits;\n  for (i = 0; i < n; ++i) o[i] = {expr};\n}}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    d = tmp_path_factory.mktemp("fixedpoint_shim")
    src, so = d / "shim.c", d / "shim.so"
    src.write_text(_shim_source())
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", *CFLAGS, str(src), "-o", str(so)],
                   check=True, capture_output=True, text=True)
    return ctypes.CDLL(str(so))


def c_call(lib, name, *args):
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=np.int64) for a in args])
    flat = [np.ascontiguousarray(a.ravel()) for a in arrays]
    flat += [np.zeros_like(flat[0])] * (3 - len(flat))
    out = np.empty_like(flat[0])
    ptr = ctypes.POINTER(ctypes.c_int64)
    getattr(lib, "w_" + name)(*[a.ctypes.data_as(ptr) for a in flat],
                              out.ctypes.data_as(ptr), ctypes.c_int(out.size))
    return out.reshape(arrays[0].shape)


def assert_same(lib, name, *args):
    want = np.asarray(getattr(fp, name)(*args), dtype=np.int64)
    got = c_call(lib, name, *args)
    bad = np.flatnonzero(np.broadcast_to(want, got.shape) != got)
    if bad.size:
        k = bad[0]
        at = [int(np.broadcast_to(a, got.shape).ravel()[k]) for a in args]
        pytest.fail(f"{name}{tuple(at)}: numpy {int(want.ravel()[k])}, C {int(got.ravel()[k])}"
                    f" ({bad.size} mismatches)")


# ---- inputs -----------------------------------------------------------------------


def edge_values(bits=32):
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    pots = [2**k for k in range(bits - 1)]
    v = {lo, lo + 1, hi, hi - 1, 0, 1, -1, 2, -2, 3, -3, 5, -5}
    for p in pots:
        v.update({p, p - 1, p + 1, -p, -p + 1, -p - 1})
    return np.array(sorted(x for x in v if lo <= x <= hi), dtype=np.int64)


def ints(rng, n, lo, hi):
    """Edge values in [lo, hi] plus uniform and log-uniform random values."""
    edges = edge_values(64)
    edges = edges[(edges >= lo) & (edges <= hi)]
    uniform = rng.integers(lo, hi, n, endpoint=True)
    mag = np.exp2(rng.uniform(0, math.log2(max(abs(lo), abs(hi), 1)), n)).astype(np.int64)
    logu = np.clip(mag * rng.choice([-1, 1], n), lo, hi)
    return np.concatenate([edges, uniform, logu])


def pairs(rng, n, lo, hi):
    e = ints(rng, 0, lo, hi)
    a, b = np.meshgrid(e, e)
    return (np.concatenate([a.ravel(), ints(rng, n, lo, hi)]),
            np.concatenate([b.ravel(), rng.permutation(ints(rng, n, lo, hi))]))


@pytest.fixture
def rng():
    return np.random.default_rng(20240611)


# ---- C == numpy --------------------------------------------------------------------

N = 20000


@pytest.mark.parametrize("name", ["sat_rounding_doubling_high_mul", "saturating_add",
                                  "saturating_sub", "rounding_half_sum"])
def test_binary_int32(lib, rng, name):
    assert_same(lib, name, *pairs(rng, N, I32_MIN, I32_MAX))


@pytest.mark.parametrize("name,lo,hi", [
    ("rounding_divide_by_pot", 0, 31),
    ("saturating_rounding_multiply_by_pot", -31, 31),
    ("rounding_divide_by_pot_s16", 0, 31),
    ("saturating_left_shift_s16", 0, 30),
])
def test_shifts(lib, rng, name, lo, hi):
    bits = 16 if name.endswith("_s16") else 32
    x = ints(rng, N, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    e = np.arange(lo, hi + 1)
    assert_same(lib, name, x[:, None], e[None, :])


def test_rescale_and_clz(lib, rng):
    x = ints(rng, 2000, I32_MIN, I32_MAX)
    for src in range(0, 32, 3):
        for dst in range(0, 32, 5):
            assert_same(lib, "rescale", x, src, dst)
    assert_same(lib, "count_leading_zeros", x)


@pytest.mark.parametrize("name,lo,hi", [
    ("multiply_by_quantized_multiplier", -31, 30),
    ("multiply_by_quantized_multiplier_smaller_than_one_exp", -31, 0),
    ("multiply_by_quantized_multiplier_greater_than_one", 0, 31),
])
def test_multiply_by_quantized_multiplier(lib, rng, name, lo, hi):
    x, m = pairs(rng, N, I32_MIN, I32_MAX)
    assert_same(lib, name, x, m, rng.integers(lo, hi, x.size, endpoint=True))
    small_x = ints(rng, 300, -(2**16), 2**16)
    assert_same(lib, name, small_x[:, None], 1518500250, np.arange(lo, hi + 1)[None, :])


def test_multiply_by_quantized_multiplier_s64(lib, rng):
    x = ints(rng, N, -(2**47), 2**47 - 1)
    m = ints(rng, N, 0, I32_MAX)
    m = np.concatenate([m, rng.permutation(m)])[: x.size]
    assert_same(lib, "multiply_by_quantized_multiplier_s64", x, m,
                rng.integers(-31, 7, x.size, endpoint=True))


@pytest.mark.parametrize("name,max_bits", [
    ("exp_on_negative_values", 29), ("logistic", 29), ("tanh", 28)])
def test_functions_of_q_format(lib, rng, name, max_bits):
    x = ints(rng, 5000, I32_MIN, I32_MAX)
    for int_bits in range(max_bits + 1):
        assert_same(lib, name, x, int_bits)


@pytest.mark.parametrize("name", [
    "exp_on_interval_between_negative_one_quarter_and_0_excl",
    "one_over_one_plus_x_for_x_in_0_1", "one_minus_x_over_one_plus_x_for_x_in_0_1"])
def test_functions_of_q0(lib, rng, name):
    assert_same(lib, name, ints(rng, N, I32_MIN, I32_MAX))


def test_reciprocal_and_log(lib, rng):
    x = ints(rng, 5000, 1, I32_MAX)
    for digits in range(32):
        want_r, want_bits = fp.get_reciprocal(x, digits)
        np.testing.assert_array_equal(c_call(lib, "get_reciprocal", x, digits), want_r)
        np.testing.assert_array_equal(c_call(lib, "get_reciprocal_bits", x, digits), want_bits)
    ib = np.arange(0, 100)
    np.testing.assert_array_equal(c_call(lib, "min_log_x_output_bits", ib),
                                  [fp.min_log_x_output_bits(int(b)) for b in ib])
    for in_bits in range(31):
        for out_bits in range(fp.min_log_x_output_bits(in_bits), 31, 4):
            assert_same(lib, "log_x_for_x_greater_than_or_equal_to_1", x, in_bits, out_bits)


@pytest.mark.parametrize("name", ["sat_rounding_doubling_high_mul_s16",
                                  "sat_doubling_high_mul_s16"])
def test_binary_int16(lib, rng, name):
    a, b = np.meshgrid(np.arange(-32768, 32768, 7), edge_values(16))
    assert_same(lib, name, a, b)
    assert_same(lib, name, *pairs(rng, N, -32768, 32767))


# ---- hand-derived values and real-valued accuracy -----------------------------------


def test_hand_derived_values():
    srdhm = fp.sat_rounding_doubling_high_mul
    assert srdhm(I32_MIN, I32_MIN) == I32_MAX
    assert srdhm(2**30, 2**30) == 2**29 and srdhm(-(2**30), 2**30) == -(2**29)
    assert srdhm(I32_MAX, I32_MAX) == I32_MAX - 1
    assert srdhm(1, 2**30) == 1 and srdhm(-1, 2**30) == 0  # +-0.5: ties go up
    rdbpot = fp.rounding_divide_by_pot
    assert [int(rdbpot(v, 1)) for v in (5, -5, 3, -3, 4, -4)] == [3, -3, 2, -2, 2, -2]
    assert rdbpot(I32_MIN, 31) == -1 and rdbpot(I32_MAX, 31) == 1 and rdbpot(7, 0) == 7
    assert fp.rounding_half_sum(1, 2) == 2 and fp.rounding_half_sum(-1, -2) == -2
    srmbpot = fp.saturating_rounding_multiply_by_pot
    assert srmbpot(2**29, 1) == 2**30 and srmbpot(2**30, 1) == I32_MAX
    assert srmbpot(-(2**30), 1) == I32_MIN and srmbpot(-(2**30) + 1, 1) == -(2**31) + 2
    # requantization: 3 * 0.25 = 0.75 -> 1 and 6 * 0.25 = 1.5 -> 2 (after two roundings)
    m, s = qm.quantize_multiplier(0.25)
    assert (m, s) == (2**30, -1)
    assert fp.multiply_by_quantized_multiplier(3, m, s) == 1
    assert fp.multiply_by_quantized_multiplier(6, m, s) == 2
    assert fp.multiply_by_quantized_multiplier(-6, m, s) == -2
    assert fp.multiply_by_quantized_multiplier(1000, *qm.quantize_multiplier(3.0)) == 3000
    # int64 path: one rounding with the multiplier cut to 16 bits; result wraps to int32
    mbqm64 = fp.multiply_by_quantized_multiplier_s64
    assert [int(mbqm64(v, 2**30, -1)) for v in (3, -3, -2, 7 * 2**20)] == [1, -1, 0, 7 * 2**18]
    assert mbqm64(2**32, 2**30, 0) == I32_MIN  # 2**31 wraps
    assert mbqm64(2**20, 2**30 + 2**15 - 1, 0) == 2**19  # multiplier rounds to exactly 0.5
    assert fp.count_leading_zeros(0) == 32 and fp.count_leading_zeros(-1) == 0
    assert fp.count_leading_zeros(1) == 31
    assert fp.exp_on_negative_values(0, 5) == I32_MAX
    assert fp.exp_on_negative_values(-(2**31), 5) == 0  # exp(-32)
    assert fp.logistic(0, 4) == 2**30 and fp.tanh(0, 4) == 0
    assert fp.sat_rounding_doubling_high_mul_s16(-32768, -32768) == 32767
    assert fp.sat_doubling_high_mul_s16(-3, 16384) == -1  # -1.5 truncates to -1
    assert fp.rounding_divide_by_pot_s16(5, 1) == 3 and fp.rounding_divide_by_pot_s16(-5, 1) == -3
    assert fp.rounding_divide_by_pot_s16(0, 20) == 1 and fp.rounding_divide_by_pot_s16(-7, 20) == -1
    assert fp.saturating_left_shift_s16(300, 7) == 32767
    assert fp.saturating_left_shift_s16(-3, 2) == -12


def _raw(x, int_bits):
    raw = np.round(np.asarray(x) * 2.0 ** (31 - int_bits))
    return np.clip(raw, I32_MIN, I32_MAX).astype(np.int64)


@pytest.mark.parametrize("int_bits", [0, 4, 5, 12])
def test_accuracy_against_real_math(int_bits):
    q31 = 2.0**31
    scale = 2.0 ** (31 - int_bits)
    neg = _raw(np.linspace(-min(2.0**int_bits, 32.0), 0.0, 50001), int_bits)
    err = np.asarray(fp.exp_on_negative_values(neg, int_bits)) / q31 - np.exp(neg / scale)
    assert np.abs(err).max() < 3e-7
    x = _raw(np.linspace(-(2.0**int_bits), 2.0**int_bits, 50001), int_bits)
    sigmoid = 0.5 + 0.5 * np.tanh(x / scale / 2)
    assert np.abs(np.asarray(fp.logistic(x, int_bits)) / q31 - sigmoid).max() < 1e-7
    assert np.abs(np.asarray(fp.tanh(x, int_bits)) / q31 - np.tanh(x / scale)).max() < 2e-7
    big = np.unique(np.exp2(np.linspace(0, 31, 20001)).astype(np.int64).clip(1, I32_MAX))
    r, bits = fp.get_reciprocal(big, int_bits)
    recip = np.asarray(r) / q31 * 2.0 ** -np.asarray(bits, dtype=np.float64)
    assert np.abs(recip * big / scale - 1).max() < 1e-8
    if int_bits:  # Q0.31 holds no x >= 1
        at_least_one = big[big >= scale]
        out_bits = max(fp.min_log_x_output_bits(int_bits), 5)
        log = fp.log_x_for_x_greater_than_or_equal_to_1(at_least_one, int_bits, out_bits)
        log = np.asarray(log) / 2.0 ** (31 - out_bits)
        assert np.abs(log - np.log(at_least_one / scale)).max() < 1e-7


def test_reciprocals_on_unit_interval():
    a = _raw(np.linspace(0, 1, 10001)[:-1], 0)
    af = a / 2.0**31
    got = np.asarray(fp.one_over_one_plus_x_for_x_in_0_1(a)) / 2.0**31
    assert np.abs(got - 1 / (1 + af)).max() < 1e-8
    got = np.asarray(fp.one_minus_x_over_one_plus_x_for_x_in_0_1(a)) / 2.0**31
    assert np.abs(got - (1 - af) / (1 + af)).max() < 1e-8


def test_constants_match_their_real_values():
    r = 2**0.25
    for raw, value, frac_bits in [
        *zip(fp._EXP_MINUS_POT, [math.exp(-(2.0**k)) for k in range(-2, 5)], [31] * 7),
        (fp._EXP_MINUS_ONE_EIGHTH, math.exp(-1 / 8), 31), (fp._ONE_THIRD, 1 / 3, 31),
        (fp._48_OVER_17_Q2, 48 / 17, 29), (fp._NEG_32_OVER_17_Q2, -32 / 17, 29),
        (fp._LN_2, math.log(2), 31), (fp._SQRT_SQRT_HALF, 2**-0.25, 31),
        (fp._SQRT_HALF, 2**-0.5, 31), (fp._LOG_ALPHA_N, 11 / 240 * r, 31),
        (fp._LOG_ALPHA_D, r / 20, 31), (fp._LOG_ALPHA_I, 2 / r - r, 31),
        (fp._LOG_ALPHA_F, r / 4, 31),
    ]:
        assert raw == round(value * 2.0**frac_bits), (raw, value)


# ---- compile-time multipliers ------------------------------------------------------------


@pytest.mark.parametrize("real,expected", [
    (0.0, (0, 0)),
    (0.5, (2**30, 0)),
    (1.0, (2**30, 1)),
    (0.25, (2**30, -1)),
    (0.75, (3 * 2**29, 0)),
    (-0.5, (-(2**30), 0)),
    (2.0**-32, (2**30, -31)),
    (2.0**-33, (0, 0)),  # shift below -31 flushes to zero
    (1.0 - 2.0**-40, (2**30, 1)),  # significand rounds up to 2**31: halved, shift + 1
    (0.1, (1717986918, -3)),
    (1.0 / 3.0, (1431655765, -1)),
    (1000.0, (2097152000, 10)),
])
def test_quantize_multiplier_known_values(real, expected):
    assert qm.quantize_multiplier(real) == expected
    m, s = qm.quantize_multiplier_array([real, real])
    assert (int(m[1]), int(s[1])) == expected and m.dtype == np.int32


def test_quantize_multiplier_reconstructs_and_vectorises(rng):
    reals = np.exp2(rng.uniform(-30, 30, 5000)) * rng.choice([-1.0, 1.0], 5000)
    m, s = qm.quantize_multiplier_array(reals)
    magnitude = np.abs(m.astype(np.int64))
    assert np.all(magnitude >= 2**30) and np.all(magnitude < 2**31)
    np.testing.assert_allclose(m * np.exp2(s.astype(np.float64) - 31), reals, rtol=2.0**-30)
    scalar = [qm.quantize_multiplier(r) for r in reals[:50]]
    assert scalar == list(zip(m[:50].tolist(), s[:50].tolist()))


def test_multiplier_checks_and_prepare_helpers():
    with pytest.raises(ValueError):
        qm.quantize_multiplier_smaller_than_one_exp(1.0 - 2.0**-40)  # rounds to 1.0
    with pytest.raises(ValueError):
        qm.quantize_multiplier_smaller_than_one_exp(0.0)
    with pytest.raises(ValueError):
        qm.quantize_multiplier_greater_than_one(1.0)
    assert qm.quantize_multiplier_smaller_than_one_exp(0.1) == (1717986918, -3)
    assert qm.quantize_multiplier_greater_than_one(3.0) == (3 * 2**29, 2)
    assert qm.quantize_multiplier_without_fixup(0.75) == (3 * 2**29, 0)
    assert qm.quantize_multiplier_without_fixup(1.0 - 2.0**-40) == (I32_MIN, 0)
    # beta * scale * 2**26 with scale 2**-8: 2**18 = 0.5 * 2**19
    assert qm.preprocess_softmax_scaling(1.0, 2.0**-8, 5) == (2**30, 19)
    assert qm.preprocess_softmax_scaling(1.0, 1e9, 5) == (I32_MAX, 31)  # capped at 2**31 - 1
    # the reverse scaling is 2**(31 - 19) / 2**30 = 2**-18 = 0.5 * 2**-17
    assert qm.preprocess_log_softmax_scaling_exp(1.0, 2.0**-8, 5) == (2**30, 19, 2**30, -17)
    assert qm.calculate_input_radius(5, 19) == 31 * 128
    assert qm.calculate_input_radius(4, 24, 31) == 120
    assert qm.down_scale_int32_to_int16_multiplier(2**30) == 2**14
    assert qm.down_scale_int32_to_int16_multiplier(I32_MAX) == 32767
    assert qm.down_scale_int32_to_int16_multiplier(2**30 + 2**15 - 1) == 2**14
    assert qm.down_scale_int32_to_int16_multiplier(2**30 + 2**15) == 2**14 + 1
    assert qm.checked_log2(0.25) == (True, -2) and qm.checked_log2(2.0**-15) == (True, -15)
    assert qm.checked_log2(0.3) == (False, -2)
    with pytest.raises(ValueError):
        fp.rounding_divide_by_pot(1, 32)
    with pytest.raises(ValueError):
        fp.multiply_by_quantized_multiplier(1, 2**30, [0, 31])
    with pytest.raises(ValueError):
        fp.exp_on_negative_values(-1, 30)
    r = qm.round_half_away_from_zero(np.array([0.5, -0.5, 2.5, -2.5, 0.49999999999999994, 1.4]))
    assert r.tolist() == [1.0, -1.0, 3.0, -3.0, 0.0, 1.0]


# ---- against TFLM: single-op models through the tflite-micro interpreter ------------------


def _builder():
    try:
        from tests import tflite_builder
    except ImportError:  # plain `pytest` without the repo root on sys.path
        sys.path.insert(0, str(ROOT))
        from tests import tflite_builder
    return tflite_builder


def run_single_op(op, x, in_spec, out_spec, **options):
    tb = _builder()
    inp = tb.T(x.shape, in_spec[0], scale=in_spec[1], zero_point=in_spec[2])
    out = tb.T(x.shape, out_spec[0], scale=out_spec[1], zero_point=out_spec[2])
    (y,) = tb.run_tflm(tb.single_op(op, [inp], [out], **options), [x])
    return y.astype(np.int64)


def f32(v):
    """A scale as TFLM sees it: stored as float32, widened to double."""
    return float(np.float32(v))


def log_uniform(rng, lo, hi):
    return f32(2.0 ** rng.uniform(math.log2(lo), math.log2(hi)))


def wrap32(v):
    return (np.asarray(v, dtype=np.int64) + 2**31) % 2**32 - 2**31


ALL_S8 = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)


def test_tflm_requantize(rng):
    """QUANTIZE between integer types = QuantizeMultiplier + MultiplyByQuantizedMultiplier."""
    cases = [("s32", "s8", 2**-24, 1.0), ("s8", "s8", 2**-8, 2**8),
             ("s16", "s16", 2**-8, 2**8), ("s16", "s8", 2**-12, 2.0)]
    bounds = {"s8": (-128, 127), "s16": (-32768, 32767), "s32": (I32_MIN, I32_MAX)}
    dtypes = {"s8": np.int8, "s16": np.int16, "s32": np.int32}
    for src, dst, lo, hi in cases:
        for _ in range(6):
            in_zp = int(rng.integers(-100, 100)) if src == "s8" else 0
            out_zp = int(rng.integers(-100, 100)) if dst == "s8" else 0
            s_in, ratio = log_uniform(rng, 1e-3, 1.0), log_uniform(rng, lo, hi)
            s_out = f32(s_in / ratio)
            x = ints(rng, 2000, *bounds[src]).astype(dtypes[src]).reshape(1, -1)
            got = run_single_op("QUANTIZE", x, (src, s_in, in_zp), (dst, s_out, out_zp))
            m, shift = qm.quantize_multiplier(s_in / s_out)
            want = fp.multiply_by_quantized_multiplier(x.astype(np.int64) - in_zp, m, shift)
            want = np.clip(np.asarray(want, np.int64) + out_zp, *bounds[dst])
            np.testing.assert_array_equal(got, want, err_msg=f"{src}->{dst} {s_in} {s_out}")


def test_tflm_fully_connected_int16_uses_the_int64_path(rng):
    tb = _builder()
    for _ in range(8):
        depth, units = int(rng.integers(1, 64)), int(rng.integers(8, 64))
        x = rng.integers(-32768, 32768, (1, depth)).astype(np.int16)
        w = rng.integers(-127, 128, (units, depth)).astype(np.int8)
        bias = rng.integers(-(2**40), 2**40, units).astype(np.int64) >> int(rng.integers(0, 30))
        acc = x.astype(np.int64) @ w.astype(np.int64).T + bias
        # an output scale that spreads the results over the int16 range
        s_in, s_w = log_uniform(rng, 1e-4, 1e-1), log_uniform(rng, 1e-3, 1e-1)
        s_out = f32(s_in * s_w * np.abs(acc).max() / 30000)
        model = tb.single_op(
            "FULLY_CONNECTED",
            [tb.T(x.shape, "s16", scale=s_in, zero_point=0),
             tb.T(w.shape, "s8", scale=s_w, zero_point=0, data=w),
             tb.T(bias.shape, "s64", scale=f32(s_in * s_w), zero_point=0, data=bias)],
            [tb.T((1, units), "s16", scale=s_out, zero_point=0)])
        (got,) = tb.run_tflm(model, [x])
        m, shift = qm.quantize_multiplier(s_in * s_w / s_out)
        want = np.clip(fp.multiply_by_quantized_multiplier_s64(acc, m, shift), -32768, 32767)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
def test_tflm_logistic_and_tanh_int8(rng, op):
    for _ in range(8):
        scale, zp = log_uniform(rng, 1e-3, 0.5), int(rng.integers(-128, 128))
        if op == "LOGISTIC":
            out_spec, out_bits, offset = ("s8", 1 / 256, -128), 23, -128
        else:
            out_spec, out_bits, offset = ("s8", 1 / 128, 0), 24, 0
        got = run_single_op(op, ALL_S8, ("s8", scale, zp), out_spec)
        m, shift = qm.quantize_multiplier_without_fixup(scale * float(1 << 27))
        radius = qm.calculate_input_radius(4, shift, 31)
        x = ALL_S8.astype(np.int64) - zp
        q4 = fp.multiply_by_quantized_multiplier(x, m, shift)
        q0 = fp.logistic(q4, 4) if op == "LOGISTIC" else fp.tanh(q4, 4)
        y = np.asarray(fp.rounding_divide_by_pot(q0, out_bits), np.int64) + offset
        y = np.clip(y, -128, 127)
        want = np.where(x <= -radius, -128, np.where(x >= radius, 127, y))
        np.testing.assert_array_equal(got, want, err_msg=f"scale {scale} zp {zp}")


def _sum_of_exps(diff, keep, mult, shift, rescale_diff):
    scaled = rescale_diff(diff, mult, shift)
    exps = np.asarray(fp.exp_on_negative_values(scaled, 5), np.int64)
    in_q12 = np.where(keep, np.asarray(fp.rescale(exps, 0, 12), np.int64), 0)
    total = in_q12.sum(axis=1, keepdims=True)  # int32 adds; no overflow below 2**12 terms
    return np.asarray(scaled, np.int64), exps, total


@pytest.mark.parametrize("out_bits", [8, 16])
def test_tflm_softmax_int8(rng, out_bits):
    out_min, out_max = -(2 ** (out_bits - 1)), 2 ** (out_bits - 1) - 1
    out_spec = (f"s{out_bits}", 2.0**-out_bits, out_min)
    for scale in [f32(2.0**-8), f32(0.5)] + [log_uniform(rng, 1e-3, 2.0) for _ in range(8)]:
        x = rng.integers(-128, 128, (16, int(rng.integers(2, 40)))).astype(np.int8)
        got = run_single_op("SOFTMAX", x, ("s8", scale, 0), out_spec, beta=1.0)
        mult, shift = qm.preprocess_softmax_scaling(1.0, scale, 5)
        diff_min = -qm.calculate_input_radius(5, shift)
        diff = x.astype(np.int64) - x.max(axis=1, keepdims=True)
        keep = diff >= diff_min
        _, exps, total = _sum_of_exps(diff, keep, mult, shift,
                                      fp.multiply_by_quantized_multiplier_greater_than_one)
        recip, bits = fp.get_reciprocal(total, 12)
        y = fp.rounding_divide_by_pot(fp.sat_rounding_doubling_high_mul(recip, exps),
                                      bits + 31 - out_bits)
        want = np.where(keep, np.clip(np.asarray(y, np.int64) + out_min, out_min, out_max), out_min)
        np.testing.assert_array_equal(got, want, err_msg=f"scale {scale}")


def test_tflm_log_softmax_int8(rng):
    for scale in [f32(2.0**-8), f32(0.5)] + [log_uniform(rng, 1e-3, 4.0) for _ in range(8)]:
        x = rng.integers(-128, 128, (16, int(rng.integers(2, 40)))).astype(np.int8)
        got = run_single_op("LOG_SOFTMAX", x, ("s8", scale, 0), ("s8", 16 / 256, 127))
        mult, shift, rev_mult, rev_shift = qm.preprocess_log_softmax_scaling_exp(1.0, scale, 5)
        diff_min = -qm.calculate_input_radius(5, shift)
        diff = x.astype(np.int64) - x.max(axis=1, keepdims=True)
        scaled, _, total = _sum_of_exps(diff, diff >= diff_min, mult, shift,
                                        fp.multiply_by_quantized_multiplier)
        log_sum = np.asarray(fp.log_x_for_x_greater_than_or_equal_to_1(total, 12, 5), np.int64)
        adjusted_min = np.maximum(diff_min - 1, fp.multiply_by_quantized_multiplier(
            wrap32(log_sum + I32_MIN), rev_mult, rev_shift))
        y = np.asarray(fp.rounding_divide_by_pot(wrap32(scaled - log_sum), 31 - 5 - 4), np.int64)
        want = np.where(diff > adjusted_min, np.clip(y + 127, -128, 127), -128)
        np.testing.assert_array_equal(got, want, err_msg=f"scale {scale}")


def test_tflm_hard_swish_int8(rng):
    for _ in range(12):
        s_in, s_out = log_uniform(rng, 1e-3, 1.0), log_uniform(rng, 1e-3, 1.0)
        zp_in, zp_out = int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
        got = run_single_op("HARD_SWISH", ALL_S8, ("s8", s_in, zp_in), ("s8", s_out, zp_out))
        hires = np.float32(1.0 / 128.0) * np.float32(s_in)  # float32 arithmetic, as TFLM
        out_m, out_e = qm.quantize_multiplier(float(hires / np.float32(s_out)))
        relu_scale = np.float32(3.0) / np.float32(32768.0)
        relu_m, relu_e = qm.quantize_multiplier(float(hires / relu_scale))
        out_m16 = qm.down_scale_int32_to_int16_multiplier(out_m)
        relu_m16 = qm.down_scale_int32_to_int16_multiplier(relu_m)
        hi_res = (ALL_S8.astype(np.int64) - zp_in) * 128
        pre_out = fp.sat_rounding_doubling_high_mul_s16(hi_res, out_m16)
        relu = hi_res
        if relu_e > 0:
            relu = fp.saturating_left_shift_s16(relu, relu_e - 1)
        relu = fp.sat_rounding_doubling_high_mul_s16(relu, relu_m16)
        if relu_e > 0:
            relu = fp.saturating_left_shift_s16(relu, 1)
        if relu_e < 0:
            relu = fp.rounding_divide_by_pot_s16(relu, -relu_e)
        relu = (relu.astype(np.int64) + 2**15) >> 1
        y = fp.rounding_divide_by_pot_s16(fp.sat_doubling_high_mul_s16(relu, pre_out), -out_e)
        y = (y.astype(np.int64) + zp_out + 2**15) % 2**16 - 2**15  # int16 += wraps
        np.testing.assert_array_equal(got, np.clip(y, -128, 127), err_msg=f"{s_in} {s_out}")


def test_header_is_warning_free_and_ub_free(tmp_path):
    """-Werror clean on gcc and clang; an UBSan build of every function over its
    documented ranges reports nothing."""
    driver = tmp_path / "ub.c"
    driver.write_text(_UB_DRIVER)
    compilers = [["gcc"], ["clang"]]
    if shutil.which("arm-none-eabi-gcc"):  # optional for unit tests; tests/board require it
        compilers.append(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb"])
    for cc in compilers:
        if shutil.which(cc[0]) is None:
            pytest.fail(f"{cc[0]} not installed")
        subprocess.run([*cc, *CFLAGS, "-O2", "-Wshadow", "-Wconversion", "-Wsign-conversion",
                        "-c", str(driver), "-o", str(tmp_path / f"{cc[0]}.o")], check=True)
    exe = tmp_path / "ub"
    subprocess.run(["gcc", *CFLAGS, "-O1", "-fsanitize=undefined", "-fno-sanitize-recover=all",
                    str(driver), "-o", str(exe)], check=True)
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 0 and "runtime error" not in run.stderr, run.stderr


_UB_DRIVER = r"""
#include <stdint.h>
#include "tinymem/fixedpoint.h"
static uint64_t s = 88172645463325252u;
static uint32_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return (uint32_t)s; }
static int32_t r32(void) {
  static const int32_t edge[] = {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX, 1 << 30};
  uint32_t k = rnd();
  return k % 4u == 0u ? edge[k / 4u % 7u] : (int32_t)rnd();
}
static int in(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }
#define USE(v) (sink ^= (int64_t)(v))
int main(void) {
  volatile int64_t sink = 0;
  int i, bits;
  for (i = 0; i < 200000; ++i) {
    const int32_t a = r32(), b = r32();
    const int32_t pos = a == INT32_MIN ? 1 : (a < 0 ? -a : (a == 0 ? 1 : a));
    const int16_t h = (int16_t)(a >> 16), g = (int16_t)b;
    const int in_bits = in(0, 30);
    USE(tm_sat_rounding_doubling_high_mul(a, b));
    USE(tm_rounding_divide_by_pot(a, in(0, 31)));
    USE(tm_saturating_rounding_multiply_by_pot(a, in(-31, 31)));
    USE(tm_rescale(a, in(0, 31), in(0, 31)));
    USE(tm_rounding_half_sum(a, b));
    USE(tm_saturating_add(a, b));
    USE(tm_saturating_sub(a, b));
    USE(tm_count_leading_zeros((uint32_t)a));
    USE(tm_multiply_by_quantized_multiplier(a, b, in(-31, 30)));
    USE(tm_multiply_by_quantized_multiplier_s64((int64_t)a * 32768 + b / 2, pos, in(-31, 7)));
    USE(tm_multiply_by_quantized_multiplier_smaller_than_one_exp(a, b, in(-31, 0)));
    USE(tm_multiply_by_quantized_multiplier_greater_than_one(a, b, in(0, 31)));
    USE(tm_exp_on_interval_between_negative_one_quarter_and_0_excl(a));
    USE(tm_exp_on_negative_values(a, in(0, 29)));
    USE(tm_logistic(a, in(0, 29)));
    USE(tm_tanh(a, in(0, 28)));
    USE(tm_one_over_one_plus_x_for_x_in_0_1(a));
    USE(tm_one_minus_x_over_one_plus_x_for_x_in_0_1(a));
    USE(tm_get_reciprocal(pos, in(0, 31), &bits));
    USE(tm_log_x_for_x_greater_than_or_equal_to_1(
        pos, in_bits, in(tm_min_log_x_output_bits(in_bits), 30)));
    USE(tm_sat_rounding_doubling_high_mul_s16(h, g));
    USE(tm_sat_doubling_high_mul_s16(h, g));
    USE(tm_rounding_divide_by_pot_s16(h, in(0, 31)));
    USE(tm_saturating_left_shift_s16(h, in(0, 30)));
  }
  (void)sink;
  return 0;
}
"""
