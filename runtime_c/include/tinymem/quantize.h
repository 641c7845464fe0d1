/*
 * Quantize / requantize (TFLite QUANTIZE, ONNX QuantizeLinear), elementwise over flat arrays of
 * `size` elements (any shape). No scratch.
 *
 * float32 -> integer (TFLM AffineQuantize): q = (int32)roundf(x / scale) + zero_point, clamped;
 *   roundf ties away from zero; NaN and |x / scale| >= 2^31 give INT32_MIN before the zero
 *   point is added (wrapping), as TFLM on x86-64.
 * integer -> integer (TFLM Requantize):
 *   y = clamp(MBQM(x + input_offset, multiplier, shift) + output_offset), int32 wrap-around.
 * 8-bit -> 8-bit requantization runs tm_lut_x8 (tinymem/lut.h) with a 256-entry table.
 */
#ifndef TINYMEM_QUANTIZE_H
#define TINYMEM_QUANTIZE_H

#include "tinymem/lut.h"
#include "tinymem/types.h"

typedef struct {
    float scale;        /* output scale, > 0 */
    int32_t zero_point; /* output zero point, within the output type */
} tm_quantize_params_f32;

typedef struct {
    int32_t input_offset;  /* -input zero point */
    int32_t output_offset; /* output zero point */
    int32_t multiplier;    /* Q31 of in_scale / out_scale */
    int32_t shift;         /* in [-31, 30], > 0 is a left shift */
    tm_dtype input_type;   /* TM_S8, TM_U8, TM_S16 or TM_S32 */
    tm_dtype output_type;  /* TM_S8, TM_U8, TM_S16 or TM_S32 */
} tm_requantize_params;

/* float32 -> int8 / uint8 / int16. size >= 0. */
tm_status tm_quantize_f32_s8(int32_t size, const tm_quantize_params_f32 *params,
                             const float *input, int8_t *output);
tm_status tm_quantize_f32_u8(int32_t size, const tm_quantize_params_f32 *params,
                             const float *input, uint8_t *output);
tm_status tm_quantize_f32_s16(int32_t size, const tm_quantize_params_f32 *params,
                              const float *input, int16_t *output);

/* Integer -> integer requantization between the types named in params. size >= 0. */
tm_status tm_quantize_int(int32_t size, const tm_requantize_params *params, const void *input,
                          void *output);

#endif /* TINYMEM_QUANTIZE_H */
