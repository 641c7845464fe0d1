"""LOG_SOFTMAX against TFLM: int8 over several input scales (full int8 range, constant rows,
rows beyond diff_min; parallel operators of one model) and float32."""

import numpy as np

from tests.ops.harness import check_tflite
from tests.tflite_builder import T, build_model, single_op

INT8_CASES = [((1, 10), 0.1, -5), ((2, 3, 37), 0.0625, 3), ((4, 256), 0.02, -128),
              ((3, 12), 0.5, 0), ((3, 12), 0.004, 10), ((2, 8), 40.0, 0)]  # (shape, scale, zp)


def int8_rows(shape, seed):
    x = np.random.default_rng(seed).integers(-128, 128, shape).astype(np.int8)
    rows = x.reshape(-1, shape[-1])
    if rows.shape[0] > 1:
        rows[0] = -40                 # a constant row
    rows[-1, :2] = (-128, 127)        # the widest spread
    return x


def test_int8(tmp_path):
    tensors, ops = [], []
    for shape, scale, zp in INT8_CASES:
        ops.append(("LOG_SOFTMAX", [len(tensors)], [len(tensors) + 1]))
        tensors += [T(shape, "s8", scale, zp), T(shape, "s8", 16 / 256, 127)]
    m = build_model(ops, tensors, list(range(0, len(tensors), 2)), list(range(1, len(tensors), 2)))
    check_tflite(m, [int8_rows(c[0], i) for i, c in enumerate(INT8_CASES)], tmp_path)


def test_float(tmp_path):
    x = (np.random.default_rng(4).standard_normal((2, 5, 19)) * 6).astype(np.float32)
    check_tflite(single_op("LOG_SOFTMAX", [T(x.shape, "f32")], [T(x.shape, "f32")]), [x], tmp_path)
