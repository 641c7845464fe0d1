/* int8 MaxPool2D, bit-exact with TFLite Micro's reference integer kernel. */
#include "tinymem/pooling.h"

tm_status tm_max_pool2d_s8(const tm_pool_dims *dims, const tm_act_s32 *act, const int8_t *input,
                           int8_t *output)
{
    const int32_t lo = act->min, hi = act->max;
#define FINISH(a, n) (int8_t)tm__pool_clamp_int(a, lo, hi)
    TM__POOL_BODY(int8_t, int32_t, INT8_MIN, TM__POOL_MAX, FINISH, dims, input, output);
#undef FINISH
}
