/* int8 Conv2D, bit-exact with TFLite Micro's reference ConvPerChannel.
 *
 * Output pixels are processed in pairs against blocks of TM_CONV2D_BLOCK output channels (the
 * filter is stored block-interleaved, see conv2d.h), so each activation and filter byte loaded
 * feeds several multiply-accumulates; on 64-bit hosts the two pixels share one 64-bit multiply.
 * Each pixel's receptive field is read in place (1x1 filter without padding) or gathered into an
 * im2col row where taps outside the image hold the input zero point: filter * (x + input_offset)
 * then sums to TFLM's sum over the taps inside the image, and the input_offset term is part of
 * the folded bias. Requantization is TFLM's double rounding (tm_conv_requant_ch). */
#include "tinymem/conv2d.h"

size_t tm_conv2d_s8_scratch_size(const tm_conv2d_geom *g)
{
    if (tm_conv2d_is_pointwise(g))
        return 0;
    return 2u * (size_t)g->kh * g->kw * (g->in.c / (g->groups > 0 ? g->groups : 1));
}

tm_status tm_conv2d_s8(const tm_conv2d_geom *g, const tm_conv2d_params_s8 *p,
                       const int8_t *input, const int8_t *filter, int8_t *output,
                       void *scratch, size_t scratch_bytes)
{
    tm_status st = tm_conv2d_check_geom(g);
    if (st != TM_OK)
        return st;
    const int pointwise = tm_conv2d_is_pointwise(g);
    if (!pointwise && (scratch == NULL || scratch_bytes < tm_conv2d_s8_scratch_size(g)))
        return TM_ERR_SCRATCH;

    const int32_t groups = g->groups, ig = g->in.c / groups, og = g->out.c / groups;
    const int32_t depth = g->kh * g->kw * ig; /* dot product length */
    const int32_t npix = g->out.h * g->out.w;
    const int8_t pad = (int8_t)(-p->input_offset);
    int8_t *row0 = (int8_t *)scratch, *row1 = row0 + (pointwise ? 0 : depth);
    const int32_t *bias = p->bias, *requant = p->requant;
    const int32_t out_off = p->output_offset, lo = p->act.min, hi = p->act.max;

    for (int32_t b = 0; b < g->in.n; ++b) {
        const int8_t *image = input + (size_t)b * g->in.h * g->in.w * g->in.c;
        int8_t *out_img = output + (size_t)b * npix * g->out.c;
        for (int32_t pix = 0; pix < npix; pix += 2) {
            const int two = pix + 1 < npix;
            const int32_t oy0 = pix / g->out.w, ox0 = pix % g->out.w;
            const int32_t oy1 = two ? (pix + 1) / g->out.w : oy0;
            const int32_t ox1 = two ? (pix + 1) % g->out.w : ox0;
            int8_t *out0 = out_img + (size_t)pix * g->out.c;
            /* an odd last pixel is paired with itself: both halves store the same values */
            int8_t *out1 = two ? out0 + g->out.c : out0;
            for (int32_t grp = 0; grp < groups; ++grp) {
                const int8_t *a0, *a1;
                if (pointwise) {
                    a0 = image + ((size_t)oy0 * g->stride_h * g->in.w + (size_t)ox0 * g->stride_w) *
                                     g->in.c + (size_t)grp * ig;
                    a1 = image + ((size_t)oy1 * g->stride_h * g->in.w + (size_t)ox1 * g->stride_w) *
                                     g->in.c + (size_t)grp * ig;
                } else {
                    tm_conv2d_im2col(g, image, oy0, ox0, grp, row0, 1, pad);
                    if (two)
                        tm_conv2d_im2col(g, image, oy1, ox1, grp, row1, 1, pad);
                    a0 = row0;
                    a1 = two ? row1 : row0;
                }
                const int32_t o_end = (grp + 1) * og;
                for (int32_t o = grp * og; o < o_end; o += TM_CONV2D_BLOCK) {
                    const int32_t nb = o_end - o < TM_CONV2D_BLOCK ? o_end - o : TM_CONV2D_BLOCK;
                    int32_t acc0[TM_CONV2D_BLOCK], acc1[TM_CONV2D_BLOCK];
                    tm_conv2d_dot2_block_s8(a0, a1, filter + (size_t)o * depth, depth, nb, bias + o,
                                            acc0, acc1);
                    const int32_t *rq = requant + 4 * o;
                    for (int32_t j = 0; j < nb; ++j, rq += 4) {
                        int32_t v0 = tm_conv_requant_ch(acc0[j], rq) + out_off;
                        int32_t v1 = tm_conv_requant_ch(acc1[j], rq) + out_off;
                        v0 = v0 < lo ? lo : v0;
                        v1 = v1 < lo ? lo : v1;
                        out0[o + j] = (int8_t)(v0 > hi ? hi : v0);
                        out1[o + j] = (int8_t)(v1 > hi ? hi : v1);
                    }
                }
            }
        }
    }
    return TM_OK;
}
