/* int8 Softmax -> int16, bit-exact with TFLM's reference_ops::Softmax (see softmax.h). */
#include "tinymem/softmax.h"

tm_status tm_softmax_s8_s16(const tm_softmax_params_s8 *params, const int8_t *input, int16_t *output)
{
    return tm__softmax_s8(params, input, output, TM_S16);
}
