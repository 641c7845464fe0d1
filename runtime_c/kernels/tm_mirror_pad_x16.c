/* Mirror / edge / wrap padding, 16-bit elements (any dtype of that size; see tinymem/mirror_pad.h). */
#include "tinymem/mirror_pad.h"

tm_status tm_mirror_pad_x16(const tm_mirror_pad_params *params, const void *input, void *output)
{
    return tm__mirror_pad(params, input, output, 2);
}
