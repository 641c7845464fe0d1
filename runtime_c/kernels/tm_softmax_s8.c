/* int8 Softmax -> int8, bit-exact with TFLM's reference_ops::Softmax; the fixed-point exp
 * of every possible input difference comes from a compile-time table. */
#include "tinymem/fixedpoint.h"
#include "tinymem/softmax.h"

tm_status tm_softmax_s8(const tm_softmax_params_s8 *params, const int8_t *input, int8_t *output)
{
    const int32_t outer = params->outer, depth = params->depth;
    const int32_t *table = params->exp_table;
    if (outer < 0 || depth < 1)
        return TM_ERR_SHAPE;
    for (int32_t r = 0; r < outer; ++r) {
        const int8_t *in = input + (size_t)r * (size_t)depth;
        int8_t *out = output + (size_t)r * (size_t)depth;
        int32_t max = -128;
        for (int32_t c = 0; c < depth; ++c)
            max = in[c] > max ? in[c] : max;
        /* Q12.19 sum of the exps (gemmlowp's wrapping FixedPoint addition) */
        uint32_t sum = 0;
        for (int32_t c = 0; c < depth; ++c)
            sum += (uint32_t)tm_rounding_divide_by_pot(table[max - in[c]], 12);
        int bits_over_unit;
        const int32_t scale = tm_get_reciprocal((int32_t)sum, 12, &bits_over_unit);
        const int exponent = bits_over_unit + 31 - 8;
        if (exponent < 0 || exponent > 31)
            return TM_ERR_UNSUPPORTED;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t e = table[max - in[c]];
            int32_t y = tm_rounding_divide_by_pot(tm_sat_rounding_doubling_high_mul(scale, e), exponent)
                        + (-128);
            y = y > 127 ? 127 : y;
            out[c] = (int8_t)y;
        }
    }
    return TM_OK;
}
