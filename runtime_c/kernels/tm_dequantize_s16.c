/* int16 -> float32 dequantization (see dequantize.h). */
#include "tinymem/dequantize.h"

tm_status tm_dequantize_s16(int32_t size, const tm_dequantize_params *params,
                            const int16_t *input, float *output)
{
    return tm__dequantize_int(size, params, input, TM_S16, output);
}
