"""Tanh: TFLite TANH (later ONNX Tanh).

IR: tanh(input) -> output, same shape, elementwise. No attributes.

int8 follows TFLM's integer kernel: the input (minus its zero point) is scaled to Q4.27 exactly
as for Logistic (frexp(in_scale * 2^27), same radius), inputs beyond the radius saturate to
-128 / 127, otherwise gemmlowp's fixed-point tanh is rounded to Q0.7 and clamped. No output
zero point is added: TFLM assumes output scale 1/128, zero point 0. At run time the result is
a 256-entry lookup table built from that algorithm.
float32: tanhf.
dtypes: f32, s8.
"""

import numpy as np

from tinymem.ops._unary import LutActivation
from tinymem.ops.logistic import fixed_point_unary
from tinymem.ops.registry import register
from tinymem.quant import fixedpoint as fp


@register
class Tanh(LutActivation):
    name = "tanh"
    tflite = ("TANH",)
    onnx = ("Tanh",)

    def float_fn(self, values):
        return np.tanh(np.asarray(values, dtype=np.float32))

    def int8_fn(self, x, y, values):
        return fixed_point_unary(values, x.zero_point, x.scale, fp.tanh, 7, 0)
