/*
 * The int8 3x3 depthwise core of the DSP kernels (tm_depthwise_conv2d_3x3_s8.c and the in-place
 * variant tm_depthwise_conv2d_inplace_s8.c); not a public API.
 *
 * Channels are taken in chunks of TM__CHUNK. For each chunk the weights are re-laid out once in
 * the kernel's scratch as vertical pairs (w[0][kx], w[1][kx]) plus the bottom row, with the bias and the
 * requantization constants (tm_arm_rqf), so each output is, per filter column, one PKHBT of two
 * input rows, one SMLAD and one multiply-accumulate for the third row, then four instructions of
 * requantization, the output offset and a saturation.
 * Two horizontally adjacent output pixels whose input columns are inside the image are computed
 * together (with stride and dilation 1 they share two of their three input columns); border
 * pixels one at a time (out-of-image taps read the zero-point pad row).
 */
#ifndef TINYMEM_ARM_DW3X3_H
#define TINYMEM_ARM_DW3X3_H

#include "tinymem/depthwise_conv2d.h"
#include "tm_arm_dsp.h"

#define TM__CHUNK 32 /* channels prepared together */

/* One channel: bias, weights and requantization. */
typedef struct {
    int32_t bias;
    int32_t w03, w14, w25; /* (w[0][kx], w[1][kx]) as int16 pairs */
    int32_t w6, w7, w8;    /* w[2][kx] */
    tm_arm_rqf q;
} tm__dwc;

/* Output of a channel: requantized, offset and clamped. fast: tm_arm_rqf applies and the clamp
 * is [-128, 127] (compile-time constant in each caller). */
static inline __attribute__((always_inline)) int8_t tm__dw_out(int32_t acc, const tm__dwc *k,
                                                               int fast, const int32_t *rq,
                                                               int32_t out_off, int32_t lo,
                                                               int32_t hi)
{
    if (fast)
        return (int8_t)__ssat(tm_arm_rqf_apply(acc, &k->q) + out_off, 8);
    return tm_arm_clamp_s8(tm_arm_requant(acc, rq) + out_off, lo, hi);
}

/* Outputs a and e of a channel (constants k) to o[0] and o[o1]: both computed before either is
 * stored, so the int8 stores (which may alias anything, the constants in the scratch too) do
 * not force the constants to be loaded twice. */
#define TM__DW_STORE2(o, o1, a, e, k, fast, rq, out_off, lo, hi)                             \
    do {                                                                                    \
        const int8_t ya_ = tm__dw_out((a), (k), (fast), (rq), (out_off), (lo), (hi));        \
        const int8_t ye_ = tm__dw_out((e), (k), (fast), (rq), (out_off), (lo), (hi));        \
        (o)[0] = ya_;                                                                       \
        (o)[o1] = ye_;                                                                      \
    } while (0)

/* One filter column: rows r0, r1 (paired) and r2 at the channel's input column. */
#define TM__DW_COL(acc, wp, ws, x0, x1, x2) \
    acc = tm_arm_smlad((wp), tm_arm_pkhbt((x0), (x1)), (acc)) + (x2) * (ws)

/* The output rows of one chunk (channels c0 .. c0+nc-1). */
/* The output rows of channels c0 .. c0+nc-1 (constants kc): `input` and `output` point at
 * channel c0 of pixel 0, whose pixels are in_cs and out_cs bytes apart (the channel counts of
 * the tensors they live in; in_cs <= g->in.c, so the pad row's 4 * in.c bytes cover 4 pixels). */
