"""NEG (IR neg, float32) against TFLM (TFLite NEG) and onnxruntime (ONNX Neg), including
special values (0, negative, tiny, huge) and sizes that are not multiples of a vector width."""

from tests.ops.unary_float import check_onnx_unary, check_tflite_unary


def test_tflite(tmp_path):
    check_tflite_unary("NEG", tmp_path)


def test_onnx(tmp_path):
    check_onnx_unary("Neg", tmp_path)
