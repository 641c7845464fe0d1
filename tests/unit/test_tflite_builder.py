"""The programmatic TFLite builder emits models that TFLM accepts and runs
with the expected semantics."""

import os
import sys

import numpy as np
import pytest

try:
    from tests.tflite_builder import T, build_model, run_tflm, single_op
except ImportError:  # plain `pytest` without the repo root on sys.path
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__),
                                                    "..", "..")))
    from tests.tflite_builder import T, build_model, run_tflm, single_op

import tflite

pytest.importorskip("tflite_micro")


# ---------------------------------------------------------------------------
# TFLite integer requantization (double rounding, the TFLM default)


def quantize_multiplier(m: float) -> tuple[int, int]:
    """tflite::QuantizeMultiplier."""
    if m == 0.0:
        return 0, 0
    q, shift = np.frexp(m)
    q_fixed = int(np.round(q * (1 << 31))) if q >= 0 else -int(
        np.round(-q * (1 << 31)))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return q_fixed, int(shift)


def _srdhm(a: np.ndarray, b: int) -> np.ndarray:
    """SaturatingRoundingDoublingHighMul (a: int64 array holding int32)."""
    ab = a.astype(np.int64) * np.int64(b)
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    t = ab + nudge
    res = np.where(t >= 0, t >> 31, -((-t) >> 31))  # C truncating division
    return np.where((a == -(1 << 31)) & (b == -(1 << 31)), (1 << 31) - 1, res)


def _rounding_divide_by_pot(x: np.ndarray, exponent: int) -> np.ndarray:
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x, multiplier: int, shift: int):
    left = max(shift, 0)
    right = max(-shift, 0)
    x = np.asarray(x, dtype=np.int64) * (1 << left)
    return _rounding_divide_by_pot(_srdhm(x, multiplier), right)


# ---------------------------------------------------------------------------


def test_model_layout():
    buf = single_op("CONCATENATION", [T((1, 2), "f32"), T((1, 3), "f32")],
                    [T((1, 5), "f32")], axis=1)
    m = tflite.Model.GetRootAs(buf, 0)
    assert buf[4:8] == b"TFL3"
    assert m.Version() == 3
    assert m.BuffersLength() == 1 and m.Buffers(0).DataLength() == 0
    sg = m.Subgraphs(0)
    assert sg.Name() == b"main"
    assert list(sg.InputsAsNumpy()) == [0, 1]
    assert list(sg.OutputsAsNumpy()) == [2]
    oc = m.OperatorCodes(0)
    assert oc.BuiltinCode() == tflite.BuiltinOperator.CONCATENATION
    assert oc.DeprecatedBuiltinCode() == tflite.BuiltinOperator.CONCATENATION
    op = sg.Operators(0)
    assert op.BuiltinOptionsType() == tflite.BuiltinOptions.ConcatenationOptions
    opts = tflite.ConcatenationOptions()
    opts.Init(op.BuiltinOptions().Bytes, op.BuiltinOptions().Pos)
    assert opts.Axis() == 1

    a = np.arange(2, dtype=np.float32).reshape(1, 2)
    b = np.arange(3, dtype=np.float32).reshape(1, 3) + 10
    (y,) = run_tflm(buf, [a, b])
    np.testing.assert_array_equal(y, np.concatenate([a, b], axis=1))


def test_op_code_above_127_uses_placeholder():
    assert tflite.BuiltinOperator.CUMSUM > 127
    buf = single_op("CUMSUM", [T((4,), "f32"), T((), "s32", data=np.int32(0))],
                    [T((4,), "f32")])
    oc = tflite.Model.GetRootAs(buf, 0).OperatorCodes(0)
    assert oc.BuiltinCode() == tflite.BuiltinOperator.CUMSUM
    assert oc.DeprecatedBuiltinCode() == 127


