/* int8 PRelu with int8 alpha, bit-exact with TFLM's BroadcastPrelu4DSlow (see prelu.h). */
#include "tinymem/prelu.h"

tm_status tm_prelu_s8(const tm_prelu_dims *dims, const tm_prelu_params *params,
                      const int8_t *input, const int8_t *alpha, int8_t *output)
{
    return tm__prelu_int(dims, params, input, alpha, output, TM_S8);
}
