/* int16 LeakyRelu, bit-exact with TFLM's QuantizeLeakyRelu<int16_t>. */
#include "tinymem/leaky_relu.h"
#include "tinymem/requant_fast.h"

tm_status tm_leaky_relu_s16(int32_t size, const tm_leaky_relu_params_s16 *params,
                            const int16_t *input, int16_t *output)
{
    const int32_t in_off = params->input_offset, out_off = params->output_offset;
    /* TFLM multiplies by |alpha multiplier| and negates the result when alpha < 0 */
    const int negate = params->alpha_multiplier < 0;
    tm_requant_fast pos, neg;
    if (size < 0)
        return TM_ERR_SHAPE;
    if (params->identity_shift < -31 || params->identity_shift > 30 || params->alpha_shift < -31 ||
        params->alpha_shift > 30 || params->identity_multiplier == INT32_MIN ||
        params->alpha_multiplier == INT32_MIN)
        return TM_ERR_PARAM;
    pos = tm_requant_fast_make(params->identity_multiplier, (int)params->identity_shift);
    neg = tm_requant_fast_make(negate ? -params->alpha_multiplier : params->alpha_multiplier,
                               (int)params->alpha_shift);
    for (int32_t i = 0; i < size; ++i) {
        const int32_t v = input[i] + in_off;
        int32_t y;
        if (v >= 0) {
            y = out_off + tm_requant_fast_apply(&pos, v);
        } else {
            const int32_t a = tm_requant_fast_apply(&neg, v);
            y = out_off + (negate ? -a : a);
        }
        y = y < -32768 ? -32768 : y;
        y = y > 32767 ? 32767 : y;
        output[i] = (int16_t)y;
    }
    return TM_OK;
}
