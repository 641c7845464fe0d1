"""Neg: ONNX Neg, TFLite NEG (float32).

IR: neg(input) -> output, same shape, y = -x (exact). No attributes.
C: tm_neg_f32 (runtime_c/include/tinymem/float_math.h).
"""

import numpy as np

from tinymem.ops._float_math import FloatUnary
from tinymem.ops.registry import register


@register
class Neg(FloatUnary):
    name = "neg"
    onnx = ("Neg",)
    tflite = ("NEG",)
    fn = np.negative
    kernel = "tm_neg_f32"
