/*
 * tinymem/fixedpoint.h - fixed-point integer arithmetic of TFLM's int8/int16
 * reference kernels.
 *
 * Every function here reproduces, bit for bit, the integer semantics that
 * TensorFlow Lite Micro uses in its reference kernels:
 *
 *  - requantization (MultiplyByQuantizedMultiplier and its variants, the
 *    "double rounding" path: a saturating rounding doubling high multiply
 *    followed by a rounding right shift; TFLM builds do not define
 *    TFLITE_SINGLE_ROUNDING);
 *  - the gemmlowp fixed-point math used by Softmax, LogSoftmax, Logistic and
 *    Tanh (int8) and the int16 helpers used by HardSwish (int8).
 *
 * Q format.  A gemmlowp FixedPoint<int32, IB> is a plain int32_t here.  IB
 * ("integer bits", excluding the sign bit) is passed as an argument where a
 * function depends on it: the raw value r stands for r / 2^(31 - IB), so the
 * representable range is [-2^IB, 2^IB).  Q0.31 (IB = 0) covers [-1, 1).
 *
 * Overflow.  Where the reference relies on plain int32 addition, subtraction,
 * negation or left shift that may overflow (undefined in C), this header
 * wraps modulo 2^32 instead - what the reference does in practice on every
 * two's-complement target.  That keeps results defined for every input and
 * identical to tinymem/quant/fixedpoint.py, which emulates the same wrap.
 * The wrap relies on two implementation-defined (not undefined) behaviours
 * that gcc, clang and arm-none-eabi-gcc all define the same way: converting
 * an out-of-range unsigned value to a signed type is modulo 2^N, and >> of a
 * negative signed value is an arithmetic shift.
 *
 * Valid argument ranges are given per function; outside them a result is
 * still defined only where stated.
 *
 * C99, header only, no libc beyond <stdint.h>.
 */
#ifndef TINYMEM_FIXEDPOINT_H_
#define TINYMEM_FIXEDPOINT_H_

#include <stdint.h>

/* ---------------------------------------------------------------------- */
/* Wrapping and saturating int32 helpers                                   */
/* ---------------------------------------------------------------------- */

