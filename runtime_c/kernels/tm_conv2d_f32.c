/* float32 Conv2D.
 *
 * Each output value is summed in TFLM's order (ky, kx, input channel), then the bias is added
 * and the activation clamp applied. Output pixels and channels are processed in 2x2 blocks over
 * im2col rows (zeros outside the image: adding 0 * w leaves every partial sum unchanged). */
#include "tinymem/conv2d.h"

size_t tm_conv2d_f32_scratch_size(const tm_conv2d_geom *g)
{
    if (tm_conv2d_is_pointwise(g))
        return 0;
    return 2u * sizeof(float) * (size_t)g->kh * g->kw * (g->in.c / (g->groups > 0 ? g->groups : 1));
}

static inline float tm__act(const tm_conv2d_params_f32 *p, float v, int32_t o)
{
    if (p->bias)
        v += p->bias[o];
    v = v < p->act.min ? p->act.min : v;
    return v > p->act.max ? p->act.max : v;
}

tm_status tm_conv2d_f32(const tm_conv2d_geom *g, const tm_conv2d_params_f32 *p,
                        const float *input, const float *filter, float *output,
                        void *scratch, size_t scratch_bytes)
{
    tm_status st = tm_conv2d_check_geom(g);
    if (st != TM_OK)
        return st;
    const int pointwise = tm_conv2d_is_pointwise(g);
    if (!pointwise && (scratch == NULL || scratch_bytes < tm_conv2d_f32_scratch_size(g)))
        return TM_ERR_SCRATCH;

    const int32_t groups = g->groups, ig = g->in.c / groups, og = g->out.c / groups;
    const int32_t depth = g->kh * g->kw * ig;
    const int32_t npix = g->out.h * g->out.w;
    float *row0 = (float *)scratch, *row1 = row0 + (pointwise ? 0 : depth);

    for (int32_t b = 0; b < g->in.n; ++b) {
        const float *image = input + (size_t)b * g->in.h * g->in.w * g->in.c;
        float *out_img = output + (size_t)b * npix * g->out.c;
        for (int32_t pix = 0; pix < npix; pix += 2) {
            const int two = pix + 1 < npix;
            const int32_t oy0 = pix / g->out.w, ox0 = pix % g->out.w;
            const int32_t oy1 = two ? (pix + 1) / g->out.w : oy0;
            const int32_t ox1 = two ? (pix + 1) % g->out.w : ox0;
            float *out0 = out_img + (size_t)pix * g->out.c;
            float *out1 = out0 + g->out.c;
            for (int32_t grp = 0; grp < groups; ++grp) {
                const float *a0, *a1;
                if (pointwise) {
                    a0 = image + ((size_t)oy0 * g->stride_h * g->in.w + (size_t)ox0 * g->stride_w) *
                                     g->in.c + (size_t)grp * ig;
                    a1 = image + ((size_t)oy1 * g->stride_h * g->in.w + (size_t)ox1 * g->stride_w) *
                                     g->in.c + (size_t)grp * ig;
                } else {
                    tm_conv2d_im2col(g, image, oy0, ox0, grp, row0, sizeof(float), 0);
                    if (two)
                        tm_conv2d_im2col(g, image, oy1, ox1, grp, row1, sizeof(float), 0);
                    a0 = row0;
                    a1 = two ? row1 : row0;
                }
                const int32_t o_end = (grp + 1) * og;
                for (int32_t o = grp * og; o < o_end; o += 2) {
                    const int pair = o + 1 < o_end;
                    const float *w0 = filter + (size_t)o * depth;
                    const float *w1 = pair ? w0 + depth : w0;
                    float s00 = 0.0f, s01 = 0.0f, s10 = 0.0f, s11 = 0.0f;
                    for (int32_t k = 0; k < depth; ++k) {
                        const float x0 = a0[k], x1 = a1[k], v0 = w0[k], v1 = w1[k];
                        s00 += x0 * v0;
                        s01 += x0 * v1;
                        s10 += x1 * v0;
                        s11 += x1 * v1;
                    }
                    out0[o] = tm__act(p, s00, o);
                    if (pair)
                        out0[o + 1] = tm__act(p, s01, o + 1);
                    if (two) {
                        out1[o] = tm__act(p, s10, o);
                        if (pair)
                            out1[o + 1] = tm__act(p, s11, o + 1);
                    }
                }
            }
        }
    }
    return TM_OK;
}
