/*
 * HardSwish (TFLite HARD_SWISH, ONNX HardSwish): y = x * relu6(x + 3) / 6, elementwise over
 * flat arrays of `size` elements (any shape). No scratch; input and output may be the same.
 *
 * int8: 256-entry lookup table indexed by the input byte, computed at compile time with TFLM's
 * int16 fixed-point algorithm (HardSwishParams: hires input, reluish multiplier, output shift).
 */
#ifndef TINYMEM_HARD_SWISH_H
#define TINYMEM_HARD_SWISH_H

#include "tinymem/types.h"

/* int8 -> int8 by table: output[i] = lut[(uint8_t)input[i]]. size >= 0. */
tm_status tm_hard_swish_s8(int32_t size, const int8_t *lut, const int8_t *input, int8_t *output);

/* float32: x * min(6, max(0, x + 3)) / 6. size >= 0. */
tm_status tm_hard_swish_f32(int32_t size, const float *input, float *output);

#endif /* TINYMEM_HARD_SWISH_H */
