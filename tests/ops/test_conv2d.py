"""CONV_2D: int8 and float32 through TFLM (oracle), the numpy reference and the generated C
(ASan + UBSan); hybrid float32 x int8-weight convs against LiteRT's BUILTIN_REF kernels (TFLM
cannot run them), bit for bit."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests.ops.harness import assert_close, check_tflite
from tests.tflite_builder import T, run_tflm, single_op
from tinymem.compile import compile_model
from tinymem.compiler.canonicalize import canonicalize
from tinymem.frontend import load_model
from tinymem.ops.conv2d import quantize_asymmetric, quantize_symmetric
from tinymem.sim.host import PROFILES, WARNINGS, find_compiler, run_host
from tinymem.sim.interpret import interpret
from tinymem.sim.references import run_litert_ref

RNG = np.random.default_rng(7)


def out_hw(h, w, k, stride, dil, padding):
    eff = [(k[i] - 1) * dil[i] + 1 for i in range(2)]
    if padding == "SAME":
        return -(-h // stride[0]), -(-w // stride[1])
    return (h - eff[0]) // stride[0] + 1, (w - eff[1]) // stride[1] + 1


def conv_options(stride, dil, padding, act):
    return dict(stride_h=stride[0], stride_w=stride[1], dilation_h_factor=dil[0],
                dilation_w_factor=dil[1], padding=padding, fused_activation_function=act)


def conv_s8(in_shape, cout, k, stride=(1, 1), dil=(1, 1), padding="SAME", act="NONE",
            per_channel=True, bias=True, groups=1, in_q=(0.05, -3), out_q=(0.08, 5)):
    n, h, w, c = in_shape
    oh, ow = out_hw(h, w, k, stride, dil, padding)
    wq = RNG.integers(-127, 128, size=(cout, k[0], k[1], c // groups), dtype=np.int8)
    ws = RNG.uniform(0.002, 0.02, cout).astype(np.float32).tolist() if per_channel else 0.01
    bs = (np.float32(in_q[0]) * np.asarray(ws, np.float32)).tolist()
    ins = [T(in_shape, "s8", scale=in_q[0], zero_point=in_q[1]),
           T(wq.shape, "s8", scale=ws, zero_point=0, data=wq),
           T((cout,), "s32", scale=bs, zero_point=0,
             data=RNG.integers(-20000, 20000, cout, dtype=np.int32)) if bias else None]
    return single_op("CONV_2D", ins, [T((n, oh, ow, cout), "s8", scale=out_q[0], zero_point=out_q[1])],
                     **conv_options(stride, dil, padding, act))


def q8(shape):
    return RNG.integers(-128, 128, size=shape, dtype=np.int8)


@pytest.mark.parametrize("in_shape,cout,k,stride,dil,padding,act,per_channel,bias,groups", [
    ((1, 7, 6, 5), 10, (3, 3), (1, 1), (1, 1), "SAME", "RELU", True, True, 1),    # block of 8 + 2
    ((1, 9, 8, 4), 7, (3, 3), (2, 2), (1, 1), "VALID", "NONE", False, False, 1),  # per-tensor, no bias
    ((2, 5, 3, 16), 16, (1, 1), (1, 1), (1, 1), "SAME", "RELU6", True, True, 1),  # 1x1: no im2col, odd pixels
    ((1, 8, 8, 12), 9, (1, 1), (2, 2), (1, 1), "SAME", "NONE", False, True, 1),   # strided 1x1
    ((1, 9, 7, 3), 8, (3, 2), (2, 1), (2, 2), "SAME", "RELU_N1_TO_1", True, True, 1),  # dilated, asymmetric
    ((1, 49, 10, 1), 64, (10, 4), (2, 2), (1, 1), "SAME", "RELU", True, True, 1),  # KWS first layer
    ((1, 6, 6, 8), 6, (3, 3), (1, 1), (1, 1), "SAME", "NONE", True, True, 2),     # grouped
])
def test_conv2d_s8(in_shape, cout, k, stride, dil, padding, act, per_channel, bias, groups, tmp_path):
    model = conv_s8(in_shape, cout, k, stride, dil, padding, act, per_channel, bias, groups)
    check_tflite(model, [q8(in_shape)], tmp_path)


def test_conv2d_s8_extremes(tmp_path):
    """Input zero point 127 with all inputs -128 (largest folded terms, every tap of the border
    padded), and an effective scale above 1 (left-shifting requantization)."""
    model = conv_s8((1, 5, 5, 20), 12, (3, 3), in_q=(0.05, 127), out_q=(0.0004, -128))
    check_tflite(model, [np.full((1, 5, 5, 20), -128, np.int8)], tmp_path)


@pytest.mark.parametrize("in_shape,cout,k,stride,dil,padding,act,bias,groups", [
    ((1, 7, 6, 3), 5, (3, 3), (1, 1), (1, 1), "SAME", "RELU", True, 1),
    ((2, 9, 8, 4), 6, (3, 2), (2, 1), (2, 1), "VALID", "RELU6", False, 2),  # grouped
])
def test_conv2d_f32(in_shape, cout, k, stride, dil, padding, act, bias, groups, tmp_path):
    n, h, w, c = in_shape
    oh, ow = out_hw(h, w, k, stride, dil, padding)
    wf = RNG.standard_normal((cout, k[0], k[1], c // groups)).astype(np.float32)
    ins = [T(in_shape, "f32"), T(wf.shape, "f32", data=wf),
           T((cout,), "f32", data=RNG.standard_normal(cout).astype(np.float32)) if bias else None]
    model = single_op("CONV_2D", ins, [T((n, oh, ow, cout), "f32")], **conv_options(stride, dil, padding, act))
    check_tflite(model, [RNG.standard_normal(in_shape).astype(np.float32)], tmp_path, atol=1e-4)


# -- hybrid: float activations, int8 weights (LiteRT BUILTIN_REF is the oracle) -------------------
def check_litert(model: bytes, input_sets: list[list[np.ndarray]], tmp_path: Path) -> None:
    """For each input set: the numpy reference and the generated C (ASan + UBSan, compiled once)
    equal LiteRT's reference kernels exactly."""
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        path = Path(tmp) / "model.tflite"
        path.write_bytes(model)
        g = canonicalize(load_model(path))
        compile_model(path, Path(tmp) / "out")
        for inputs in input_sets:
            want = run_litert_ref(model, inputs)
            ref = interpret(g, inputs)
            got = run_host(Path(tmp) / "out", inputs, profile="sanitize")
            for i, w in enumerate(want):
                np.testing.assert_array_equal(ref[i], w, err_msg=f"numpy reference vs LiteRT, output {i}")
                np.testing.assert_array_equal(got[i].reshape(w.shape), w,
                                              err_msg=f"generated C vs LiteRT, output {i}")


