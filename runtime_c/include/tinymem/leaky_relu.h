/*
 * LeakyRelu (TFLite LEAKY_RELU, ONNX LeakyRelu): y = x > 0 ? x : alpha * x, elementwise over
 * flat arrays of `size` elements (any shape). No scratch; input and output may be the same.
 *
 * int8: tm_lut_x8 (tinymem/lut.h) with a 256-entry table (TFLM's QuantizeLeakyRelu evaluated at
 * compile time). int16: v = x + input_offset; y = output_offset + MBQM(v, identity) for v >= 0,
 * MBQM(v, alpha) for v < 0 (as TFLM: for a negative alpha multiplier, -MBQM(v, -alpha)); clamped.
 */
#ifndef TINYMEM_LEAKY_RELU_H
#define TINYMEM_LEAKY_RELU_H

#include "tinymem/lut.h"
#include "tinymem/types.h"

typedef struct {
    int32_t input_offset;        /* -input zero point */
    int32_t output_offset;       /* output zero point */
    int32_t identity_multiplier; /* Q31 of in_scale / out_scale */
    int32_t identity_shift;      /* in [-31, 30] */
    int32_t alpha_multiplier;    /* Q31 of in_scale * alpha / out_scale (negative when alpha < 0) */
    int32_t alpha_shift;         /* in [-31, 30] */
} tm_leaky_relu_params_s16;

/* int16 -> int16. size >= 0. */
tm_status tm_leaky_relu_s16(int32_t size, const tm_leaky_relu_params_s16 *params,
                            const int16_t *input, int16_t *output);

/* float32: x > 0 ? x : x * alpha. size >= 0. */
tm_status tm_leaky_relu_f32(int32_t size, float alpha, const float *input, float *output);

#endif /* TINYMEM_LEAKY_RELU_H */
