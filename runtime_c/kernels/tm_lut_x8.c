/* 8-bit -> 8-bit lookup table (see lut.h). Unrolled by 4; all loads of a group precede its
 * stores, so the kernel also works in place. */
#include "tinymem/lut.h"

tm_status tm_lut_x8(int32_t size, const void *lut, const void *input, void *output)
{
    const uint8_t *table = (const uint8_t *)lut;
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    int32_t i = 0;
    if (size < 0)
        return TM_ERR_SHAPE;
    for (; i + 4 <= size; i += 4) {
        const uint8_t a = table[in[i]], b = table[in[i + 1]];
        const uint8_t c = table[in[i + 2]], d = table[in[i + 3]];
        out[i] = a;
        out[i + 1] = b;
        out[i + 2] = c;
        out[i + 3] = d;
    }
    for (; i < size; ++i)
        out[i] = table[in[i]];
    return TM_OK;
}
