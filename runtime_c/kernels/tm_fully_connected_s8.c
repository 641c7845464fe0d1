/* int8 FullyConnected, bit-exact with TFLite Micro's reference integer kernel. */
#include "tinymem/fixedpoint.h"
#include "tinymem/fully_connected.h"

tm_status tm_fully_connected_s8(const tm_fc_dims *dims, const tm_fc_params_s8 *params,
                                const int8_t *input, const int8_t *weights, const int32_t *bias,
                                int8_t *output)
{
    const int32_t depth = dims->depth, out_depth = dims->out_depth;
    const int32_t in_off = params->input_offset, w_off = params->weight_offset;
    const int per_channel = params->requant.count > 1;
    if (depth < 1 || out_depth < 1 || dims->batches < 1)
        return TM_ERR_SHAPE;
    if (per_channel && params->requant.count != out_depth)
        return TM_ERR_PARAM;
    for (int32_t b = 0; b < dims->batches; ++b) {
        const int8_t *in = input + (size_t)b * depth;
        /* sum (x + in_off) * (w + w_off) = sum x*w + w_off*sum x + in_off*sum w + d*in_off*w_off */
        int32_t sum_x = 0;
        for (int32_t d = 0; d < depth; ++d)
            sum_x += in[d];
        for (int32_t o = 0; o < out_depth; ++o) {
            const int8_t *w = weights + (size_t)o * depth;
            int32_t acc = 0, sum_w = 0;
            for (int32_t d = 0; d < depth; ++d) {
                acc += (int32_t)in[d] * w[d];
                sum_w += w[d];
            }
            acc += w_off * sum_x + in_off * sum_w + depth * in_off * w_off;
            if (bias)
                acc += bias[o];
            const int ch = per_channel ? o : 0;
            acc = tm_multiply_by_quantized_multiplier(acc, params->requant.multiplier[ch],
                                                      params->requant.shift[ch]);
            acc += params->output_offset;
            acc = acc < params->act.min ? params->act.min : acc;
            acc = acc > params->act.max ? params->act.max : acc;
            output[(size_t)b * out_depth + o] = (int8_t)acc;
        }
    }
    return TM_OK;
}
