/* float32 Logistic with TFLM's reference cut-offs: 1 above 16.619047, exp(x) below -9, else
 * 1 / (1 + exp(-x)); exp from tinymem/fast_exp.h (about 1 ulp), four values at a time so the
 * compiler vectorizes it. In-place works. */
#include "tinymem/fast_exp.h"
#include "tinymem/logistic.h"

TM_ALWAYS_INLINE void tm_logistic4(const float v[4], float y[4])
{
    float a[4], e[4], q[4];
    int j;
    for (j = 0; j < 4; ++j)
        a[j] = v[j] < -9.0f ? v[j] : -v[j];
    tm_fast_expf4(a, e);
    for (j = 0; j < 4; ++j)
        q[j] = 1.0f / (1.0f + e[j]);
    for (j = 0; j < 4; ++j)
        y[j] = v[j] > 16.619047164916992188f ? 1.0f : v[j] < -9.0f ? e[j] : q[j];
}

tm_status tm_logistic_f32(int32_t size, const float *input, float *output)
{
    float v[4], y[4];
    int32_t i = 0;
    if (size < 0)
        return TM_ERR_SHAPE;
    for (; i + 4 <= size; i += 4) {
        for (int j = 0; j < 4; ++j)
            v[j] = input[i + j];
        tm_logistic4(v, y);
        for (int j = 0; j < 4; ++j)
            output[i + j] = y[j];
    }
    if (i < size) { /* 1..3 left: pad the block */
        const int32_t n = size - i;
        for (int j = 0; j < 4; ++j)
            v[j] = j < n ? input[i + j] : 0.0f;
        tm_logistic4(v, y);
        for (int j = 0; j < n; ++j)
            output[i + j] = y[j];
    }
    return TM_OK;
}
