"""TANH against TFLM: int8 (every input value; input scales from tiny to saturating, output
zero point ignored as TFLM does; run as parallel operators of one model) and float."""

import numpy as np

from tests.ops.harness import all_int8, check_tflite, parallel_model
from tests.tflite_builder import T, single_op

SHAPE = (1, 7, 37)  # 259 elements: not a multiple of the 4 / 8 / 16 blocks
INT8_CASES = [(0.1, -3, 0), (0.02, 40, 0), (0.0039, -128, 0), (0.37, 0, 0), (2.5, 7, 0),
              (16.0, 0, 0), (0.05, 1, 9)]  # (input scale, input zp, output zp)


def test_int8(tmp_path):
    m = parallel_model([("TANH", T(SHAPE, "s8", scale, zp), T(SHAPE, "s8", 1 / 128, out_zp))
                        for scale, zp, out_zp in INT8_CASES])
    check_tflite(m, [all_int8(i) for i in range(len(INT8_CASES))], tmp_path)


def test_float(tmp_path):
    x = (np.random.default_rng(0).standard_normal(SHAPE) * 4).astype(np.float32)
    x.flat[:4] = (-20, 0, 30, -1e-3)
    check_tflite(single_op("TANH", [T(SHAPE, "f32")], [T(SHAPE, "f32")]), [x], tmp_path)
