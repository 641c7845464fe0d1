"""TFLM's fixed-point integer arithmetic in numpy, bit-identical to the C twin.

Each function mirrors the one of the same name (plus a ``tm_`` prefix) in
``runtime_c/include/tinymem/fixedpoint.h``; see that header for the algorithms
and valid ranges. All functions are vectorised: integer arguments may be
scalars or arrays and broadcast together; ``int_bits``-style arguments (the
gemmlowp ``IntegerBits`` template parameter) are plain Python ints.

Arithmetic runs in int64 and wraps or saturates exactly where the C code does,
so the numpy and C results agree for every input in the documented ranges.
A gemmlowp ``FixedPoint<int32, IB>`` is a raw int32 worth ``raw / 2**(31 - IB)``.
Results are int32 (int16 for the ``_s16`` functions): a numpy scalar for
scalar inputs, an array otherwise.
"""

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
INT16_MIN = -(2**15)
INT16_MAX = 2**15 - 1

# Fixed-point constants: round(value * 2**31) (Q0.31) unless noted.
_EXP_MINUS_POT = (1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242)
# ^ exp(-2**k) for k = -2 .. 4, the barrel shifter of exp_on_negative_values
_EXP_MINUS_ONE_EIGHTH = 1895147668  # exp(-1/8)
_ONE_THIRD = 715827883
_48_OVER_17_Q2 = 1515870810  # Q2.29
_NEG_32_OVER_17_Q2 = -1010580540  # Q2.29
_LN_2 = 1488522236
_SQRT_SQRT_HALF = 1805811301  # 2**-1/4
_SQRT_HALF = 1518500250  # 2**-1/2
_LOG_ALPHA_N = 117049297  # 11/240 * 2**1/4
_LOG_ALPHA_D = 127690142  # 1/20 * 2**1/4
_LOG_ALPHA_I = 1057819769  # 2 * 2**-1/4 - 2**1/4
_LOG_ALPHA_F = 638450708  # 1/4 * 2**1/4


def _i64(x):
    return np.asarray(x, dtype=np.int64)


def _wrap32(v):
    return ((v + 2**31) & 0xFFFFFFFF) - 2**31


def _wrap16(v):
    return ((v + 2**15) & 0xFFFF) - 2**15


def _out(v, dtype=np.int32):
    return np.asarray(v).astype(dtype)[()]


def _add(a, b):
    return _wrap32(_i64(a) + _i64(b))


def _sub(a, b):
    return _wrap32(_i64(a) - _i64(b))


def _trunc_div_pot(v, k):
    """v / 2**k rounded toward zero, like C integer division."""
    return np.where(v >= 0, v >> k, -((-v) >> k))


def _check(name, value, lo, hi):
    v = _i64(value)
    if v.size and (v.min() < lo or v.max() > hi):
        raise ValueError(f"{name} must be in [{lo}, {hi}]")


# ---- wrapping / saturating helpers ---------------------------------------------


def saturating_add(a, b):
    return _out(np.clip(_i64(a) + _i64(b), INT32_MIN, INT32_MAX))


def saturating_sub(a, b):
    return _out(np.clip(_i64(a) - _i64(b), INT32_MIN, INT32_MAX))


def rounding_half_sum(a, b):
    s = _i64(a) + _i64(b)
    return _out(_trunc_div_pot(s + np.where(s >= 0, 1, -1), 1))


def count_leading_zeros(x):
    """Leading zero bits of x read as uint32 (32 for 0)."""
    u = (_i64(x) & 0xFFFFFFFF).astype(np.float64)  # exact: below 2**53
    return _out(32 - np.frexp(u)[1])


# ---- core primitives ------------------------------------------------------------


def sat_rounding_doubling_high_mul(a, b):
    a, b = _i64(a), _i64(b)
    ab = a * b
    ab = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    both_min = (a == INT32_MIN) & (b == INT32_MIN)
    return _out(np.where(both_min, INT32_MAX, _trunc_div_pot(ab, 31)))


def rounding_divide_by_pot(x, exponent):
    _check("exponent", exponent, 0, 31)
    x, e = _i64(x), _i64(exponent)
    mask = (np.int64(1) << e) - 1
    threshold = (mask >> 1) + (x < 0)
    return _out((x >> e) + ((x & mask) > threshold))


def saturating_rounding_multiply_by_pot(x, exponent):
    _check("exponent", exponent, -31, 31)
    x, e = _i64(x), _i64(exponent)
    left = np.clip(x << np.maximum(e, 0), INT32_MIN, INT32_MAX)
    right = rounding_divide_by_pot(x, np.maximum(-e, 0))
    return _out(np.where(e < 0, right, left))


