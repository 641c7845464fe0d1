"""SOFTMAX against TFLM: int8 -> int8 and int8 -> int16 over several input scales and betas
(full int8 range, constant rows, rows beyond diff_min), and float32. Cases of one dtype run as
parallel operators of one model."""

import numpy as np

from tests.ops.harness import check_tflite, parallel_model
from tests.tflite_builder import T


def int8_rows(shape, seed):
    x = np.random.default_rng(seed).integers(-128, 128, shape).astype(np.int8)
    rows = x.reshape(-1, shape[-1])
    if rows.shape[0] > 1:
        rows[0] = 17                  # a constant row
    rows[-1, :2] = (-128, 127)        # the widest spread
    return x


INT8_CASES = [  # (shape, input scale, input zp, beta)
    ((1, 10), 0.1, -5, 1.0),
    ((2, 3, 37), 0.0625, 3, 1.0),
    ((4, 256), 0.02, -128, 1.0),      # constant row of 256: largest exponent TFLM accepts
    ((3, 12), 0.5, 0, 0.7),           # large scale: small diff_min
    ((3, 12), 0.004, 10, 2.5),
    ((2, 8), 40.0, 0, 1.0),           # multiplier capped, diff_min 0
]


def test_int8(tmp_path):
    m = parallel_model([("SOFTMAX", T(s, "s8", sc, zp), T(s, "s8", 1 / 256, -128), {"beta": b})
                        for s, sc, zp, b in INT8_CASES])
    check_tflite(m, [int8_rows(c[0], i) for i, c in enumerate(INT8_CASES)], tmp_path)


def test_int8_to_int16(tmp_path):
    cases = [((3, 40), 0.08, -2, 1.0), ((2, 300), 0.02, 0, 1.0)]
    m = parallel_model([("SOFTMAX", T(s, "s8", sc, zp), T(s, "s16", 1 / 65536, -32768), {"beta": b})
                        for s, sc, zp, b in cases])
    check_tflite(m, [int8_rows(c[0], 9 + i) for i, c in enumerate(cases)], tmp_path)


def test_float(tmp_path):
    x = (np.random.default_rng(4).standard_normal((2, 5, 19)) * 6).astype(np.float32)
    m = parallel_model([("SOFTMAX", T(x.shape, "f32"), T(x.shape, "f32"), {"beta": b}) for b in (1.0, 0.3)])
    check_tflite(m, [x, x], tmp_path)
