/* int16 -> float32 dequantization (bit-identical to TFLM's double-precision formula). Blocks
 * of 8 go through a local buffer so that the compiler vectorizes them. */
#include "tinymem/dequantize.h"

tm_status tm_dequantize_s16(int32_t size, const tm_dequantize_params *params,
                            const int16_t *input, float *output)
{
    const float scale = params->scale;
    const int32_t zp = params->zero_point;
    int32_t i = 0;
    if (size < 0)
        return TM_ERR_SHAPE;
    for (; i + 8 <= size; i += 8) {
        float t[8];
        for (int j = 0; j < 8; ++j)
            t[j] = scale * (float)(input[i + j] - zp);
        for (int j = 0; j < 8; ++j)
            output[i + j] = t[j];
    }
    for (; i < size; ++i)
        output[i] = scale * (float)(input[i] - zp);
    return TM_OK;
}
