"""Logistic (sigmoid): TFLite LOGISTIC (later ONNX Sigmoid).

IR: logistic(input) -> output, same shape, elementwise 1 / (1 + exp(-x)). No attributes.

int8 follows TFLM's integer kernel: the input (minus its zero point) is scaled to Q4.27 with a
multiplier from frexp(in_scale * 2^27) (no QuantizeMultiplier fix-ups), inputs beyond the
radius saturate to -128 / 127, otherwise gemmlowp's fixed-point logistic is rounded to
Q0.8 and offset by -128. TFLM assumes (and does not use) output scale 1/256, zero point -128.
At run time the result is a 256-entry lookup table built from that algorithm.
float32 follows TFLM: 1 for x > 16.619..., exp(x) for x < -9, else 1 / (1 + exp(-x)).
dtypes: f32, s8.
"""

import numpy as np

from tinymem.ops._unary import LutActivation
from tinymem.ops.registry import register
from tinymem.quant import fixedpoint as fp
from tinymem.quant.multiplier import calculate_input_radius, quantize_multiplier_without_fixup

INPUT_INTEGER_BITS = 4


def input_scaling(in_scale: float) -> tuple[int, int, int]:
    """(multiplier, shift, radius) of TFLM's int8 Logistic/Tanh Prepare (kInputIntegerBits 4)."""
    mult, shift = quantize_multiplier_without_fixup(float(np.float32(in_scale)) * float(1 << 27))
    if shift < 0:
        raise ValueError(f"input scale {in_scale} is too small for the int8 kernel")
    return mult, shift, calculate_input_radius(INPUT_INTEGER_BITS, shift, 31)


def fixed_point_unary(values, zp: int, in_scale: float, fn, out_bits: int, out_offset: int):
    """TFLM's int8 Logistic / Tanh: saturation outside the radius, else fn in Q4.27 -> Q0.31,
    rounded to `out_bits` fractional bits, offset and clamped to int8."""
    mult, shift, radius = input_scaling(in_scale)
    x = np.asarray(values, dtype=np.int64) - zp
    inside = (x > -radius) & (x < radius)
    xi = np.where(inside, x, 0)
    if inside.any():
        q4 = fp.multiply_by_quantized_multiplier(xi, mult, min(shift, 30))
        y = fp.rounding_divide_by_pot(fn(q4, INPUT_INTEGER_BITS), 31 - out_bits).astype(np.int64)
        y = np.clip(y + out_offset, -128, 127)
    else:
        y = np.zeros_like(x)
    return np.where(x <= -radius, -128, np.where(x >= radius, 127, y))


def logistic_f32(x):
    x = np.asarray(x, dtype=np.float32)
    with np.errstate(over="ignore"):
        mid = np.float32(1) / (np.float32(1) + np.exp(-x))
    y = np.where(x > np.float32(16.619047164916992188), np.float32(1), np.where(x < np.float32(-9), np.exp(x), mid))
    return y.astype(np.float32)


@register
class Logistic(LutActivation):
    name = "logistic"
    tflite = ("LOGISTIC",)
    onnx = ("Sigmoid",)

    def float_fn(self, values):
        return logistic_f32(values)

    def int8_fn(self, x, y, values):
        return fixed_point_unary(values, x.zero_point, x.scale, fp.logistic, 8, -128)
