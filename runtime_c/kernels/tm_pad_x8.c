/* Pad with a constant, 8-bit elements (any dtype of that size; see tinymem/pad.h). */
#include "tinymem/pad.h"

tm_status tm_pad_x8(const tm_pad_params *params, const void *value, const void *input, void *output)
{
    return tm__pad(params, value, input, output, 1);
}
