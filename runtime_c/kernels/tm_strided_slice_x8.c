/* Strided slice of 8-bit elements (any dtype of that size; see tinymem/strided_slice.h). */
#include "tinymem/strided_slice.h"

tm_status tm_strided_slice_x8(const tm_strided_copy *params, const void *input, void *output)
{
    return tm__strided_copy(params, input, output, 1);
}
