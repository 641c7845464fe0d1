"""DEQUANTIZE against TFLM (int8, uint8, int16) and float16 weights folded at compile time;
a run-time float16 input (TFLM has no kernel for it) against numpy."""

import tempfile
from pathlib import Path

import numpy as np

from tests.ops.harness import assert_close, check_tflite, run_compiled
from tests.tflite_builder import T, build_model, run_tflm, single_op
from tinymem.compiler.canonicalize import canonicalize
from tinymem.frontend import load_model
from tinymem.sim.interpret import interpret

N = 263  # not a multiple of the 8 / 16 blocks: the kernels' tails run too


def test_int_inputs(tmp_path):
    rng = np.random.default_rng(0)
    x8 = np.arange(-128, 135).astype(np.int8).reshape(1, N)
    xu = np.arange(0, N).astype(np.uint8).reshape(1, N)
    x16 = rng.integers(-32768, 32768, (1, N)).astype(np.int16)
    tensors = [T((1, N), "s8", 0.0371, -3), T((1, N), "u8", 0.0123, 131), T((1, N), "s16", 3.1e-4, 5),
               T((1, N), "f32"), T((1, N), "f32"), T((1, N), "f32")]
    ops = [("DEQUANTIZE", [i], [i + 3]) for i in range(3)]
    check_tflite(build_model(ops, tensors, [0, 1, 2], [3, 4, 5]), [x8, xu, x16], tmp_path, atol=0)


def test_float16_constant_is_folded(tmp_path):
    """PRELU(x, DEQUANTIZE(f16 alpha)) is folded to PRELU with a float32 alpha; TFLM has no
    float16 DEQUANTIZE, so the oracle is TFLM on the model with that alpha given as float32."""
    rng = np.random.default_rng(1)
    alpha = rng.uniform(-2, 2, (8,)).astype(np.float16)
    alpha[:3] = (np.float16(6e-8), np.float16(-1e-5), np.float16(65504))  # subnormals, max
    x = -np.abs(rng.standard_normal((1, 4, 8))).astype(np.float32)
    tensors = [T((1, 4, 8), "f32"), T((8,), "f16", data=alpha), T((8,), "f32"), T((1, 4, 8), "f32")]
    m = build_model([("DEQUANTIZE", [1], [2]), ("PRELU", [0, 2], [3])], tensors, [0], [3])
    want = run_tflm(single_op("PRELU", [T((1, 4, 8), "f32"), T((8,), "f32", data=alpha.astype(np.float32))],
                              [T((1, 4, 8), "f32")]), [x])[0]
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        path = Path(tmp) / "m.tflite"
        path.write_bytes(m)
        g = canonicalize(load_model(path))
        assert [n.op for n in g.nodes] == ["prelu"]
        ref = interpret(g, [x])[0]
        got = run_compiled(path, [x], Path(tmp) / "out")[0]
    assert_close(ref, want, 0, "numpy reference")
    assert_close(got, want, 0, "generated C")


def test_float16_runtime_input(tmp_path):
    bits = np.array([0x0000, 0x8000, 0x0001, 0x83FF, 0x0400, 0x3C00, 0xC000, 0x7BFF, 0x7C00, 0xFC00,
                     0x3555, 0x1234], dtype=np.uint16)
    x = bits.view(np.float16).reshape(1, -1)
    want = x.astype(np.float32)
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        path = Path(tmp) / "m.tflite"
        path.write_bytes(single_op("DEQUANTIZE", [T(x.shape, "f16")], [T(x.shape, "f32")]))
        ref = interpret(canonicalize(load_model(path)), [x])[0]
        got = run_compiled(path, [x], Path(tmp) / "out")[0]
    assert_close(ref, want, 0, "numpy reference")
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
