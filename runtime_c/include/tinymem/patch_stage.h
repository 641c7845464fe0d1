/*
 * Patch-based inference (MCUNetV2; tinymem/schedule/patch_plan.py): the first operators of a
 * model run once per patch of their output, on patch-sized buffers. These kernels move a
 * rectangle of pixels between a full NHWC feature map (batch 1) and a dense patch buffer; the
 * stage's own operators run with their ordinary kernels in between.
 *
 *   tm_patch_crop   patch[y, x, :] = image[r->y0 + y, r->x0 + x, :]  (the input window, halo included)
 *   tm_patch_place  image[r->y0 + y, r->x0 + x, :] = patch[y, x, :]  (an output patch into the stage output)
 * for 0 <= y < r->rows, 0 <= x < r->cols.
 *
 * width:       columns of the full feature map, >= r->x0 + r->cols
 * pixel_bytes: bytes of one pixel (channels * element size), >= 1
 * The rectangle must lie inside the feature map (the generator only emits such rectangles);
 * the patch buffer holds rows * cols * pixel_bytes bytes and must not overlap the feature map.
 * No scratch.
 */
#ifndef TINYMEM_PATCH_STAGE_H
#define TINYMEM_PATCH_STAGE_H

#include "tinymem/types.h"

/* A rectangle of pixels: rows [y0, y0 + rows), columns [x0, x0 + cols); y0, x0 >= 0, rows, cols >= 1. */
typedef struct {
    int32_t y0, x0, rows, cols;
} tm_rect;

tm_status tm_patch_crop(const tm_rect *r, int32_t width, int32_t pixel_bytes, const void *image, void *patch);
tm_status tm_patch_place(const tm_rect *r, int32_t width, int32_t pixel_bytes, const void *patch, void *image);

/*
 * --stream-input: the application supplies input 0 window by window instead of as a whole
 * (a camera line buffer, a DMA transfer, a file). run() calls
 *
 *   fetch(ctx, index, y0, x0, rows, cols, dst)
 *
 * once per patch; it must write rows [y0, y0 + rows) x columns [x0, x0 + cols) of input `index`
 * (all channels, NHWC order, the input descriptor's dtype and quantization) densely to dst
 * (rows * cols * channels elements) and return TM_OK, or an error status that run() returns.
 * Windows of neighbouring patches overlap by their halo, so a pixel may be asked for more than once.
 * A source that cannot deliver (a camera or link failure) returns TM_ERR_IO.
 * tm_fetch_fn itself is declared in tinymem/types.h (the generic tm_model registers one).
 */

#endif /* TINYMEM_PATCH_STAGE_H */
