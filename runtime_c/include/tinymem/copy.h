/*
 * Data-movement helpers shared by the concatenation, split, transpose and strided_slice kernels
 * (static inline; not kernels themselves).
 *
 * tm_strided_copy describes a gather of up to 6 dimensions: the output is written densely in
 * row-major order and
 *
 *   output[i0, ..., i5] = input[offset + i0 * strides[0] + ... + i5 * strides[5]]
 *
 * (element units). A transpose uses the permuted input strides with offset 0; a strided slice
 * uses begin/step folded into offset and strides. Generators drop size-1 dimensions, merge
 * dimensions that stay contiguous, and left-fill to 6 dimensions with dims 1 (any stride).
 */
#ifndef TINYMEM_COPY_H
#define TINYMEM_COPY_H

#include <string.h>

#include "tinymem/types.h"

typedef struct {
    int32_t dims[6];    /* output dimensions, outermost first, >= 1 */
    int32_t strides[6]; /* input elements per output index step (any sign) */
    int32_t offset;     /* input element of output element 0, >= 0 */
} tm_strided_copy;

/* Copies `rows` runs of n bytes: run r goes from src + r * src_step to dst + r * dst_step (no
 * overlap between source and destination). The size class of n is chosen once: runs of up to
 * 128 bytes are copied inline with at most eight 16-, 8- or 4-byte moves that may overlap each
 * other (a head and a tail block), far cheaper than library memcpy calls; longer runs go to
 * memcpy. */
static inline void tm__copy_rows(unsigned char *dst, ptrdiff_t dst_step, const unsigned char *src,
                                 ptrdiff_t src_step, size_t n, int32_t rows)
{
    ptrdiff_t d = 0, s = 0;
    int32_t r;
    if (n > 128) {
        for (r = 0; r < rows; ++r, d += dst_step, s += src_step)
            memcpy(dst + d, src + s, n);
    } else if (n % 16 == 0 && n >= 48) { /* exact 16-byte blocks (48 .. 128 bytes) */
        for (r = 0; r < rows; ++r, d += dst_step, s += src_step) {
            unsigned char *o = dst + d;
            const unsigned char *i = src + s;
            switch (n) {
            case 128: memcpy(o + 112, i + 112, 16); /* fall through */
            case 112: memcpy(o + 96, i + 96, 16);   /* fall through */
            case 96: memcpy(o + 80, i + 80, 16);    /* fall through */
            case 80: memcpy(o + 64, i + 64, 16);    /* fall through */
            case 64: memcpy(o + 48, i + 48, 16);    /* fall through */
            default: break;
            }
            memcpy(o, i, 16);
            memcpy(o + 16, i + 16, 16);
            memcpy(o + 32, i + 32, 16);
        }
    } else if (n >= 64) {
        for (r = 0; r < rows; ++r, d += dst_step, s += src_step) {
            unsigned char *o = dst + d;
            const unsigned char *i = src + s;
            memcpy(o, i, 16);
            memcpy(o + 16, i + 16, 16);
            memcpy(o + 32, i + 32, 16);
            memcpy(o + 48, i + 48, 16);
            memcpy(o + n - 64, i + n - 64, 16);
            memcpy(o + n - 48, i + n - 48, 16);
            memcpy(o + n - 32, i + n - 32, 16);
            memcpy(o + n - 16, i + n - 16, 16);
        }
    } else if (n >= 32) {
        for (r = 0; r < rows; ++r, d += dst_step, s += src_step) {
            unsigned char *o = dst + d;
            const unsigned char *i = src + s;
            memcpy(o, i, 16);
            memcpy(o + 16, i + 16, 16);
            memcpy(o + n - 32, i + n - 32, 16);
            memcpy(o + n - 16, i + n - 16, 16);
        }
    } else if (n >= 16) {
        for (r = 0; r < rows; ++r, d += dst_step, s += src_step) {
            memcpy(dst + d, src + s, 16);
            memcpy(dst + d + n - 16, src + s + n - 16, 16);
        }
    } else if (n >= 8) {
        for (r = 0; r < rows; ++r, d += dst_step, s += src_step) {
            memcpy(dst + d, src + s, 8);
            memcpy(dst + d + n - 8, src + s + n - 8, 8);
        }
    } else if (n >= 4) {
        for (r = 0; r < rows; ++r, d += dst_step, s += src_step) {
            memcpy(dst + d, src + s, 4);
            memcpy(dst + d + n - 4, src + s + n - 4, 4);
        }
    } else {
        for (r = 0; r < rows; ++r, d += dst_step, s += src_step)
            for (size_t k = 0; k < n; ++k)
                dst[d + (ptrdiff_t)k] = src[s + (ptrdiff_t)k];
    }
}

