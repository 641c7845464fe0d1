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

#include "tinymem/int_access.h"
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

/* ---- shared by the kernels (not part of the API) ------------------------------------------ */

/* Body of tm_dequantize_s8 / _u8 / _s16 for input `type` TM_S8, TM_U8 or TM_S16 (a constant;
 * see int_access.h). Blocks of 16 bytes of input go through a local buffer so that the compiler
 * vectorizes them. */
static inline tm_status tm__dequantize_int(int32_t size, const tm_dequantize_params *params,
                                           const void *input, tm_dtype type, float *output)
{
    const float scale = params->scale;
    const int32_t zp = params->zero_point;
    const int32_t block = 16 / (int32_t)tm_int_size(type);
    int32_t i = 0;
    if (size < 0)
        return TM_ERR_SHAPE;
    for (; i + block <= size; i += block) {
        float t[16];
        for (int32_t j = 0; j < block; ++j)
            t[j] = scale * (float)(tm_int_load(input, (size_t)(i + j), type) - zp);
        for (int32_t j = 0; j < block; ++j)
            output[i + j] = t[j];
    }
    for (; i < size; ++i)
        output[i] = scale * (float)(tm_int_load(input, (size_t)i, type) - zp);
    return TM_OK;
}

#endif /* TINYMEM_DEQUANTIZE_H */
