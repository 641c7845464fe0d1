"""RELU / RELU6 / RELU_N1_TO_1 against TFLM (and plain numpy where TFLM has no kernel).

Cases sharing a dtype run as parallel operators of one model (one C build per test)."""

import tempfile
from pathlib import Path

import numpy as np

from tests.ops.harness import all_int8, assert_close, check_tflite, parallel_model, run_compiled
from tests.tflite_builder import T, build_model
from tinymem.compiler.canonicalize import canonicalize
from tinymem.frontend import load_model
from tinymem.sim.interpret import interpret

SHAPE = (1, 7, 37)  # 259 elements: not a multiple of the 4 / 8 / 16 blocks


def test_float(tmp_path):
    x = (np.random.default_rng(0).standard_normal(SHAPE) * 5).astype(np.float32)
    m = parallel_model([(op, T(SHAPE, "f32"), T(SHAPE, "f32")) for op in ("RELU", "RELU6")])
    check_tflite(m, [x, x], tmp_path)


INT8_CASES = [  # (op, (input scale, zp), (output scale, zp))
    ("RELU", (0.05, -3), (0.05, -3)),
    ("RELU", (0.05, 10), (0.03, -128)),
    ("RELU", (0.02, -128), (0.2, 5)),
    ("RELU6", (0.05, -3), (0.05, -3)),
    ("RELU6", (0.1, 20), (0.024, -128)),   # TFLM clamps in the input domain
]


def test_int8(tmp_path):
    m = parallel_model([(op, T(SHAPE, "s8", *qi), T(SHAPE, "s8", *qo)) for op, qi, qo in INT8_CASES])
    check_tflite(m, [all_int8(i) for i in range(len(INT8_CASES))], tmp_path)


def test_int16(tmp_path):
    x = np.random.default_rng(2).integers(-32768, 32768, SHAPE).astype(np.int16)
    x.flat[:2] = (-32768, 32767)
    m = parallel_model([("RELU", T(SHAPE, "s16", 0.001, 0), T(SHAPE, "s16", 0.0007, 0)),
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
    m = parallel_model([("RELU_N1_TO_1", T(SHAPE, "s8", float(scale), zp), T(SHAPE, "s8", float(scale), zp)),
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


def test_activation_chains_run_in_place(tmp_path):
    """Chains of the elementwise activations: every intermediate tensor dies at its consumer, so
    the schedule runs the kernels in place over their input; results still match TFLM."""
    from tinymem.compile import compile_model

    s = (1, 5, 53)  # 265 elements: the block / unrolled kernels run their tails too
    rng = np.random.default_rng(11)
    alpha = rng.integers(-128, 128, (53,)).astype(np.int8)
    alpha_f = rng.uniform(-1, 1, (53,)).astype(np.float32)
    q = [T(s, "f32"), T(s, "s8", 0.04, 3), T(s, "s8", 0.03, -20), T(s, "s8", 0.03, -1),
         T(s, "s8", 0.02, -50), T(s, "s8", 1 / 128, 0), T(s, "s8", 1 / 256, -128),
         T((53,), "s8", 0.01, 2, data=alpha), T(s, "s8", 0.02, 7), T(s, "u8", 0.03, 128),
         T(s, "s8", 0.03, 0), T(s, "f32")]
    ops = [("QUANTIZE", [0], [1]), ("RELU", [1], [2]), ("LEAKY_RELU", [2], [3], {"alpha": 0.3}),
           ("HARD_SWISH", [3], [4]), ("TANH", [4], [5]), ("LOGISTIC", [5], [6]), ("PRELU", [6, 7], [8]),
           ("QUANTIZE", [8], [9]), ("QUANTIZE", [9], [10]), ("DEQUANTIZE", [10], [11])]
    f = [T(s, "f32") for _ in range(6)] + [T((53,), "f32", data=alpha_f), T(s, "f32")]
    fops = [("RELU6", [0], [1]), ("LEAKY_RELU", [1], [2], {"alpha": -0.5}), ("HARD_SWISH", [2], [3]),
            ("TANH", [3], [4]), ("LOGISTIC", [4], [5]), ("PRELU", [5, 6], [7])]
    x = (rng.standard_normal(s) * 4).astype(np.float32)
    for tensors, chain in [(q, ops), (f, fops)]:
        m = build_model(chain, tensors, [0], [len(tensors) - 1])
        path = tmp_path / "chain.tflite"
        path.write_bytes(m)
        compile_model(path, tmp_path / "out")
        assert (tmp_path / "out" / "model.c").read_text().count("(in place over") >= len(chain) - 3
        check_tflite(m, [x], tmp_path, atol=1e-4)
