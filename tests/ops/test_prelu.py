"""PRELU against TFLM: int8 and float with per-channel, full and mid-broadcast alpha (constant
or a model input), int16 with int8 alpha. Cases of one dtype run as parallel operators."""

import numpy as np

from tests.ops.harness import check_tflite
from tests.tflite_builder import T, build_model, single_op

SHAPE = (1, 3, 5, 19)  # 285 elements, 19 channels: blocks of 4 with tails


def parallel(cases):
    """One PRELU per (input spec, alpha spec, output spec); inputs and non-constant alphas are
    model inputs, in that order per case."""
    tensors, ops, inputs, outputs = [], [], [], []
    for tin, ta, tout in cases:
        i = len(tensors)
        tensors += [tin, ta, tout]
        ops.append(("PRELU", [i, i + 1], [i + 2]))
        inputs += [i] + ([i + 1] if ta.data is None else [])
        outputs.append(i + 2)
    return build_model(ops, tensors, inputs, outputs)


def test_int8(tmp_path):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.permutation(np.arange(-128, 128)), rng.integers(-128, 128, 29)])
    x = x.astype(np.int8).reshape(SHAPE)  # every int8 value
    cases, feeds = [], []
    for shape, const in [((1, 1, 19), True), ((19,), True), ((3, 5, 19), True), ((3, 1, 19), True),
                         ((1, 1, 19), False)]:
        alpha = rng.integers(-128, 128, shape).astype(np.int8)
        cases.append((T(SHAPE, "s8", 0.05, -7), T(shape, "s8", 0.01, 3, data=alpha if const else None),
                      T(SHAPE, "s8", 0.04, 10)))
        feeds += [x] + ([] if const else [alpha])
    check_tflite(parallel(cases), feeds, tmp_path)


def test_int16(tmp_path):
    rng = np.random.default_rng(6)
    x = rng.integers(-32768, 32768, SHAPE).astype(np.int16)
    alpha = rng.integers(-128, 128, (19,)).astype(np.int8)
    m = single_op("PRELU", [T(SHAPE, "s16", 0.001, 0), T((19,), "s8", 0.02, 0, data=alpha)],
                  [T(SHAPE, "s16", 0.0015, 0)])
    check_tflite(m, [x], tmp_path)


def test_float(tmp_path):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(SHAPE) * 3).astype(np.float32)
    cases = [(T(SHAPE, "f32"), T(s, "f32", data=rng.uniform(-1, 1, s).astype(np.float32)), T(SHAPE, "f32"))
             for s in [(1, 1, 19), (3, 1, 19)]]
    check_tflite(parallel(cases), [x, x], tmp_path)
