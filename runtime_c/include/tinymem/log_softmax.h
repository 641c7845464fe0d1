/*
 * LogSoftmax over the last axis (TFLite LOG_SOFTMAX, ONNX LogSoftmax on the last axis).
 *
 * input / output: [outer, depth] row-major (any tensor whose last axis has `depth` elements).
 * No scratch. input and output must not overlap (each row is read twice).
 *
 * int8 (TFLM LogSoftmaxQuantized; output scale 16/256, zero point 127): per row, k = max - x
 * in [0, 255]; sum = sum exp_q12[k] (Q12.19); log_sum = ln(sum) in Q5.26
 * (tm_log_x_for_x_greater_than_or_equal_to_1); an element with
 * -k > max(diff_min - 1, MBQM(log_sum + INT32_MIN, reverse_divisor, reverse_shift)) gives
 * clamp(RDBPOT(diff_q5[k] - log_sum, 22) + 127), the others -128.
 * The tables (exp of -k in Q12.19 and -k in Q5.26, 0 below diff_min) are computed at compile
 * time from the input scale with TFLM's fixed-point functions.
 */
#ifndef TINYMEM_LOG_SOFTMAX_H
#define TINYMEM_LOG_SOFTMAX_H

#include "tinymem/types.h"

typedef struct {
    int32_t outer; /* rows, >= 0 */
    int32_t depth; /* row length (last axis), >= 1 */
} tm_log_softmax_dims;

typedef struct {
    int32_t outer;            /* rows, >= 0 */
    int32_t depth;            /* row length (last axis), >= 1 */
    int32_t diff_min;         /* -CalculateInputRadius(5, input left shift), in [-255, 0] */
    int32_t reverse_divisor;  /* Q31 multiplier of the reverse scaling */
    int32_t reverse_shift;    /* its shift, in [-31, 0] */
    const int32_t *exp_q12;   /* 256 entries, indexed by max(row) - x */
    const int32_t *diff_q5;   /* 256 entries, indexed by max(row) - x */
} tm_log_softmax_params_s8;

/* int8 -> int8. */
tm_status tm_log_softmax_s8(const tm_log_softmax_params_s8 *params, const int8_t *input,
                            int8_t *output);

/* float32: (x - max) - logf(sum expf(x - max)), as TFLM's reference. */
tm_status tm_log_softmax_f32(const tm_log_softmax_dims *dims, const float *input, float *output);

#endif /* TINYMEM_LOG_SOFTMAX_H */
