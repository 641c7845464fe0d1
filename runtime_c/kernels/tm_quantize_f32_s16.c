/* float32 -> int16 quantization, as TFLM's AffineQuantize on x86-64:
 * (int32)roundf(x / scale) + zero_point, clamped. roundf (ties away from zero) is computed from
 * the truncation: |q| < 2^23 makes q - trunc(q) exact and larger floats are integers.
 * NaN and |q| >= 2^31 give INT32_MIN, like x86's cvttss2si, without C undefined behaviour.
 * Blocks of four go through local arrays, branch-free, so the compiler vectorizes them. */
#include "tinymem/quantize.h"

static inline int32_t tm_quantize_one_s16(float x, float scale, uint32_t zp)
{
    const float q = x / scale;
    int32_t r = INT32_MIN;
    if ((q >= -2147483648.0f) & (q < 2147483648.0f)) {
        r = (int32_t)q;
        const float frac = q - (float)r;
        r += (frac >= 0.5f) - (frac <= -0.5f);
    }
    const int32_t v = (int32_t)((uint32_t)r + zp);
    return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

tm_status tm_quantize_f32_s16(int32_t size, const tm_quantize_params_f32 *params,
                              const float *input, int16_t *output)
{
    const float scale = params->scale;
    const uint32_t zp = (uint32_t)params->zero_point;
    int32_t i = 0;
    if (size < 0)
        return TM_ERR_SHAPE;
    for (; i + 4 <= size; i += 4) {
        float q[4], y[4];
        int32_t ok[4], r[4];
        for (int j = 0; j < 4; ++j)
            q[j] = input[i + j] / scale;
        for (int j = 0; j < 4; ++j)
            ok[j] = (q[j] >= -2147483648.0f) & (q[j] < 2147483648.0f);
        for (int j = 0; j < 4; ++j)
            y[j] = ok[j] ? q[j] : 0.0f;
        for (int j = 0; j < 4; ++j)
            r[j] = (int32_t)y[j];
        for (int j = 0; j < 4; ++j) {
            const float frac = y[j] - (float)r[j];
            r[j] += (frac >= 0.5f) - (frac <= -0.5f);
        }
        for (int j = 0; j < 4; ++j) {
            int32_t v = (int32_t)((uint32_t)(ok[j] ? r[j] : INT32_MIN) + zp);
            v = v < -32768 ? -32768 : v;
            r[j] = v > 32767 ? 32767 : v;
        }
        for (int j = 0; j < 4; ++j)
            output[i + j] = (int16_t)r[j];
    }
    for (; i < size; ++i)
        output[i] = (int16_t)tm_quantize_one_s16(input[i], scale, zp);
    return TM_OK;
}
