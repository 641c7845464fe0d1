/* Split as byte moves (every dtype; see tinymem/split.h). */
#include "tinymem/split.h"

tm_status tm_split_x8(const tm_split_params *params, const void *input, void *const *outputs)
{
    const int32_t count = params->count, outer = params->outer;
    ptrdiff_t total = 0, at = 0;
    if (count < 1 || outer < 1)
        return TM_ERR_SHAPE;
    for (int32_t i = 0; i < count; ++i) {
        if (params->bytes[i] < 0)
            return TM_ERR_SHAPE;
        total += params->bytes[i];
    }
    /* output by output: its outer runs sit `total` bytes apart in the input */
    for (int32_t i = 0; i < count; ++i) {
        const size_t n = (size_t)params->bytes[i];
        tm__copy_rows((unsigned char *)outputs[i], (ptrdiff_t)n, (const unsigned char *)input + at,
                      total, n, outer);
        at += (ptrdiff_t)n;
    }
    return TM_OK;
}
