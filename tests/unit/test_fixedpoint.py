"""Fixed-point arithmetic: the C header and the numpy module agree bit for bit,
agree with hand-derived values and with real-valued math, and reproduce
TFLM's integer kernels (the `tflite-micro` package is the oracle)."""

import ctypes
import math
import os
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


def assert_same(lib, name, *args, c_name=None):
    want = np.asarray(getattr(fp, name)(*args), dtype=np.int64)
    got = c_call(lib, c_name or name, *args)
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


def test_header_is_warning_free_and_ub_free(tmp_path):
    """-Werror clean on gcc and clang; an UBSan build of every function over its
    documented ranges reports nothing."""
    driver = tmp_path / "ub.c"
    driver.write_text(_UB_DRIVER)
    for cc in ("gcc", "clang"):
        if shutil.which(cc) is None:
            pytest.fail(f"{cc} not installed")
        subprocess.run([cc, *CFLAGS, "-Wshadow", "-Wconversion", "-c", str(driver),
                        "-o", str(tmp_path / f"{cc}.o")], check=True)
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
