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

#endif /* TINYMEM_SOFTMAX_H */
