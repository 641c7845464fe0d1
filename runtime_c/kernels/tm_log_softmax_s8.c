/* int8 LogSoftmax, bit-exact with TFLM's LogSoftmaxQuantized; the fixed-point exp and Q5.26
 * value of every possible input difference come from compile-time tables. */
#include "tinymem/fixedpoint.h"
#include "tinymem/log_softmax.h"

tm_status tm_log_softmax_s8(const tm_log_softmax_params_s8 *params, const int8_t *input,
                            int8_t *output)
{
    const int32_t outer = params->outer, depth = params->depth;
    const int32_t *exp_q12 = params->exp_q12, *diff_q5 = params->diff_q5;
    if (outer < 0 || depth < 1)
        return TM_ERR_SHAPE;
    if (params->reverse_shift < -31 || params->reverse_shift > 0)
        return TM_ERR_PARAM;
    for (int32_t r = 0; r < outer; ++r) {
        const int8_t *in = input + (size_t)r * (size_t)depth;
        int8_t *out = output + (size_t)r * (size_t)depth;
        int32_t max = -128;
        for (int32_t c = 0; c < depth; ++c)
            max = in[c] > max ? in[c] : max;
        uint32_t sum = 0; /* Q12.19, wrapping like gemmlowp's FixedPoint addition */
        for (int32_t c = 0; c < depth; ++c)
            sum += (uint32_t)exp_q12[max - in[c]];
        const int32_t log_sum = tm_log_x_for_x_greater_than_or_equal_to_1((int32_t)sum, 12, 5);
        /* log_sum >= 0, so log_sum + INT32_MIN does not overflow */
        const int32_t limit = tm_multiply_by_quantized_multiplier(
            log_sum + INT32_MIN, params->reverse_divisor, (int)params->reverse_shift);
        /* d > adjusted  <=>  k < -adjusted, with k = max - x */
        const int32_t adjusted = params->diff_min - 1 > limit ? params->diff_min - 1 : limit;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t k = max - in[c];
            int32_t y = -128;
            if (-k > adjusted) {
                y = tm_rounding_divide_by_pot(tm_wrap_sub(diff_q5[k], log_sum), 22) + 127;
                y = y < -128 ? -128 : y;
                y = y > 127 ? 127 : y;
            }
            out[c] = (int8_t)y;
        }
    }
    return TM_OK;
}
