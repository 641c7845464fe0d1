/*
 * HardSwish (TFLite HARD_SWISH, ONNX HardSwish): y = x * relu6(x + 3) / 6, elementwise over
 * flat arrays of `size` elements (any shape). No scratch; input and output may be the same.
 *
 * int8: tm_lut_x8 (tinymem/lut.h) with a 256-entry table computed at compile time with TFLM's
 * int16 fixed-point algorithm (HardSwishParams: hires input, reluish multiplier, output shift).
 */
#ifndef TINYMEM_HARD_SWISH_H
#define TINYMEM_HARD_SWISH_H

#include "tinymem/lut.h"
#include "tinymem/types.h"

/* float32: x * min(6, max(0, x + 3)) / 6. size >= 0. */
tm_status tm_hard_swish_f32(int32_t size, const float *input, float *output);

#endif /* TINYMEM_HARD_SWISH_H */
