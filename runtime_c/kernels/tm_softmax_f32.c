/* float32 Softmax over the last axis, same operation order as TFLM's reference: the row max,
 * e = exp((x - max) * beta) summed in order, e / sum. exp from tinymem/fast_exp.h (about
 * 1 ulp); blocks of four values so the compiler vectorizes them. */
#include "tinymem/fast_exp.h"
#include "tinymem/softmax.h"

tm_status tm_softmax_f32(const tm_softmax_params_f32 *params, const float *input, float *output)
{
    const int32_t outer = params->outer, depth = params->depth;
    if (outer < 0 || depth < 1)
        return TM_ERR_SHAPE;
    for (int32_t r = 0; r < outer; ++r) {
        const float *in = input + (size_t)r * (size_t)depth;
        float *out = output + (size_t)r * (size_t)depth;
        const float sum = tm_exp_row_sum(in, depth, tm_row_max(in, depth), params->beta, out);
        float e[4];
        int32_t c;
        for (c = 0; c + 4 <= depth; c += 4) {
            for (int j = 0; j < 4; ++j)
                e[j] = out[c + j] / sum;
            for (int j = 0; j < 4; ++j)
                out[c + j] = e[j];
        }
        for (; c < depth; ++c)
            out[c] = out[c] / sum;
    }
    return TM_OK;
}
