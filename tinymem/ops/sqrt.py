"""Sqrt: ONNX Sqrt, TFLite SQRT (float32).

IR: sqrt(input) -> output, same shape, elementwise square root. No attributes.
float32: sqrtf (IEEE correctly rounded, so the C kernel equals numpy exactly); NaN for x < 0.
C: tm_sqrt_f32 (runtime_c/include/tinymem/float_math.h).
"""

import numpy as np

from tinymem.ops._float_math import FloatUnary
from tinymem.ops.registry import register


@register
class Sqrt(FloatUnary):
    name = "sqrt"
    onnx = ("Sqrt",)
    tflite = ("SQRT",)
    fn = np.sqrt
    kernel = "tm_sqrt_f32"