def rescale(x, src_int_bits, dst_int_bits):
    return saturating_rounding_multiply_by_pot(x, src_int_bits - dst_int_bits)


# ---- requantization ---------------------------------------------------------------


def multiply_by_quantized_multiplier(x, mult, shift):
    _check("shift", shift, -31, 30)
    shift = _i64(shift)
    shifted = _wrap32(_i64(x) << np.maximum(shift, 0))
    return rounding_divide_by_pot(
        sat_rounding_doubling_high_mul(shifted, mult), np.maximum(-shift, 0)
    )


def multiply_by_quantized_multiplier_s64(x, mult, shift):
    _check("shift", shift, -31, 7)
    _check("mult", mult, 0, INT32_MAX)
    _check("x", x, -(2**47), 2**47 - 1)
    mult = _i64(mult)
    mult16 = np.where(mult < 0x7FFF0000, (mult + (1 << 15)) >> 16, 0x7FFF)
    total_shift = 15 - _i64(shift)
    r = (_i64(x) * mult16 + (np.int64(1) << (total_shift - 1))) >> total_shift
    return _out(_wrap32(r))


def multiply_by_quantized_multiplier_smaller_than_one_exp(x, mult, left_shift):
    _check("left_shift", left_shift, -31, 0)
    return rounding_divide_by_pot(sat_rounding_doubling_high_mul(x, mult), -_i64(left_shift))


def multiply_by_quantized_multiplier_greater_than_one(x, mult, left_shift):
    _check("left_shift", left_shift, 0, 31)
    return sat_rounding_doubling_high_mul(_wrap32(_i64(x) << _i64(left_shift)), mult)


# ---- fixed-point math functions -----------------------------------------------------


def exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    srdhm = sat_rounding_doubling_high_mul
    x = _add(a, 1 << 28)  # a + 1/8
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = rounding_divide_by_pot(x4, 2)
    poly = rounding_divide_by_pot(_add(srdhm(_add(x4_over_4, x3), _ONE_THIRD), x2), 1)
    return _out(_add(_EXP_MINUS_ONE_EIGHTH, srdhm(_EXP_MINUS_ONE_EIGHTH, _add(x, poly))))


def exp_on_negative_values(a, int_bits):
    _check("int_bits", int_bits, 0, 29)
    a = _i64(a)
    frac_bits = 31 - int_bits
    one_quarter = 1 << (frac_bits - 2)
    a_mod = (a & (one_quarter - 1)) - one_quarter
    remainder = _wrap32(a_mod - a)
    result = _i64(
        exp_on_interval_between_negative_one_quarter_and_0_excl(rescale(a_mod, int_bits, 0))
    )
    for k, multiplier in zip(range(-2, 5), _EXP_MINUS_POT):
        if k < int_bits:
            bit_set = (remainder & (1 << (frac_bits + k))) != 0
            result = np.where(bit_set, sat_rounding_doubling_high_mul(result, multiplier), result)
    if int_bits > 5:
        result = np.where(a < -(1 << (36 - int_bits)), 0, result)
    return _out(np.where(a == 0, INT32_MAX, result))


def _newton_reciprocal_q2(half_denominator):
    srdhm = sat_rounding_doubling_high_mul
    x = _add(_48_OVER_17_Q2, srdhm(half_denominator, _NEG_32_OVER_17_Q2))
    for _ in range(3):
        one_minus_dx = _sub(1 << 29, srdhm(half_denominator, x))
        x = _add(x, rescale(srdhm(x, one_minus_dx), 4, 2))
    return x


def one_over_one_plus_x_for_x_in_0_1(a):
    half_denominator = rounding_half_sum(a, INT32_MAX)
    return rescale(_newton_reciprocal_q2(half_denominator), 1, 0)


def one_minus_x_over_one_plus_x_for_x_in_0_1(a):
    half_denominator = rounding_half_sum(a, INT32_MAX)
    return rescale(_sub(_newton_reciprocal_q2(half_denominator), 1 << 29), 2, 0)


def logistic(a, int_bits):
    _check("int_bits", int_bits, 0, 29)
    a = _i64(a)
    abs_a = np.where(a > 0, a, _wrap32(-a))
    positive = _i64(
        one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(_wrap32(-abs_a), int_bits))
    )
    result = np.where(a > 0, positive, _sub(INT32_MAX, positive))
    return _out(np.where(a == 0, 1 << 30, result))


