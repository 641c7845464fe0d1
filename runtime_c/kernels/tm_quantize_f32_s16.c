/* float32 -> int16 quantization, as TFLM's AffineQuantize on x86-64:
 * (int32)roundf(x / scale) + zero_point, clamped. roundf (ties away from zero) is computed
 * inline from the truncation: |q| < 2^23 makes q - trunc(q) exact, larger floats are integers.
 * NaN and |q| >= 2^31 give INT32_MIN, like x86's cvttss2si, without C undefined behaviour. */
#include "tinymem/quantize.h"

tm_status tm_quantize_f32_s16(int32_t size, const tm_quantize_params_f32 *params,
                              const float *input, int16_t *output)
{
    const float scale = params->scale;
    const uint32_t zp = (uint32_t)params->zero_point;
    if (size < 0)
        return TM_ERR_SHAPE;
    for (int32_t i = 0; i < size; ++i) {
        const float q = input[i] / scale;
        int32_t r = INT32_MIN;
        if ((q >= -2147483648.0f) & (q < 2147483648.0f)) {
            r = (int32_t)q;
            const float frac = q - (float)r;
            r += (frac >= 0.5f) - (frac <= -0.5f);
        }
        int32_t v = (int32_t)((uint32_t)r + zp);
        v = v < -32768 ? -32768 : v;
        v = v > 32767 ? 32767 : v;
        output[i] = (int16_t)v;
    }
    return TM_OK;
}
