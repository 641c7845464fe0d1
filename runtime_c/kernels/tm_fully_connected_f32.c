/* float32 FullyConnected (accumulation order as TFLite Micro's reference kernel). */
#include "tinymem/fully_connected.h"

tm_status tm_fully_connected_f32(const tm_fc_dims *dims, const tm_act_f32 *act, const float *input,
                                 const float *weights, const float *bias, float *output)
{
    const int32_t depth = dims->depth, out_depth = dims->out_depth;
    if (depth < 1 || out_depth < 1 || dims->batches < 1)
        return TM_ERR_SHAPE;
    for (int32_t b = 0; b < dims->batches; ++b) {
        const float *in = input + (size_t)b * depth;
        for (int32_t o = 0; o < out_depth; ++o) {
            const float *w = weights + (size_t)o * depth;
            float acc = 0.0f;
            for (int32_t d = 0; d < depth; ++d)
                acc += in[d] * w[d];
            if (bias)
                acc += bias[o];
            acc = acc < act->min ? act->min : acc;
            acc = acc > act->max ? act->max : acc;
            output[(size_t)b * out_depth + o] = acc;
        }
    }
    return TM_OK;
}