def tanh(a, int_bits):
    _check("int_bits", int_bits, 0, 28)
    a = _i64(a)
    neg_abs_a = np.where(a < 0, a, _wrap32(-a))
    t = _i64(
        one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(neg_abs_a, int_bits + 1))
    )
    result = np.where(a < 0, _wrap32(-t), t)
    return _out(np.where(a == 0, 0, result))


def get_reciprocal(x, x_integer_digits):
    """Returns (reciprocal in Q0.31, num_bits_over_unit); see tm_get_reciprocal."""
    _check("x", x, 1, INT32_MAX)
    x = _i64(x)
    headroom_plus_one = _i64(count_leading_zeros(x))
    shifted_minus_one = _wrap32(((x << headroom_plus_one) & 0xFFFFFFFF) - 2**31)
    return (
        one_over_one_plus_x_for_x_in_0_1(shifted_minus_one),
        _out(x_integer_digits - headroom_plus_one),
    )


def min_log_x_output_bits(input_int_bits):
    for bound, bits in ((90, 7), (44, 6), (21, 5), (10, 4), (4, 3), (1, 2)):
        if input_int_bits > bound:
            return bits
    return 1


def log_x_for_x_greater_than_or_equal_to_1(x, input_int_bits, output_int_bits):
    _check("x", x, 1, INT32_MAX)
    _check("input_int_bits", input_int_bits, 0, 30)
    _check("output_int_bits", output_int_bits, min_log_x_output_bits(input_int_bits), 30)
    srdhm = sat_rounding_doubling_high_mul
    srmbpot = saturating_rounding_multiply_by_pot
    accum_bits = output_int_bits + 1
    shifted_quarter = rescale(536870912, 0, accum_bits)
    x = _i64(x)

    za_headroom_plus_1 = _i64(count_leading_zeros(x))
    ra = srmbpot(srdhm(srmbpot(x, za_headroom_plus_1 - 1), _SQRT_HALF), 1)
    za_pow2_adj = saturating_add(
        srmbpot(input_int_bits - za_headroom_plus_1, 31 - accum_bits), shifted_quarter
    )
    zb_headroom = _i64(count_leading_zeros(srdhm(x, _SQRT_HALF))) - 1
    rb = srmbpot(x, zb_headroom)
    zb_pow2_adj = saturating_sub(
        srmbpot(input_int_bits - zb_headroom, 31 - accum_bits), shifted_quarter
    )
    r = np.minimum(ra, rb)
    pow2_adj = np.maximum(za_pow2_adj, zb_pow2_adj)

    p = rounding_half_sum(r, _SQRT_SQRT_HALF)
    q_half = _sub(r, _SQRT_SQRT_HALF)
    q = _add(q_half, q_half)
    q_sq = srdhm(q, q)
    num = _add(srdhm(q, r), srdhm(srdhm(q, q_sq), _LOG_ALPHA_N))
    denom_minus_one = _add(
        srdhm(p, _add(_add(_LOG_ALPHA_I, q), srdhm(_LOG_ALPHA_D, q_sq))), srdhm(_LOG_ALPHA_F, q)
    )
    recip_denom = one_over_one_plus_x_for_x_in_0_1(denom_minus_one)
    num_scaled = rescale(num, 0, accum_bits)
    total = _add(srdhm(pow2_adj, _LN_2), srdhm(num_scaled, recip_denom))
    return rescale(total, accum_bits, output_int_bits)


# ---- int16 helpers ---------------------------------------------------------------------


def sat_rounding_doubling_high_mul_s16(a, b):
    a, b = _i64(a), _i64(b)
    ab = a * b
    ab = ab + np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    both_min = (a == INT16_MIN) & (b == INT16_MIN)
    return _out(np.where(both_min, INT16_MAX, _trunc_div_pot(ab, 15)), np.int16)


def sat_doubling_high_mul_s16(a, b):
    a, b = _i64(a), _i64(b)
    both_min = (a == INT16_MIN) & (b == INT16_MIN)
    return _out(np.where(both_min, INT16_MAX, _trunc_div_pot(a * b, 15)), np.int16)


def rounding_divide_by_pot_s16(x, exponent):
    _check("exponent", exponent, 0, 31)
    x, e = _i64(x), _i64(exponent)
    mask = _wrap16((np.int64(1) << e) - 1)  # gemmlowp truncates the mask to 16 bits
    threshold = _wrap16((mask >> 1) + (x < 0))
    return _out(_wrap16((x >> e) + ((x & mask) > threshold)), np.int16)


def saturating_left_shift_s16(x, amount):
    _check("amount", amount, 0, 30)
    return _out(np.clip(_i64(x) << _i64(amount), INT16_MIN, INT16_MAX), np.int16)
