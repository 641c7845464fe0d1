/*
 * tm_multiply_by_quantized_multiplier (TFLM's double-rounding MultiplyByQuantizedMultiplier)
 * for a fixed (multiplier, shift), folded into one 64-bit multiply, one add and one shift.
 *
 * Derivation: with a = x << left (wrapping), P = a * m (exact in int64),
 *   SaturatingRoundingDoublingHighMul(a, m) = floor((P + 2^30) / 2^31)   for every P
 *     (the gemmlowp nudge 1 - 2^30 with truncating division equals this floor for P < 0),
 *   RoundingDivideByPOT(t, r) = floor((t + 2^(r-1) - [t < 0]) / 2^r)      for r >= 1,
 * and floor((floor(u / B) + c) / D) = floor((u + c B) / (B D)) for integers, so
 *   result = (P + 2^30 + 2^(30+r) - [P < -2^30] 2^31) >> (31 + r)        (r >= 1)
 *   result = (P + 2^30) >> 31                                            (r == 0)
 * bit-identical to tm_multiply_by_quantized_multiplier for every x when
 * multiplier != INT32_MIN and shift in [-31, 30] (checked exhaustively on random operands in
 * tests/ops/test_quantize.py). Used by the per-element requantizing kernels (int16 Relu,
 * LeakyRelu, PRelu, integer Quantize).
 */
#ifndef TINYMEM_REQUANT_FAST_H
#define TINYMEM_REQUANT_FAST_H

#include <stdint.h>

typedef struct {
    int32_t multiplier;
    int left;        /* max(shift, 0) */
    int right;       /* 31 + max(-shift, 0) */
    int64_t off_pos; /* rounding offset when P >= -2^30 */
    int64_t off_neg; /* rounding offset when P < -2^30 */
} tm_requant_fast;

/* multiplier in (INT32_MIN, INT32_MAX], shift in [-31, 30]. */
static inline tm_requant_fast tm_requant_fast_make(int32_t multiplier, int shift)
{
    tm_requant_fast q;
    const int r = shift < 0 ? -shift : 0;
    q.multiplier = multiplier;
    q.left = shift > 0 ? shift : 0;
    q.right = 31 + r;
    q.off_pos = ((int64_t)1 << 30) + (r > 0 ? ((int64_t)1 << (30 + r)) : 0);
    q.off_neg = r > 0 ? q.off_pos - ((int64_t)1 << 31) : q.off_pos;
    return q;
}

static inline int32_t tm_requant_fast_apply(const tm_requant_fast *q, int32_t x)
{
    const int32_t a = (int32_t)((uint32_t)x << q->left);
    const int64_t p = (int64_t)a * q->multiplier;
    return (int32_t)((p + (p < -((int64_t)1 << 30) ? q->off_neg : q->off_pos)) >> q->right);
}

#endif /* TINYMEM_REQUANT_FAST_H */
