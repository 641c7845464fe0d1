/*
 * PRelu (TFLite PRELU, ONNX PRelu): y = x >= 0 ? x : alpha * x.
 *
 * input and output: `size` elements (any shape, same for both). alpha: `period` elements that
 * repeat along the flat output: element i uses alpha[i % period] (per-channel alpha of an NHWC
 * tensor: period = C; the compiler materialises other broadcasts). size is a multiple of period.
 *
 * Quantized (TFLM semantics): v = x + input_offset;
 *   v >= 0: y = output_offset + MBQM(v, multiplier_pos, shift_pos)
 *   v <  0: y = output_offset + MBQM(v * (alpha + alpha_offset), multiplier_neg, shift_neg)
 * clamped to the output type. No scratch.
 */
#ifndef TINYMEM_PRELU_H
#define TINYMEM_PRELU_H

#include "tinymem/int_access.h"
#include "tinymem/requant_fast.h"
#include "tinymem/types.h"

typedef struct {
    int32_t size;   /* elements of input and output, >= 0 */
    int32_t period; /* elements of alpha, >= 1, divides size */
} tm_prelu_dims;

typedef struct {
    int32_t input_offset;   /* -input zero point */
    int32_t alpha_offset;   /* -alpha zero point */
    int32_t output_offset;  /* output zero point */
    int32_t multiplier_pos; /* Q31 of in_scale / out_scale */
    int32_t shift_pos;      /* in [-31, 30] */
    int32_t multiplier_neg; /* Q31 of in_scale * alpha_scale / out_scale */
    int32_t shift_neg;      /* in [-31, 30] */
} tm_prelu_params;

/* int8 input, int8 alpha, int8 output. */
tm_status tm_prelu_s8(const tm_prelu_dims *dims, const tm_prelu_params *params,
                      const int8_t *input, const int8_t *alpha, int8_t *output);

/* int16 input, int8 alpha, int16 output. */
tm_status tm_prelu_s16(const tm_prelu_dims *dims, const tm_prelu_params *params,
                       const int16_t *input, const int8_t *alpha, int16_t *output);

/* float32. */
tm_status tm_prelu_f32(const tm_prelu_dims *dims, const float *input, const float *alpha,
                       float *output);

/* ---- shared by the kernels (not part of the API) ------------------------------------------ */

/* Body of tm_prelu_s8 / tm_prelu_s16 for input and output `type` TM_S8 or TM_S16 (a constant;
 * see int_access.h), bit-exact with TFLM's BroadcastPrelu4DSlow. */
static inline tm_status tm__prelu_int(const tm_prelu_dims *dims, const tm_prelu_params *params,
                                      const void *input, const int8_t *alpha, void *output,
                                      tm_dtype type)
{
    const int32_t size = dims->size, period = dims->period;
    const int32_t in_off = params->input_offset, a_off = params->alpha_offset;
    const int32_t out_off = params->output_offset;
    const int32_t lo = tm_int_min(type), hi = tm_int_max(type);
    tm_requant_fast pos, neg;
    if (size < 0 || period < 1 || size % period != 0)
        return TM_ERR_SHAPE;
    if (params->shift_pos < -31 || params->shift_pos > 30 || params->shift_neg < -31 ||
        params->shift_neg > 30 || params->multiplier_pos == INT32_MIN ||
        params->multiplier_neg == INT32_MIN)
        return TM_ERR_PARAM;
    pos = tm_requant_fast_make(params->multiplier_pos, (int)params->shift_pos);
    neg = tm_requant_fast_make(params->multiplier_neg, (int)params->shift_neg);
    for (int32_t base = 0; base < size; base += period) {
        for (int32_t c = 0; c < period; ++c) {
            const int32_t v = tm_int_load(input, (size_t)(base + c), type) + in_off;
            int32_t y = v >= 0 ? tm_requant_fast_apply(&pos, v)
                               : tm_requant_fast_apply(&neg, v * (alpha[c] + a_off));
            y += out_off;
            y = y < lo ? lo : y;
            y = y > hi ? hi : y;
            tm_int_store(output, (size_t)(base + c), y, type);
        }
    }
    return TM_OK;
}

#endif /* TINYMEM_PRELU_H */
