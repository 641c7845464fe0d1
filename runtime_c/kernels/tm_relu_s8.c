/* int8 Relu family by a 256-entry lookup table built at compile time from TFLM's integer algorithm
 * (bit-exact by construction). Unrolled by 4; all loads of a group precede its stores, so the
 * kernel also works in place. */
#include "tinymem/relu.h"

tm_status tm_relu_s8(int32_t size, const int8_t *lut, const int8_t *input, int8_t *output)
{
    int32_t i = 0;
    if (size < 0)
        return TM_ERR_SHAPE;
    for (; i + 4 <= size; i += 4) {
        const int8_t a = lut[(uint8_t)input[i]], b = lut[(uint8_t)input[i + 1]];
        const int8_t c = lut[(uint8_t)input[i + 2]], d = lut[(uint8_t)input[i + 3]];
        output[i] = a;
        output[i + 1] = b;
        output[i + 2] = c;
        output[i + 3] = d;
    }
    for (; i < size; ++i)
        output[i] = lut[(uint8_t)input[i]];
    return TM_OK;
}
