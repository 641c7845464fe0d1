/* float32 MaxPool2D (the comparisons of TFLite Micro's reference kernel). */
#include <float.h>

#include "tinymem/pooling.h"

tm_status tm_max_pool2d_f32(const tm_pool_dims *dims, const tm_act_f32 *act, const float *input,
                            float *output)
{
    const float lo = act->min, hi = act->max;
#define FINISH(a, n) tm__pool_clamp_f32(a, lo, hi)
    TM__POOL_BODY(float, float, -FLT_MAX, TM__POOL_MAX, FINISH, dims, input, output);
#undef FINISH
}
