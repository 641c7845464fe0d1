/* Transpose of 32-bit elements (any dtype of that size; see tinymem/transpose.h). */
#include "tinymem/transpose.h"

tm_status tm_transpose_x32(const tm_strided_copy *params, const void *input, void *output)
{
    return tm__strided_copy(params, input, output, 4);
}