static inline __attribute__((always_inline)) void
tm__dw_chunk(const tm_conv2d_geom *g, const tm_depthwise_conv2d_params_s8 *p,
             const int8_t *input, size_t in_cs, int8_t *output, size_t out_cs,
             const tm__dwc *kc, int32_t c0, int32_t nc, const int fast)
{
    const int32_t out_off = p->output_offset, lo = p->act.min, hi = p->act.max;
    const int32_t *rq = p->requant + 4 * c0;
    const int8_t *pad = p->pad_row;
    const size_t row_stride = (size_t)g->in.w * in_cs;
    const size_t c1 = in_cs, c2 = 2 * c1, c3 = 3 * c1, o1 = out_cs;
    const size_t dx = (size_t)g->dil_w * c1, next = (size_t)g->stride_w * c1;
    const int unit = g->stride_w == 1 && g->dil_w == 1;

    for (int32_t b = 0; b < g->in.n; ++b) {
        const int8_t *image = input + (size_t)b * g->in.h * row_stride;
        int8_t *out = output + (size_t)b * g->out.h * g->out.w * out_cs;
        for (int32_t oy = 0; oy < g->out.h; ++oy) {
            const int32_t y0 = oy * g->stride_h - g->pad_top;
            const int8_t *rows[3]; /* input rows of the filter rows, NULL outside */
            for (int32_t ky = 0; ky < 3; ++ky) {
                const int32_t iy = y0 + ky * g->dil_h;
                rows[ky] = iy >= 0 && iy < g->in.h ? image + (size_t)iy * row_stride : NULL;
            }
            for (int32_t ox = 0; ox < g->out.w;) {
                const int32_t x0 = ox * g->stride_w - g->pad_left;
                if (ox + 1 < g->out.w && x0 >= 0 && x0 + g->stride_w + 2 * g->dil_w < g->in.w) {
                    /* two pixels, all columns inside the image */
                    const size_t col = (size_t)x0 * in_cs;
                    const int8_t *u0 = rows[0] ? rows[0] + col : pad;
                    const int8_t *u1 = rows[1] ? rows[1] + col : pad;
                    const int8_t *u2 = rows[2] ? rows[2] + col : pad;
                    int8_t *o = out;
                    if (unit) {
                        /* four columns serve both pixels; the pad row holds 4 * in.c zero
                         * points, enough for rows outside the image */
                        for (int32_t c = 0; c < nc; ++c, ++u0, ++u1, ++u2, ++o) {
                            const tm__dwc *k = &kc[c];
                            int32_t a = k->bias, e = a, x0v, x1v, x2v;
                            x0v = u0[0], x1v = u1[0], x2v = u2[0];
                            TM__DW_COL(a, k->w03, k->w6, x0v, x1v, x2v);
                            x0v = u0[c1], x1v = u1[c1], x2v = u2[c1];
                            TM__DW_COL(a, k->w14, k->w7, x0v, x1v, x2v);
                            TM__DW_COL(e, k->w03, k->w6, x0v, x1v, x2v);
                            x0v = u0[c2], x1v = u1[c2], x2v = u2[c2];
                            TM__DW_COL(a, k->w25, k->w8, x0v, x1v, x2v);
                            TM__DW_COL(e, k->w14, k->w7, x0v, x1v, x2v);
                            x0v = u0[c3], x1v = u1[c3], x2v = u2[c3];
                            TM__DW_COL(e, k->w25, k->w8, x0v, x1v, x2v);
                            TM__DW_STORE2(o, o1, a, e, k, fast, rq + 4 * c, out_off, lo, hi);
                        }
                    } else {
                        /* rows outside the image read the pad row's first channels */
                        const size_t d0 = rows[0] ? dx : 0, n0 = rows[0] ? next : 0;
                        const size_t d1 = rows[1] ? dx : 0, n1 = rows[1] ? next : 0;
                        const size_t d2 = rows[2] ? dx : 0, n2 = rows[2] ? next : 0;
                        for (int32_t c = 0; c < nc; ++c, ++u0, ++u1, ++u2, ++o) {
                            const tm__dwc *k = &kc[c];
                            int32_t a = k->bias, e = a;
                            TM__DW_COL(a, k->w03, k->w6, u0[0], u1[0], u2[0]);
                            TM__DW_COL(a, k->w14, k->w7, u0[d0], u1[d1], u2[d2]);
                            TM__DW_COL(a, k->w25, k->w8, u0[2 * d0], u1[2 * d1], u2[2 * d2]);
                            const int8_t *v0 = u0 + n0, *v1 = u1 + n1, *v2 = u2 + n2;
                            TM__DW_COL(e, k->w03, k->w6, v0[0], v1[0], v2[0]);
                            TM__DW_COL(e, k->w14, k->w7, v0[d0], v1[d1], v2[d2]);
                            TM__DW_COL(e, k->w25, k->w8, v0[2 * d0], v1[2 * d1], v2[2 * d2]);
                            TM__DW_STORE2(o, o1, a, e, k, fast, rq + 4 * c, out_off, lo, hi);
                        }
                    }
                    out += 2 * o1;
                    ox += 2;
                    continue;
                }
                const int8_t *t[9];
                for (int32_t kx = 0; kx < 3; ++kx) {
                    const int32_t ix = x0 + kx * g->dil_w;
                    const int col_ok = ix >= 0 && ix < g->in.w;
                    const size_t col = (size_t)ix * in_cs;
                    for (int32_t ky = 0; ky < 3; ++ky)
                        t[ky * 3 + kx] = col_ok && rows[ky] ? rows[ky] + col : pad;
                }
                for (int32_t c = 0; c < nc; ++c) {
                    const tm__dwc *k = &kc[c];
                    int32_t a = k->bias;
                    TM__DW_COL(a, k->w03, k->w6, t[0][c], t[3][c], t[6][c]);
                    TM__DW_COL(a, k->w14, k->w7, t[1][c], t[4][c], t[7][c]);
                    TM__DW_COL(a, k->w25, k->w8, t[2][c], t[5][c], t[8][c]);
                    out[c] = tm__dw_out(a, k, fast, rq + 4 * c, out_off, lo, hi);
                }
                out += o1;
                ++ox;
            }
        }
    }
}

