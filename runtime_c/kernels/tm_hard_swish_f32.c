/* float32 HardSwish, same operation order as TFLM's reference. Blocks of 4 go through a local
 * buffer so that the compiler vectorizes them (in-place works). */
#include "tinymem/hard_swish.h"

static inline float tm_hard_swish_one(float v)
{
    float r = v + 3.0f;
    r = r > 0.0f ? r : 0.0f;
    r = r < 6.0f ? r : 6.0f;
    return v * r / 6.0f;
}

tm_status tm_hard_swish_f32(int32_t size, const float *input, float *output)
{
    int32_t i = 0;
    if (size < 0)
        return TM_ERR_SHAPE;
    for (; i + 4 <= size; i += 4) {
        float t[4];
        for (int j = 0; j < 4; ++j)
            t[j] = input[i + j];
        for (int j = 0; j < 4; ++j)
            t[j] = tm_hard_swish_one(t[j]);
        for (int j = 0; j < 4; ++j)
            output[i + j] = t[j];
    }
    for (; i < size; ++i)
        output[i] = tm_hard_swish_one(input[i]);
    return TM_OK;
}
