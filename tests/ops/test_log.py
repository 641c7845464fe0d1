"""LOG (IR log, float32) against TFLM (TFLite LOG) and onnxruntime (ONNX Log), including
special values (0, negative, tiny, huge) and sizes that are not multiples of a vector width."""

from tests.ops.unary_float import check_onnx_unary, check_tflite_unary


def test_tflite(tmp_path):
    check_tflite_unary("LOG", tmp_path)


def test_onnx(tmp_path):
    check_onnx_unary("Log", tmp_path)
