/*
 * In-place execution of windowed layers (conv2d, depthwise_conv2d): the layer's input and output
 * start at the same address of one buffer, as large as the larger of the two, so the layer needs
 * max(input, output) bytes plus a small temporary instead of input + output (docs/memory.md).
 *
 * Rows mode (any stride, padding and dilation; batch 1). Output rows are computed in order, each
 * into one of `slots` rows of a ring in the scratch, by the layer's ordinary kernel run on the
 * input rows that output row reads (a sub-geometry with one output row). A computed row is copied
 * to its place in the buffer as soon as no input row that a later output row reads overlaps that
 * place. The ring size follows from the geometry alone (tm_inplace_row_slots): 1 row for strided
 * layers, pad_top + 1 rows for "same" stride-1 layers.
 *
 * The ordinary kernels are only ever called with disjoint input and output memory.
 */
#ifndef TINYMEM_INPLACE_H
#define TINYMEM_INPLACE_H

#include <string.h>

#include "tinymem/conv2d.h"

/* 1 when output row q, once rows 0 .. next-1 are computed, may be copied to its place:
 * its bytes [q*out_row, (q+1)*out_row) miss every input row that rows next.. still read. */
static inline int tm_inplace_row_flushable(const tm_conv2d_geom *g, int32_t q, int32_t next,
                                           size_t in_row, size_t out_row)
{
    if (next >= g->out.h)
        return 1;
    int64_t need = (int64_t)next * g->stride_h - g->pad_top;
    need = need < 0 ? 0 : need;
    if (need >= g->in.h)
        return 1;
    const uint64_t lo = (uint64_t)need * in_row, hi = (uint64_t)g->in.h * in_row;
    const uint64_t d0 = (uint64_t)q * out_row, d1 = d0 + out_row;
    return d1 <= lo || d0 >= hi;
}

/* Ring rows the rows mode needs for this geometry (the most rows computed and not yet copied). */
static inline int32_t tm_inplace_row_slots(const tm_conv2d_geom *g, size_t in_row, size_t out_row)
{
    int32_t done = 0, slots = 0;
    for (int32_t oy = 0; oy < g->out.h; ++oy) {
        if (oy + 1 - done > slots)
            slots = oy + 1 - done;
        while (done <= oy && tm_inplace_row_flushable(g, done, oy + 1, in_row, out_row))
            ++done;
    }
    return slots;
}

/* Sub-geometry computing output row oy alone from the input rows it reads, the first of which is
 * *first_row. Returns 0 when the row reads no input row (only padding: rows mode not possible). */
static inline int tm_inplace_row_geom(const tm_conv2d_geom *g, int32_t oy, tm_conv2d_geom *sub,
                                      int32_t *first_row)
{
    const int32_t y0 = oy * g->stride_h - g->pad_top;
    const int32_t r0 = y0 < 0 ? 0 : y0;
    int32_t r1 = y0 + (g->kh - 1) * g->dil_h;
    r1 = r1 > g->in.h - 1 ? g->in.h - 1 : r1;
    if (r1 < r0)
        return 0;
    *sub = *g;
    sub->in.h = r1 - r0 + 1;
    sub->out.h = 1;
    sub->pad_top = r0 - y0;
    *first_row = r0;
    return 1;
}

/* 1 when every output row reads at least one input row (rows mode possible). */
static inline int tm_inplace_rows_ok(const tm_conv2d_geom *g)
{
    tm_conv2d_geom sub;
    int32_t r;
    if (g->in.n != 1)
        return 0;
    for (int32_t oy = 0; oy < g->out.h; ++oy)
        if (!tm_inplace_row_geom(g, oy, &sub, &r))
            return 0;
    return 1;
}

/* Copies the computed rows that may go to their place (all of them after the last row). */
static inline void tm_inplace_flush(const tm_conv2d_geom *g, int8_t *buf, const int8_t *ring,
                                    int32_t slots, int32_t *done, int32_t next, size_t in_row,
                                    size_t out_row)
{
    while (*done < next && tm_inplace_row_flushable(g, *done, next, in_row, out_row)) {
        memcpy(buf + (size_t)*done * out_row, ring + (size_t)(*done % slots) * out_row, out_row);
        ++*done;
    }
}

static inline size_t tm_inplace_align8(size_t n)
{
    return (n + 7u) & ~(size_t)7u;
}

#endif /* TINYMEM_INPLACE_H */
