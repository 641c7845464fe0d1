/* int8 SVDF with 16-bit time weights and state, bit-exact with TFLM (see tinymem/svdf.h). */
#include <string.h>

#include "tinymem/fixedpoint.h"
#include "tinymem/svdf.h"

tm_status tm_svdf_s8_s16(const tm_svdf_dims *dims, const tm_svdf_params_s8 *p, const int8_t *input,
               const int8_t *weights_feature, const int16_t *weights_time, int16_t *state,
               int8_t *output)
{
    const int32_t nb = dims->batches, ni = dims->n_input, nf = dims->n_filter, nm = dims->n_memory;
    const int32_t rank = dims->rank;
    const int32_t szp = p->state_zero_point, ozp = p->output_zero_point;
    if (nb < 1 || ni < 1 || nf < 1 || nm < 1 || rank < 1 || nf % rank != 0)
        return TM_ERR_SHAPE;
    if (szp < -32768 || szp > 32767 || ozp < -128 || ozp > 127)
        return TM_ERR_PARAM;
    for (int32_t b = 0; b < nb; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)ni;
        int16_t *s = state + (size_t)b * (size_t)nf * (size_t)nm;
        /* shift every filter's memory left by one (the whole batch row at once, as TFLM) */
        memmove(s, s + 1, ((size_t)nf * (size_t)nm - 1) * sizeof(int16_t));
        for (int32_t f = 0; f < nf; ++f) {
            const int8_t *w = weights_feature + (size_t)f * (size_t)ni;
            uint32_t acc = (uint32_t)p->feature_offset[f];
            for (int32_t c = 0; c < ni; ++c)
                acc += (uint32_t)(w[c] * x[c]);
            int32_t v = tm_multiply_by_quantized_multiplier((int32_t)acc, p->feature_multiplier,
                                                            p->feature_shift) + szp;
            v = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
            s[(size_t)f * (size_t)nm + (size_t)(nm - 1)] = (int16_t)v;
        }
        int8_t *y = output + (size_t)b * (size_t)(nf / rank);
        for (int32_t u = 0; u < nf / rank; ++u) {
            uint32_t acc = (uint32_t)p->unit_bias[u];
            for (int32_t f = u * rank; f < (u + 1) * rank; ++f) {
                const int16_t *wt = weights_time + (size_t)f * (size_t)nm;
                const int16_t *sf = s + (size_t)f * (size_t)nm;
                for (int32_t m = 0; m < nm; ++m)
                    acc += (uint32_t)((int32_t)wt[m] * (int32_t)sf[m]);
            }
            int32_t v = tm_multiply_by_quantized_multiplier((int32_t)acc, p->output_multiplier,
                                                            p->output_shift) + ozp;
            y[u] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
        }
    }
    return TM_OK;
}
