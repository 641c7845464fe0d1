/* int8 MUL, bit-exact with TFLite Micro's reference kernel (see elementwise.h). */
#include "tinymem/elementwise.h"
#include "tinymem/fixedpoint.h"

tm_status tm_mul_s8(const tm_bcast *bc, const tm_mul_params *params, const int8_t *input1,
                    const int8_t *input2, int8_t *output)
{
    const int32_t rows = tm_bcast_rows(bc);
    const int32_t off1 = params->input1_offset, off2 = params->input2_offset;
    const int32_t mult = params->output_multiplier, zp = params->output_offset;
    const int32_t lo = params->act.min, hi = params->act.max;
    const int shift = params->output_shift;
    int32_t idx[TM_BCAST_MAX_RANK] = {0};
    size_t o1 = 0, o2 = 0;
    if (rows < 0)
        return TM_ERR_SHAPE;
    if (shift < -31 || shift > 30 || off1 < -128 || off1 > 128 || off2 < -128 || off2 > 128)
        return TM_ERR_PARAM;
    {
        const int32_t n = bc->shape[bc->rank - 1];
        const int32_t s1 = bc->stride1[bc->rank - 1], s2 = bc->stride2[bc->rank - 1];
        for (int32_t r = 0; r < rows; ++r) {
            const int8_t *a = input1 + o1, *b = input2 + o2;
            int8_t *y = output + (size_t)r * (size_t)n;
            for (int32_t i = 0; i < n; ++i) {
                /* the product of two offset values fits in int32 (TFLM computes it there) */
                const int32_t prod = (a[i * s1] + off1) * (b[i * s2] + off2);
                int32_t v = tm_multiply_by_quantized_multiplier(prod, mult, shift) + zp;
                v = v < lo ? lo : v;
                v = v > hi ? hi : v;
                y[i] = (int8_t)v;
            }
            tm_bcast_next_row(bc, idx, &o1, &o2);
        }
    }
    return TM_OK;
}