/* a + b modulo 2^32. Any inputs. */
static inline int32_t tm_wrap_add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* a - b modulo 2^32. Any inputs. */
static inline int32_t tm_wrap_sub(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* -a modulo 2^32 (so -INT32_MIN == INT32_MIN). Any input. */
static inline int32_t tm_wrap_neg(int32_t a) {
  return (int32_t)(0u - (uint32_t)a);
}

/* a * 2^shift modulo 2^32. shift in [0, 31]. */
static inline int32_t tm_wrap_shl(int32_t a, int shift) {
  return (int32_t)((uint32_t)a << shift);
}

/* a + b clamped to [INT32_MIN, INT32_MAX]. Any inputs. */
static inline int32_t tm_saturating_add(int32_t a, int32_t b) {
  const int64_t s = (int64_t)a + (int64_t)b;
  return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}

/* a - b clamped to [INT32_MIN, INT32_MAX]. Any inputs. */
static inline int32_t tm_saturating_sub(int32_t a, int32_t b) {
  const int64_t d = (int64_t)a - (int64_t)b;
  return d > INT32_MAX ? INT32_MAX : d < INT32_MIN ? INT32_MIN : (int32_t)d;
}

/* (a + b) / 2 rounded to nearest, ties away from zero (NEON VRHADD-like).
 * Any inputs; the result always fits. */
static inline int32_t tm_rounding_half_sum(int32_t a, int32_t b) {
  const int64_t s = (int64_t)a + (int64_t)b;
  return (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
}

/* Number of leading zero bits of x; 32 for x == 0. */
static inline int tm_count_leading_zeros(uint32_t x) {
  int n = 0;
  if (x == 0u) return 32;
#if defined(__GNUC__)
  n = __builtin_clz(x);
#else
  while ((x & 0x80000000u) == 0u) {
    x <<= 1;
    ++n;
  }
#endif
  return n;
}

/* ---------------------------------------------------------------------- */
/* Core primitives (gemmlowp)                                              */
/* ---------------------------------------------------------------------- */

/* round(a * b / 2^31) with ties rounded up (toward +infinity): the high word
 * of the doubled, rounded 64-bit product (ARM VQRDMULH).  The single
 * overflowing case, INT32_MIN * INT32_MIN, saturates to INT32_MAX.
 * Any inputs. */
static inline int32_t tm_sat_rounding_doubling_high_mul(int32_t a, int32_t b) {
  int64_t ab;
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  ab = (int64_t)a * (int64_t)b;
  ab += ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
  return (int32_t)(ab / ((int64_t)1 << 31)); /* C division truncates */
}

/* x / 2^exponent rounded to nearest, ties away from zero (a rounding
 * arithmetic right shift).  exponent in [0, 31]; any x. */
static inline int32_t tm_rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^exponent with IB kept fixed: exponent > 0 is a left shift that
 * saturates to INT32_MIN/INT32_MAX, exponent < 0 is
 * tm_rounding_divide_by_pot(x, -exponent), 0 returns x.  This is both
 * gemmlowp's SaturatingRoundingMultiplyByPOT<E> and TFLM's
 * SaturatingRoundingMultiplyByPOTParam.  exponent in [-31, 31]; any x. */
static inline int32_t tm_saturating_rounding_multiply_by_pot(int32_t x,
                                                             int exponent) {
  int32_t threshold;
  if (exponent < 0) return tm_rounding_divide_by_pot(x, -exponent);
  if (exponent == 0) return x;
  threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((int64_t)x * ((int64_t)1 << exponent));
}

/* Converts raw x from Q(src_int_bits) to Q(dst_int_bits) (gemmlowp Rescale):
 * more integer bits round, fewer saturate.  |src - dst| <= 31. */
static inline int32_t tm_rescale(int32_t x, int src_int_bits,
                                 int dst_int_bits) {
  return tm_saturating_rounding_multiply_by_pot(x, src_int_bits - dst_int_bits);
}

/* ---------------------------------------------------------------------- */
/* Requantization (TFLM common.h / common.cc, double rounding)             */
/* ---------------------------------------------------------------------- */

/* x * mult * 2^shift / 2^31 (mult is a Q0.31 significand, shift > 0 is a
 * left shift): the left shift is applied to x first (wrapping like the
 * reference), then tm_sat_rounding_doubling_high_mul, then a rounding right
 * shift.  shift in [-31, 30]; any x and mult. */
static inline int32_t tm_multiply_by_quantized_multiplier(int32_t x,
                                                          int32_t mult,
                                                          int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  return tm_rounding_divide_by_pot(
      tm_sat_rounding_doubling_high_mul(tm_wrap_shl(x, left), mult), right);
}

/* 64-bit-input variant used by TFLM's int16 kernels: mult is first rounded to
 * a Q0.15 value (0x7FFF when mult >= 0x7FFF0000), then
 * (x * mult16 + 2^(14 - shift)) >> (15 - shift), truncated to int32 (wraps
 * like the reference when the result does not fit).
 * mult in [0, INT32_MAX], shift in [-31, 7], x in [-2^47, 2^47). */
static inline int32_t tm_multiply_by_quantized_multiplier_s64(int64_t x,
                                                              int32_t mult,
                                                              int shift) {
  const int64_t mult16 = mult < 0x7FFF0000 ? (mult + (1 << 15)) >> 16 : 0x7FFF;
  const int total_shift = 15 - shift;
  const int64_t r = (x * mult16 + ((int64_t)1 << (total_shift - 1))) >>
                    total_shift;
  return (int32_t)(uint32_t)(uint64_t)r;
}

/* TFLM MultiplyByQuantizedMultiplierSmallerThanOneExp: multiplier < 1, so
 * left_shift <= 0 acts as a rounding right shift after the multiply.
 * left_shift in [-31, 0]; any x and mult. */
static inline int32_t tm_multiply_by_quantized_multiplier_smaller_than_one_exp(
    int32_t x, int32_t mult, int left_shift) {
  return tm_rounding_divide_by_pot(tm_sat_rounding_doubling_high_mul(x, mult),
                                   -left_shift);
}

/* TFLM MultiplyByQuantizedMultiplierGreaterThanOne: x is shifted left by
 * left_shift (wrapping like the reference), then multiplied.
 * left_shift in [0, 31]; any x and mult. */
static inline int32_t tm_multiply_by_quantized_multiplier_greater_than_one(
    int32_t x, int32_t mult, int left_shift) {
  return tm_sat_rounding_doubling_high_mul(tm_wrap_shl(x, left_shift), mult);
}

/* ---------------------------------------------------------------------- */
/* Fixed-point math functions (gemmlowp fixedpoint.h, TFLM common.h)        */
/* ---------------------------------------------------------------------- */

/* exp(a) for Q0.31 a in [-1/4, 0), result Q0.31: fourth-order Taylor
 * expansion around -1/8.  Defined (wrapping) for any a; meaningful only on
 * [-2^29, 0). */
static inline int32_t
tm_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0.31 */
  const int32_t one_third = 715827883;             /* 1/3 in Q0.31 */
  const int32_t x = tm_wrap_add(a, 1 << 28);       /* a + 1/8 */
  const int32_t x2 = tm_sat_rounding_doubling_high_mul(x, x);
  const int32_t x3 = tm_sat_rounding_doubling_high_mul(x2, x);
  const int32_t x4 = tm_sat_rounding_doubling_high_mul(x2, x2);
  const int32_t x4_over_4 = tm_rounding_divide_by_pot(x4, 2);
  /* x^4/24 + x^3/6 + x^2/2 = ((x^4/4 + x^3) / 3 + x^2) / 2 */
  const int32_t poly = tm_rounding_divide_by_pot(
      tm_wrap_add(tm_sat_rounding_doubling_high_mul(
                      tm_wrap_add(x4_over_4, x3), one_third),
                  x2),
      1);
  return tm_wrap_add(exp_minus_one_eighth,
                     tm_sat_rounding_doubling_high_mul(exp_minus_one_eighth,
                                                       tm_wrap_add(x, poly)));
}

/* exp(a) for a <= 0 given in Q(int_bits), result Q0.31 (exp(0) gives
 * INT32_MAX).  a is split into a multiple of 1/4 and a remainder in
 * [-1/4, 0); the multiple is applied bit by bit with the constants
 * exp(-2^k), k = -2..4, and inputs below -32 give 0.
 * int_bits in [0, 29]; any a (positive a gives a defined, meaningless
 * value). */
static inline int32_t tm_exp_on_negative_values(int32_t a, int int_bits) {
  static const int32_t exp_minus_pot[7] = {
      1672461947, /* exp(-1/4) */
      1302514674, /* exp(-1/2) */
      790015084,  /* exp(-1) */
      290630308,  /* exp(-2) */
      39332535,   /* exp(-4) */
      720401,     /* exp(-8) */
      242         /* exp(-16) */
  };
  const int frac_bits = 31 - int_bits;
  const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
  const int32_t a_mod_quarter_minus_quarter =
      (a & (one_quarter - 1)) - one_quarter;
  const int32_t remainder = tm_wrap_sub(a_mod_quarter_minus_quarter, a);
  int32_t result = tm_exp_on_interval_between_negative_one_quarter_and_0_excl(
      tm_rescale(a_mod_quarter_minus_quarter, int_bits, 0));
  int k;
  for (k = -2; k <= 4 && k < int_bits; ++k) {
    if (remainder & ((int32_t)1 << (frac_bits + k))) {
      result = tm_sat_rounding_doubling_high_mul(result, exp_minus_pot[k + 2]);
    }
  }
  if (int_bits > 5 && a < -((int32_t)1 << (36 - int_bits))) result = 0;
  return a == 0 ? INT32_MAX : result;
}

/* Newton-Raphson iterations shared by the two reciprocals below: returns, in
 * Q2.29, an approximation of 1 / half_denominator (half_denominator Q0.31 in
 * [1/2, 1)), starting from 48/17 - 32/17 * d. */
static inline int32_t tm_newton_reciprocal_q2(int32_t half_denominator) {
  const int32_t c48_over_17 = 1515870810;      /* Q2.29 */
  const int32_t c_neg32_over_17 = -1010580540; /* Q2.29 */
  const int32_t one_q2 = (int32_t)1 << 29;
  int32_t x = tm_wrap_add(
      c48_over_17,
      tm_sat_rounding_doubling_high_mul(half_denominator, c_neg32_over_17));
  int i;
  for (i = 0; i < 3; ++i) {
    const int32_t one_minus_dx = tm_wrap_sub(
        one_q2, tm_sat_rounding_doubling_high_mul(half_denominator, x));
    /* x * (1 - d x) is Q4.27; bring it back to Q2.29, saturating. */
    x = tm_wrap_add(x, tm_rescale(tm_sat_rounding_doubling_high_mul(
                                      x, one_minus_dx),
                                  4, 2));
  }
  return x;
}

/* 1 / (1 + a) for Q0.31 a in [0, 1), result Q0.31.  Any a gives a defined
 * value; only [0, 1) is meaningful. */
static inline int32_t tm_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t half_denominator = tm_rounding_half_sum(a, INT32_MAX);
  /* 1/(1+a) = (1/half_denominator) / 2: Q2.29 read as Q1.30, to Q0.31. */
  return tm_rescale(tm_newton_reciprocal_q2(half_denominator), 1, 0);
}

