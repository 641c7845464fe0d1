/* int16 Relu family, bit-exact with TFLM's ReluQuantized<int16_t> / Relu6Quantized<int16_t>. */
#include "tinymem/relu.h"
#include "tinymem/requant_fast.h"

tm_status tm_relu_s16(int32_t size, const tm_relu_params_s16 *params, const int16_t *input,
                      int16_t *output)
{
    const int32_t in_off = params->input_offset, out_off = params->output_offset;
    const int32_t lo = params->act.min, hi = params->act.max;
    tm_requant_fast rq;
    if (size < 0)
        return TM_ERR_SHAPE;
    if (params->shift < -31 || params->shift > 30 || params->multiplier == INT32_MIN)
        return TM_ERR_PARAM;
    rq = tm_requant_fast_make(params->multiplier, (int)params->shift);
    for (int32_t i = 0; i < size; ++i) {
        int32_t v = out_off + tm_requant_fast_apply(&rq, input[i] + in_off);
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        output[i] = (int16_t)v;
    }
    return TM_OK;
}
