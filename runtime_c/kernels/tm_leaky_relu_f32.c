/* float32 LeakyRelu. Blocks of 4 go through a local buffer so that the compiler vectorizes
 * them without assuming the input and output are distinct (in-place works). */
#include "tinymem/leaky_relu.h"

tm_status tm_leaky_relu_f32(int32_t size, float alpha, const float *input, float *output)
{
    int32_t i = 0;
    if (size < 0)
        return TM_ERR_SHAPE;
    for (; i + 4 <= size; i += 4) {
        float t[4], n[4];
        for (int j = 0; j < 4; ++j)
            t[j] = input[i + j];
        for (int j = 0; j < 4; ++j)
            n[j] = t[j] * alpha;
        for (int j = 0; j < 4; ++j)
            t[j] = t[j] > 0.0f ? t[j] : n[j];
        for (int j = 0; j < 4; ++j)
            output[i + j] = t[j];
    }
    for (; i < size; ++i) {
        const float v = input[i];
        output[i] = v > 0.0f ? v : v * alpha;
    }
    return TM_OK;
}