/* (1 - a) / (1 + a) for Q0.31 a in [0, 1), result Q0.31.  Any a gives a
 * defined value; only [0, 1) is meaningful. */
static inline int32_t tm_one_minus_x_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t half_denominator = tm_rounding_half_sum(a, INT32_MAX);
  /* (1-a)/(1+a) = 1/half_denominator - 1 */
  return tm_rescale(
      tm_wrap_sub(tm_newton_reciprocal_q2(half_denominator), (int32_t)1 << 29),
      2, 0);
}

/* 1 / (1 + exp(-a)) for a in Q(int_bits), result Q0.31 (a == 0 gives 2^30).
 * int_bits in [0, 29]; any a. */
static inline int32_t tm_logistic(int32_t a, int int_bits) {
  const int32_t abs_a = a > 0 ? a : tm_wrap_neg(a);
  const int32_t positive = tm_one_over_one_plus_x_for_x_in_0_1(
      tm_exp_on_negative_values(tm_wrap_neg(abs_a), int_bits));
  if (a == 0) return (int32_t)1 << 30;
  return a > 0 ? positive : tm_wrap_sub(INT32_MAX, positive);
}

/* tanh(a) for a in Q(int_bits), result Q0.31, computed as
 * (1 - exp(-2|a|)) / (1 + exp(-2|a|)) with the sign restored.
 * int_bits in [0, 28]; any a. */