def conv_hybrid(in_shape, cout, k, stride=(1, 1), dil=(1, 1), padding="SAME", act="NONE",
                per_channel=False, groups=1, op="CONV_2D"):
    n, h, w, c = in_shape
    oh, ow = out_hw(h, w, k, stride, dil, padding)
    depthwise = op == "DEPTHWISE_CONV_2D"
    shape = (1, k[0], k[1], cout) if depthwise else (cout, k[0], k[1], c // groups)
    ws = RNG.uniform(0.002, 0.02, cout).astype(np.float32).tolist() if per_channel else 0.01
    ins = [T(in_shape, "f32"),
           T(shape, "s8", scale=ws, zero_point=0, quantized_dimension=3 if depthwise else 0,
             data=RNG.integers(-127, 128, size=shape, dtype=np.int8)),
           T((cout,), "f32", data=RNG.standard_normal(cout).astype(np.float32))]
    opts = conv_options(stride, dil, padding, act)
    if depthwise:
        opts["depth_multiplier"] = cout // c
    return single_op(op, ins, [T((n, oh, ow, cout), "f32")], **opts)


def f32_input(shape, offset=0.3):
    return (RNG.standard_normal(shape) * 2 + offset).astype(np.float32)


@pytest.mark.parametrize("in_shape,cout,k,stride,dil,padding,act,per_channel,groups", [
    ((1, 49, 10, 1), 64, (10, 4), (2, 2), (1, 1), "SAME", "RELU", False, 1),  # KWS f32's first conv
    ((1, 7, 6, 5), 10, (3, 3), (1, 1), (1, 1), "SAME", "NONE", True, 1),      # asymmetric path
    ((2, 5, 3, 16), 16, (1, 1), (1, 1), (1, 1), "SAME", "RELU6", False, 1),   # per-batch scales
    ((2, 9, 7, 6), 8, (3, 2), (2, 1), (2, 2), "VALID", "NONE", True, 2),      # dilated, strided, grouped
])
def test_conv2d_hybrid(in_shape, cout, k, stride, dil, padding, act, per_channel, groups, tmp_path):
    model = conv_hybrid(in_shape, cout, k, stride, dil, padding, act, per_channel, groups)
    check_litert(model, [[f32_input(in_shape)]], tmp_path)


def test_conv2d_hybrid_special_inputs(tmp_path):
    """All-zero input (range 0: scale 1), all-positive input (asymmetric range [0, max]) and
    values on rounding ties of both quantizers."""
    sym = conv_hybrid((1, 4, 5, 3), 4, (3, 3))
    asym = conv_hybrid((1, 4, 5, 3), 4, (3, 3), per_channel=True)
    ties = (RNG.integers(-254, 255, size=(1, 4, 5, 3)) * 0.5).astype(np.float32)
    sets = [[np.zeros((1, 4, 5, 3), np.float32)], [np.abs(f32_input((1, 4, 5, 3)))], [ties]]
    check_litert(sym, sets, tmp_path)
    check_litert(asym, sets, tmp_path)


def test_hybrid_quantizers_match_litert():
    """The numpy twins of LiteRT's input quantizers against LiteRT itself (a 1x1 conv with
    weight 1 and scale 1 returns q * scale, a depthwise one (q - zp) * scale)."""
    for n in (1, 7, 8, 13, 40):
        x = (RNG.standard_normal((1, 1, n, 1)) * RNG.uniform(0.1, 50)).astype(np.float32)
        x[0, 0, RNG.integers(0, n)] = 0.0
        one = [T((1, 1, 1, 1), "s8", scale=[1.0], zero_point=0, quantized_dimension=3,
                 data=np.ones((1, 1, 1, 1), np.int8)), T((1,), "f32", data=np.zeros(1, np.float32))]
        conv = single_op("CONV_2D", [T(x.shape, "f32")] + one, [T(x.shape, "f32")], padding="VALID")
        q, s = quantize_symmetric(x)
        np.testing.assert_array_equal(run_litert_ref(conv, [x])[0].ravel(), (q.astype(np.float32) * s))
        dw = single_op("DEPTHWISE_CONV_2D", [T(x.shape, "f32")] + one, [T(x.shape, "f32")], padding="VALID")
        q, s, zp = quantize_asymmetric(x)
        np.testing.assert_array_equal(run_litert_ref(dw, [x])[0].ravel(), ((q - zp).astype(np.float32) * s))


# -- the 32-bit code path of the int8 dot products ----------------------------------------------
def run_with_define(model: bytes, inputs, tmp_path: Path, define: str) -> list[np.ndarray]:
    """Compile the generated project with an extra -D (ASan + UBSan) and run it."""
    path = tmp_path / "model.tflite"
    path.write_bytes(model)
    out = tmp_path / "out"
    compile_model(path, out)
    srcs = [out / "model.c", out / "weights.c", out / "main_host.c"] + sorted((out / "kernels").glob("*.c"))
    exe = tmp_path / "exe"
    r = subprocess.run([find_compiler(), *WARNINGS, *PROFILES["sanitize"], define, "-I", str(out),
                        "-I", str(out / "include"), *map(str, srcs), "-o", str(exe), "-lm"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (tmp_path / "in.bin").write_bytes(b"".join(np.ascontiguousarray(x).tobytes() for x in inputs))
    r = subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return [(tmp_path / "out.bin").read_bytes()]


def test_conv2d_32bit_dot_products(tmp_path):
    """TM_CONV2D_SWAR64=0 (what 32-bit MCUs compile) gives the same bits as the oracles."""
    model = conv_s8((2, 5, 4, 7), 11, (3, 3), act="RELU")
    x = q8((2, 5, 4, 7))
    want = run_tflm(model, [x])[0]
    (tmp_path / "s8").mkdir()
    (a,) = run_with_define(model, [x], tmp_path / "s8", "-DTM_CONV2D_SWAR64=0")
    assert_close(np.frombuffer(a, np.int8).reshape(want.shape), want, 0, "32-bit path vs TFLM")
    model = conv_hybrid((1, 6, 5, 4), 9, (3, 3), per_channel=True)
    x = f32_input((1, 6, 5, 4))
    want = run_litert_ref(model, [x])[0]
    (tmp_path / "hy").mkdir()
    (a,) = run_with_define(model, [x], tmp_path / "hy", "-DTM_CONV2D_SWAR64=0")
    np.testing.assert_array_equal(np.frombuffer(a, np.float32).reshape(want.shape), want)
