"""DEPTHWISE_CONV_2D: int8 and float32 through TFLM (oracle), the numpy reference and the
generated C (ASan + UBSan); hybrid float32 x int8-weight depthwise convs against LiteRT's
BUILTIN_REF kernels, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops.harness import check_tflite
from tests.ops.test_conv2d import check_litert, conv_hybrid, conv_options, f32_input, out_hw
from tests.tflite_builder import T, single_op

RNG = np.random.default_rng(11)


def dw_s8(in_shape, mult, k, stride=(1, 1), dil=(1, 1), padding="SAME", act="NONE",
          per_channel=True, in_q=(0.05, -3), out_q=(0.08, 5)):
    """TFLM's int8 depthwise kernel crashes without a bias tensor, so these models have one."""
    n, h, w, c = in_shape
    cout = c * mult
    oh, ow = out_hw(h, w, k, stride, dil, padding)
    wq = RNG.integers(-127, 128, size=(1, k[0], k[1], cout), dtype=np.int8)
    ws = RNG.uniform(0.002, 0.02, cout).astype(np.float32).tolist() if per_channel else 0.01
    bs = (np.float32(in_q[0]) * np.asarray(ws, np.float32)).tolist()
    ins = [T(in_shape, "s8", scale=in_q[0], zero_point=in_q[1]),
           T(wq.shape, "s8", scale=ws, zero_point=0, quantized_dimension=3, data=wq),
           T((cout,), "s32", scale=bs, zero_point=0, data=RNG.integers(-20000, 20000, cout, dtype=np.int32))]
    opts = conv_options(stride, dil, padding, act)
    return single_op("DEPTHWISE_CONV_2D", ins,
                     [T((n, oh, ow, cout), "s8", scale=out_q[0], zero_point=out_q[1])],
                     depth_multiplier=mult, **opts)


def q8(shape):
    return RNG.integers(-128, 128, size=shape, dtype=np.int8)


@pytest.mark.parametrize("in_shape,mult,k,stride,dil,padding,act,per_channel", [
    ((1, 7, 6, 12), 1, (3, 3), (1, 1), (1, 1), "SAME", "RELU", True),       # 3x3 kernel
    ((2, 9, 8, 5), 1, (3, 3), (2, 2), (1, 1), "VALID", "NONE", False),      # 3x3, stride 2, batches
    ((1, 8, 7, 4), 1, (3, 3), (1, 2), (2, 2), "SAME", "RELU6", True),       # 3x3, dilated
    ((1, 9, 7, 3), 2, (5, 3), (2, 1), (1, 1), "SAME", "RELU_N1_TO_1", True),  # general, M = 2
    ((2, 4, 5, 3), 3, (1, 1), (1, 1), (1, 1), "SAME", "NONE", True),        # 1x1, M = 3
    ((1, 25, 5, 64), 1, (3, 3), (1, 1), (1, 1), "SAME", "RELU", True),      # KWS depthwise
])
def test_depthwise_conv2d_s8(in_shape, mult, k, stride, dil, padding, act, per_channel, tmp_path):
    model = dw_s8(in_shape, mult, k, stride, dil, padding, act, per_channel)
    check_tflite(model, [q8(in_shape)], tmp_path)


def test_depthwise_conv2d_s8_extremes(tmp_path):
    """Input zero point 127, all inputs -128, and a left-shifting requantization (scale > 1)."""
    model = dw_s8((1, 5, 4, 6), 1, (3, 3), in_q=(0.05, 127), out_q=(0.0002, -128))
    check_tflite(model, [np.full((1, 5, 4, 6), -128, np.int8)], tmp_path)


@pytest.mark.parametrize("in_shape,mult,k,stride,dil,padding,act", [
    ((1, 7, 6, 4), 1, (3, 3), (1, 1), (1, 1), "SAME", "RELU"),
    ((2, 9, 8, 3), 2, (3, 2), (2, 1), (2, 1), "VALID", "RELU6"),
])
def test_depthwise_conv2d_f32(in_shape, mult, k, stride, dil, padding, act, tmp_path):
    n, h, w, c = in_shape
    oh, ow = out_hw(h, w, k, stride, dil, padding)
    wf = RNG.standard_normal((1, k[0], k[1], c * mult)).astype(np.float32)
    ins = [T(in_shape, "f32"), T(wf.shape, "f32", data=wf),
           T((c * mult,), "f32", data=RNG.standard_normal(c * mult).astype(np.float32))]
    model = single_op("DEPTHWISE_CONV_2D", ins, [T((n, oh, ow, c * mult), "f32")], depth_multiplier=mult,
                      **conv_options(stride, dil, padding, act))
    check_tflite(model, [RNG.standard_normal(in_shape).astype(np.float32)], tmp_path, atol=1e-4)


@pytest.mark.parametrize("in_shape,mult,k,stride,dil,padding,act", [
    ((1, 7, 6, 9), 1, (3, 3), (1, 1), (1, 1), "SAME", "RELU"),
    ((2, 9, 8, 3), 2, (3, 2), (2, 1), (2, 2), "VALID", "NONE"),
])
def test_depthwise_conv2d_hybrid(in_shape, mult, k, stride, dil, padding, act, tmp_path):
    """LiteRT requires per-channel scales for hybrid depthwise convs; inputs: random, all zero,
    all positive, rounding ties."""
    model = conv_hybrid(in_shape, in_shape[3] * mult, k, stride, dil, padding, act, per_channel=True,
                        op="DEPTHWISE_CONV_2D")
    ties = (RNG.integers(-254, 255, size=in_shape) * 0.5).astype(np.float32)
    check_litert(model, [[f32_input(in_shape)], [np.zeros(in_shape, np.float32)],
                         [np.abs(f32_input(in_shape))], [ties]], tmp_path)
