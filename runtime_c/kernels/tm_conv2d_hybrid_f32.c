/* Hybrid Conv2D: float32 activations, int8 weights (LiteRT reference semantics on x86-64).
 *
 * Per batch image: quantize the input to int8 (symmetric, or asymmetric with a zero point for
 * per-channel weight scales), accumulate filter * (q - zp) in int32 over the taps inside the
 * image (im2col rows are padded with zp, the zp term is removed with filter_sum), then
 *   symmetric:  out = float(acc) * (scale * filter_scale[0]) + bias
 *   asymmetric: out = float(acc) * filter_scale[o] * scale + bias
 * each product rounded to float in that order, and clamp. */
#include "tinymem/conv2d.h"

size_t tm_conv2d_hybrid_f32_scratch_size(const tm_conv2d_geom *g)
{
    const size_t q = ((size_t)g->in.n * g->in.h * g->in.w * g->in.c + 15u) / 16u * 16u;
    if (tm_conv2d_is_pointwise(g))
        return q;
    return q + 2u * (size_t)g->kh * g->kw * (g->in.c / (g->groups > 0 ? g->groups : 1));
}

typedef struct {
    float scale; /* symmetric: input scale * filter scale; asymmetric: input scale */
    int32_t zp;
} tm__batch_q;

static inline float tm__out(const tm_conv2d_params_hybrid *p, const tm__batch_q *bq, int32_t acc,
                            int32_t o)
{
    float v;
    if (p->asymmetric) {
        acc -= bq->zp * p->filter_sum[o];
        v = (float)acc * p->filter_scale[p->scale_count > 1 ? o : 0];
        v = v * bq->scale;
    } else {
        v = (float)acc * bq->scale;
    }
    if (p->bias)
        v = v + p->bias[o];
    v = v < p->act.min ? p->act.min : v;
    return v > p->act.max ? p->act.max : v;
}

tm_status tm_conv2d_hybrid_f32(const tm_conv2d_geom *g, const tm_conv2d_params_hybrid *p,
                               const float *input, const int8_t *filter, float *output,
                               void *scratch, size_t scratch_bytes)
{
    tm_status st = tm_conv2d_check_geom(g);
    if (st != TM_OK)
        return st;
    if ((p->scale_count != 1 && p->scale_count != g->out.c) ||
        (p->asymmetric && p->filter_sum == NULL))
        return TM_ERR_PARAM;
    if (scratch == NULL || scratch_bytes < tm_conv2d_hybrid_f32_scratch_size(g))
        return TM_ERR_SCRATCH;

    const int pointwise = tm_conv2d_is_pointwise(g);
    const int32_t groups = g->groups, ig = g->in.c / groups, og = g->out.c / groups;
    const int32_t depth = g->kh * g->kw * ig;
    const int32_t npix = g->out.h * g->out.w;
    const int32_t image_size = g->in.h * g->in.w * g->in.c;
    int8_t *qimage = (int8_t *)scratch;
    int8_t *row0 = qimage + ((size_t)g->in.n * image_size + 15u) / 16u * 16u;
    int8_t *row1 = row0 + (pointwise ? 0 : depth);

    for (int32_t b = 0; b < g->in.n; ++b) {
        int8_t *image = qimage + (size_t)b * image_size;
        tm__batch_q bq;
        if (p->asymmetric) {
            tm_hybrid_quantize_asymmetric(input + (size_t)b * image_size, image_size, image,
                                          &bq.scale, &bq.zp);
        } else {
            tm_hybrid_quantize_symmetric(input + (size_t)b * image_size, image_size, image,
                                         &bq.scale);
            bq.scale = bq.scale * p->filter_scale[0];
            bq.zp = 0;
        }
        const int8_t pad = (int8_t)bq.zp;
        float *out_img = output + (size_t)b * npix * g->out.c;
        for (int32_t pix = 0; pix < npix; pix += 2) {
            const int two = pix + 1 < npix;
            const int32_t oy0 = pix / g->out.w, ox0 = pix % g->out.w;
            const int32_t oy1 = two ? (pix + 1) / g->out.w : oy0;
            const int32_t ox1 = two ? (pix + 1) % g->out.w : ox0;
            float *out0 = out_img + (size_t)pix * g->out.c;
            /* an odd last pixel is paired with itself: both halves store the same values */
            float *out1 = two ? out0 + g->out.c : out0;
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
                    tm_conv2d_dot2_block_s8(a0, a1, filter + (size_t)o * depth, depth, nb, NULL,
                                            acc0, acc1);
                    for (int32_t j = 0; j < nb; ++j) {
                        out0[o + j] = tm__out(p, &bq, acc0[j], o + j);
                        out1[o + j] = tm__out(p, &bq, acc1[j], o + j);
                    }
                }
            }
        }
    }
    return TM_OK;
}
