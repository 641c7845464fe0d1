/* int8 DepthwiseConv2D (any filter size, stride, dilation and depth multiplier), bit-exact
 * with TFLite Micro's reference DepthwiseConvPerChannel.
 *
 * Per output pixel the kh*kw tap pointers are computed once (out-of-image taps point at the
 * zero-point pad row), then every output channel is a dot product over the taps with its
 * contiguous filter row, started from the folded bias. */
#include "tinymem/depthwise_conv2d.h"

size_t tm_depthwise_conv2d_s8_scratch_size(const tm_conv2d_geom *g)
{
    return (size_t)g->kh * g->kw * TM_DEPTHWISE_TAP_BYTES;
}

tm_status tm_depthwise_conv2d_s8(const tm_conv2d_geom *g, const tm_depthwise_conv2d_params_s8 *p,
                                 const int8_t *input, const int8_t *filter, int8_t *output,
                                 void *scratch, size_t scratch_bytes)
{
    tm_status st = tm_depthwise_conv2d_check_geom(g);
    if (st != TM_OK)
        return st;
    if (scratch == NULL || scratch_bytes < tm_depthwise_conv2d_s8_scratch_size(g))
        return TM_ERR_SCRATCH;
    const int8_t **taps = (const int8_t **)scratch;
    const int32_t ntaps = g->kh * g->kw, channels = g->in.c, mult = g->out.c / g->in.c;
    const int32_t *bias = p->bias, *requant = p->requant;
    const int32_t out_off = p->output_offset, lo = p->act.min, hi = p->act.max;

    for (int32_t b = 0; b < g->in.n; ++b) {
        const int8_t *image = input + (size_t)b * g->in.h * g->in.w * channels;
        for (int32_t oy = 0; oy < g->out.h; ++oy) {
            for (int32_t ox = 0; ox < g->out.w; ++ox) {
                TM_DEPTHWISE_TAPS(int8_t, g, image, oy, ox, p->pad_row, taps);
                int8_t *out = output + (((size_t)b * g->out.h + oy) * g->out.w + ox) * g->out.c;
                const int8_t *w = filter;
                for (int32_t c = 0; c < channels; ++c) {
                    for (int32_t m = 0; m < mult; ++m, w += ntaps) {
                        const int32_t o = c * mult + m;
                        int32_t acc = bias[o];
                        for (int32_t t = 0; t < ntaps; ++t)
                            acc += taps[t][c] * w[t];
                        int32_t v = tm_conv_requant_ch(acc, requant + 4 * o) + out_off;
                        v = v < lo ? lo : v;
                        out[o] = (int8_t)(v > hi ? hi : v);
                    }
                }
            }
        }
    }
    return TM_OK;
}
