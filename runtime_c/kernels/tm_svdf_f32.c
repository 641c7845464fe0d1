/* float32 SVDF in TFLM's summation order (see tinymem/svdf.h). */
#include <math.h>

#include "tinymem/svdf.h"

static inline float tm_svdf_act(int32_t act, float a)
{
    switch (act) {
    case 1: return a > 0.0f ? a : 0.0f;
    case 2: return a < -1.0f ? -1.0f : a > 1.0f ? 1.0f : a;
    case 3: return a < 0.0f ? 0.0f : a > 6.0f ? 6.0f : a;
    case 4: return tanhf(a);
    case 5: return signbit(a) ? 1.0f : 0.0f;
    default: return a;
    }
}

tm_status tm_svdf_f32(const tm_svdf_dims *dims, const tm_svdf_params_f32 *p, const float *input,
                      const float *weights_feature, const float *weights_time, const float *bias,
                      float *state, float *output)
{
    const int32_t nb = dims->batches, ni = dims->n_input, nf = dims->n_filter, nm = dims->n_memory;
    const int32_t rank = dims->rank;
    if (nb < 1 || ni < 1 || nf < 1 || nm < 1 || rank < 1 || nf % rank != 0)
        return TM_ERR_SHAPE;
    if (p->act < 0 || p->act > 5)
        return TM_ERR_PARAM;
    for (int32_t b = 0; b < nb; ++b) {
        const float *x = input + (size_t)b * (size_t)ni;
        float *s = state + (size_t)b * (size_t)nf * (size_t)nm;
        for (size_t i = 0; i + 1 < (size_t)nf * (size_t)nm; ++i) /* shift left by one (forward) */
            s[i] = s[i + 1];
        /* feature products, sixteen filters at a time in four groups of local accumulators; each
         * filter summed over c in order (as TFLM) */
        int32_t f = 0;
        for (; f + 16 <= nf; f += 16) {
            float a0[4], a1[4], a2[4], a3[4];
            int r;
            for (r = 0; r < 4; ++r)
                a0[r] = a1[r] = a2[r] = a3[r] = 0.0f;
            const float *w = weights_feature + f;
            for (int32_t c = 0; c < ni; ++c, w += nf) {
                const float xc = x[c];
                for (r = 0; r < 4; ++r)
                    a0[r] += w[r] * xc;
                for (r = 0; r < 4; ++r)
                    a1[r] += w[4 + r] * xc;
                for (r = 0; r < 4; ++r)
                    a2[r] += w[8 + r] * xc;
                for (r = 0; r < 4; ++r)
                    a3[r] += w[12 + r] * xc;
            }
            for (r = 0; r < 4; ++r) {
                s[(size_t)(f + r) * (size_t)nm + (size_t)(nm - 1)] = a0[r];
                s[(size_t)(f + 4 + r) * (size_t)nm + (size_t)(nm - 1)] = a1[r];
                s[(size_t)(f + 8 + r) * (size_t)nm + (size_t)(nm - 1)] = a2[r];
                s[(size_t)(f + 12 + r) * (size_t)nm + (size_t)(nm - 1)] = a3[r];
            }
        }
        for (; f < nf; ++f) {
            float acc = 0.0f;
            const float *w = weights_feature + f;
            for (int32_t c = 0; c < ni; ++c, w += nf)
                acc += w[0] * x[c];
            s[(size_t)f * (size_t)nm + (size_t)(nm - 1)] = acc;
        }
        float *y = output + (size_t)b * (size_t)(nf / rank);
        for (int32_t u = 0; u < nf / rank; ++u) {
            float acc = bias ? bias[u] : 0.0f;
            for (int32_t fu = u * rank; fu < (u + 1) * rank; ++fu) {
                const float *wt = weights_time + (size_t)fu * (size_t)nm;
                const float *sf = s + (size_t)fu * (size_t)nm;
                float dot = 0.0f;
                for (int32_t m = 0; m < nm; ++m)
                    dot += wt[m] * sf[m];
                acc += dot;
            }
            y[u] = tm_svdf_act(p->act, acc);
        }
    }
    return TM_OK;
}
