"""SQRT (IR sqrt, float32) against TFLM (TFLite SQRT) and onnxruntime (ONNX Sqrt), including
special values (0, negative, tiny, huge) and sizes that are not multiples of a vector width."""

from tests.ops.unary_float import check_onnx_unary, check_tflite_unary


def test_tflite(tmp_path):
    check_tflite_unary("SQRT", tmp_path)


def test_onnx(tmp_path):
    check_onnx_unary("Sqrt", tmp_path)
