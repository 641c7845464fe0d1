/*
 * Helpers shared by the Cortex-M DSP-extension kernels in runtime_c/kernels_arm/ (not a public
 * API). Each kernel there has the signature of its portable twin in runtime_c/kernels/ and gives
 * bit-identical results; `tinymem build` compiles it instead of the portable file when the board
 * has the DSP extension (board.toml [cpu] dsp, default on Cortex-M4/M7/M33).
 *
 * The int8 dot products use SMLAD (two 16x16 multiplies and a 32-bit accumulate per
 * instruction). SMLAD adds modulo 2^32, so every sum equals the portable kernels' int32 sums bit
 * for bit in whatever order it is taken. Operands are prepared with SXTB16 (bytes 0 and 2 of a
 * word sign-extended into two halfwords; with ROR #8, bytes 1 and 3), so a word of four int8
 * values a[k..k+3] becomes the pairs (a[k], a[k+2]) and (a[k+1], a[k+3]); the other operand must
 * be paired the same way. PKHBT/PKHTB re-pair halfwords when a layout does not match.
 *
 * ACLE intrinsics (arm_acle.h) where GCC has them; SXTB16 with rotation and PKHBT/PKHTB, which
 * GCC 12 neither offers nor combines, are one-instruction inline assembly.
 */
#ifndef TINYMEM_ARM_DSP_H
#define TINYMEM_ARM_DSP_H

#if !defined(__ARM_FEATURE_DSP) || __ARM_FEATURE_DSP != 1
#error "runtime_c/kernels_arm needs the Arm DSP extension (Cortex-M4/M7/M33...); build runtime_c/kernels instead"
#endif

#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

/* Most scratch bytes tm_conv2d_s8 uses for weights re-laid out as SMLAD operands (a panel).
 * The compiler plans with the same value (PANEL_BYTES in tinymem/ops/_dsp_scratch.py): another
 * one here makes the generated init() return TM_ERR_SCRATCH (it checks the DSP kernels' scratch
 * sizes exactly). */
#ifndef TM_ARM_PANEL_BYTES
#define TM_ARM_PANEL_BYTES 3072
#endif

/* Four int8 values as one word (any alignment: ARMv7E-M loads words unaligned). */
static inline int32_t tm_arm_ld4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* (int16)b0 | (int16)b2 << 16 */
static inline int32_t tm_arm_sxtb16(int32_t x)
{
    return (int32_t)__sxtb16((int8x4_t)x);
}

/* (int16)b1 | (int16)b3 << 16 */
static inline int32_t tm_arm_sxtb16_ror8(int32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* low half of lo | low half of hi << 16 */
static inline int32_t tm_arm_pkhbt(int32_t lo, int32_t hi)
{
    int32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}

/* high half of hi << 16 | high half of lo */
static inline int32_t tm_arm_pkhtb(int32_t hi, int32_t lo)
{
    int32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
    return r;
}

/* acc + lo(a) * lo(b) + hi(a) * hi(b), modulo 2^32 */
static inline int32_t tm_arm_smlad(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)__smlad((int16x2_t)a, (int16x2_t)b, acc);
}

/*
 * TFLM's double-rounding requantization, exactly as tm_conv_requant_ch (conv2d.h) for every
 * acc, with rq = {multiplier, left shift, right shift + 1, 2^right shift}.
 *
 * With x = acc << left (wrapping), Q = x * m + 2^30 = hi * 2^32 + lo and r = right shift,
 * tm_conv_requant_ch is floor((2t + 2^r - [t < 0]) / 2^(r+1)) where t = floor(Q / 2^31). For
 * r >= 2 this equals (hi + 2^(r-2) - [Q < 0 and lo < 2^31]) >> (r - 1): add 2^31 * (2^(r-1) -
 * [t < 0]) to Q (a multiple of 2^31, so it commutes with the first floor) and shift by 31 + r,
 * which leaves only the high word and its borrow. No intermediate overflows (|hi| < 2^30), so
 * it is exact for all inputs; r < 2 takes the reference formula.
 */
static inline int32_t tm_arm_requant(int32_t acc, const int32_t *rq)
{
    const int32_t x = (int32_t)((uint32_t)acc << rq[1]);
    const int64_t q = (int64_t)x * rq[0] + ((int64_t)1 << 30);
    const int32_t rs = rq[2]; /* r + 1 */
    if (__builtin_expect(rs >= 3, 1)) {
        int32_t hi = (int32_t)(q >> 32);
        const uint32_t lo = (uint32_t)q;
        hi -= (int32_t)(((uint32_t)hi & ~lo) >> 31);
        hi += (int32_t)((uint32_t)rq[3] >> 2);
        return hi >> (rs - 2);
    }
    const int64_t t = q >> 31;
    return (int32_t)((2 * t + (int64_t)(uint32_t)rq[3] - (t < 0)) >> rs);
}

/*
 * The same for TFLM's (multiplier, shift) pair, i.e. tm_multiply_by_quantized_multiplier
 * (fixedpoint.h) for multiplier != INT32_MIN and shift in [-31, 30].
 */
static inline int32_t tm_arm_requant_ms(int32_t acc, int32_t mult, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0, r = shift > 0 ? 0 : -shift;
    const int32_t rq[4] = {mult, left, r + 1, (int32_t)((uint32_t)1 << r)};
    return tm_arm_requant(acc, rq);
}

/*
 * The same requantization in four instructions for accumulators of bounded size: with
 * x = acc << left and |x| < 2^29,
 *   floor((x * m + 2^30) / 2^31) = SMMULR(2x, m)  (= floor((2x * m + 2^31) / 2^32)) = t,
 * and for r >= 1 the second rounding of tm_arm_requant is (t + 2^(r-1) - [t < 0]) >> r; no step
 * overflows (|t| < 2^29, 2^(r-1) <= 2^30). A zero multiplier gives 0 for any r. Exact for every
 * r in [1, 31] and for m == 0; tm_arm_rqf_make prepares the constants of one channel given a
 * bound on |acc| (|bias| + 128 * sum |w| for int8 activations) and says whether they apply.
 */
typedef struct {
    int32_t mult;   /* multiplier */
    int32_t shift1; /* left shift + 1 */
    int32_t add;    /* 2^(r-1), 0 when r == 0 */
    int32_t r;      /* right shift */
} tm_arm_rqf;

static inline int tm_arm_rqf_make(const int32_t *rq, uint32_t acc_bound, tm_arm_rqf *q)
{
    const int32_t left = rq[1], r = rq[2] - 1;
    q->mult = rq[0];
    q->shift1 = left + 1;
    q->r = r;
    q->add = r > 0 ? (int32_t)(1u << (r - 1)) : 0;
    if (r == 0 && rq[0] == 0)
        return 1;
    return r >= 1 && r <= 31 && left <= 28 && acc_bound < ((uint32_t)1 << (29 - left));
}

static inline int32_t tm_arm_smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* requant(acc), when tm_arm_rqf_make returned 1 and |acc| <= its bound */
static inline int32_t tm_arm_rqf_apply(int32_t acc, const tm_arm_rqf *q)
{
    int32_t t = tm_arm_smmulr((int32_t)((uint32_t)acc << q->shift1), q->mult);
    t += (t >> 31) + q->add;
    return t >> q->r;
}

/* v + out_off clamped to [lo, hi] (within [-128, 127]) */
static inline int8_t tm_arm_clamp_s8(int32_t v, int32_t lo, int32_t hi)
{
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

#endif /* TINYMEM_ARM_DSP_H */
