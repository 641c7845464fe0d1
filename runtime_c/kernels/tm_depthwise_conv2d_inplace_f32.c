/* float32 DepthwiseConv2D in place: the output overwrites the input in one buffer (both start at
 * `buf`), identical to tm_depthwise_conv2d_f32: rows mode only (tinymem/inplace.h, batch 1),
 * each output row computed by tm_depthwise_conv2d_f32 into a ring in the scratch. */
#include "tinymem/depthwise_conv2d.h"
#include "tinymem/inplace.h"

size_t tm_depthwise_conv2d_inplace_f32_scratch_size(const tm_conv2d_geom *g)
{
    if (tm_depthwise_conv2d_check_geom(g) != TM_OK || !tm_inplace_rows_ok(g))
        return 0;
    const size_t in_row = (size_t)g->in.w * g->in.c * sizeof(float);
    const size_t out_row = (size_t)g->out.w * g->out.c * sizeof(float);
    return tm_inplace_align8(tm_depthwise_conv2d_f32_scratch_size(g)) +
           (size_t)tm_inplace_row_slots(g, in_row, out_row) * out_row;
}

tm_status tm_depthwise_conv2d_inplace_f32(const tm_conv2d_geom *g,
                                          const tm_depthwise_conv2d_params_f32 *p, float *buf,
                                          const float *filter, void *scratch, size_t scratch_bytes)
{
    tm_status st = tm_depthwise_conv2d_check_geom(g);
    if (st != TM_OK)
        return st;
    const size_t need = tm_depthwise_conv2d_inplace_f32_scratch_size(g);
    if (need == 0)
        return TM_ERR_UNSUPPORTED;
    if (scratch == NULL || scratch_bytes < need)
        return TM_ERR_SCRATCH;
    const size_t in_row = (size_t)g->in.w * g->in.c * sizeof(float);
    const size_t out_row = (size_t)g->out.w * g->out.c * sizeof(float);
    const size_t base = tm_depthwise_conv2d_f32_scratch_size(g);
    const int32_t slots = tm_inplace_row_slots(g, in_row, out_row);
    int8_t *bytes = (int8_t *)buf, *ring = (int8_t *)scratch + tm_inplace_align8(base);
    int32_t done = 0;
    for (int32_t oy = 0; oy < g->out.h; ++oy) {
        tm_conv2d_geom sub;
        int32_t first = 0;
        if (!tm_inplace_row_geom(g, oy, &sub, &first))
            return TM_ERR_UNSUPPORTED;
        st = tm_depthwise_conv2d_f32(&sub, p, (const float *)(bytes + (size_t)first * in_row), filter,
                                     (float *)(ring + (size_t)(oy % slots) * out_row), scratch, base);
        if (st != TM_OK)
            return st;
        tm_inplace_flush(g, bytes, ring, slots, &done, oy + 1, in_row, out_row);
    }
    return TM_OK;
}
