/* int16 Mean, bit-exact with TFLite Micro's reference kernels (Mean / QuantizedMeanOrSum). */
#include "tinymem/fixedpoint.h"
#include "tinymem/mean.h"

tm_status tm_mean_s16(const tm_mean_dims *dims, const tm_mean_params *params, const int16_t *input,
                      int16_t *output)
{
    TM__MEAN_INT(int16_t, dims, params, input, output);
}
