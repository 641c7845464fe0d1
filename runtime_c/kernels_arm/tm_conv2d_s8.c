/* int8 Conv2D for Cortex-M with the DSP extension: the signature, scratch size and results of
 * runtime_c/kernels/tm_conv2d_s8.c (bit-exact with TFLite Micro's ConvPerChannel), with SMLAD
 * dot products.
 *
 * The filter is block-interleaved (conv2d.h): tap k of an 8-filter block holds filters 0..7 in
 * 8 bytes. A word of four activations a[k..k+3] gives the SMLAD operands (a[k], a[k+2]) and
 * (a[k+1], a[k+3]); the matching filter pairs (w[k][f], w[k+2][f]) are built with SXTB16 and
 * PKHBT/PKHTB from the words of taps k and k+2.
 *
 * Two paths:
 *  - panel: output channels in panels of 4; a panel's filters are re-laid out once into a stack
 *    buffer (TM_ARM_PANEL_BYTES) as ready SMLAD pairs, then every output pixel takes two loads
 *    and two SMLADs per filter and 4 taps. The pixel's receptive field is read in place, one
 *    contiguous span per filter row (pointwise: one span; rows cut by the image border or the
 *    stride go through an im2col row in scratch). Used when the panel fits and spans are whole
 *    words: groups == 1, kw * c % 4 == 0 (or 1x1), 8 * depth <= TM_ARM_PANEL_BYTES.
 *  - pairs: otherwise (the general case), as the portable kernel: two output pixels (im2col rows
 *    in scratch unless pointwise) against each 8-filter block read from the filter in place.
 * Requantization: tm_arm_requant, identical to tm_conv_requant_ch. */
#include "tinymem/conv2d.h"
#include "tm_arm_dsp.h"

size_t tm_conv2d_s8_scratch_size(const tm_conv2d_geom *g)
{
    if (tm_conv2d_is_pointwise(g))
        return 0;
    return 2u * (size_t)g->kh * g->kw * (g->in.c / (g->groups > 0 ? g->groups : 1));
}

/* ---------------------------------------------------------------------------------------- */
/* pairs path                                                                                 */
/* ---------------------------------------------------------------------------------------- */

/* Filters f and f+2 of an 8-filter block for two pixels over n4 groups of 4 taps. w points at
 * the block's word holding filter f at tap 0 (byte offset 0 for f = 0, 1, 4 for f = 4, 5);
 * odd selects bytes 1 and 3 of each word (f = 1, 5). s = {pixel 0 f, pixel 0 f+2, pixel 1 f,
 * pixel 1 f+2}. */
static inline void tm__pass8(const int8_t *a0, const int8_t *a1, const int8_t *w, int32_t n4,
                             int odd, int32_t *s)
{
    int32_t s0f = s[0], s0g = s[1], s1f = s[2], s1g = s[3];
    const int8_t *end = a0 + 4 * n4;
    while (a0 != end) {
        const int32_t A0 = tm_arm_ld4(a0), A1 = tm_arm_ld4(a1);
        const int32_t W0 = tm_arm_ld4(w), W2 = tm_arm_ld4(w + 16);
        const int32_t e0 = odd ? tm_arm_sxtb16_ror8(W0) : tm_arm_sxtb16(W0);
        const int32_t e2 = odd ? tm_arm_sxtb16_ror8(W2) : tm_arm_sxtb16(W2);
        int32_t x0 = tm_arm_sxtb16(A0), x1 = tm_arm_sxtb16(A1);
        int32_t p = tm_arm_pkhbt(e0, e2);
        s0f = tm_arm_smlad(p, x0, s0f);
        s1f = tm_arm_smlad(p, x1, s1f);
        p = tm_arm_pkhtb(e2, e0);
        s0g = tm_arm_smlad(p, x0, s0g);
        s1g = tm_arm_smlad(p, x1, s1g);
        const int32_t W1 = tm_arm_ld4(w + 8), W3 = tm_arm_ld4(w + 24);
        const int32_t e1 = odd ? tm_arm_sxtb16_ror8(W1) : tm_arm_sxtb16(W1);
        const int32_t e3 = odd ? tm_arm_sxtb16_ror8(W3) : tm_arm_sxtb16(W3);
        x0 = tm_arm_sxtb16_ror8(A0);
        x1 = tm_arm_sxtb16_ror8(A1);
        p = tm_arm_pkhbt(e1, e3);
        s0f = tm_arm_smlad(p, x0, s0f);
        s1f = tm_arm_smlad(p, x1, s1f);
        p = tm_arm_pkhtb(e3, e1);
        s0g = tm_arm_smlad(p, x0, s0g);
        s1g = tm_arm_smlad(p, x1, s1g);
        a0 += 4;
        a1 += 4;
        w += 32;
    }
    s[0] = s0f;
    s[1] = s0g;
    s[2] = s1f;
    s[3] = s1g;
}

