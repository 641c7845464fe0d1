/*
 * Softmax over the last axis (TFLite SOFTMAX, ONNX Softmax on the last axis).
 *
 * input / output: [outer, depth] row-major (any tensor whose last axis has `depth` elements).
 * No scratch. input and output must not overlap (each row is read twice).
 *
 * int8 (TFLM reference semantics): per row d = x - max(row) in [-255, 0];
 * e = exp_table[-d] (Q0.31, 0 below TFLM's diff_min), sum = sum of e rounded to Q12.19,
 * r = reciprocal of sum (tm_get_reciprocal), y = RDBPOT(SRDHM(r, e), bits + 23 - out bits) + min.
 * exp_table is computed at compile time from beta and the input scale with TFLM's fixed-point
 * exp (PreprocessSoftmaxScaling, kScaledDiffIntegerBits = 5).
 * Rows whose sum needs an output exponent above 31 (TFLM aborts on them) return
 * TM_ERR_UNSUPPORTED; with int8 output that takes a row of more than ~500 equal maxima.
 */
#ifndef TINYMEM_SOFTMAX_H
#define TINYMEM_SOFTMAX_H

#include "tinymem/fixedpoint.h"
#include "tinymem/int_access.h"
#include "tinymem/types.h"

typedef struct {
    int32_t outer;            /* rows, >= 0 */
    int32_t depth;            /* row length (last axis), >= 1 */
    const int32_t *exp_table; /* 256 entries, indexed by max(row) - x */
} tm_softmax_params_s8;

typedef struct {
    int32_t outer; /* rows, >= 0 */
    int32_t depth; /* row length (last axis), >= 1 */
    float beta;
} tm_softmax_params_f32;

/* int8 -> int8 (output scale 1/256, zero point -128). */
tm_status tm_softmax_s8(const tm_softmax_params_s8 *params, const int8_t *input, int8_t *output);

/* int8 -> int16 (output scale 1/65536, zero point -32768). */
tm_status tm_softmax_s8_s16(const tm_softmax_params_s8 *params, const int8_t *input,
                            int16_t *output);

/* float32: exp((x - max) * beta) / sum, as TFLM's reference (float sums in order). */
tm_status tm_softmax_f32(const tm_softmax_params_f32 *params, const float *input, float *output);

/* ---- shared by the kernels (not part of the API) ------------------------------------------ */

/* Body of tm_softmax_s8 / tm_softmax_s8_s16 for output `type` TM_S8 or TM_S16 (a constant;
 * see int_access.h): bit-exact with TFLM's reference_ops::Softmax, the fixed-point exp of every
 * possible input difference coming from the compile-time table. */
static inline tm_status tm__softmax_s8(const tm_softmax_params_s8 *params, const int8_t *input,
                                       void *output, tm_dtype type)
{
    const int32_t outer = params->outer, depth = params->depth;
    const int32_t *table = params->exp_table;
    const int out_bits = 8 * (int)tm_int_size(type);
    const int32_t lo = tm_int_min(type), hi = tm_int_max(type);
    if (outer < 0 || depth < 1)
        return TM_ERR_SHAPE;
    for (int32_t r = 0; r < outer; ++r) {
        const size_t row = (size_t)r * (size_t)depth;
        const int8_t *in = input + row;
        int32_t max = -128;
        for (int32_t c = 0; c < depth; ++c)
            max = in[c] > max ? in[c] : max;
        /* Q12.19 sum of the exps (gemmlowp's wrapping FixedPoint addition) */
        uint32_t sum = 0;
        for (int32_t c = 0; c < depth; ++c)
            sum += (uint32_t)tm_rounding_divide_by_pot(table[max - in[c]], 12);
        int bits_over_unit;
        const int32_t scale = tm_get_reciprocal((int32_t)sum, 12, &bits_over_unit);
        const int exponent = bits_over_unit + 31 - out_bits;
        if (exponent < 0 || exponent > 31)
            return TM_ERR_UNSUPPORTED;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t e = table[max - in[c]];
            int32_t y = tm_rounding_divide_by_pot(tm_sat_rounding_doubling_high_mul(scale, e), exponent)
                        + lo;
            y = y > hi ? hi : y;
            tm_int_store(output, row + (size_t)c, y, type);
        }
    }
    return TM_OK;
}

#endif /* TINYMEM_SOFTMAX_H */
