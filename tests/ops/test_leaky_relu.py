"""LEAKY_RELU against TFLM: int8 (every input value), int16 and float; alpha below 1, above 1
and negative. Cases of one dtype run as parallel operators of one model."""

import numpy as np

from tests.ops.harness import all_int8, check_tflite, parallel_model
from tests.tflite_builder import T

SHAPE = (1, 7, 37)  # 259 elements: not a multiple of the 4 / 8 / 16 blocks


INT8_CASES = [(0.2, (0.05, -3), (0.04, -20)), (0.01, (0.1, 30), (0.1, 30)),
              (1.7, (0.02, -128), (0.06, 10)), (-0.5, (0.03, 5), (0.02, 0))]


def test_int8(tmp_path):
    m = parallel_model([("LEAKY_RELU", T(SHAPE, "s8", *qi), T(SHAPE, "s8", *qo), {"alpha": a})
                        for a, qi, qo in INT8_CASES])
    check_tflite(m, [all_int8(i) for i in range(len(INT8_CASES))], tmp_path)


def test_int16(tmp_path):
    x = np.random.default_rng(1).integers(-32768, 32768, SHAPE).astype(np.int16)
    x.flat[:2] = (-32768, 32767)
    m = parallel_model([("LEAKY_RELU", T(SHAPE, "s16", 0.001, 0), T(SHAPE, "s16", 0.0008, 0), {"alpha": a})
                        for a in (0.3, -0.7)])
    check_tflite(m, [x, x], tmp_path)


def test_float(tmp_path):
    x = (np.random.default_rng(0).standard_normal(SHAPE) * 4).astype(np.float32)
    m = parallel_model([("LEAKY_RELU", T(SHAPE, "f32"), T(SHAPE, "f32"), {"alpha": a}) for a in (0.1, -1.5)])
    check_tflite(m, [x, x], tmp_path)
