/*
 * Pad by repeating the input's own elements (TFLite MIRROR_PAD REFLECT / SYMMETRIC, ONNX Pad
 * modes reflect / edge / wrap).
 *
 *   output[j0..j5] = input[index_0[j0], ..., index_5[j5]]
 *
 * Shapes are given as 6 dims, outermost first (lower ranks use leading 1s). For each dim k the
 * compiler tabulates index_k: out_dims[k] source positions in [0, in_dims[k]), e.g. for
 * in = 4, before = 2, after = 1:
 *   reflect   {2, 1, 0, 1, 2, 3, 2}     symmetric {1, 0, 0, 1, 2, 3, 3}
 *   edge      {0, 0, 0, 1, 2, 3, 3}     wrap      {2, 3, 0, 1, 2, 3, 0}
 * `index` holds the six tables one after the other (sum of out_dims entries); the kernel checks
 * that every entry is in range (TM_ERR_PARAM otherwise).
 *
 * The kernels only move bytes, so one serves every dtype of its element size:
 *   tm_mirror_pad_x8 (int8, uint8, bool), tm_mirror_pad_x16 (int16), tm_mirror_pad_x32 (float32,
 *   int32). input: dense, row-major; output: dense, must not overlap the input. No scratch.
 */
#ifndef TINYMEM_MIRROR_PAD_H
#define TINYMEM_MIRROR_PAD_H

#include <string.h>

#include "tinymem/types.h"

typedef struct {
    int32_t in_dims[6];   /* >= 1 */
    int32_t out_dims[6];  /* >= 1 */
    const int32_t *index; /* the six source-index tables (see above) */
} tm_mirror_pad_params;

tm_status tm_mirror_pad_x8(const tm_mirror_pad_params *params, const void *input, void *output);
tm_status tm_mirror_pad_x16(const tm_mirror_pad_params *params, const void *input, void *output);
tm_status tm_mirror_pad_x32(const tm_mirror_pad_params *params, const void *input, void *output);

/* ---- shared by the kernels (not part of the API) ------------------------------------------ */

/* The kernel for elements of esize bytes (a constant in each caller, so this specialises). */
static inline tm_status tm__mirror_pad(const tm_mirror_pad_params *p, const void *input, void *output,
                                       size_t esize)
{
    const unsigned char *in = (const unsigned char *)input;
    unsigned char *o = (unsigned char *)output;
    const int32_t *idx[6];
    size_t stride[6]; /* input elements per index step of each dim */
    const int32_t *t = p->index;
    for (int k = 0; k < 6; ++k) {
        if (p->in_dims[k] < 1 || p->out_dims[k] < 1)
            return TM_ERR_SHAPE;
        idx[k] = t;
        for (int32_t j = 0; j < p->out_dims[k]; ++j)
            if (t[j] < 0 || t[j] >= p->in_dims[k])
                return TM_ERR_PARAM;
        t += p->out_dims[k];
    }
    stride[5] = 1;
    for (int k = 4; k >= 0; --k)
        stride[k] = stride[k + 1] * (size_t)p->in_dims[k + 1];
    for (int32_t i0 = 0; i0 < p->out_dims[0]; ++i0) {
        const size_t s0 = (size_t)idx[0][i0] * stride[0];
        for (int32_t i1 = 0; i1 < p->out_dims[1]; ++i1) {
            const size_t s1 = s0 + (size_t)idx[1][i1] * stride[1];
            for (int32_t i2 = 0; i2 < p->out_dims[2]; ++i2) {
                const size_t s2 = s1 + (size_t)idx[2][i2] * stride[2];
                for (int32_t i3 = 0; i3 < p->out_dims[3]; ++i3) {
                    const size_t s3 = s2 + (size_t)idx[3][i3] * stride[3];
                    for (int32_t i4 = 0; i4 < p->out_dims[4]; ++i4) {
                        const unsigned char *row = in + (s3 + (size_t)idx[4][i4] * stride[4]) * esize;
                        const int32_t *last = idx[5];
                        for (int32_t i5 = 0; i5 < p->out_dims[5]; ++i5, o += esize)
                            memcpy(o, row + (size_t)last[i5] * esize, esize);
                    }
                }
            }
        }
    }
    return TM_OK;
}

#endif /* TINYMEM_MIRROR_PAD_H */
