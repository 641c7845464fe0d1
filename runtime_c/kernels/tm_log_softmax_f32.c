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
        const float max = tm_row_max(in, depth);
        const float log_sum = logf(tm_exp_row_sum(in, depth, max, 1.0f, NULL));
        for (int32_t c = 0; c < depth; ++c)
            out[c] = in[c] - max - log_sum;
    }
    return TM_OK;
}