/* Prepares the constants of channels c0 .. c0+nc-1 (nc <= TM__CHUNK); returns 1 when every
 * channel's tm_arm_rqf applies and the clamp is [-128, 127]. */
static inline int tm__dw_prepare(const tm_depthwise_conv2d_params_s8 *p, const int8_t *filter,
                                 int32_t c0, int32_t nc, tm__dwc *kc)
{
    int fast = p->act.min == -128 && p->act.max == 127;
    for (int32_t c = 0; c < nc; ++c) {
        const int8_t *w = filter + (size_t)(c0 + c) * 9;
        tm__dwc *k = &kc[c];
        k->bias = p->bias[c0 + c];
        k->w03 = tm_arm_pkhbt(w[0], w[3]);
        k->w14 = tm_arm_pkhbt(w[1], w[4]);
        k->w25 = tm_arm_pkhbt(w[2], w[5]);
        k->w6 = w[6];
        k->w7 = w[7];
        k->w8 = w[8];
        /* |acc| <= |bias| + 9 * 128 * 128 */
        const uint32_t bound =
            (uint32_t)(k->bias < 0 ? -(int64_t)k->bias : k->bias) + 9u * 128u * 128u;
        fast &= tm_arm_rqf_make(p->requant + 4 * (c0 + c), bound, &k->q);
    }
    return fast;
}

/* tm__dw_chunk with the fast path chosen at run time */
static inline void tm__dw_run(const tm_conv2d_geom *g, const tm_depthwise_conv2d_params_s8 *p,
                              const int8_t *input, size_t in_cs, int8_t *output, size_t out_cs,
                              const tm__dwc *kc, int32_t c0, int32_t nc, int fast)
{
    if (fast)
        tm__dw_chunk(g, p, input, in_cs, output, out_cs, kc, c0, nc, 1);
    else
        tm__dw_chunk(g, p, input, in_cs, output, out_cs, kc, c0, nc, 0);
}

#endif /* TINYMEM_ARM_DW3X3_H */
