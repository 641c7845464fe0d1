/* float32 -> uint8 quantization, as TFLM's AffineQuantize on x86-64 (see quantize.h). */
#include "tinymem/quantize.h"

tm_status tm_quantize_f32_u8(int32_t size, const tm_quantize_params_f32 *params,
                             const float *input, uint8_t *output)
{
    return tm__quantize_f32(size, params, input, output, TM_U8);
}
