"""NEG (IR neg, float32) against TFLM (TFLite NEG) and onnxruntime (ONNX Neg), including
special values (0, negative, tiny, huge) and sizes that are not multiples of a vector width."""

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


def test_tflite(tmp_path):
    check_tflite(single_op("NEG", [T(SHAPE, "f32")], [T(SHAPE, "f32")]), [values(0, True)], tmp_path)


def test_onnx(tmp_path):
    vi = helper.make_tensor_value_info
    model = onnx_model([helper.make_node("Neg", ["x"], ["y"])], [vi("x", TP.FLOAT, SHAPE)], [vi("y", TP.FLOAT, SHAPE)])
    check_onnx(model, {"x": values(1, False)}, tmp_path)