def test_bad_option_rejected():
    with pytest.raises(ValueError, match="no field"):
        single_op("ADD", [T((1,), "f32"), T((1,), "f32")], [T((1,), "f32")],
                  stride_w=2)
    with pytest.raises(ValueError, match="expected one of"):
        single_op("ADD", [T((1,), "f32"), T((1,), "f32")], [T((1,), "f32")],
                  fused_activation_function="RELU7")
    with pytest.raises(ValueError, match="out of range"):
        single_op("ADD", [T((1,), "s8", 1.0, 0), T((1,), "s8", 1.0, 0,
                                                  data=np.array([300]))],
                  [T((1,), "s8", 1.0, 0)])


@pytest.mark.parametrize("padding,stride,act", [
    ("SAME", 1, "NONE"),
    ("VALID", 2, "RELU"),
    ("SAME", 2, "RELU6"),
])
def test_int8_conv2d_per_channel(padding, stride, act):
    rng = np.random.default_rng(0)
    n, h, w, cin, cout, kh, kw = 1, 7, 6, 3, 4, 3, 3
    in_scale, in_zp = 0.05, -3
    out_scale, out_zp = 0.08, 4
    w_scales = np.array([0.01, 0.02, 0.005, 0.013], np.float32)
    x = rng.integers(-128, 128, (n, h, w, cin), dtype=np.int8)
    wq = rng.integers(-127, 128, (cout, kh, kw, cin), dtype=np.int8)
    bias_scales = (np.float32(in_scale) * w_scales).astype(np.float32)
    bias = rng.integers(-2000, 2000, (cout,), dtype=np.int32)

    if padding == "SAME":
        oh, ow = -(-h // stride), -(-w // stride)
        pad_h = max((oh - 1) * stride + kh - h, 0)
        pad_w = max((ow - 1) * stride + kw - w, 0)
        pt, pl = pad_h // 2, pad_w // 2
    else:
        oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
        pt = pl = 0

    buf = single_op(
        "CONV_2D",
        [T((n, h, w, cin), "s8", scale=in_scale, zero_point=in_zp),
         T((cout, kh, kw, cin), "s8", scale=w_scales.tolist(), zero_point=0,
           quantized_dimension=0, data=wq),
         T((cout,), "s32", scale=bias_scales.tolist(), zero_point=0,
           data=bias)],
        [T((n, oh, ow, cout), "s8", scale=out_scale, zero_point=out_zp)],
        padding=padding, stride_w=stride, stride_h=stride,
        fused_activation_function=act)
    (y,) = run_tflm(buf, [x])
    assert y.dtype == np.int8 and y.shape == (n, oh, ow, cout)

    # reference: TFLM reference_integer_ops::ConvPerChannel
    xp = np.zeros((n, h + kh + oh * stride, w + kw + ow * stride, cin),
                  np.int64)  # zero-padded (in_zp-subtracted) input
    xp[:, pt:pt + h, pl:pl + w, :] = x.astype(np.int64) - in_zp
    acc = np.zeros((n, oh, ow, cout), np.int64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i:i + oh * stride:stride, j:j + ow * stride:stride, :]
            acc += np.einsum("nhwc,oc->nhwo", patch,
                             wq[:, i, j, :].astype(np.int64))
    acc += bias
    ref = np.empty_like(acc)
    for c in range(cout):
        eff = (np.float64(np.float32(in_scale)) * np.float64(w_scales[c])
               / np.float64(np.float32(out_scale)))
        mult, shift = quantize_multiplier(eff)
        ref[..., c] = multiply_by_quantized_multiplier(acc[..., c], mult, shift)
    ref += out_zp
    lo = {"NONE": -128, "RELU": out_zp, "RELU6": out_zp}[act]
    hi = {"NONE": 127, "RELU": 127,
          "RELU6": min(127, out_zp + int(round(6 / out_scale)))}[act]
    ref = np.clip(ref, lo, hi).astype(np.int8)
    np.testing.assert_array_equal(y, ref)


def test_float_add_broadcast():
    buf = single_op("ADD", [T((2, 3, 4), "f32"), T((1, 1, 4), "f32")],
                    [T((2, 3, 4), "f32")], fused_activation_function="NONE")
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((1, 1, 4)).astype(np.float32)
    (y,) = run_tflm(buf, [a, b])
    np.testing.assert_array_equal(y, a + b)


def test_float_add_constant_operand_and_relu():
    c = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
    buf = single_op("ADD", [T((1, 4), "f32"), T((1, 4), "f32", data=c)],
                    [T((1, 4), "f32")], fused_activation_function="RELU")
    x = np.array([[-2.0, 1.0, 0.25, -1.0]], np.float32)
    (y,) = run_tflm(buf, [x])
    np.testing.assert_array_equal(y, np.maximum(x + c, 0))


@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_int8_max_pool(padding):
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 128, (1, 6, 5, 3), dtype=np.int8)
    if padding == "VALID":
        oh, ow = 3, 2
    else:
        oh, ow = 3, 3
    q = dict(scale=0.1, zero_point=-7)
    buf = single_op("MAX_POOL_2D", [T(x.shape, "s8", **q)],
                    [T((1, oh, ow, 3), "s8", **q)],
                    padding=padding, stride_w=2, stride_h=2,
                    filter_width=2, filter_height=2)
    (y,) = run_tflm(buf, [x])
    # SAME pads (by one) only at the bottom/right here; VALID drops the tail
    xp = np.full((1, 2 * oh, 2 * ow, 3), -128, np.int8)
    xc = x[:, :2 * oh, :2 * ow, :]
    xp[:, :xc.shape[1], :xc.shape[2], :] = xc
    ref = xp.reshape(1, oh, 2, ow, 2, 3).max(axis=(2, 4))
    np.testing.assert_array_equal(y, ref)


