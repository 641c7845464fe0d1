/*
 * Simple elementwise float32 math (ONNX Sqrt, Log, Neg, Pow; TFLite SQRT, LOG, NEG).
 *
 * Unary kernels work on flat arrays of `size` elements (any shape, size >= 0); the output may be
 * the same buffer as the input (each output element depends on the input element at the same
 * position only). Values follow C99 <math.h> (IEEE 754): sqrt of a negative number and log of a
 * negative number are NaN, log(0) is -inf; NaN propagates. No kernel here needs scratch.
 *
 *   tm_sqrt_f32:  output[i] = sqrtf(input[i])   (correctly rounded)
 *   tm_log_f32:   output[i] = logf(input[i])
 *   tm_neg_f32:   output[i] = -input[i]          (exact; -0 for +0)
 *   tm_pow_f32:   output = powf(input1, input2) with NumPy broadcasting described by a tm_bcast
 *                 (tinymem/elementwise.h); an exponent of exactly 2 is computed as x * x (the
 *                 correctly rounded square, as onnxruntime does).
 */
#ifndef TINYMEM_FLOAT_MATH_H
#define TINYMEM_FLOAT_MATH_H

#include "tinymem/elementwise.h"
#include "tinymem/types.h"

tm_status tm_sqrt_f32(int32_t size, const float *input, float *output);
tm_status tm_log_f32(int32_t size, const float *input, float *output);
tm_status tm_neg_f32(int32_t size, const float *input, float *output);
tm_status tm_pow_f32(const tm_bcast *bc, const float *input1, const float *input2, float *output);

#endif /* TINYMEM_FLOAT_MATH_H */
