/* float32 Softmax over the last axis, same operation order as TFLM's reference: the row max,
 * e = exp((x - max) * beta) summed in order, e / sum. exp from tinymem/fast_exp.h (about
 * 1 ulp); blocks of four values so the compiler vectorizes them. */
#include "tinymem/fast_exp.h"
#include "tinymem/softmax.h"

tm_status tm_softmax_f32(const tm_softmax_params_f32 *params, const float *input, float *output)
{
    const int32_t outer = params->outer, depth = params->depth;
    const float beta = params->beta;
    if (outer < 0 || depth < 1)
        return TM_ERR_SHAPE;
    for (int32_t r = 0; r < outer; ++r) {
        const float *in = input + (size_t)r * (size_t)depth;
        float *out = output + (size_t)r * (size_t)depth;
        float max = in[0], sum = 0.0f, d[4], e[4];
        int32_t c;
        for (c = 1; c < depth; ++c)
            max = in[c] > max ? in[c] : max;
        for (c = 0; c + 4 <= depth; c += 4) {
            for (int j = 0; j < 4; ++j)
                d[j] = (in[c + j] - max) * beta;
            tm_fast_expf4(d, e);
            for (int j = 0; j < 4; ++j)
                out[c + j] = e[j];
            sum += e[0];
            sum += e[1];
            sum += e[2];
            sum += e[3];
        }
        if (c < depth) { /* 1..3 left: pad the block */
            const int32_t n = depth - c;
            for (int j = 0; j < 4; ++j)
                d[j] = j < n ? (in[c + j] - max) * beta : 0.0f;
            tm_fast_expf4(d, e);
            for (int j = 0; j < n; ++j) {
                out[c + j] = e[j];
                sum += e[j];
            }
        }
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
