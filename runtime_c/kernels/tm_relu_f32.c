/* float32 Relu family (same comparisons as TFLM's ReluFloat / Relu6Float). Blocks of 4 go
 * through a local buffer so that the compiler vectorizes them without assuming the input and
 * output are distinct (in-place works). */
#include "tinymem/relu.h"

tm_status tm_relu_f32(int32_t size, const tm_act_f32 *act, const float *input, float *output)
{
    const float lo = act->min, hi = act->max;
    int32_t i = 0;
    if (size < 0)
        return TM_ERR_SHAPE;
    for (; i + 4 <= size; i += 4) {
        float t[4];
        for (int j = 0; j < 4; ++j)
            t[j] = input[i + j];
        for (int j = 0; j < 4; ++j)
            t[j] = t[j] < lo ? lo : t[j] > hi ? hi : t[j];
        for (int j = 0; j < 4; ++j)
            output[i + j] = t[j];
    }
    for (; i < size; ++i) {
        const float v = input[i];
        output[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return TM_OK;
}
