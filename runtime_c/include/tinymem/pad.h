/*
 * Pad with a constant (TFLite PAD / PADV2, ONNX Pad mode="constant").
 *
 *   output[j0..j5] = input[j0 - before0, ..., j5 - before5]   inside the input,
 *                    value                                     elsewhere,
 *   out_k = before[k] + in_dims[k] + after[k].
 *
 * The kernels only move bytes, so one serves every dtype of its element size:
 *   tm_pad_x8 (int8, uint8, bool), tm_pad_x16 (int16, float16), tm_pad_x32 (float32, int32).
 * Shapes are given as 6 dims, outermost first (lower ranks use leading 1s with zero padding).
 * The generator merges each unpadded dimension into the next-outer one beforehand, so the
 * innermost dimension normally carries the long contiguous runs (copied with memcpy).
 *
 * value:  one element, the padding value's bit pattern (any alignment).
 * input:  dense, row-major; output: dense, must not overlap the input. No scratch.
 */
#ifndef TINYMEM_PAD_H
#define TINYMEM_PAD_H

#include <string.h>

#include "tinymem/types.h"

typedef struct {
    int32_t in_dims[6]; /* >= 1 */
    int32_t before[6];  /* >= 0 */
    int32_t after[6];   /* >= 0 */
} tm_pad_params;

tm_status tm_pad_x8(const tm_pad_params *params, const void *value, const void *input, void *output);
tm_status tm_pad_x16(const tm_pad_params *params, const void *value, const void *input, void *output);
tm_status tm_pad_x32(const tm_pad_params *params, const void *value, const void *input, void *output);

/* ---- shared by the kernels (not part of the API) ------------------------------------------ */

/* Writes count elements of esize bytes equal to v (memset when all bytes of v are equal). */
static inline unsigned char *tm__pad_fill(unsigned char *dst, size_t count, const unsigned char *v,
                                          size_t esize, int uniform)
{
    if (uniform) {
        memset(dst, v[0], count * esize);
        return dst + count * esize;
    }
    for (size_t i = 0; i < count; ++i, dst += esize)
        memcpy(dst, v, esize);
    return dst;
}

/* The pad kernel for elements of esize bytes (a constant in each caller, so this specialises). */
static inline tm_status tm__pad(const tm_pad_params *p, const void *value, const void *input,
                                void *output, size_t esize)
{
    const unsigned char *v = (const unsigned char *)value;
    const unsigned char *in = (const unsigned char *)input;
    unsigned char *o = (unsigned char *)output;
    size_t block[6]; /* output elements per index step of each dimension */
    int32_t n[6], b[6], a[6];
    int uniform = 1;
    for (size_t k = 1; k < esize; ++k)
        uniform &= v[k] == v[0];
    for (int k = 0; k < 6; ++k) {
        n[k] = p->in_dims[k];
        b[k] = p->before[k];
        a[k] = p->after[k];
        if (n[k] < 1 || b[k] < 0 || a[k] < 0)
            return TM_ERR_SHAPE;
    }
    block[5] = 1;
    for (int k = 4; k >= 0; --k)
        block[k] = block[k + 1] * (size_t)(b[k + 1] + n[k + 1] + a[k + 1]);
    const size_t row = (size_t)n[5] * esize;

    o = tm__pad_fill(o, (size_t)b[0] * block[0], v, esize, uniform);
    for (int32_t i0 = 0; i0 < n[0]; ++i0) {
        o = tm__pad_fill(o, (size_t)b[1] * block[1], v, esize, uniform);
        for (int32_t i1 = 0; i1 < n[1]; ++i1) {
            o = tm__pad_fill(o, (size_t)b[2] * block[2], v, esize, uniform);
            for (int32_t i2 = 0; i2 < n[2]; ++i2) {
                o = tm__pad_fill(o, (size_t)b[3] * block[3], v, esize, uniform);
                for (int32_t i3 = 0; i3 < n[3]; ++i3) {
                    o = tm__pad_fill(o, (size_t)b[4] * block[4], v, esize, uniform);
                    for (int32_t i4 = 0; i4 < n[4]; ++i4) {
                        o = tm__pad_fill(o, (size_t)b[5], v, esize, uniform);
                        memcpy(o, in, row);
                        o += row;
                        in += row;
                        o = tm__pad_fill(o, (size_t)a[5], v, esize, uniform);
                    }
                    o = tm__pad_fill(o, (size_t)a[4] * block[4], v, esize, uniform);
                }
                o = tm__pad_fill(o, (size_t)a[3] * block[3], v, esize, uniform);
            }
            o = tm__pad_fill(o, (size_t)a[2] * block[2], v, esize, uniform);
        }
        o = tm__pad_fill(o, (size_t)a[1] * block[1], v, esize, uniform);
    }
    tm__pad_fill(o, (size_t)a[0] * block[0], v, esize, uniform);
    return TM_OK;
}

#endif /* TINYMEM_PAD_H */