/* acc0[j], acc1[j] (j < nb) = init[j] + dot(a0 / a1, filter j of the block w), depth n. */
static void tm__block_dot2(const int8_t *a0, const int8_t *a1, const int8_t *w, int32_t n,
                           int32_t nb, const int32_t *init, int32_t *acc0, int32_t *acc1)
{
    if (nb == TM_CONV2D_BLOCK) {
        const int32_t n4 = n >> 2;
        /* pass (word offset, odd) -> filters: (0,0) 0,2; (0,1) 1,3; (4,0) 4,6; (4,1) 5,7 */
        for (int32_t pass = 0; pass < 4; ++pass) {
            const int32_t f = (pass & 2) * 2 + (pass & 1);
            int32_t s[4] = {init[f], init[f + 2], init[f], init[f + 2]};
            if (pass & 1)
                tm__pass8(a0, a1, w + (pass & 2) * 2, n4, 1, s);
            else
                tm__pass8(a0, a1, w + (pass & 2) * 2, n4, 0, s);
            acc0[f] = s[0];
            acc0[f + 2] = s[1];
            acc1[f] = s[2];
            acc1[f + 2] = s[3];
        }
        for (int32_t k = n4 * 4; k < n; ++k) {
            const int8_t *v = w + (size_t)k * TM_CONV2D_BLOCK;
            const int32_t x0 = a0[k], x1 = a1[k];
            for (int32_t j = 0; j < TM_CONV2D_BLOCK; ++j) {
                acc0[j] += x0 * v[j];
                acc1[j] += x1 * v[j];
            }
        }
        return;
    }
    for (int32_t j = 0; j < nb; ++j) {
        int32_t s0 = init[j], s1 = init[j];
        const int8_t *v = w + j;
        for (int32_t k = 0; k < n; ++k, v += nb) {
            s0 += a0[k] * v[0];
            s1 += a1[k] * v[0];
        }
        acc0[j] = s0;
        acc1[j] = s1;
    }
}

static tm_status tm__conv_pairs(const tm_conv2d_geom *g, const tm_conv2d_params_s8 *p,
                                const int8_t *input, const int8_t *filter, int8_t *output,
                                void *scratch)
{
    const int pointwise = tm_conv2d_is_pointwise(g);
    const int32_t groups = g->groups, ig = g->in.c / groups, og = g->out.c / groups;
    const int32_t depth = g->kh * g->kw * ig;
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
                    tm__block_dot2(a0, a1, filter + (size_t)o * depth, depth, nb, bias + o, acc0,
                                   acc1);
                    const int32_t *rq = requant + 4 * o;
                    for (int32_t j = 0; j < nb; ++j, rq += 4) {
                        out0[o + j] = tm_arm_clamp_s8(tm_arm_requant(acc0[j], rq) + out_off, lo, hi);
                        out1[o + j] = tm_arm_clamp_s8(tm_arm_requant(acc1[j], rq) + out_off, lo, hi);
                    }
                }
            }
        }
    }
    return TM_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* panel path                                                                                 */
/* ---------------------------------------------------------------------------------------- */

#define TM__SUB 4         /* filters accumulated together in registers */
#define TM__PANEL_MAX 32  /* filters per panel at most */

/* Filters o0 .. o0+nf-1 laid out as SMLAD operands, in sub-blocks of 4 filters: for sub-block s,
 * 4-tap group i and filter f of the sub-block, panel[((s * depth4 + i) * 4 + f) * 2 + {0, 1}] =
 * (w[4i][o], w[4i+2][o]), (w[4i+1][o], w[4i+3][o]) as int16 pairs; taps past depth and filters
 * past nf are zeros. The source is the block-interleaved filter of a groups == 1 conv; o0 is a
 * multiple of 4, so a sub-block is one half of an 8-filter block. */
