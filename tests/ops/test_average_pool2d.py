"""AVERAGE_POOL_2D through TFLM (oracle), the numpy reference and the generated C."""

import numpy as np
import pytest

from tests.ops.harness import check_tflite
from tests.tflite_builder import T, single_op
from tinymem.errors import UnsupportedOperatorError
from tinymem.frontend import load_model
from tinymem.ops.average_pool2d import tflite_pads


def _out(size, k, s, padding):
    before, after = tflite_pads(padding, size, k, s)
    return (size + before + after - k) // s + 1


def _model(dtype, shape, k, s, padding, act, scale=0.05, zp=-3, out_scale=None, out_zp=None,
           op="AVERAGE_POOL_2D"):
    n, h, w, c = shape
    oshape = (n, _out(h, k[0], s[0], padding), _out(w, k[1], s[1], padding), c)
    q_in = q_out = {}
    if dtype != "f32":
        q_in = dict(scale=scale, zero_point=zp)
        q_out = dict(scale=scale if out_scale is None else out_scale, zero_point=zp if out_zp is None else out_zp)
    return single_op(op, [T(shape, dtype, **q_in)], [T(oshape, dtype, **q_out)],
                     filter_height=k[0], filter_width=k[1], stride_h=s[0], stride_w=s[1],
                     padding=padding, fused_activation_function=act)


def _input(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    if dtype == "f32":
        return rng.standard_normal(shape).astype(np.float32) * 3
    info = np.iinfo(np.int8 if dtype == "s8" else np.int16)
    return rng.integers(info.min, info.max + 1, shape).astype(info.dtype)


CASES = [
    # dtype, shape, kernel, strides, padding, act
    ("s8", (1, 8, 8, 5), (2, 2), (2, 2), "VALID", "NONE"),
    ("s8", (2, 7, 9, 3), (3, 3), (2, 2), "SAME", "NONE"),
    ("s8", (1, 6, 5, 4), (3, 2), (1, 2), "SAME", "RELU6"),
    ("s8", (1, 5, 5, 16), (5, 5), (1, 1), "VALID", "RELU"),  # global
    ("s8", (2, 9, 9, 27), (3, 3), (2, 2), "SAME", "NONE"),  # 8-channel blocks + a remainder
    ("s8", (1, 17, 16, 8), (17, 16), (1, 1), "VALID", "NONE"),  # 272 taps: the generic path
    ("s16", (1, 7, 6, 3), (3, 3), (2, 1), "SAME", "RELU"),
    ("f32", (1, 9, 7, 3), (3, 3), (2, 2), "SAME", "NONE"),
    ("f32", (2, 6, 6, 4), (2, 3), (3, 1), "VALID", "RELU6"),
    ("f32", (1, 5, 8, 2), (4, 4), (1, 3), "SAME", "RELU_N1_TO_1"),
]


@pytest.mark.parametrize("dtype,shape,k,s,padding,act", CASES)
def test_average_pool2d(dtype, shape, k, s, padding, act, tmp_path):
    # RELU6 on int8 with scale 0.05 clamps at q = 117, inside the int8 range
    model = _model(dtype, shape, k, s, padding, act)
    check_tflite(model, [_input(dtype, shape, seed=sum(shape))], tmp_path)


def test_average_pool2d_rounding_ties(tmp_path):
    # every window sum is an exact .5 tie somewhere: 2x1 windows over consecutive values
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 16, 16, 1)
    model = _model("s8", (1, 16, 16, 1), (2, 1), (1, 1), "VALID", "NONE", zp=0)
    check_tflite(model, [x], tmp_path)


def test_average_pool2d_rejects_requantization(tmp_path):
    model = _model("s8", (1, 4, 4, 2), (2, 2), (2, 2), "VALID", "NONE", out_scale=0.1)
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    with pytest.raises(UnsupportedOperatorError, match="quantization differ"):
        load_model(path)
