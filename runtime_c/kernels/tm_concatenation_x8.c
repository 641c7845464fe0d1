/* Concatenation as byte moves (every dtype; see tinymem/concatenation.h). */
#include "tinymem/concatenation.h"

tm_status tm_concatenation_x8(const tm_concat_params *params, const void *const *inputs,
                              void *output)
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
    /* input by input: its outer runs land `total` bytes apart in the output */
    for (int32_t i = 0; i < count; ++i) {
        const size_t n = (size_t)params->bytes[i];
        tm__copy_rows((unsigned char *)output + at, total, (const unsigned char *)inputs[i],
                      (ptrdiff_t)n, n, outer);
        at += (ptrdiff_t)n;
    }
    return TM_OK;
}
