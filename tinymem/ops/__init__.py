"""Operators: one module per operator; each registers itself with `registry.register`."""

from tinymem.ops.op import Op
from tinymem.ops.registry import get_op, onnx_op, register, supported, tflite_op

__all__ = ["Op", "get_op", "onnx_op", "register", "supported", "tflite_op"]