def test_int8_softmax():
    rng = np.random.default_rng(3)
    x = rng.integers(-128, 128, (2, 10), dtype=np.int8)
    in_scale, in_zp = 0.1, 3
    buf = single_op("SOFTMAX", [T((2, 10), "s8", scale=in_scale,
                                  zero_point=in_zp)],
                    [T((2, 10), "s8", scale=1 / 256, zero_point=-128)],
                    beta=1.0)
    (y,) = run_tflm(buf, [x])
    p = (y.astype(np.float32) + 128) / 256
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=0.05)
    xf = (x.astype(np.float64) - in_zp) * in_scale
    e = np.exp(xf - xf.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(p, e / e.sum(axis=-1, keepdims=True),
                               atol=2 / 256)


@pytest.mark.parametrize("keep_dims", [True, False])
def test_float_mean(keep_dims):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 4, 5, 3)).astype(np.float32)
    axes = np.array([1, 2], np.int32)
    out_shape = (1, 1, 1, 3) if keep_dims else (1, 3)
    buf = single_op("MEAN", [T(x.shape, "f32"), T((2,), "s32", data=axes)],
                    [T(out_shape, "f32")], keep_dims=keep_dims)
    (y,) = run_tflm(buf, [x])
    np.testing.assert_allclose(y, x.mean(axis=(1, 2), keepdims=keep_dims),
                               rtol=1e-5, atol=1e-6)