static void tm__panel_fill(const int8_t *filter, int32_t depth, int32_t depth4, int32_t oc,
                           int32_t o0, int32_t nf, int32_t *panel)
{
    const int32_t nsub = (nf + TM__SUB - 1) / TM__SUB;
    for (int32_t sub = 0; sub < nsub; ++sub) {
        const int32_t f0 = o0 + sub * TM__SUB;
        const int32_t blk = f0 / TM_CONV2D_BLOCK * TM_CONV2D_BLOCK;
        const int32_t nb = oc - blk < TM_CONV2D_BLOCK ? oc - blk : TM_CONV2D_BLOCK;
        const int8_t *v = filter + (size_t)blk * depth + (f0 - blk);
        int32_t *dst = panel + (size_t)sub * depth4 * 2 * TM__SUB;
        int32_t i = 0;
        if (nb == TM_CONV2D_BLOCK && f0 + TM__SUB <= o0 + nf) {
            /* four filters of tap k are one word: SXTB16 splits them into the pairs of
             * filters (0, 2) and (1, 3), PKH re-pairs them by taps (k, k+2) */
            for (; 4 * i + 4 <= depth; ++i, v += 4 * TM_CONV2D_BLOCK, dst += 2 * TM__SUB) {
                const int32_t k0 = tm_arm_ld4(v), k1 = tm_arm_ld4(v + 8), k2 = tm_arm_ld4(v + 16),
                              k3 = tm_arm_ld4(v + 24);
                const int32_t e0 = tm_arm_sxtb16(k0), e1 = tm_arm_sxtb16(k1),
                              e2 = tm_arm_sxtb16(k2), e3 = tm_arm_sxtb16(k3);
                const int32_t d0 = tm_arm_sxtb16_ror8(k0), d1 = tm_arm_sxtb16_ror8(k1),
                              d2 = tm_arm_sxtb16_ror8(k2), d3 = tm_arm_sxtb16_ror8(k3);
                dst[0] = tm_arm_pkhbt(e0, e2);
                dst[1] = tm_arm_pkhbt(e1, e3);
                dst[2] = tm_arm_pkhbt(d0, d2);
                dst[3] = tm_arm_pkhbt(d1, d3);
                dst[4] = tm_arm_pkhtb(e2, e0);
                dst[5] = tm_arm_pkhtb(e3, e1);
                dst[6] = tm_arm_pkhtb(d2, d0);
                dst[7] = tm_arm_pkhtb(d3, d1);
            }
            v -= (size_t)4 * i * TM_CONV2D_BLOCK;
        }
        for (; i < depth4; ++i, dst += 2 * TM__SUB) {
            for (int32_t f = 0; f < TM__SUB; ++f) {
                uint32_t w[4] = {0, 0, 0, 0};
                if (f0 + f < o0 + nf)
                    for (int32_t q = 0; q < 4; ++q) {
                        const int32_t k = 4 * i + q;
                        if (k < depth)
                            w[q] = (uint32_t)(int32_t)v[(size_t)k * nb + f];
                    }
                dst[2 * f] = (int32_t)((w[0] & 0xFFFFu) | (w[2] << 16));
                dst[2 * f + 1] = (int32_t)((w[1] & 0xFFFFu) | (w[3] << 16));
            }
        }
    }
}

/* One 4-tap group of the span loop: A = 4 activations (post-increment a), 8 panel words for 4
 * filters through two LDMs, 8 SMLADs. */
#define TM__GROUP                                                                            \
    "ldr    %[A], [%[a]], #4\n\t"                                                            \
    "ldmia  %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"                                         \
    "sxtb16 %[xe], %[A]\n\t"                                                                 \
    "sxtb16 %[A], %[A], ror #8\n\t"                                                          \
    "smlad  %[s0], %[w0], %[xe], %[s0]\n\t"                                                  \
    "smlad  %[s0], %[w1], %[A], %[s0]\n\t"                                                   \
    "smlad  %[s1], %[w2], %[xe], %[s1]\n\t"                                                  \
    "smlad  %[s1], %[w3], %[A], %[s1]\n\t"                                                   \
    "ldmia  %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"                                         \
    "smlad  %[s2], %[w0], %[xe], %[s2]\n\t"                                                  \
    "smlad  %[s2], %[w1], %[A], %[s2]\n\t"                                                   \
    "smlad  %[s3], %[w2], %[xe], %[s3]\n\t"                                                  \
    "smlad  %[s3], %[w3], %[A], %[s3]\n\t"

