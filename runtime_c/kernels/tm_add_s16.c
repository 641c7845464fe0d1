/* int16 ADD and SUB, bit-exact with TFLite Micro's reference kernels (general scale path). */
#include "tinymem/elementwise.h"
#include "tinymem/fixedpoint.h"

/* One input: (q + offset) << 15 scaled by its multiplier (fits: |q + offset| < 2^16). */
static inline int32_t tm_add_s16_in(int32_t q, int32_t offset, int32_t mult, int shift)
{
    return tm_multiply_by_quantized_multiplier_smaller_than_one_exp((q + offset) * (1 << 15), mult,
                                                                     shift);
}

tm_status tm_add_s16(const tm_bcast *bc, const tm_add_params_s16 *params, const int16_t *input1,
                     const int16_t *input2, int16_t *output)
{
    const int32_t rows = tm_bcast_rows(bc);
    const tm_add_params_s16 p = *params;
    int32_t idx[TM_BCAST_MAX_RANK] = {0};
    size_t o1 = 0, o2 = 0;
    if (rows < 0)
        return TM_ERR_SHAPE;
    if (p.input1_shift > 0 || p.input2_shift > 0 || p.output_shift > 0 || p.input1_shift < -31 ||
        p.input2_shift < -31 || p.output_shift < -31 || p.input1_offset < -32767 ||
        p.input1_offset > 32767 || p.input2_offset < -32767 || p.input2_offset > 32767)
        return TM_ERR_PARAM;
    {
        const int32_t n = bc->shape[bc->rank - 1];
        const int32_t s1 = bc->stride1[bc->rank - 1], s2 = bc->stride2[bc->rank - 1];
        for (int32_t r = 0; r < rows; ++r) {
            const int16_t *a = input1 + o1, *b = input2 + o2;
            int16_t *y = output + (size_t)r * (size_t)n;
            for (int32_t i = 0; i < n; ++i) {
                const int32_t x1 = tm_add_s16_in(a[i * s1], p.input1_offset, p.input1_multiplier,
                                                 p.input1_shift);
                const int32_t x2 = tm_add_s16_in(b[i * s2], p.input2_offset, p.input2_multiplier,
                                                 p.input2_shift);
                /* |x1|, |x2| < 2^31 / 2: the sum or difference fits */
                const int32_t raw = p.subtract ? x1 - x2 : x1 + x2;
                int32_t v = tm_multiply_by_quantized_multiplier_smaller_than_one_exp(
                                raw, p.output_multiplier, p.output_shift) +
                            p.output_offset;
                v = v < p.act.min ? p.act.min : v;
                v = v > p.act.max ? p.act.max : v;
                y[i] = (int16_t)v;
            }
            tm_bcast_next_row(bc, idx, &o1, &o2);
        }
    }
    return TM_OK;
}
