/*
 * Relu family (TFLite RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1; ONNX Relu, Clip):
 * elementwise clamp, any shape (flat arrays of `size` elements).
 *
 * int8 runs tm_lut_x8 (tinymem/lut.h) with a 256-entry table computed at compile time from
 * TFLM's integer algorithm (requantize input -> output with a Q31 multiplier, then clamp; or
 * clamp in the input domain for RELU6).
 * int16 computes out = clamp(output_offset + MBQM(x + input_offset, multiplier, shift), min, max).
 * No scratch. input and output may be the same buffer.
 */
#ifndef TINYMEM_RELU_H
#define TINYMEM_RELU_H

#include "tinymem/lut.h"
#include "tinymem/types.h"

typedef struct {
    int32_t input_offset;  /* -input zero point */
    int32_t output_offset; /* output zero point */
    int32_t multiplier;    /* Q31 multiplier of in_scale / out_scale (2^30 with shift 1: identity) */
    int32_t shift;         /* in [-31, 30], > 0 is a left shift */
    tm_act_s32 act;        /* clamp, within [-32768, 32767] */
} tm_relu_params_s16;

/* int16 -> int16. size >= 0. */
tm_status tm_relu_s16(int32_t size, const tm_relu_params_s16 *params, const int16_t *input,
                      int16_t *output);

/* float32: out = x < min ? min : x > max ? max : x (NaN passes through). size >= 0. */
tm_status tm_relu_f32(int32_t size, const tm_act_f32 *act, const float *input, float *output);

#endif /* TINYMEM_RELU_H */
