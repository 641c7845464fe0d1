/*
 * Body shared by the integer MUL kernels tm_mul_s8 and tm_mul_s16 (declared, with tm_bcast and
 * tm_mul_params, in elementwise.h); not part of the API.
 *
 * output = clamp(MBQM((q1 + input1_offset) * (q2 + input2_offset), multiplier, shift)
 *                + output_offset, act), bit-exact with TFLite Micro's reference kernels.
 * `type` is TM_S8 or TM_S16 (a constant; see int_access.h). The input offsets must be in
 * [-128, 128] for int8 and 0 for int16 (TFLM), so the product of two offset values fits in
 * int32 (TFLM computes it there).
 */
#ifndef TINYMEM_MUL_INT_H
#define TINYMEM_MUL_INT_H

#include "tinymem/elementwise.h"
#include "tinymem/fixedpoint.h"
#include "tinymem/int_access.h"

static inline tm_status tm__mul_int(const tm_bcast *bc, const tm_mul_params *params,
                                    const void *input1, const void *input2, void *output,
                                    tm_dtype type)
{
    const int32_t rows = tm_bcast_rows(bc);
    const int32_t off1 = params->input1_offset, off2 = params->input2_offset;
    const int32_t mult = params->output_multiplier, zp = params->output_offset;
    const int32_t lo = params->act.min, hi = params->act.max;
    const int shift = params->output_shift;
    const int32_t max_off = type == TM_S8 ? 128 : 0;
    int32_t idx[TM_BCAST_MAX_RANK] = {0};
    size_t o1 = 0, o2 = 0;
    if (rows < 0)
        return TM_ERR_SHAPE;
    if (shift < -31 || shift > 30 || off1 < -max_off || off1 > max_off || off2 < -max_off ||
        off2 > max_off)
        return TM_ERR_PARAM;
    {
        const int32_t n = bc->shape[bc->rank - 1];
        const int32_t s1 = bc->stride1[bc->rank - 1], s2 = bc->stride2[bc->rank - 1];
        for (int32_t r = 0; r < rows; ++r) {
            const size_t row = (size_t)r * (size_t)n;
            for (int32_t i = 0; i < n; ++i) {
                const int32_t prod = (tm_int_load(input1, o1 + (size_t)(i * s1), type) + off1) *
                                     (tm_int_load(input2, o2 + (size_t)(i * s2), type) + off2);
                int32_t v = tm_multiply_by_quantized_multiplier(prod, mult, shift) + zp;
                v = v < lo ? lo : v;
                v = v > hi ? hi : v;
                tm_int_store(output, row + (size_t)i, v, type);
            }
            tm_bcast_next_row(bc, idx, &o1, &o2);
        }
    }
    return TM_OK;
}

#endif /* TINYMEM_MUL_INT_H */