static inline int32_t tm_tanh(int32_t a, int int_bits) {
  const int32_t neg_abs_a = a < 0 ? a : tm_wrap_neg(a);
  /* 2*neg_abs_a: same raw value read with one more integer bit */
  const int32_t t = tm_one_minus_x_over_one_plus_x_for_x_in_0_1(
      tm_exp_on_negative_values(neg_abs_a, int_bits + 1));
  if (a == 0) return 0;
  return a < 0 ? tm_wrap_neg(t) : t;
}

/* Reciprocal of x in Q(x_integer_digits), as TFLM's GetReciprocal: returns
 * 1 / (x * 2^-*num_bits_over_unit) in Q0.31, with x normalised to [1, 2) by
 * its leading zeros; *num_bits_over_unit = x_integer_digits - clz(x).
 * x > 0; x_integer_digits in [0, 31]. */
static inline int32_t tm_get_reciprocal(int32_t x, int x_integer_digits,
                                        int *num_bits_over_unit) {
  const int headroom_plus_one = tm_count_leading_zeros((uint32_t)x);
  const int32_t shifted_minus_one =
      (int32_t)(((uint32_t)x << headroom_plus_one) - 0x80000000u);
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  return tm_one_over_one_plus_x_for_x_in_0_1(shifted_minus_one);
}

