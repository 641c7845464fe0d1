/* float32 PRelu. Blocks of 4 channels go through a local buffer so that the compiler
 * vectorizes them (in-place works). */
#include "tinymem/prelu.h"

tm_status tm_prelu_f32(const tm_prelu_dims *dims, const float *input, const float *alpha,
                       float *output)
{
    const int32_t size = dims->size, period = dims->period;
    if (size < 0 || period < 1 || size % period != 0)
        return TM_ERR_SHAPE;
    for (int32_t base = 0; base < size; base += period) {
        const float *in = input + base;
        float *out = output + base;
        int32_t c = 0;
        for (; c + 4 <= period; c += 4) {
            float t[4], n[4];
            for (int j = 0; j < 4; ++j)
                t[j] = in[c + j];
            for (int j = 0; j < 4; ++j)
                n[j] = t[j] * alpha[c + j];
            for (int j = 0; j < 4; ++j)
                t[j] = t[j] >= 0.0f ? t[j] : n[j];
            for (int j = 0; j < 4; ++j)
                out[c + j] = t[j];
        }
        for (; c < period; ++c) {
            const float v = in[c];
            out[c] = v >= 0.0f ? v : v * alpha[c];
        }
    }
    return TM_OK;
}
