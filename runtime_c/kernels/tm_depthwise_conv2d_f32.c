/* float32 DepthwiseConv2D (any filter size, stride, dilation and depth multiplier).
 *
 * Each output value is summed over the taps in TFLM's order (ky, kx); out-of-image taps read
 * the zero pad row (adding 0 * w leaves the sum unchanged), then bias and clamp. */
#include "tinymem/depthwise_conv2d.h"

size_t tm_depthwise_conv2d_f32_scratch_size(const tm_conv2d_geom *g)
{
    return (size_t)g->kh * g->kw * TM_DEPTHWISE_TAP_BYTES;
}

tm_status tm_depthwise_conv2d_f32(const tm_conv2d_geom *g,
                                  const tm_depthwise_conv2d_params_f32 *p, const float *input,
                                  const float *filter, float *output, void *scratch,
                                  size_t scratch_bytes)
{
    tm_status st = tm_depthwise_conv2d_check_geom(g);
    if (st != TM_OK)
        return st;
    if (scratch == NULL || scratch_bytes < tm_depthwise_conv2d_f32_scratch_size(g))
        return TM_ERR_SCRATCH;
    const float **taps = (const float **)scratch;
    const int32_t ntaps = g->kh * g->kw, channels = g->in.c, mult = g->out.c / g->in.c;
    const float *bias = p->bias;
    const float lo = p->act.min, hi = p->act.max;

    for (int32_t b = 0; b < g->in.n; ++b) {
        const float *image = input + (size_t)b * g->in.h * g->in.w * channels;
        for (int32_t oy = 0; oy < g->out.h; ++oy) {
            for (int32_t ox = 0; ox < g->out.w; ++ox) {
                TM_DEPTHWISE_TAPS(float, g, image, oy, ox, p->pad_row, taps);
                float *out = output + (((size_t)b * g->out.h + oy) * g->out.w + ox) * g->out.c;
                const float *w = filter;
                for (int32_t c = 0; c < channels; ++c) {
                    for (int32_t m = 0; m < mult; ++m, w += ntaps) {
                        const int32_t o = c * mult + m;
                        float acc = 0.0f;
                        for (int32_t t = 0; t < ntaps; ++t)
                            acc += taps[t][c] * w[t];
                        if (bias)
                            acc += bias[o];
                        acc = acc < lo ? lo : acc;
                        out[o] = acc > hi ? hi : acc;
                    }
                }
            }
        }
    }
    return TM_OK;
}
