/* int16 AveragePool2D, bit-exact with TFLite Micro's reference integer kernel. */
#include "tinymem/pooling.h"

tm_status tm_average_pool2d_s16(const tm_pool_dims *dims, const tm_act_s32 *act, const int16_t *input,
                                int16_t *output)
{
    const int32_t lo = act->min, hi = act->max;
#define FINISH(a, n) (int16_t)tm__pool_avg_int(a, n, lo, hi)
    TM__POOL_BODY(int16_t, int32_t, 0, TM__POOL_ADD, FINISH, dims, input, output);
#undef FINISH
}
