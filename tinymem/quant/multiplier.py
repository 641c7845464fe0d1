"""Compile-time requantization parameters, computed exactly as TFLM's Prepare does.

TFLM turns real-valued scales into a Q0.31 integer multiplier and a power-of-two
shift in double precision (``quantization_util.cc``); the integer kernels then
apply them with ``tinymem.quant.fixedpoint``. Reproducing the double arithmetic
step by step (same operation order, ``std::frexp``, ``std::round`` rounding half
away from zero, the same fix-ups and checks) is what makes the generated
parameters identical to TFLM's.

Scales stored in a .tflite file are float32; TFLM widens them to double before
this arithmetic, so pass ``float(np.float32(scale))``, not a re-derived double.
TFLM's CHECK failures become ``ValueError``.
"""

import math

import numpy as np

INT32_MAX = 2**31 - 1


def round_half_away_from_zero(x):
    """``std::round``/``TfLiteRound``: nearest integer, ties away from zero (exact).

    Works elementwise and keeps the float dtype of ``x`` (float32 in, float32 out).
    """
    x = np.asarray(x)
    a = np.abs(x)
    f = np.floor(a)
    r = np.where(a - f >= 0.5, f + 1, f)  # a - f is exact for binary floats
    return np.copysign(r, x).astype(x.dtype)[()]


def quantize_multiplier_array(reals):
    """Vectorised ``QuantizeMultiplier``: reals -> (int32 multipliers, int32 shifts).

    ``real == multiplier * 2**(shift - 31)``; shift > 0 is a left shift. Zero gives
    (0, 0); a significand that rounds up to 2**31 is halved with shift + 1; a shift
    below -31 flushes to (0, 0). Negative reals give negative multipliers.
    """
    r = np.asarray(reals, dtype=np.float64)
    if not np.all(np.isfinite(r)):
        raise ValueError("multiplier must be finite")
    q, shift = np.frexp(r)
    q_fixed = round_half_away_from_zero(q * 2.0**31).astype(np.int64)
    shift = shift.astype(np.int64)
    overflow = q_fixed == 2**31
    q_fixed = np.where(overflow, q_fixed // 2, q_fixed)
    shift = shift + overflow
    tiny = shift < -31
    q_fixed = np.where(tiny, 0, q_fixed)
    shift = np.where(tiny, 0, shift)
    return q_fixed.astype(np.int32), shift.astype(np.int32)


def quantize_multiplier(real):
    """``QuantizeMultiplier`` for one double: returns (multiplier, shift) as ints."""
    m, s = quantize_multiplier_array(float(real))
    return int(m), int(s)


def quantize_multiplier_smaller_than_one_exp(real):
    """``QuantizeMultiplierSmallerThanOneExp``: 0 < real < 1 -> (multiplier, shift <= 0)."""
    if not 0.0 < real < 1.0:
        raise ValueError(f"multiplier {real!r} must be in (0, 1)")
    m, s = quantize_multiplier(real)
    if s > 0:
        raise ValueError(f"multiplier {real!r} rounds to 1.0")
    return m, s


def quantize_multiplier_greater_than_one(real):
    """``QuantizeMultiplierGreaterThanOne``: real > 1 -> (multiplier, shift >= 0)."""
    if not real > 1.0:
        raise ValueError(f"multiplier {real!r} must be > 1")
    return quantize_multiplier(real)


def quantize_multiplier_without_fixup(real):
    """The inline variant of TFLM's int8 Logistic/Tanh Prepare: (multiplier, shift).

    Plain ``frexp`` and ``static_cast<int32_t>(round(q * 2**31))`` with none of
    QuantizeMultiplier's fix-ups. A significand rounding to 2**31 overflows the
    cast; like TFLM on x86-64 (the oracle), the multiplier then wraps to INT32_MIN.
    """
    if not math.isfinite(real):
        raise ValueError("multiplier must be finite")
    q, shift = math.frexp(real)
    q_fixed = int(round_half_away_from_zero(q * 2.0**31))
    return ((q_fixed + 2**31) % 2**32) - 2**31, shift


def preprocess_softmax_scaling(beta, input_scale, input_integer_bits):
    """``PreprocessSoftmaxScaling``: (multiplier, left_shift) taking an input
    difference to Q(input_integer_bits) with beta applied (capped at 2**31 - 1)."""
    real = min(beta * input_scale * float(1 << (31 - input_integer_bits)), 2.0**31 - 1.0)
    return quantize_multiplier_greater_than_one(real)


def preprocess_log_softmax_scaling_exp(beta, input_scale, input_integer_bits):
    """``PreprocessLogSoftmaxScalingExp``: returns (multiplier, left_shift,
    reverse_scaling_divisor, reverse_scaling_left_shift); the last pair is the
    inverse scaling as a smaller-than-one multiplier (left shift <= 0)."""
    mult, left_shift = preprocess_softmax_scaling(beta, input_scale, input_integer_bits)
    reverse = float(1 << (31 - left_shift)) / float(mult)
    divisor, reverse_shift = quantize_multiplier_smaller_than_one_exp(reverse)
    return mult, left_shift, divisor, reverse_shift


def calculate_input_radius(input_integer_bits, input_left_shift, total_signed_bits=31):
    """``CalculateInputRadius``: largest |input| whose rescaled value still fits
    Q(input_integer_bits) before saturation (floor of the double value)."""
    if not 0 <= input_left_shift <= 62 or not 0 <= input_integer_bits <= total_signed_bits:
        raise ValueError("shift or integer bits out of range")
    max_input_rescaled = (
        1.0
        * ((1 << input_integer_bits) - 1)
        * float(1 << (total_signed_bits - input_integer_bits))
        / float(1 << input_left_shift)
    )
    return int(math.floor(max_input_rescaled))


def down_scale_int32_to_int16_multiplier(multiplier):
    """``DownScaleInt32ToInt16Multiplier``: Q0.31 -> Q0.15 with rounding, saturating."""
    if not 0 <= multiplier <= INT32_MAX:
        raise ValueError("multiplier must be in [0, 2**31 - 1]")
    if multiplier >= INT32_MAX - (1 << 15):
        return 2**15 - 1
    return (multiplier + (1 << 15)) >> 16


def checked_log2(x):
    """``CheckedLog2`` in float32 arithmetic: returns (is_power_of_two, rounded log2)."""
    x32 = np.float32(x)
    x_log2 = np.float32(np.log(x32)) * (np.float32(1.0) / np.log(np.float32(2.0)))
    rounded = round_half_away_from_zero(np.float32(x_log2))
    return bool(abs(np.float32(x_log2 - rounded)) < np.float32(1e-3)), int(rounded)
