"""RELU / RELU6 / RELU_N1_TO_1 against TFLM (and plain numpy where TFLM has no kernel).

Cases sharing a dtype run as parallel operators of one model (one C build per test)."""

import tempfile
from pathlib import Path

import numpy as np

from tests.ops.harness import assert_close, check_tflite, run_compiled
from tests.tflite_builder import T, build_model
from tinymem.compiler.canonicalize import canonicalize
from tinymem.frontend import load_model
from tinymem.sim.interpret import interpret

SHAPE = (1, 7, 37)  # 259 elements: not a multiple of the 4 / 8 / 16 blocks


def parallel(cases):
    """One operator per (op, input spec, output spec); each input is a model input."""
    tensors, ops = [], []
    for op, tin, tout in cases:
        ops.append((op, [len(tensors)], [len(tensors) + 1]))
        tensors += [tin, tout]
    return build_model(ops, tensors, list(range(0, len(tensors), 2)), list(range(1, len(tensors), 2)))


def all_int8(seed):
    """Every int8 value once (shuffled), then a few more: 259 elements, so that the unrolled /
    blocked kernels also run their tails."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.permutation(np.arange(-128, 128)), rng.integers(-128, 128, 3)])
    return x.astype(np.int8).reshape(SHAPE)


def test_float(tmp_path):
    x = (np.random.default_rng(0).standard_normal(SHAPE) * 5).astype(np.float32)
    m = parallel([(op, T(SHAPE, "f32"), T(SHAPE, "f32")) for op in ("RELU", "RELU6")])
    check_tflite(m, [x, x], tmp_path)


INT8_CASES = [  # (op, (input scale, zp), (output scale, zp))
    ("RELU", (0.05, -3), (0.05, -3)),
    ("RELU", (0.05, 10), (0.03, -128)),
    ("RELU", (0.02, -128), (0.2, 5)),
    ("RELU6", (0.05, -3), (0.05, -3)),
    ("RELU6", (0.1, 20), (0.024, -128)),   # TFLM clamps in the input domain
]


def test_int8(tmp_path):
    m = parallel([(op, T(SHAPE, "s8", *qi), T(SHAPE, "s8", *qo)) for op, qi, qo in INT8_CASES])
    check_tflite(m, [all_int8(i) for i in range(len(INT8_CASES))], tmp_path)


def test_int16(tmp_path):
    x = np.random.default_rng(2).integers(-32768, 32768, SHAPE).astype(np.int16)
    x.flat[:2] = (-32768, 32767)
    m = parallel([("RELU", T(SHAPE, "s16", 0.001, 0), T(SHAPE, "s16", 0.0007, 0)),
                  ("RELU6", T(SHAPE, "s16", 0.0005, 0), T(SHAPE, "s16", 0.0005, 0))])
    check_tflite(m, [x, x], tmp_path)


def test_relu_n1_to_1_int8_and_float(tmp_path):
    """TFLM has no RELU_N1_TO_1 kernel: compare with TFLite's semantics computed in numpy."""
    rng = np.random.default_rng(3)
    xq = all_int8(3)
    xf = (rng.standard_normal(SHAPE) * 2).astype(np.float32)
    scale, zp = np.float32(0.02), 7
    lo = zp + int(np.round(-1 / scale))
    hi = zp + int(np.round(1 / scale))
    m = parallel([("RELU_N1_TO_1", T(SHAPE, "s8", float(scale), zp), T(SHAPE, "s8", float(scale), zp)),
                  ("RELU_N1_TO_1", T(SHAPE, "f32"), T(SHAPE, "f32"))])
    want = [np.clip(xq.astype(np.int32), lo, hi).astype(np.int8), np.clip(xf, -1, 1)]
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        path = Path(tmp) / "m.tflite"
        path.write_bytes(m)
        ref = interpret(canonicalize(load_model(path)), [xq, xf])
        got = run_compiled(path, [xq, xf], Path(tmp) / "out")
    for i, w in enumerate(want):
        assert_close(ref[i], w, 0, f"numpy reference, output {i}")
        assert_close(got[i], w, 0, f"generated C, output {i}")
