/* float32 Mean: the sums of TFLite Micro's reference kernel, in the same order (bit-identical). */
#include "tinymem/mean.h"

tm_status tm_mean_f32(const tm_mean_dims *dims, const float *input, float *output)
{
    const int32_t outer = dims->outer, reduce = dims->reduce, inner = dims->inner;
    if (outer < 1 || reduce < 1 || inner < 1)
        return TM_ERR_SHAPE;
    const float count = (float)reduce;
    for (int32_t o = 0; o < outer; ++o) {
        const float *in = input + (size_t)o * (size_t)reduce * (size_t)inner;
        float *out = output + (size_t)o * (size_t)inner;
        if (inner == 1) {
            float s = 0.0f;
            for (int32_t r = 0; r < reduce; ++r)
                s += in[r];
            out[0] = s / count;
            continue;
        }
        /* the output row holds the running sums */
        for (int32_t i = 0; i < inner; ++i)
            out[i] = 0.0f;
        for (int32_t r = 0; r < reduce; ++r, in += inner)
            for (int32_t i = 0; i < inner; ++i)
                out[i] += in[i];
        for (int32_t i = 0; i < inner; ++i)
            out[i] /= count;
    }
    return TM_OK;
}
