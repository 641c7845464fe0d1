"""HARD_SWISH against TFLM: int8 (every input value; reluish multipliers with left and right
shifts, several output scales; parallel operators of one model) and float."""

import numpy as np

from tests.ops.harness import all_int8, check_tflite, parallel_model
from tests.tflite_builder import T, single_op

SHAPE = (1, 7, 37)  # 259 elements: not a multiple of the 4 / 8 / 16 blocks
INT8_CASES = [  # ((input scale, zp), (output scale, zp))
    ((0.05, -3), (0.04, -20)),
    ((0.1, 30), (0.1, -100)),
    ((0.004, -128), (0.003, -128)),   # reluish multiplier with a right shift
    ((0.9, 5), (0.7, -90)),           # large input range: saturating left shifts
    ((0.02, 0), (0.5, 0)),
]


def test_int8(tmp_path):
    m = parallel_model([("HARD_SWISH", T(SHAPE, "s8", *qin), T(SHAPE, "s8", *qout)) for qin, qout in INT8_CASES])
    check_tflite(m, [all_int8(i) for i in range(len(INT8_CASES))], tmp_path)


def test_float(tmp_path):
    x = (np.random.default_rng(0).standard_normal(SHAPE) * 4).astype(np.float32)
    x.flat[:5] = (-3, 3, 0, -10, 10)
    check_tflite(single_op("HARD_SWISH", [T(SHAPE, "f32")], [T(SHAPE, "f32")]), [x], tmp_path)
