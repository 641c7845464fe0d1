/* uint8 -> float32 dequantization (bit-identical to TFLM's double-precision formula). Blocks
 * of 16 go through a local buffer so that the compiler vectorizes them. */
#include "tinymem/dequantize.h"

tm_status tm_dequantize_u8(int32_t size, const tm_dequantize_params *params,
                           const uint8_t *input, float *output)
{
    const float scale = params->scale;
    const int32_t zp = params->zero_point;
    int32_t i = 0;
    if (size < 0)
        return TM_ERR_SHAPE;
    for (; i + 16 <= size; i += 16) {
        float t[16];
        for (int j = 0; j < 16; ++j)
            t[j] = scale * (float)(input[i + j] - zp);
        for (int j = 0; j < 16; ++j)
            output[i + j] = t[j];
    }
    for (; i < size; ++i)
        output[i] = scale * (float)(input[i] - zp);
    return TM_OK;
}
