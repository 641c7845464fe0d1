/* int8 DepthwiseConv2D in place: the output overwrites the input in one buffer (both start at
 * `buf`), bit-exact with tm_depthwise_conv2d_s8. Two modes (see depthwise_conv2d.h), whichever
 * needs the smaller scratch (rows on a tie):
 *
 *  - channels: depth multiplier 1, stride 1, output as large as the input. Output channel c
 *    depends on input channel c only and sits at the same positions: each input channel plane
 *    is copied into the scratch (inside a border of zero points: (h + (kh-1)*dh) x
 *    (w + (kw-1)*dw) values) and the output channel computed from the copy.
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
    const size_t base = tm_dw_is_3x3(g) ? tm_depthwise_conv2d_3x3_s8_scratch_size(g)
                                        : tm_depthwise_conv2d_s8_scratch_size(g);
    return tm_inplace_align8(base) + (size_t)tm_inplace_row_slots(g, in_row, out_row) * out_row;
}

/* Channels mode scratch: one channel plane with its padding. */
static size_t tm_dw_plane_bytes(const tm_conv2d_geom *g)
{
    return (size_t)(g->in.h + (g->kh - 1) * g->dil_h) * (size_t)(g->in.w + (g->kw - 1) * g->dil_w);
}

/* 1: channels mode, 0: rows mode, -1: neither */
static int tm_dw_inplace_mode(const tm_conv2d_geom *g)
{
    const size_t rows = tm_dw_rows_scratch(g);
    if (tm_dw_inplace_channels_ok(g) && (rows == 0 || tm_dw_plane_bytes(g) < rows))
        return 1;
    return rows ? 0 : -1;
}

size_t tm_depthwise_conv2d_inplace_s8_scratch_size(const tm_conv2d_geom *g)
{
    if (tm_depthwise_conv2d_check_geom(g) != TM_OK)
        return 0;
    switch (tm_dw_inplace_mode(g)) {
    case 1:
        return tm_dw_plane_bytes(g);
    case 0:
        return tm_dw_rows_scratch(g);
    default:
        return 0;
    }
}

static inline int8_t tm_dw_inplace_out(int32_t acc, const int32_t *rq, int32_t out_off, int32_t lo,
                                       int32_t hi)
{
    int32_t v = tm_conv_requant_ch(acc, rq) + out_off;
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

/* Channels mode: the scratch holds one channel plane with its padding, (h + (kh-1)*dh) x
 * (w + (kw-1)*dw) values; the border is filled with the input zero point once, then per channel
 * the plane's inside is gathered from the buffer and the output channel computed from it and
 * scattered back (3x3 unrolled, two pixels at a time sharing their loads). */
static void tm_dw_inplace_channels(const tm_conv2d_geom *g, const tm_depthwise_conv2d_params_s8 *p,
                                   int8_t *buf, const int8_t *filter, int8_t *plane)
{
    const int32_t h = g->in.h, w = g->in.w, channels = g->in.c, ntaps = g->kh * g->kw;
    const int32_t pw = w + (g->kw - 1) * g->dil_w, ph = h + (g->kh - 1) * g->dil_h;
    const int32_t out_off = p->output_offset, lo = p->act.min, hi = p->act.max;
    const int fast3 = g->kh == 3 && g->kw == 3 && g->dil_h == 1 && g->dil_w == 1;
    memset(plane, -p->input_offset, (size_t)pw * ph);
    for (int32_t b = 0; b < g->in.n; ++b) {
        int8_t *image = buf + (size_t)b * h * w * channels;
        for (int32_t c = 0; c < channels; ++c) {
            const int8_t *wt = filter + (size_t)c * ntaps;
            const int32_t *rq = p->requant + 4 * c;
            const int32_t bias = p->bias[c];
            int8_t *ch = image + c;
            for (int32_t y = 0; y < h; ++y) {
                int8_t *row = plane + (size_t)(y + g->pad_top) * pw + g->pad_left;
                const int8_t *src = ch + (size_t)y * w * channels;
                for (int32_t x = 0; x < w; ++x)
                    row[x] = src[(size_t)x * channels];
            }
            for (int32_t oy = 0; oy < h; ++oy) {
                const int8_t *r0 = plane + (size_t)oy * pw;
                int8_t *dst = ch + (size_t)oy * w * channels;
                if (fast3) {
                    const int32_t w0 = wt[0], w1 = wt[1], w2 = wt[2], w3 = wt[3], w4 = wt[4];
                    const int32_t w5 = wt[5], w6 = wt[6], w7 = wt[7], w8 = wt[8];
                    const int8_t *r1 = r0 + pw, *r2 = r1 + pw;
                    int32_t ox = 0;
                    for (; ox + 2 <= w; ox += 2) {
                        const int32_t a0 = r0[ox], a1 = r0[ox + 1], a2 = r0[ox + 2], a3 = r0[ox + 3];
                        const int32_t b0 = r1[ox], b1 = r1[ox + 1], b2 = r1[ox + 2], b3 = r1[ox + 3];
                        const int32_t c0 = r2[ox], c1 = r2[ox + 1], c2 = r2[ox + 2], c3 = r2[ox + 3];
                        const int32_t s0 = bias + a0 * w0 + a1 * w1 + a2 * w2 + b0 * w3 + b1 * w4 +
                                           b2 * w5 + c0 * w6 + c1 * w7 + c2 * w8;
                        const int32_t s1 = bias + a1 * w0 + a2 * w1 + a3 * w2 + b1 * w3 + b2 * w4 +
                                           b3 * w5 + c1 * w6 + c2 * w7 + c3 * w8;
                        dst[(size_t)ox * channels] = tm_dw_inplace_out(s0, rq, out_off, lo, hi);
                        dst[(size_t)(ox + 1) * channels] = tm_dw_inplace_out(s1, rq, out_off, lo, hi);
                    }
                    if (ox < w) {
                        const int32_t s0 = bias + r0[ox] * w0 + r0[ox + 1] * w1 + r0[ox + 2] * w2 +
                                           r1[ox] * w3 + r1[ox + 1] * w4 + r1[ox + 2] * w5 +
                                           r2[ox] * w6 + r2[ox + 1] * w7 + r2[ox + 2] * w8;
                        dst[(size_t)ox * channels] = tm_dw_inplace_out(s0, rq, out_off, lo, hi);
                    }
                    continue;
                }
                for (int32_t ox = 0; ox < w; ++ox) {
                    int32_t acc = bias;
                    for (int32_t ky = 0; ky < g->kh; ++ky) {
                        const int8_t *rr = r0 + (size_t)ky * g->dil_h * pw + ox;
                        for (int32_t kx = 0; kx < g->kw; ++kx)
                            acc += rr[kx * g->dil_w] * wt[ky * g->kw + kx];
                    }
                    dst[(size_t)ox * channels] = tm_dw_inplace_out(acc, rq, out_off, lo, hi);
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
    const size_t base = is3x3 ? tm_depthwise_conv2d_3x3_s8_scratch_size(g)
                              : tm_depthwise_conv2d_s8_scratch_size(g);
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
        st = is3x3 ? tm_depthwise_conv2d_3x3_s8(&sub, p, src, filter, dst, scratch, base)
                   : tm_depthwise_conv2d_s8(&sub, p, src, filter, dst, scratch, base);
        if (st != TM_OK)
            return st;
        tm_inplace_flush(g, buf, ring, slots, &done, oy + 1, in_row, out_row);
    }
    return TM_OK;
}
