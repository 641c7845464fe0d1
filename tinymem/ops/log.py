"""Log: ONNX Log, TFLite LOG (float32).

IR: log(input) -> output, same shape, elementwise natural logarithm. No attributes.
float32: logf (within 1 ulp of numpy's float32 log); log(0) = -inf, NaN for x < 0.
C: tm_log_f32 (runtime_c/include/tinymem/float_math.h).
"""

import numpy as np

from tinymem.ops._float_math import FloatUnary
from tinymem.ops.registry import register


@register
class Log(FloatUnary):
    name = "log"
    onnx = ("Log",)
    tflite = ("LOG",)
    fn = np.log
    kernel = "tm_log_f32"
