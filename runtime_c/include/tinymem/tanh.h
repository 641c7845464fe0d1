/*
 * Tanh (TFLite TANH, ONNX Tanh), elementwise over flat arrays of `size` elements (any shape).
 * No scratch; input and output may be the same buffer.
 *
 * int8: 256-entry lookup table indexed by the input byte, computed at compile time with TFLM's
 * fixed-point algorithm (input scaled to Q4.27, gemmlowp tanh, output Q0.7, no zero point).
 */
#ifndef TINYMEM_TANH_H
#define TINYMEM_TANH_H

#include "tinymem/types.h"

/* int8 -> int8 by table: output[i] = lut[(uint8_t)input[i]]. size >= 0. */
tm_status tm_tanh_s8(int32_t size, const int8_t *lut, const int8_t *input, int8_t *output);

/* float32: tanh within ~2 ulp (tinymem/fast_exp.h). size >= 0. */
tm_status tm_tanh_f32(int32_t size, const float *input, float *output);

#endif /* TINYMEM_TANH_H */
