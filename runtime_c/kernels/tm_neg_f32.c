/* float32 Neg: output[i] = -input[i] (see tinymem/float_math.h). In-place works. */
#include "tinymem/float_math.h"

tm_status tm_neg_f32(int32_t size, const float *input, float *output)
{
    if (size < 0)
        return TM_ERR_SHAPE;
    for (int32_t i = 0; i < size; ++i)
        output[i] = -input[i];
    return TM_OK;
}
