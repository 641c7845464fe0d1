/*
 * PRelu (TFLite PRELU, ONNX PRelu): y = x >= 0 ? x : alpha * x.
 *
 * input and output: `size` elements (any shape, same for both). alpha: `period` elements that
 * repeat along the flat output: element i uses alpha[i % period] (per-channel alpha of an NHWC
 * tensor: period = C; the compiler materialises other broadcasts). size is a multiple of period.
 *
 * Quantized (TFLM semantics): v = x + input_offset;
 *   v >= 0: y = output_offset + MBQM(v, multiplier_pos, shift_pos)
 *   v <  0: y = output_offset + MBQM(v * (alpha + alpha_offset), multiplier_neg, shift_neg)
 * clamped to the output type. No scratch.
 */
#ifndef TINYMEM_PRELU_H
#define TINYMEM_PRELU_H

#include "tinymem/types.h"

typedef struct {
    int32_t size;   /* elements of input and output, >= 0 */
    int32_t period; /* elements of alpha, >= 1, divides size */
} tm_prelu_dims;

typedef struct {
    int32_t input_offset;   /* -input zero point */
    int32_t alpha_offset;   /* -alpha zero point */
    int32_t output_offset;  /* output zero point */
    int32_t multiplier_pos; /* Q31 of in_scale / out_scale */
    int32_t shift_pos;      /* in [-31, 30] */
    int32_t multiplier_neg; /* Q31 of in_scale * alpha_scale / out_scale */
    int32_t shift_neg;      /* in [-31, 30] */
} tm_prelu_params;

/* int8 input, int8 alpha, int8 output. */
tm_status tm_prelu_s8(const tm_prelu_dims *dims, const tm_prelu_params *params,
                      const int8_t *input, const int8_t *alpha, int8_t *output);

/* int16 input, int8 alpha, int16 output. */
tm_status tm_prelu_s16(const tm_prelu_dims *dims, const tm_prelu_params *params,
                       const int16_t *input, const int8_t *alpha, int16_t *output);

/* float32. */
tm_status tm_prelu_f32(const tm_prelu_dims *dims, const float *input, const float *alpha,
                       float *output);

#endif /* TINYMEM_PRELU_H */