def test_chain_quantize_conv_dequantize_reshape():
    """A small multi-op graph: QUANTIZE -> DEPTHWISE_CONV_2D -> DEQUANTIZE ->
    RESHAPE, with an intermediate tensor shared between ops."""
    rng = np.random.default_rng(5)
    wq = rng.integers(-127, 128, (1, 3, 3, 4), dtype=np.int8)
    w_scales = [0.02, 0.01, 0.03, 0.015]
    in_scale = 0.02
    tensors = [
        T((1, 5, 5, 2), "f32", name="x"),                                 # 0
        T((1, 5, 5, 2), "s8", scale=in_scale, zero_point=1),              # 1
        T((1, 3, 3, 4), "s8", scale=w_scales, zero_point=0,
          quantized_dimension=3, data=wq),                                # 2
        T((4,), "s32", scale=[in_scale * s for s in w_scales],
          zero_point=0, data=np.zeros(4, np.int32)),                      # 3
        T((1, 5, 5, 4), "s8", scale=0.05, zero_point=0),                  # 4
        T((1, 5, 5, 4), "f32"),                                           # 5
        T((2,), "s32", data=np.array([25, 4], np.int32)),                 # 6
        T((25, 4), "f32", name="y"),                                      # 7
    ]
    ops = [
        ("QUANTIZE", [0], [1], {}),
        ("DEPTHWISE_CONV_2D", [1, 2, 3], [4], dict(padding="SAME")),
        ("DEQUANTIZE", [4], [5], {}),
        ("RESHAPE", [5, 6], [7], dict(new_shape=[25, 4])),
    ]
    buf = build_model(ops, tensors, inputs=[0], outputs=[7])
    m = tflite.Model.GetRootAs(buf, 0)
    assert m.OperatorCodesLength() == 4 and m.Subgraphs(0).OperatorsLength() == 4
    x = rng.uniform(-1, 1, (1, 5, 5, 2)).astype(np.float32)
    (y,) = run_tflm(buf, [x])
    assert y.shape == (25, 4) and y.dtype == np.float32
    # loose float check of the depthwise conv (depth_multiplier 2 inferred)
    xq = np.clip(np.round(x / in_scale) + 1, -128, 127) - 1
    xp = np.pad(xq * in_scale, ((0, 0), (1, 1), (1, 1), (0, 0)))
    wf = wq.astype(np.float64) * np.array(w_scales)
    ref = np.zeros((1, 5, 5, 4))
    for i in range(3):
        for j in range(3):
            ref += np.repeat(xp[:, i:i + 5, j:j + 5, :], 2, axis=-1) * wf[0, i, j]
    ref = np.clip(ref, -128 * 0.05, 127 * 0.05)
    np.testing.assert_allclose(y, ref.reshape(25, 4), atol=0.05 + 1e-6)


def _i32(*v):
    return np.array(v, np.int32)


_R = np.random.default_rng(6)
_X = _R.standard_normal((2, 4, 6)).astype(np.float32)
_SLOPE = _R.standard_normal(6).astype(np.float32)