/* Smallest output integer bits TFLM accepts for
 * tm_log_x_for_x_greater_than_or_equal_to_1 with the given input bits. */
static inline int tm_min_log_x_output_bits(int input_int_bits) {
  return input_int_bits > 90   ? 7
         : input_int_bits > 44 ? 6
         : input_int_bits > 21 ? 5
         : input_int_bits > 10 ? 4
         : input_int_bits > 4  ? 3
         : input_int_bits > 1  ? 2
                               : 1;
}

/* ln(x) for x in Q(input_int_bits), result in Q(output_int_bits), as TFLM's
 * log_x_for_x_greater_than_or_equal_to_1 (used by LogSoftmax): x is reduced
 * to r * 2^k with r in [sqrt(1/2), 1) (two candidate normalisations, the
 * second pre-scaled by sqrt(1/2)), and ln r comes from a rational
 * approximation around 2^-1/4.  Accurate for x >= 1; defined for any x > 0.
 * input_int_bits in [0, 30]; output_int_bits in
 * [tm_min_log_x_output_bits(input_int_bits), 30]. */
static inline int32_t tm_log_x_for_x_greater_than_or_equal_to_1(
    int32_t x, int input_int_bits, int output_int_bits) {
  const int32_t log_2 = 1488522236;          /* ln 2 */
  const int32_t sqrt_sqrt_half = 1805811301; /* 2^-1/4 */
  const int32_t sqrt_half = 1518500250;      /* 2^-1/2 */
  const int32_t one_quarter = 536870912;
  const int32_t alpha_n = 117049297; /* 11/240 * 2^1/4 */
  const int32_t alpha_d = 127690142; /* 1/20 * 2^1/4 */
  const int32_t alpha_i = 1057819769; /* 2 * 2^-1/4 - 2^1/4 */
  const int32_t alpha_f = 638450708;  /* 1/4 * 2^1/4 */
  /* one extra integer bit: the exponent term may saturate otherwise */
  const int accum_bits = output_int_bits + 1;
  const int32_t shifted_quarter = tm_rescale(one_quarter, 0, accum_bits);

  /* candidate a: x normalised by its own headroom */
  const int za_headroom_plus_1 = tm_count_leading_zeros((uint32_t)x);
  const int32_t ra_tmp =
      tm_saturating_rounding_multiply_by_pot(x, za_headroom_plus_1 - 1);
  const int32_t ra = tm_saturating_rounding_multiply_by_pot(
      tm_sat_rounding_doubling_high_mul(ra_tmp, sqrt_half), 1);
  const int32_t za_pow2_adj = tm_saturating_add(
      tm_saturating_rounding_multiply_by_pot(
          input_int_bits - za_headroom_plus_1, 31 - accum_bits),
      shifted_quarter);

  /* candidate b: headroom measured on x * sqrt(1/2) */
  const int32_t zb = tm_sat_rounding_doubling_high_mul(x, sqrt_half);
  const int zb_headroom = tm_count_leading_zeros((uint32_t)zb) - 1;
  const int32_t rb = tm_saturating_rounding_multiply_by_pot(x, zb_headroom);
  const int32_t zb_pow2_adj = tm_saturating_sub(
      tm_saturating_rounding_multiply_by_pot(input_int_bits - zb_headroom,
                                             31 - accum_bits),
      shifted_quarter);

  const int32_t r = ra < rb ? ra : rb;
  const int32_t pow2_adj = za_pow2_adj > zb_pow2_adj ? za_pow2_adj : zb_pow2_adj;

  const int32_t p = tm_rounding_half_sum(r, sqrt_sqrt_half);
  const int32_t q_half = tm_wrap_sub(r, sqrt_sqrt_half);
  const int32_t q = tm_wrap_add(q_half, q_half);
  const int32_t q_sq = tm_sat_rounding_doubling_high_mul(q, q);
  const int32_t num = tm_wrap_add(
      tm_sat_rounding_doubling_high_mul(q, r),
      tm_sat_rounding_doubling_high_mul(
          tm_sat_rounding_doubling_high_mul(q, q_sq), alpha_n));
  const int32_t denom_minus_one = tm_wrap_add(
      tm_sat_rounding_doubling_high_mul(
          p, tm_wrap_add(tm_wrap_add(alpha_i, q),
                         tm_sat_rounding_doubling_high_mul(alpha_d, q_sq))),
      tm_sat_rounding_doubling_high_mul(alpha_f, q));
  const int32_t recip_denom = tm_one_over_one_plus_x_for_x_in_0_1(denom_minus_one);
  const int32_t num_scaled = tm_rescale(num, 0, accum_bits);
  const int32_t sum =
      tm_wrap_add(tm_sat_rounding_doubling_high_mul(pow2_adj, log_2),
                  tm_sat_rounding_doubling_high_mul(num_scaled, recip_denom));
  return tm_rescale(sum, accum_bits, output_int_bits);
}

