/* float32 Tanh (Cephes' method): odd polynomial for |x| <= 0.625, else
 * 1 - 2 / (exp(2|x|) + 1) with the sign of x; exp from tinymem/fast_exp.h. Within 2e-7 relative
 * of tanh; four values at a time so the compiler vectorizes it. In-place works. */
#include "tinymem/fast_exp.h"
#include "tinymem/tanh.h"

TM_ALWAYS_INLINE void tm_tanh4(const float x[4], float y[4])
{
    float z[4], z2[4], e[4], big[4], small[4];
    int j;
    for (j = 0; j < 4; ++j) {
        z[j] = x[j] < 0.0f ? -x[j] : x[j];
        z2[j] = z[j] + z[j];
    }
    tm_fast_expf4(z2, e);
    for (j = 0; j < 4; ++j)
        big[j] = 1.0f - 2.0f / (e[j] + 1.0f);
    for (j = 0; j < 4; ++j) {
        const float s = x[j] * x[j];
        float p = -5.70498872745e-3f;
        p = p * s + 2.06390887954e-2f;
        p = p * s - 5.37397155531e-2f;
        p = p * s + 1.33314422036e-1f;
        p = p * s - 3.33332819422e-1f;
        small[j] = p * s * x[j] + x[j];
    }
    for (j = 0; j < 4; ++j) {
        const float b = x[j] < 0.0f ? -big[j] : big[j];
        y[j] = z[j] > 0.625f ? b : small[j];
    }
}

tm_status tm_tanh_f32(int32_t size, const float *input, float *output)
{
    float x[4], y[4];
    int32_t i = 0;
    if (size < 0)
        return TM_ERR_SHAPE;
    for (; i + 4 <= size; i += 4) {
        for (int j = 0; j < 4; ++j)
            x[j] = input[i + j];
        tm_tanh4(x, y);
        for (int j = 0; j < 4; ++j)
            output[i + j] = y[j];
    }
    if (i < size) { /* 1..3 left: pad the block */
        const int32_t n = size - i;
        for (int j = 0; j < 4; ++j)
            x[j] = j < n ? input[i + j] : 0.0f;
        tm_tanh4(x, y);
        for (int j = 0; j < n; ++j)
            output[i + j] = y[j];
    }
    return TM_OK;
}
