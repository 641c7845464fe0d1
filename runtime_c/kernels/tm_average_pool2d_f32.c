/* float32 AveragePool2D: taps summed in the order of TFLite Micro's reference kernel (rows, then
 * columns, from 0.0f), divided by the tap count, then clamped: bit-identical results. */
#include "tinymem/pooling.h"

tm_status tm_average_pool2d_f32(const tm_pool_dims *dims, const tm_act_f32 *act, const float *input,
                                float *output)
{
    const float lo = act->min, hi = act->max;
#define FINISH(a, n) tm__pool_clamp_f32((a) / (float)(n), lo, hi)
    TM__POOL_BODY(float, float, 0.0f, TM__POOL_ADD, FINISH, dims, input, output);
#undef FINISH
}
