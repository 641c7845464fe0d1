/*
 * Dequantize (TFLite DEQUANTIZE, ONNX DequantizeLinear), elementwise over flat arrays of `size`
 * elements (any shape). No scratch.
 *
 * Integer inputs: y = scale * (float)(x - zero_point), the float32 product, which equals TFLM's
 * (float)(double(scale) * (x - zero_point)) because the double product is exact.
 * float16 input (raw IEEE binary16 bits): exact widening to float32 (subnormals, inf, NaN kept).
 */
#ifndef TINYMEM_DEQUANTIZE_H
#define TINYMEM_DEQUANTIZE_H

#include "tinymem/types.h"

typedef struct {
    float scale;        /* input scale */
    int32_t zero_point; /* input zero point */
} tm_dequantize_params;

/* int8 / uint8 / int16 -> float32. size >= 0. */
tm_status tm_dequantize_s8(int32_t size, const tm_dequantize_params *params,
                           const int8_t *input, float *output);
tm_status tm_dequantize_u8(int32_t size, const tm_dequantize_params *params,
                           const uint8_t *input, float *output);
tm_status tm_dequantize_s16(int32_t size, const tm_dequantize_params *params,
                            const int16_t *input, float *output);

/* float16 (bits) -> float32. size >= 0. */
tm_status tm_dequantize_f16(int32_t size, const uint16_t *input, float *output);

#endif /* TINYMEM_DEQUANTIZE_H */
