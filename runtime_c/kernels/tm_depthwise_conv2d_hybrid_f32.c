/* Hybrid DepthwiseConv2D: float32 activations, int8 weights (LiteRT reference semantics on
 * x86-64): each batch image is quantized asymmetrically (scale s, zero point zp), the taps are
 * accumulated in int32 with out-of-image taps reading a pad row of zp, and
 *   output = float(acc - zp * filter_sum[o]) * (filter_scale[o] * s) + bias[o], clamped. */
#include "tinymem/depthwise_conv2d.h"

#define TM__ALIGN16(n) (((size_t)(n) + 15u) / 16u * 16u)

size_t tm_depthwise_conv2d_hybrid_f32_scratch_size(const tm_conv2d_geom *g)
{
    return TM__ALIGN16((size_t)g->in.n * g->in.h * g->in.w * g->in.c) + TM__ALIGN16(g->in.c) +
           (size_t)g->kh * g->kw * TM_DEPTHWISE_TAP_BYTES;
}

tm_status tm_depthwise_conv2d_hybrid_f32(const tm_conv2d_geom *g,
                                         const tm_depthwise_conv2d_params_hybrid *p,
                                         const float *input, const int8_t *filter, float *output,
                                         void *scratch, size_t scratch_bytes)
{
    tm_status st = tm_depthwise_conv2d_check_geom(g);
    if (st != TM_OK)
        return st;
    if ((p->scale_count != 1 && p->scale_count != g->out.c) || p->filter_sum == NULL)
        return TM_ERR_PARAM;
    if (scratch == NULL || scratch_bytes < tm_depthwise_conv2d_hybrid_f32_scratch_size(g))
        return TM_ERR_SCRATCH;
    const int32_t ntaps = g->kh * g->kw, channels = g->in.c, mult = g->out.c / g->in.c;
    const int32_t image_size = g->in.h * g->in.w * channels;
    int8_t *qimage = (int8_t *)scratch;
    int8_t *pad_row = qimage + TM__ALIGN16((size_t)g->in.n * image_size);
    const int8_t **taps = (const int8_t **)(void *)(pad_row + TM__ALIGN16(channels));
    const float lo = p->act.min, hi = p->act.max;

    for (int32_t b = 0; b < g->in.n; ++b) {
        int8_t *image = qimage + (size_t)b * image_size;
        float scale;
        int32_t zp;
        tm_hybrid_quantize_asymmetric(input + (size_t)b * image_size, image_size, image, &scale,
                                      &zp);
        memset(pad_row, zp, (size_t)channels);
        for (int32_t oy = 0; oy < g->out.h; ++oy) {
            for (int32_t ox = 0; ox < g->out.w; ++ox) {
                TM_DEPTHWISE_TAPS(int8_t, g, image, oy, ox, pad_row, taps);
                float *out = output + (((size_t)b * g->out.h + oy) * g->out.w + ox) * g->out.c;
                const int8_t *w = filter;
                for (int32_t c = 0; c < channels; ++c) {
                    for (int32_t m = 0; m < mult; ++m, w += ntaps) {
                        const int32_t o = c * mult + m;
                        int32_t acc = 0;
                        for (int32_t t = 0; t < ntaps; ++t)
                            acc += taps[t][c] * w[t];
                        acc -= zp * p->filter_sum[o];
                        const float s = p->filter_scale[p->scale_count > 1 ? o : 0] * scale;
                        float v = (float)acc * s;
                        if (p->bias)
                            v = v + p->bias[o];
                        v = v < lo ? lo : v;
                        out[o] = v > hi ? hi : v;
                    }
                }
            }
        }
    }
    return TM_OK;
}
