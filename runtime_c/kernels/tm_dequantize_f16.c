/* IEEE binary16 -> float32, exact (bit manipulation; no FPU half support needed). */
#include <string.h>

#include "tinymem/dequantize.h"

static float tm_half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t man = h & 0x3FFu;
    uint32_t bits;
    float f;
    if (exp == 0x1Fu) {             /* inf / NaN */
        bits = sign | 0x7F800000u | (man << 13);
    } else if (exp != 0) {          /* normal */
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    } else if (man == 0) {          /* zero */
        bits = sign;
    } else {                        /* subnormal: normalise */
        exp = 113u;
        while (!(man & 0x400u)) {
            man <<= 1;
            --exp;
        }
        bits = sign | (exp << 23) | ((man & 0x3FFu) << 13);
    }
    memcpy(&f, &bits, sizeof f);
    return f;
}

tm_status tm_dequantize_f16(int32_t size, const uint16_t *input, float *output)
{
    if (size < 0)
        return TM_ERR_SHAPE;
    for (int32_t i = 0; i < size; ++i)
        output[i] = tm_half_to_float(input[i]);
    return TM_OK;
}