#define TM__SPAN_OPERANDS                                                                    \
    [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), [a] "+r"(a_), [w] "+r"(w),   \
        [A] "=&r"(A_), [xe] "=&r"(xe_), [w0] "=&r"(w0_), [w1] "=&r"(w1_), [w2] "=&r"(w2_),     \
        [w3] "=&r"(w3_)

/* s0..s3 += dot(a[0 .. 4 n4), filter f of the sub-block at w) for n4 >= 1; w advances past the
 * n4 groups. The weights go through r8-r11 so that LDM can fetch them (its register list must
 * ascend). A macro, so that s0..s3 and w stay in registers. */
#define TM__SPAN(a, n4, w, s0, s1, s2, s3)                                                   \
    do {                                                                                    \
        register int32_t w0_ __asm__("r8");                                                 \
        register int32_t w1_ __asm__("r9");                                                 \
        register int32_t w2_ __asm__("r10");                                                \
        register int32_t w3_ __asm__("r11");                                                \
        const int8_t *a_ = (a);                                                             \
        const int32_t n4_ = (n4);                                                           \
        int32_t A_, xe_;                                                                    \
        if (n4_ & 1)                                                                        \
            __asm__(TM__GROUP : TM__SPAN_OPERANDS : : "memory");                            \
        if (n4_ >= 2) {                                                                     \
            const int8_t *end_ = a_ + 4 * (n4_ & ~1);                                       \
            __asm__("1:\n\t" TM__GROUP TM__GROUP "cmp    %[a], %[end]\n\t"                  \
                    "bne    1b\n\t"                                                         \
                    : TM__SPAN_OPERANDS                                                     \
                    : [end] "r"(end_)                                                       \
                    : "cc", "memory");                                                      \
        }                                                                                   \
    } while (0)

/* Output channels per panel for this convolution (a multiple of 4), 0 when the panel path
 * cannot run it. */
static int32_t tm__panel_filters(const tm_conv2d_geom *g)
{
    const int32_t depth = g->kh * g->kw * g->in.c, depth4 = (depth + 3) / 4;
    if (g->groups != 1 || depth < 2)
        return 0;
    if (tm_conv2d_is_pointwise(g) && depth % 4)
        return 0; /* no scratch to pad the pixels' rows in */
    int32_t pf = 4 * (TM_ARM_PANEL_BYTES / (32 * depth4));
    const int32_t oc4 = (g->out.c + 3) / 4 * 4;
    pf = pf < oc4 ? pf : oc4;
    return pf < TM__PANEL_MAX ? pf : TM__PANEL_MAX;
}

/* Requantizes and stores the nf (<= 4) outputs of a sub-block. fast: every filter's tm_arm_rqf
 * applies and the clamp is [-128, 127]. */
static inline void tm__store4(int8_t *out, int32_t s0, int32_t s1, int32_t s2, int32_t s3,
                              int32_t nf, const tm_arm_rqf *q, int fast, const int32_t *rq,
                              int32_t out_off, int32_t lo, int32_t hi)
{
    if (fast && nf == 4) {
        out[0] = (int8_t)__ssat(tm_arm_rqf_apply(s0, &q[0]) + out_off, 8);
        out[1] = (int8_t)__ssat(tm_arm_rqf_apply(s1, &q[1]) + out_off, 8);
        out[2] = (int8_t)__ssat(tm_arm_rqf_apply(s2, &q[2]) + out_off, 8);
        out[3] = (int8_t)__ssat(tm_arm_rqf_apply(s3, &q[3]) + out_off, 8);
        return;
    }
    const int32_t s[4] = {s0, s1, s2, s3};
    for (int32_t f = 0; f < nf; ++f)
        out[f] = tm_arm_clamp_s8(tm_arm_requant(s[f], rq + 4 * f) + out_off, lo, hi);
}

