"""LOGISTIC against TFLM: int8 (every input value; input scales from tiny to saturating, run
as parallel operators of one model) and float."""

import subprocess
from pathlib import Path

import numpy as np

from tests.ops.harness import all_int8, check_tflite, parallel_model
from tests.tflite_builder import T, single_op

SHAPE = (1, 7, 37)  # 259 elements: not a multiple of the 4 / 8 / 16 blocks
INT8_INPUTS = [(0.1, -3), (0.02, 40), (0.0039, -128), (0.37, 0), (2.5, 7), (16.0, 0)]


def test_int8(tmp_path):
    m = parallel_model([("LOGISTIC", T(SHAPE, "s8", scale, zp), T(SHAPE, "s8", 1 / 256, -128))
                        for scale, zp in INT8_INPUTS])
    check_tflite(m, [all_int8(i) for i in range(len(INT8_INPUTS))], tmp_path)


def test_float(tmp_path):
    x = (np.random.default_rng(0).standard_normal(SHAPE) * 8).astype(np.float32)
    x.flat[:6] = (-20, -9.5, 0, 16.7, 30, -1e-3)
    check_tflite(single_op("LOGISTIC", [T(SHAPE, "f32")], [T(SHAPE, "f32")]), [x], tmp_path)


FAST_EXP_CHECK = r"""
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "tinymem/fast_exp.h"
#include "tinymem/tanh.h"
int main(void) {
    double worst_exp = 0, worst_tanh = 0;
    float x[4], e[4], t[4];
    int n = 0;
    for (uint64_t b = 0; b <= 0xFFFFFFFFu; b += 4093) {
        const uint32_t u = (uint32_t)b;
        memcpy(&x[n], &u, sizeof(float));
        if (x[n] != x[n] || ++n < 4) continue;
        n = 0;
        tm_fast_expf4(x, e);
        if (tm_tanh_f32(4, x, t) != TM_OK) return 1;
        for (int j = 0; j < 4; ++j) {
            const double re = exp((double)x[j]), rt = tanh((double)x[j]);
            if (x[j] >= -87.0f && x[j] <= 88.0f) {
                const double err = fabs(e[j] - re) / re;
                worst_exp = err > worst_exp ? err : worst_exp;
            } else if (x[j] < -87.0f ? e[j] != 0.0f : e[j] != (float)exp(88.0)) {
                printf("exp(%a) = %a\n", x[j], e[j]);
                return 1;
            }
            if (rt != 0) {
                const double err = fabs(t[j] - rt) / fabs(rt);
                worst_tanh = err > worst_tanh ? err : worst_tanh;
            } else if (t[j] != 0) {
                return 1;
            }
        }
    }
    x[0] = NAN; x[1] = INFINITY; x[2] = -INFINITY; x[3] = 0.0f;
    tm_fast_expf4(x, e);
    tm_tanh_f32(4, x, t);
    if (!isnan(e[0]) || e[2] != 0 || e[3] != 1 || !isnan(t[0]) || t[1] != 1 || t[2] != -1 || t[3] != 0)
        return 1;
    printf("%.3g %.3g\n", worst_exp, worst_tanh);
    return 0;
}
"""


def test_fast_exp_and_tanh_accuracy(tmp_path):
    """tinymem/fast_exp.h (used by the float Softmax / LogSoftmax / Logistic / Tanh kernels) and
    the float Tanh kernel against double-precision exp and tanh on ~1M floats over the whole
    range."""
    src = tmp_path / "fast_exp_check.c"
    src.write_text(FAST_EXP_CHECK)
    runtime = Path(__file__).resolve().parents[2] / "runtime_c"
    exe = tmp_path / "fast_exp_check"
    subprocess.run(["cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{runtime / 'include'}", str(src),
                    str(runtime / "kernels" / "tm_tanh_f32.c"), "-o", str(exe), "-lm"], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout
    worst_exp, worst_tanh = map(float, out.stdout.split())
    assert worst_exp < 2e-7 and worst_tanh < 3e-7
