"""HardSwish: TFLite HARD_SWISH (later ONNX HardSwish).

IR: hard_swish(input) -> output, same shape, y = x * relu6(x + 3) / 6. No attributes.

int8 follows TFLM's HardSwishParams fixed-point path (reference_ops::HardSwish): the input is
put on a "hires" scale (x << 7), multiplied by a Q0.15 output multiplier, and by a "reluish"
factor in [0, 1] obtained by rescaling x from [-3, 3] with a Q0.15 multiplier and saturating
shifts; all in int16 arithmetic with gemmlowp's int16 rounding. The multipliers come from
float32 ratios (in_scale/128) / out_scale and (in_scale/128) / (3/32768), as TFLM's Prepare.
At run time the result is a 256-entry lookup table built from that algorithm.
float32: x * min(6, max(0, x + 3)) / 6 in float arithmetic.
dtypes: f32, s8.
"""

import numpy as np

from tinymem.ops._unary import LutActivation
from tinymem.ops.registry import register
from tinymem.quant import fixedpoint as fp
from tinymem.quant.multiplier import down_scale_int32_to_int16_multiplier, quantize_multiplier


def _wrap16(v):
    return ((np.asarray(v, dtype=np.int64) + 2**15) & 0xFFFF) - 2**15


def hard_swish_params(x, y):
    """(output mult Q0.15, output exponent, reluish mult Q0.15, reluish exponent)."""
    hires = np.float32(1.0 / 128.0) * np.float32(x.scale)
    out_m, out_e = quantize_multiplier(float(hires / np.float32(y.scale)))
    rel_m, rel_e = quantize_multiplier(float(hires / np.float32(3.0 / 32768.0)))
    if out_e > 0:
        raise ValueError("HARD_SWISH: output multiplier exponent must be <= 0 (TFLM)")
    return down_scale_int32_to_int16_multiplier(out_m), out_e, down_scale_int32_to_int16_multiplier(rel_m), rel_e


def hard_swish_int(values, x, y, qmin, qmax):
    out_m, out_e, rel_m, rel_e = hard_swish_params(x, y)
    v = _wrap16(np.asarray(values, dtype=np.int64) - x.zero_point)
    hires = _wrap16(v * 128)
    preshift = fp.sat_rounding_doubling_high_mul_s16(hires, out_m).astype(np.int64)
    rel = hires
    if rel_e > 0:
        rel = fp.saturating_left_shift_s16(rel, rel_e - 1)
    rel = fp.sat_rounding_doubling_high_mul_s16(rel, rel_m)
    if rel_e > 0:
        rel = fp.saturating_left_shift_s16(rel, 1)
    if rel_e < 0:
        rel = fp.rounding_divide_by_pot_s16(rel, -rel_e)
    rel = _wrap16((np.asarray(rel, dtype=np.int64) + (1 << 15)) >> 1)
    pre_out = fp.sat_doubling_high_mul_s16(rel, preshift)
    out = fp.rounding_divide_by_pot_s16(pre_out, -out_e).astype(np.int64)
    out = _wrap16(out + y.zero_point)
    return np.clip(out, qmin, qmax)


def hard_swish_f32(values):
    v = np.asarray(values, dtype=np.float32)
    r = np.minimum(np.float32(6), np.maximum(np.float32(0), v + np.float32(3)))
    return ((v * r) / np.float32(6)).astype(np.float32)


@register
class HardSwish(LutActivation):
    name = "hard_swish"
    tflite = ("HARD_SWISH",)
    onnx = ("HardSwish",)

    def float_fn(self, values):
        return hard_swish_f32(values)

    def int8_fn(self, x, y, values):
        return hard_swish_int(values, x, y, -128, 127)
