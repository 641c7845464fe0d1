/* float32 LogSoftmax over the last axis, same operation order as TFLM's reference:
 * (x - max) - logf(sum exp(x - max)). exp from tinymem/fast_exp.h (about 1 ulp) on blocks of
 * four values so the compiler vectorizes it; one logf per row. */
#include <math.h>

#include "tinymem/fast_exp.h"
#include "tinymem/log_softmax.h"

tm_status tm_log_softmax_f32(const tm_log_softmax_dims *dims, const float *input, float *output)
{
    const int32_t outer = dims->outer, depth = dims->depth;
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
                d[j] = in[c + j] - max;
            tm_fast_expf4(d, e);
            sum += e[0];
            sum += e[1];
            sum += e[2];
            sum += e[3];
        }
        if (c < depth) { /* 1..3 left: pad the block */
            const int32_t n = depth - c;
            for (int j = 0; j < 4; ++j)
                d[j] = j < n ? in[c + j] - max : 0.0f;
            tm_fast_expf4(d, e);
            for (int j = 0; j < n; ++j)
                sum += e[j];
        }
        const float log_sum = logf(sum);
        for (c = 0; c + 4 <= depth; c += 4) {
            for (int j = 0; j < 4; ++j)
                d[j] = in[c + j] - max - log_sum;
            for (int j = 0; j < 4; ++j)
                out[c + j] = d[j];
        }
        for (; c < depth; ++c)
            out[c] = in[c] - max - log_sum;
    }
    return TM_OK;
}