static tm_status tm__conv_panel(const tm_conv2d_geom *g, const tm_conv2d_params_s8 *p,
                                const int8_t *input, const int8_t *filter, int8_t *output,
                                void *scratch, int32_t pf)
{
    int32_t panel[TM_ARM_PANEL_BYTES / 4];
    tm_arm_rqf q[TM__PANEL_MAX];
    int32_t bias[TM__PANEL_MAX];
    int fast[TM__PANEL_MAX / TM__SUB];
    const int pointwise = tm_conv2d_is_pointwise(g);
    const int32_t c = g->in.c, oc = g->out.c, depth = g->kh * g->kw * c;
    const int32_t depth4 = (depth + 3) / 4;
    /* rows of the receptive field read in place: whole words, contiguous taps */
    const int spans = !pointwise && g->dil_w == 1 && (g->kw * c) % 4 == 0;
    const int32_t span4 = g->kw * c / 4;
    const size_t row_bytes = (size_t)g->in.w * c;
    const int8_t pad = (int8_t)(-p->input_offset);
    int8_t *row = (int8_t *)scratch;
    const int32_t out_off = p->output_offset, lo = p->act.min, hi = p->act.max;

    for (int32_t o0 = 0; o0 < oc; o0 += pf) {
        const int32_t nf = oc - o0 < pf ? oc - o0 : pf;
        const int32_t nsub = (nf + TM__SUB - 1) / TM__SUB;
        tm__panel_fill(filter, depth, depth4, oc, o0, nf, panel);
        for (int32_t f = 0; f < nsub * TM__SUB; ++f) {
            bias[f] = f < nf ? p->bias[o0 + f] : 0;
            if (f % TM__SUB == 0)
                fast[f / TM__SUB] = lo == -128 && hi == 127 && depth < (1 << 15);
            /* |acc| <= |bias| + 128 * sum |w| <= |bias| + 2^14 * depth */
            const uint32_t bound = (uint32_t)(bias[f] < 0 ? -(int64_t)bias[f] : bias[f]) +
                                   ((uint32_t)depth << 14);
            if (f < nf && !tm_arm_rqf_make(p->requant + 4 * (o0 + f), bound, &q[f]))
                fast[f / TM__SUB] = 0;
        }
        for (int32_t b = 0; b < g->in.n; ++b) {
            const int8_t *image = input + (size_t)b * g->in.h * row_bytes;
            int8_t *out = output + (size_t)b * g->out.h * g->out.w * oc + o0;
            for (int32_t oy = 0; oy < g->out.h; ++oy) {
                const int32_t y0 = oy * g->stride_h - g->pad_top;
                const int rows_in = y0 >= 0 && y0 + (g->kh - 1) * g->dil_h < g->in.h;
                for (int32_t ox = 0; ox < g->out.w; ++ox, out += oc) {
                    const int32_t x0 = ox * g->stride_w - g->pad_left;
                    const int8_t *a;
                    int32_t nspan = 1, n4 = depth4;
                    size_t step = 0;
                    if (pointwise) {
                        a = image + (size_t)oy * g->stride_h * row_bytes +
                            (size_t)ox * g->stride_w * c;
                    } else if (spans && rows_in && x0 >= 0 && x0 + g->kw <= g->in.w) {
                        a = image + (size_t)y0 * row_bytes + (size_t)x0 * c;
                        nspan = g->kh;
                        n4 = span4;
                        step = (size_t)g->dil_h * row_bytes;
                    } else {
                        tm_conv2d_im2col(g, image, oy, ox, 0, row, 1, pad);
                        for (int32_t k = depth; k < 4 * depth4; ++k)
                            row[k] = 0; /* within scratch: 2 * depth >= 4 * depth4 */
                        a = row;
                    }
                    const int32_t *w = panel;
                    for (int32_t f0 = 0; f0 < nf; f0 += TM__SUB) {
                        int32_t s0 = bias[f0], s1 = bias[f0 + 1], s2 = bias[f0 + 2],
                                s3 = bias[f0 + 3];
                        if (nspan == 1) {
                            TM__SPAN(a, n4, w, s0, s1, s2, s3);
                        } else {
                            const int8_t *ar = a;
                            for (int32_t r = 0; r < nspan; ++r, ar += step)
                                TM__SPAN(ar, n4, w, s0, s1, s2, s3);
                        }
                        tm__store4(out + f0, s0, s1, s2, s3, nf - f0 < 4 ? nf - f0 : 4, q + f0,
                                   fast[f0 / TM__SUB], p->requant + 4 * (o0 + f0), out_off, lo,
                                   hi);
                    }
                }
            }
        }
    }
    return TM_OK;
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
    const int32_t pf = tm__panel_filters(g);
    if (pf > 0)
        return tm__conv_panel(g, p, input, filter, output, scratch, pf);
    return tm__conv_pairs(g, p, input, filter, output, scratch);
}
