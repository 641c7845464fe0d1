/*
 * Tanh (TFLite TANH, ONNX Tanh), elementwise over flat arrays of `size` elements (any shape).
 * No scratch; input and output may be the same buffer.
 *
 * int8: tm_lut_x8 (tinymem/lut.h) with a 256-entry table computed at compile time with TFLM's
 * fixed-point algorithm (input scaled to Q4.27, gemmlowp tanh, output Q0.7, no zero point).
 */
#ifndef TINYMEM_TANH_H
#define TINYMEM_TANH_H

#include "tinymem/lut.h"
#include "tinymem/types.h"

/* float32: tanh within ~2 ulp (tinymem/fast_exp.h). size >= 0. */
tm_status tm_tanh_f32(int32_t size, const float *input, float *output);

#endif /* TINYMEM_TANH_H */
