/* int8 DepthwiseConv2D in place: the output overwrites the input in one buffer (both start at
 * `buf`), bit-exact with tm_depthwise_conv2d_s8. Two modes (see depthwise_conv2d.h), whichever
 * needs the smaller scratch (rows on a tie):
 *
 *  - channels: depth multiplier 1, stride 1, output as large as the input. Output channel c
 *    depends on input channel c only and sits at the same positions: each input channel plane
 *    (h*w values) is copied to the scratch and the output channel computed from the copy.
 *  - rows (batch 1): tinymem/inplace.h, running tm_depthwise_conv2d_3x3_s8 (3x3, multiplier 1)
 *    or tm_depthwise_conv2d_s8 on each output row. */
#include "tinymem/depthwise_conv2d.h"
#include "tinymem/inplace.h"

static int tm_dw_inplace_channels_ok(const tm_conv2d_geom *g)
{
    return g->out.c == g->in.c && g->stride_h == 1 && g->stride_w == 1 && g->out.h == g->in.h &&
           g->out.w == g->in.w;
}

static int tm_dw_is_3x3(const tm_conv2d_geom *g)
{
    return g->kh == 3 && g->kw == 3 && g->out.c == g->in.c;
}

static size_t tm_dw_rows_scratch(const tm_conv2d_geom *g)
{
    if (!tm_inplace_rows_ok(g))
        return 0;
    const size_t in_row = (size_t)g->in.w * g->in.c, out_row = (size_t)g->out.w * g->out.c;
    const size_t base = tm_dw_is_3x3(g) ? 0 : tm_depthwise_conv2d_s8_scratch_size(g);
    return tm_inplace_align8(base) + (size_t)tm_inplace_row_slots(g, in_row, out_row) * out_row;
}

/* 1: channels mode, 0: rows mode, -1: neither */
static int tm_dw_inplace_mode(const tm_conv2d_geom *g)
{
    const size_t rows = tm_dw_rows_scratch(g);
    if (tm_dw_inplace_channels_ok(g) && (rows == 0 || (size_t)g->in.h * g->in.w < rows))
        return 1;
    return rows ? 0 : -1;
}

size_t tm_depthwise_conv2d_inplace_s8_scratch_size(const tm_conv2d_geom *g)
{
    if (tm_depthwise_conv2d_check_geom(g) != TM_OK)
        return 0;
    switch (tm_dw_inplace_mode(g)) {
    case 1:
        return (size_t)g->in.h * g->in.w;
    case 0:
        return tm_dw_rows_scratch(g);
    default:
        return 0;
    }
}

static void tm_dw_inplace_channels(const tm_conv2d_geom *g, const tm_depthwise_conv2d_params_s8 *p,
                                   int8_t *buf, const int8_t *filter, int8_t *plane)
{
    const int32_t h = g->in.h, w = g->in.w, channels = g->in.c, ntaps = g->kh * g->kw;
    const int32_t pad = -p->input_offset, out_off = p->output_offset;
    const int32_t lo = p->act.min, hi = p->act.max;
    for (int32_t b = 0; b < g->in.n; ++b) {
        int8_t *image = buf + (size_t)b * h * w * channels;
        for (int32_t c = 0; c < channels; ++c) {
            const int8_t *wt = filter + (size_t)c * ntaps;
            const int32_t *rq = p->requant + 4 * c;
            for (int32_t i = 0; i < h * w; ++i)
                plane[i] = image[(size_t)i * channels + c];
            for (int32_t oy = 0; oy < h; ++oy) {
                for (int32_t ox = 0; ox < w; ++ox) {
                    int32_t acc = p->bias[c];
                    for (int32_t ky = 0; ky < g->kh; ++ky) {
                        const int32_t iy = oy - g->pad_top + ky * g->dil_h;
                        const int row_ok = iy >= 0 && iy < h;
                        for (int32_t kx = 0; kx < g->kw; ++kx) {
                            const int32_t ix = ox - g->pad_left + kx * g->dil_w;
                            const int32_t v = row_ok && ix >= 0 && ix < w ? plane[iy * w + ix] : pad;
                            acc += v * wt[ky * g->kw + kx];
                        }
                    }
                    int32_t v = tm_conv_requant_ch(acc, rq) + out_off;
                    v = v < lo ? lo : v;
                    image[((size_t)oy * w + ox) * channels + c] = (int8_t)(v > hi ? hi : v);
                }
            }
        }
    }
}

tm_status tm_depthwise_conv2d_inplace_s8(const tm_conv2d_geom *g,
                                         const tm_depthwise_conv2d_params_s8 *p, int8_t *buf,
                                         const int8_t *filter, void *scratch, size_t scratch_bytes)
{
    tm_status st = tm_depthwise_conv2d_check_geom(g);
    if (st != TM_OK)
        return st;
    const int mode = tm_dw_inplace_mode(g);
    if (mode < 0)
        return TM_ERR_UNSUPPORTED;
    if (scratch == NULL || scratch_bytes < tm_depthwise_conv2d_inplace_s8_scratch_size(g))
        return TM_ERR_SCRATCH;
    if (mode == 1) {
        tm_dw_inplace_channels(g, p, buf, filter, (int8_t *)scratch);
        return TM_OK;
    }
    const size_t in_row = (size_t)g->in.w * g->in.c, out_row = (size_t)g->out.w * g->out.c;
    const int is3x3 = tm_dw_is_3x3(g);
    const size_t base = is3x3 ? 0 : tm_depthwise_conv2d_s8_scratch_size(g);
    const int32_t slots = tm_inplace_row_slots(g, in_row, out_row);
    int8_t *ring = (int8_t *)scratch + tm_inplace_align8(base);
    int32_t done = 0;
    for (int32_t oy = 0; oy < g->out.h; ++oy) {
        tm_conv2d_geom sub;
        int32_t first = 0;
        if (!tm_inplace_row_geom(g, oy, &sub, &first))
            return TM_ERR_UNSUPPORTED;
        const int8_t *src = buf + (size_t)first * in_row;
        int8_t *dst = ring + (size_t)(oy % slots) * out_row;
        st = is3x3 ? tm_depthwise_conv2d_3x3_s8(&sub, p, src, filter, dst)
                   : tm_depthwise_conv2d_s8(&sub, p, src, filter, dst, scratch, base);
        if (st != TM_OK)
            return st;
        tm_inplace_flush(g, buf, ring, slots, &done, oy + 1, in_row, out_row);
    }
    return TM_OK;
}