/* A 2-D block of a strided copy: `rows` runs of n elements of esize bytes, run r reading
 * src + r * row_step + k * step for k < n (steps in bytes, any sign), written densely to o.
 * Offsets stay integers so that no pointer ever leaves the buffers. Returns the end of o. */
static inline unsigned char *tm__strided_block(unsigned char *o, const unsigned char *src,
                                               int32_t rows, ptrdiff_t row_step, int32_t n,
                                               ptrdiff_t step, size_t esize)
{
    const ptrdiff_t step2 = 2 * step, step3 = 3 * step, step4 = 4 * step;
    ptrdiff_t row_at = 0;
    for (int32_t r = 0; r < rows; ++r, row_at += row_step) {
        ptrdiff_t at = row_at;
        int32_t k = 0;
        for (; k + 4 <= n; k += 4, o += 4 * esize, at += step4) {
            memcpy(o, src + at, esize);
            memcpy(o + esize, src + at + step, esize);
            memcpy(o + 2 * esize, src + at + step2, esize);
            memcpy(o + 3 * esize, src + at + step3, esize);
        }
        for (; k < n; ++k, o += esize, at += step)
            memcpy(o, src + at, esize);
    }
    return o;
}

/* The strided copy for elements of esize bytes (a constant in each caller, so this specialises).
 * The two innermost dimensions form 2-D blocks (contiguous rows when strides[5] is one element);
 * the outer four advance like an odometer, so the block loops keep their registers. The output
 * must not overlap the input. */
static inline tm_status tm__strided_copy(const tm_strided_copy *p, const void *input, void *output,
                                         size_t esize)
{
    const int32_t *n = p->dims;
    ptrdiff_t s[6];
    int32_t idx[4] = {0, 0, 0, 0};
    int32_t blocks = 1;
    for (int k = 0; k < 6; ++k) {
        if (n[k] < 1)
            return TM_ERR_SHAPE;
        s[k] = (ptrdiff_t)p->strides[k] * (ptrdiff_t)esize;
        if (k < 4)
            blocks *= n[k];
    }
    if (p->offset < 0)
        return TM_ERR_PARAM;
    const unsigned char *in = (const unsigned char *)input;
    unsigned char *o = (unsigned char *)output;
    const size_t run = (size_t)n[5] * esize;
    const int contiguous = s[5] == (ptrdiff_t)esize;
    ptrdiff_t at = (ptrdiff_t)p->offset * (ptrdiff_t)esize;
    for (int32_t blk = 0; blk < blocks; ++blk) {
        if (contiguous) {
            tm__copy_rows(o, (ptrdiff_t)run, in + at, s[4], run, n[4]);
            o += run * (size_t)n[4];
        } else {
            o = tm__strided_block(o, in + at, n[4], s[4], n[5], s[5], esize);
        }
        for (int k = 3; k >= 0; --k) { /* next block */
            at += s[k];
            if (++idx[k] < n[k])
                break;
            at -= s[k] * n[k];
            idx[k] = 0;
        }
    }
    return TM_OK;
}

#endif /* TINYMEM_COPY_H */
