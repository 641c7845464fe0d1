/* int16 MUL, bit-exact with TFLite Micro's reference kernel (see elementwise.h, mul_int.h). */
#include "tinymem/mul_int.h"

tm_status tm_mul_s16(const tm_bcast *bc, const tm_mul_params *params, const int16_t *input1,
                     const int16_t *input2, int16_t *output)
{
    return tm__mul_int(bc, params, input1, input2, output, TM_S16);
}
