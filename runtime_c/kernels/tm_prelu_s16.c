/* int16 PRelu with int8 alpha, bit-exact with TFLM's BroadcastPrelu4DSlow. */
#include "tinymem/prelu.h"
#include "tinymem/requant_fast.h"

tm_status tm_prelu_s16(const tm_prelu_dims *dims, const tm_prelu_params *params,
                       const int16_t *input, const int8_t *alpha, int16_t *output)
{
    const int32_t size = dims->size, period = dims->period;
    const int32_t in_off = params->input_offset, a_off = params->alpha_offset;
    const int32_t out_off = params->output_offset;
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
        const int16_t *in = input + base;
        int16_t *out = output + base;
        for (int32_t c = 0; c < period; ++c) {
            const int32_t v = in[c] + in_off;
            int32_t y = v >= 0 ? tm_requant_fast_apply(&pos, v)
                               : tm_requant_fast_apply(&neg, v * (alpha[c] + a_off));
            y += out_off;
            y = y < -32768 ? -32768 : y;
            y = y > 32767 ? 32767 : y;
            out[c] = (int16_t)y;
        }
    }
    return TM_OK;
}
