"""Shared checks of the element-wise float math ops (log, neg, sqrt): the same op from TFLite
against TFLM and from ONNX against onnxruntime, on special values (0, 1, tiny, huge, negative)
and a size that is not a multiple of a vector width."""

import numpy as np
from onnx import TensorProto as TP
from onnx import helper

from tests.ops.harness import check_tflite
from tests.ops.onnx_harness import check_onnx, onnx_model
from tests.tflite_builder import T, single_op

SHAPE = (1, 7, 37)


def values(seed: int, positive: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(SHAPE) * 10.0 ** rng.integers(-3, 4, SHAPE)).astype(np.float32)
    x.flat[:4] = (0.0, 1.0, 1e-30, 3e38)
    return np.abs(x) if positive else x


def check_tflite_unary(op: str, tmp_path) -> None:
    check_tflite(single_op(op, [T(SHAPE, "f32")], [T(SHAPE, "f32")]), [values(0, True)], tmp_path)


def check_onnx_unary(op: str, tmp_path) -> None:
    vi = helper.make_tensor_value_info
    model = onnx_model([helper.make_node(op, ["x"], ["y"])], [vi("x", TP.FLOAT, SHAPE)], [vi("y", TP.FLOAT, SHAPE)])
    check_onnx(model, {"x": values(1, False)}, tmp_path)
