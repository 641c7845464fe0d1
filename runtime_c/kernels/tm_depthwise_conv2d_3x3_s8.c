/* int8 DepthwiseConv2D for 3x3 filters with depth multiplier 1 (any stride, dilation and
 * padding), bit-exact with TFLite Micro's reference DepthwiseConvPerChannel.
 *
 * Generic pixels: the nine tap pointers live in locals (out-of-image taps point at the
 * zero-point pad row); each channel is nine multiply-accumulates on top of the folded bias and
 * one requantization.
 * With horizontal stride 1 and dilation 1, two horizontally adjacent pixels whose four input
 * columns are inside the image are computed together: per filter row they read four input
 * values instead of six, and share the filter and requantization loads. Rows outside the image
 * read the pad row (4 * channels zero points). */
#include "tinymem/depthwise_conv2d.h"

static inline int8_t tm__out(int32_t acc, const int32_t *rq, int32_t out_off, int32_t lo,
                             int32_t hi)
{
    int32_t v = tm_conv_requant_ch(acc, rq) + out_off;
    v = v < lo ? lo : v;
    return (int8_t)(v > hi ? hi : v);
}

size_t tm_depthwise_conv2d_3x3_s8_scratch_size(const tm_conv2d_geom *g)
{
    (void)g;
    return 0;
}

tm_status tm_depthwise_conv2d_3x3_s8(const tm_conv2d_geom *g,
                                     const tm_depthwise_conv2d_params_s8 *p,
                                     const int8_t *input, const int8_t *filter, int8_t *output,
                                     void *scratch, size_t scratch_bytes)
{
    (void)scratch; /* none needed */
    (void)scratch_bytes;
    tm_status st = tm_depthwise_conv2d_check_geom(g);
    if (st != TM_OK)
        return st;
    if (g->kh != 3 || g->kw != 3 || g->out.c != g->in.c)
        return TM_ERR_SHAPE;
    const int32_t channels = g->in.c;
    const int32_t *bias = p->bias, *requant = p->requant;
    const int32_t out_off = p->output_offset, lo = p->act.min, hi = p->act.max;
    const int8_t *pad = p->pad_row;
    const int pairs = g->stride_w == 1 && g->dil_w == 1;
    const size_t row_stride = (size_t)g->in.w * channels;
    const size_t c1 = (size_t)channels, c2 = 2 * c1, c3 = 3 * c1;
    const int8_t *taps[9];

    for (int32_t b = 0; b < g->in.n; ++b) {
        const int8_t *image = input + (size_t)b * g->in.h * row_stride;
        int8_t *out = output + (size_t)b * g->out.h * g->out.w * channels;
        for (int32_t oy = 0; oy < g->out.h; ++oy) {
            const int32_t y0 = oy * g->stride_h - g->pad_top;
            const int8_t *rows[3]; /* input rows of the three filter rows, NULL outside */
            for (int32_t ky = 0; ky < 3; ++ky) {
                const int32_t iy = y0 + ky * g->dil_h;
                rows[ky] = iy >= 0 && iy < g->in.h ? image + (size_t)iy * row_stride : NULL;
            }
            for (int32_t ox = 0; ox < g->out.w;) {
                const int32_t x0 = ox * g->stride_w - g->pad_left;
                if (pairs && ox + 1 < g->out.w && x0 >= 0 && x0 + 3 < g->in.w) {
                    const size_t col = (size_t)x0 * channels;
                    const int8_t *r0 = rows[0] ? rows[0] + col : pad;
                    const int8_t *r1 = rows[1] ? rows[1] + col : pad;
                    const int8_t *r2 = rows[2] ? rows[2] + col : pad;
                    const int8_t *w = filter;
                    for (int32_t c = 0; c < channels; ++c, w += 9, ++r0, ++r1, ++r2) {
                        int32_t a = bias[c], e = a, x, y, z, u;
                        x = r0[0], y = r0[c1], z = r0[c2], u = r0[c3];
                        a += x * w[0] + y * w[1] + z * w[2];
                        e += y * w[0] + z * w[1] + u * w[2];
                        x = r1[0], y = r1[c1], z = r1[c2], u = r1[c3];
                        a += x * w[3] + y * w[4] + z * w[5];
                        e += y * w[3] + z * w[4] + u * w[5];
                        x = r2[0], y = r2[c1], z = r2[c2], u = r2[c3];
                        a += x * w[6] + y * w[7] + z * w[8];
                        e += y * w[6] + z * w[7] + u * w[8];
                        out[c] = tm__out(a, requant + 4 * c, out_off, lo, hi);
                        out[c1 + c] = tm__out(e, requant + 4 * c, out_off, lo, hi);
                    }
                    out += c2;
                    ox += 2;
                    continue;
                }
                for (int32_t kx = 0; kx < 3; ++kx) {
                    const int32_t ix = x0 + kx * g->dil_w;
                    const int col_ok = ix >= 0 && ix < g->in.w;
                    const size_t col = (size_t)ix * channels;
                    for (int32_t ky = 0; ky < 3; ++ky)
                        taps[ky * 3 + kx] = col_ok && rows[ky] ? rows[ky] + col : pad;
                }
                const int8_t *t0 = taps[0], *t1 = taps[1], *t2 = taps[2], *t3 = taps[3],
                             *t4 = taps[4], *t5 = taps[5], *t6 = taps[6], *t7 = taps[7],
                             *t8 = taps[8];
                const int8_t *w = filter;
                for (int32_t c = 0; c < channels; ++c, w += 9) {
                    int32_t acc = bias[c];
                    acc += t0[c] * w[0] + t1[c] * w[1] + t2[c] * w[2];
                    acc += t3[c] * w[3] + t4[c] * w[4] + t5[c] * w[5];
                    acc += t6[c] * w[6] + t7[c] * w[7] + t8[c] * w[8];
                    out[c] = tm__out(acc, requant + 4 * c, out_off, lo, hi);
                }
                out += c1;
                ++ox;
            }
        }
    }
    return TM_OK;
}