/* ---------------------------------------------------------------------- */
/* int16 helpers (gemmlowp int16 specialisations, TFLM HardSwish)           */
/* ---------------------------------------------------------------------- */

/* int16 version of tm_sat_rounding_doubling_high_mul: round(a * b / 2^15),
 * ties up; INT16_MIN * INT16_MIN gives INT16_MAX.  Any inputs. */
static inline int16_t tm_sat_rounding_doubling_high_mul_s16(int16_t a,
                                                            int16_t b) {
  int32_t ab;
  if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
  ab = (int32_t)a * (int32_t)b;
  ab += ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return (int16_t)(ab / (1 << 15));
}

/* Like tm_sat_rounding_doubling_high_mul_s16 but truncating toward zero
 * (ARM SQDMULH), as TFLM's HardSwish SaturatingDoublingHighMul.  Any
 * inputs. */
static inline int16_t tm_sat_doubling_high_mul_s16(int16_t a, int16_t b) {
  if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
  return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

/* int16 rounding divide by 2^exponent with gemmlowp's int16 semantics: the
 * mask 2^exponent - 1 is truncated to 16 bits, so for exponent >= 16 the
 * result is 1 for x >= 0 and -1 for x < 0 (as TFLM computes it).
 * exponent in [0, 31]; any x. */
static inline int16_t tm_rounding_divide_by_pot_s16(int16_t x, int exponent) {
  const int16_t mask = (int16_t)(uint16_t)(((int64_t)1 << exponent) - 1);
  const int16_t remainder = (int16_t)(x & mask);
  const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
  return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

/* x * 2^amount clamped to [INT16_MIN, INT16_MAX] (TFLM HardSwish
 * SaturatingLeftShift).  amount in [0, 30]; any x. */
static inline int16_t tm_saturating_left_shift_s16(int16_t x, int amount) {
  const int64_t r = (int64_t)x * ((int64_t)1 << amount);
  return (int16_t)(r > INT16_MAX ? INT16_MAX : r < INT16_MIN ? INT16_MIN : r);
}

#endif /* TINYMEM_FIXEDPOINT_H_ */
