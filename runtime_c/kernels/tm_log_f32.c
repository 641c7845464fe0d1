/* float32 Log: output[i] = logf(input[i]) (see tinymem/float_math.h). In-place works. */
#include <math.h>

#include "tinymem/float_math.h"

tm_status tm_log_f32(int32_t size, const float *input, float *output)
{
    if (size < 0)
        return TM_ERR_SHAPE;
    for (int32_t i = 0; i < size; ++i)
        output[i] = logf(input[i]);
    return TM_OK;
}
