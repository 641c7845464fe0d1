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

#include "tinymem/int_access.h"
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

/* ---- shared by the kernels (not part of the API) ------------------------------------------ */

/* One element of tm_quantize_f32_*: (int32)roundf(x / scale) + zp, clamped to [lo, hi].
 * roundf (ties away from zero) is computed from the truncation: |q| < 2^23 makes q - trunc(q)
 * exact and larger floats are integers. NaN and |q| >= 2^31 give INT32_MIN, like x86's
 * cvttss2si, without C undefined behaviour; the zero point is added with int32 wrap-around. */
static inline int32_t tm__quantize_f32_one(float x, float scale, uint32_t zp, int32_t lo,
                                           int32_t hi)
{
    const float q = x / scale;
    int32_t r = INT32_MIN;
    if ((q >= -2147483648.0f) & (q < 2147483648.0f)) {
        r = (int32_t)q;
        const float frac = q - (float)r;
        r += (frac >= 0.5f) - (frac <= -0.5f);
    }
    const int32_t v = (int32_t)((uint32_t)r + zp);
    return v < lo ? lo : v > hi ? hi : v;
}

/* Body of tm_quantize_f32_s8 / _u8 / _s16 for output `type` TM_S8, TM_U8 or TM_S16 (a
 * constant; see int_access.h): tm__quantize_f32_one for every element, blocks of four through
 * local arrays, branch-free, so the compiler vectorizes them. */
static inline tm_status tm__quantize_f32(int32_t size, const tm_quantize_params_f32 *params,
                                         const float *input, void *output, tm_dtype type)
{
    const float scale = params->scale;
    const uint32_t zp = (uint32_t)params->zero_point;
    const int32_t lo = tm_int_min(type), hi = tm_int_max(type);
    int32_t i = 0;
    if (size < 0)
        return TM_ERR_SHAPE;
    for (; i + 4 <= size; i += 4) {
        float q[4], y[4];
        int32_t ok[4], r[4];
        for (int j = 0; j < 4; ++j)
            q[j] = input[i + j] / scale;
        for (int j = 0; j < 4; ++j)
            ok[j] = (q[j] >= -2147483648.0f) & (q[j] < 2147483648.0f);
        for (int j = 0; j < 4; ++j)
            y[j] = ok[j] ? q[j] : 0.0f;
        for (int j = 0; j < 4; ++j)
            r[j] = (int32_t)y[j];
        for (int j = 0; j < 4; ++j) {
            const float frac = y[j] - (float)r[j];
            r[j] += (frac >= 0.5f) - (frac <= -0.5f);
        }
        for (int j = 0; j < 4; ++j) {
            int32_t v = (int32_t)((uint32_t)(ok[j] ? r[j] : INT32_MIN) + zp);
            v = v < lo ? lo : v;
            r[j] = v > hi ? hi : v;
        }
        for (int j = 0; j < 4; ++j)
            tm_int_store(output, (size_t)(i + j), r[j], type);
    }
    for (; i < size; ++i)
        tm_int_store(output, (size_t)i, tm__quantize_f32_one(input[i], scale, zp, lo, hi), type);
    return TM_OK;
}

#endif /* TINYMEM_QUANTIZE_H */
