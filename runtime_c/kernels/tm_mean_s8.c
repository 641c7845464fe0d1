/* int8 Mean, bit-exact with TFLite Micro's reference kernels (Mean / QuantizedMeanOrSum). */
#include "tinymem/fixedpoint.h"
#include "tinymem/mean.h"

tm_status tm_mean_s8(const tm_mean_dims *dims, const tm_mean_params *params, const int8_t *input,
                     int8_t *output)
{
    TM__MEAN_INT(int8_t, dims, params, input, output);
}
