/* Strided slice of 32-bit elements (any dtype of that size; see tinymem/strided_slice.h). */
#include "tinymem/strided_slice.h"

tm_status tm_strided_slice_x32(const tm_strided_copy *params, const void *input, void *output)
{
    return tm__strided_copy(params, input, output, 4);
}
