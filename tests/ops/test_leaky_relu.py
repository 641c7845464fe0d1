"""LEAKY_RELU against TFLM: int8 (every input value), int16 and float; alpha below 1, above 1
and negative. Cases of one dtype run as parallel operators of one model."""

import numpy as np

from tests.ops.harness import check_tflite
from tests.tflite_builder import T, build_model

SHAPE = (1, 7, 37)  # 259 elements: not a multiple of the 4 / 8 / 16 blocks


def parallel(cases):
    """One LEAKY_RELU per (input spec, output spec, alpha); each input is a model input."""
    tensors, ops = [], []
    for tin, tout, alpha in cases:
        ops.append(("LEAKY_RELU", [len(tensors)], [len(tensors) + 1], {"alpha": alpha}))
        tensors += [tin, tout]
    return build_model(ops, tensors, list(range(0, len(tensors), 2)), list(range(1, len(tensors), 2)))


def all_int8(seed):
    """Every int8 value once (shuffled), then a few more: 259 elements, so that the unrolled /
    blocked kernels also run their tails."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.permutation(np.arange(-128, 128)), rng.integers(-128, 128, 3)])
    return x.astype(np.int8).reshape(SHAPE)


INT8_CASES = [(0.2, (0.05, -3), (0.04, -20)), (0.01, (0.1, 30), (0.1, 30)),
              (1.7, (0.02, -128), (0.06, 10)), (-0.5, (0.03, 5), (0.02, 0))]


def test_int8(tmp_path):
    m = parallel([(T(SHAPE, "s8", *qi), T(SHAPE, "s8", *qo), a) for a, qi, qo in INT8_CASES])
    check_tflite(m, [all_int8(i) for i in range(len(INT8_CASES))], tmp_path)


def test_int16(tmp_path):
    x = np.random.default_rng(1).integers(-32768, 32768, SHAPE).astype(np.int16)
    x.flat[:2] = (-32768, 32767)
    m = parallel([(T(SHAPE, "s16", 0.001, 0), T(SHAPE, "s16", 0.0008, 0), a) for a in (0.3, -0.7)])
    check_tflite(m, [x, x], tmp_path)


def test_float(tmp_path):
    x = (np.random.default_rng(0).standard_normal(SHAPE) * 4).astype(np.float32)
    m = parallel([(T(SHAPE, "f32"), T(SHAPE, "f32"), a) for a in (0.1, -1.5)])
    check_tflite(m, [x, x], tmp_path)
