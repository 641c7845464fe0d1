"""ONNX Pow (IR pow, float32) against onnxruntime: run-time exponents with broadcasting either
way, constant exponents (float32, and int64 converted at compile time), the exponent-2 square."""

import numpy as np
import pytest
from onnx import TensorProto as TP
from onnx import helper

from tests.ops.onnx_harness import check_onnx, onnx_model

vi = helper.make_tensor_value_info
rng = np.random.default_rng(0)


def f32(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, shape).astype(np.float32)


@pytest.mark.parametrize("xs, ys", [((2, 3, 5), (5,)), ((1,), (2, 3)), ((4, 1, 6), (1, 3, 1)), ((3, 33), (3, 33))])
def test_runtime_exponent(xs, ys, tmp_path):
    out = np.broadcast_shapes(xs, ys)
    model = onnx_model([helper.make_node("Pow", ["x", "y"], ["z"])],
                       [vi("x", TP.FLOAT, xs), vi("y", TP.FLOAT, ys)], [vi("z", TP.FLOAT, out)])
    y = f32(*ys)
    y.flat[0] = 2.0  # the square path
    check_onnx(model, {"x": f32(*xs, lo=0.01, hi=3.0), "y": y}, tmp_path)


@pytest.mark.parametrize("exponent", [np.array(2, np.int64), np.array([0.5], np.float32),
                                      np.array([[-1.5], [3.0], [2.0]], np.float32)])
def test_constant_exponent(exponent, tmp_path):
    shape = (3, 17)
    model = onnx_model([helper.make_node("Pow", ["x", "e"], ["z"])], [vi("x", TP.FLOAT, shape)],
                       [vi("z", TP.FLOAT, shape)], {"e": exponent})
    x = f32(*shape, lo=-3.0, hi=3.0)
    if exponent.dtype == np.float32:
        x = np.abs(x) + np.float32(0.05)  # fractional powers of negatives are NaN
    check_onnx(model, {"x": x}, tmp_path)