# (op, extra const inputs (after x), output shape, options, numpy reference)
_FLOAT_CASES = {
    "SUB": ("SUB", [T((6,), "f32", data=_SLOPE)], (2, 4, 6), {},
            lambda x: x - _SLOPE),
    "MUL_RELU6": ("MUL", [T((6,), "f32", data=_SLOPE)], (2, 4, 6),
                  dict(fused_activation_function="RELU6"),
                  lambda x: np.clip(x * _SLOPE, 0, 6)),
    "RESHAPE": ("RESHAPE", [T((2,), "s32", data=_i32(8, 6))], (8, 6),
                dict(new_shape=[8, 6]), lambda x: x.reshape(8, 6)),
    "EXPAND_DIMS": ("EXPAND_DIMS", [T((), "s32", data=_i32(2))], (2, 4, 1, 6),
                    {}, lambda x: x[:, :, None, :]),
    "TRANSPOSE": ("TRANSPOSE", [T((3,), "s32", data=_i32(2, 0, 1))],
                  (6, 2, 4), {}, lambda x: x.transpose(2, 0, 1)),
    "PAD": ("PAD", [T((3, 2), "s32", data=_i32(0, 0, 1, 2, 0, 1))],
            (2, 7, 7), {}, lambda x: np.pad(x, ((0, 0), (1, 2), (0, 1)))),
    "PADV2": ("PADV2", [T((3, 2), "s32", data=_i32(0, 0, 1, 0, 0, 1)),
                        T((), "f32", data=np.float32(-5))],
              (2, 5, 7), {},
              lambda x: np.pad(x, ((0, 0), (1, 0), (0, 1)),
                               constant_values=-5)),
    "STRIDED_SLICE": ("STRIDED_SLICE", [T((3,), "s32", data=_i32(1, 1, 0)),
                                        T((3,), "s32", data=_i32(2, 4, 6)),
                                        T((3,), "s32", data=_i32(1, 2, 2))],
                      (2, 3), dict(begin_mask=0b100, end_mask=0b010,
                                   shrink_axis_mask=0b001),
                      lambda x: x[1, 1::2, ::2]),
    "SLICE": ("SLICE", [T((3,), "s32", data=_i32(0, 1, 2)),
                        T((3,), "s32", data=_i32(2, 2, -1))], (2, 2, 4), {},
              lambda x: x[:, 1:3, 2:]),
    "LOG_SOFTMAX": ("LOG_SOFTMAX", [], (2, 4, 6), {},
                    lambda x: x - x.max(-1, keepdims=True) - np.log(np.exp(
                        x - x.max(-1, keepdims=True)).sum(-1, keepdims=True))),
    "LOGISTIC": ("LOGISTIC", [], (2, 4, 6), {}, lambda x: 1 / (1 + np.exp(-x))),
    "TANH": ("TANH", [], (2, 4, 6), {}, np.tanh),
    "RELU": ("RELU", [], (2, 4, 6), {}, lambda x: np.maximum(x, 0)),
    "RELU6": ("RELU6", [], (2, 4, 6), {}, lambda x: np.clip(x, 0, 6)),
    "LEAKY_RELU": ("LEAKY_RELU", [], (2, 4, 6), dict(alpha=0.25),
                   lambda x: np.where(x >= 0, x, 0.25 * x)),
    "PRELU": ("PRELU", [T((6,), "f32", data=_SLOPE)], (2, 4, 6), {},
              lambda x: np.where(x >= 0, x, _SLOPE * x)),
    "HARD_SWISH": ("HARD_SWISH", [], (2, 4, 6), {},
                   lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "SOFTMAX_BETA": ("SOFTMAX", [], (2, 4, 6), dict(beta=0.5),
                     lambda x: np.exp(0.5 * x) / np.exp(0.5 * x).sum(
                         -1, keepdims=True)),
    "SQUEEZE": ("SQUEEZE", [], (4, 6), dict(squeeze_dims=[0]),
                lambda x: x[0]),
}


@pytest.mark.parametrize("case", sorted(_FLOAT_CASES))
def test_float_single_ops(case):
    op, consts, out_shape, opts, ref = _FLOAT_CASES[case]
    x = _X[:1] if case == "SQUEEZE" else _X
    buf = single_op(op, [T(x.shape, "f32")] + consts, [T(out_shape, "f32")],
                    **opts)
    (y,) = run_tflm(buf, [x])
    np.testing.assert_allclose(y, ref(x.astype(np.float64)), rtol=1e-5,
                               atol=1e-5)


def test_split_and_split_v():
    x = _X
    buf = single_op("SPLIT", [T((), "s32", data=_i32(2)), T(x.shape, "f32")],
                    [T((2, 4, 2), "f32")] * 3)
    ys = run_tflm(buf, [x])
    for y, r in zip(ys, np.split(x, 3, axis=2), strict=True):
        np.testing.assert_array_equal(y, r)
    buf = single_op("SPLIT_V", [T(x.shape, "f32"), T((2,), "s32",
                                                     data=_i32(1, 3)),
                                T((), "s32", data=_i32(1))],
                    [T((2, 1, 6), "f32"), T((2, 3, 6), "f32")])
    ys = run_tflm(buf, [x])
    np.testing.assert_array_equal(ys[0], x[:, :1])
    np.testing.assert_array_equal(ys[1], x[:, 1:])


def test_int8_quantize_dequantize_roundtrip():
    x = np.linspace(-3, 3, 24, dtype=np.float32).reshape(4, 6)
    q = dict(scale=0.025, zero_point=-2)
    tensors = [T((4, 6), "f32"), T((4, 6), "s8", **q), T((4, 6), "f32")]
    buf = build_model([("QUANTIZE", [0], [1]), ("DEQUANTIZE", [1], [2])],
                      tensors, [0], [2])
    (y,) = run_tflm(buf, [x])
    xq = np.clip(np.round(x / 0.025) - 2, -128, 127)
    np.testing.assert_allclose(y, (xq + 2) * 0.025, rtol=1e-6, atol=1e-7)
