/* int8 Conv2D for Cortex-M with the DSP extension: the signature, scratch size and results of
 * runtime_c/kernels/tm_conv2d_s8.c (bit-exact with TFLite Micro's ConvPerChannel), with SMLAD
 * dot products.
 *
 * A word of four activations a[k..k+3] gives, through SXTB16, the SMLAD operands (a[k], a[k+2])
 * and (a[k+1], a[k+3]); the filter must be paired the same way, (w[k][o], w[k+2][o]) and
 * (w[k+1][o], w[k+3][o]). The filter is block-interleaved (conv2d.h: tap k of an 8-filter block
 * holds filters 0..7 in 8 bytes), so SXTB16 of its words pairs filters, not taps; PKHBT/PKHTB
 * re-pair them.
 *
 * Two paths:
 *  - panel (groups == 1, two output pixels at least, and the re-laid-out weights fit
 *    TM_ARM_PANEL_BYTES): output channels in panels of up to 32 filters. A panel's weights are
 *    re-laid out once in the scratch (after the im2col rows) as ready SMLAD pairs, 4 filters per sub-block, each kernel row padded with zero weights to whole
 *    words. Then per output pixel and sub-block: one load, two SXTB16, two LDMs and eight SMLADs
 *    per 4 taps, reading the receptive field in place, one span per kernel row (pointwise: one
 *    span), or from an im2col row in scratch for pixels at the image border or when the row
 *    padding would read past the image row. Requantization through tm_arm_rqf (LDM of a
 *    filter's constants and five ALU instructions) with SSAT when the clamp is [-128, 127].
 *  - pairs (otherwise, or when the caller gave only the portable kernel's scratch, as the
 *    portable in-place kernel does): as the portable kernel, two output pixels (im2col rows in scratch unless
 *    pointwise) against each 8-filter block read from the filter in place, pairs built with
 *    PKHBT/PKHTB for every use.
 *
 * Scratch (tm_conv2d_s8_scratch_size): the portable kernel's two im2col rows, and for the panel
 * path, after them (at a multiple of 8), the sub-blocks' constants (84 B per 4 filters) and the
 * panel (32 B per 4 taps of 4 filters). No buffer of this kernel is on the stack.
 */
#include "tinymem/conv2d.h"
#include "tm_arm_dsp.h"

/* The portable kernel's scratch: two im2col rows (none for pointwise). */
static size_t tm__rows_bytes(const tm_conv2d_geom *g)
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

/* A sub-block's bias and requantization (tm_arm_rqf, LDM-able: 4 words per filter). */
typedef struct {
    int32_t bias[TM__SUB];
    tm_arm_rqf q[TM__SUB];
    int32_t fast; /* every filter's tm_arm_rqf applies and the clamp is [-128, 127] */
} tm__sub;

/* Panel geometry: taps per kernel row, 4-tap groups per (padded) kernel row and in all. */
typedef struct {
    int32_t rowb, span4, depth4;
} tm__pgeom;

static tm__pgeom tm__panel_geom(const tm_conv2d_geom *g)
{
    tm__pgeom pg;
    pg.rowb = g->kw * g->in.c;
    pg.span4 = (pg.rowb + 3) / 4;
    pg.depth4 = g->kh * pg.span4;
    return pg;
}

/* Output channels per panel (a multiple of 4), 0 when the panel path does not run (it needs
 * two output pixels at least: re-laying out the weights costs about as much as two pixels of
 * the pairs path save). */
static int32_t tm__panel_filters(const tm_conv2d_geom *g)
{
    const tm__pgeom pg = tm__panel_geom(g);
    if (g->groups != 1 || (int64_t)g->in.n * g->out.h * g->out.w < 2)
        return 0;
    if (tm_conv2d_is_pointwise(g) ? g->in.c % 4 != 0 : pg.rowb % 4 != 0 && pg.rowb < 3)
        return 0; /* pointwise: no scratch to pad rows in; else the padded im2col row must fit */
    int32_t pf = 4 * (TM_ARM_PANEL_BYTES / (32 * pg.depth4));
    const int32_t oc4 = (g->out.c + 3) / 4 * 4;
    pf = pf < oc4 ? pf : oc4;
    return pf < TM__PANEL_MAX ? pf : TM__PANEL_MAX;
}

/* Scratch of the panel path after the im2col rows (rounded up to 8): the sub-blocks' constants,
 * then the re-laid-out weights of a panel of pf filters. */
static size_t tm__panel_bytes(const tm_conv2d_geom *g, int32_t pf)
{
    const tm__pgeom pg = tm__panel_geom(g);
    return (size_t)(pf / TM__SUB) * (sizeof(tm__sub) + 8u * TM__SUB * (size_t)pg.depth4);
}

size_t tm_conv2d_s8_scratch_size(const tm_conv2d_geom *g)
{
    const size_t rows = tm__rows_bytes(g);
    const int32_t pf = tm__panel_filters(g);
    return pf > 0 ? (rows + 7) / 8 * 8 + tm__panel_bytes(g, pf) : rows;
}

/* Filters o0 .. o0+nf-1 (o0 a multiple of 4) as SMLAD operands: for sub-block s, kernel row ky,
 * 4-tap group i of the row and filter f of the sub-block, the words
 *   panel[((s * depth4 + ky * span4 + i) * 4 + f) * 2 + {0, 1}]
 * hold (w[j][o], w[j+2][o]) and (w[j+1][o], w[j+3][o]) for taps j = 4i .. 4i+3 of the row (k =
 * ky * rowb + j in the filter), zeros past the row and for filters past nf. A full sub-block is
 * one half of a full 8-filter block: four filters of a tap are one word, and SXTB16 + PKH turn
 * the words of 4 taps into the 8 pairs. */
static void tm__panel_fill(const int8_t *filter, const tm__pgeom *pg, int32_t kh, int32_t oc,
                           int32_t o0, int32_t nf, int32_t *panel)
{
    const int32_t depth = kh * pg->rowb;
    for (int32_t f0 = o0; f0 < o0 + nf; f0 += TM__SUB) {
        const int32_t blk = f0 / TM_CONV2D_BLOCK * TM_CONV2D_BLOCK;
        const int32_t nb = oc - blk < TM_CONV2D_BLOCK ? oc - blk : TM_CONV2D_BLOCK;
        const int8_t *v = filter + (size_t)blk * depth + (f0 - blk);
        const int whole = nb == TM_CONV2D_BLOCK && f0 + TM__SUB <= o0 + nf;
        for (int32_t ky = 0; ky < kh; ++ky) {
            for (int32_t j = 0; j < 4 * pg->span4; j += 4, panel += 2 * TM__SUB) {
                const int32_t k = ky * pg->rowb + j;
                if (whole && j + 4 <= pg->rowb) {
                    const int8_t *u = v + (size_t)k * TM_CONV2D_BLOCK;
                    const int32_t k0 = tm_arm_ld4(u), k1 = tm_arm_ld4(u + 8),
                                  k2 = tm_arm_ld4(u + 16), k3 = tm_arm_ld4(u + 24);
                    const int32_t e0 = tm_arm_sxtb16(k0), e1 = tm_arm_sxtb16(k1),
                                  e2 = tm_arm_sxtb16(k2), e3 = tm_arm_sxtb16(k3);
                    const int32_t d0 = tm_arm_sxtb16_ror8(k0), d1 = tm_arm_sxtb16_ror8(k1),
                                  d2 = tm_arm_sxtb16_ror8(k2), d3 = tm_arm_sxtb16_ror8(k3);
                    panel[0] = tm_arm_pkhbt(e0, e2);
                    panel[1] = tm_arm_pkhbt(e1, e3);
                    panel[2] = tm_arm_pkhbt(d0, d2);
                    panel[3] = tm_arm_pkhbt(d1, d3);
                    panel[4] = tm_arm_pkhtb(e2, e0);
                    panel[5] = tm_arm_pkhtb(e3, e1);
                    panel[6] = tm_arm_pkhtb(d2, d0);
                    panel[7] = tm_arm_pkhtb(d3, d1);
                    continue;
                }
                for (int32_t f = 0; f < TM__SUB; ++f) {
                    uint32_t w[4] = {0, 0, 0, 0};
                    if (f0 + f < o0 + nf)
                        for (int32_t q = 0; q < 4 && j + q < pg->rowb; ++q)
                            w[q] = (uint32_t)(int32_t)v[(size_t)(k + q) * nb + f];
                    panel[2 * f] = (int32_t)((w[0] & 0xFFFFu) | (w[2] << 16));
                    panel[2 * f + 1] = (int32_t)((w[1] & 0xFFFFu) | (w[3] << 16));
                }
            }
        }
    }
}

/* im2col row of output pixel (oy, ox) in the panel's layout: kernel row ky at row + 4 * span4 *
 * ky, out-of-image taps = pad, the row padding zeros. */
static void tm__im2col_padded(const tm_conv2d_geom *g, const tm__pgeom *pg, const int8_t *image,
                              int32_t oy, int32_t ox, int8_t *row, int8_t pad)
{
    const int32_t c = g->in.c;
    const int32_t y0 = oy * g->stride_h - g->pad_top, x0 = ox * g->stride_w - g->pad_left;
    for (int32_t ky = 0; ky < g->kh; ++ky, row += 4 * pg->span4) {
        const int32_t iy = y0 + ky * g->dil_h;
        int8_t *dst = row;
        if (iy < 0 || iy >= g->in.h) {
            memset(dst, pad, (size_t)pg->rowb);
        } else {
            const int8_t *src = image + (size_t)iy * g->in.w * c;
            for (int32_t kx = 0; kx < g->kw; ++kx, dst += c) {
                const int32_t ix = x0 + kx * g->dil_w;
                if (ix < 0 || ix >= g->in.w) {
                    for (int32_t i = 0; i < c; ++i)
                        dst[i] = pad;
                } else if (c >= 16) {
                    memcpy(dst, src + (size_t)ix * c, (size_t)c);
                } else {
                    const int8_t *s = src + (size_t)ix * c;
                    for (int32_t i = 0; i < c; ++i)
                        dst[i] = s[i];
                }
            }
        }
        for (int32_t j = pg->rowb; j < 4 * pg->span4; ++j)
            row[j] = 0;
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

/* tm_arm_rqf_apply with the constants fetched by one LDM (q advances to the next filter). */
static inline __attribute__((always_inline)) int32_t tm__rqf_ldm(int32_t acc,
                                                                 const tm_arm_rqf **qp)
{
    register int32_t m __asm__("r8");
    register int32_t s1 __asm__("r9");
    register int32_t ad __asm__("r10");
    register int32_t r __asm__("r11");
    const tm_arm_rqf *q = *qp;
    int32_t t;
    __asm__("ldmia  %[q]!, {%[m], %[s], %[ad], %[r]}\n\t"
            "lsl    %[t], %[acc], %[s]\n\t"
            "smmulr %[t], %[t], %[m]\n\t"
            "add    %[ad], %[ad], %[t], asr #31\n\t"
            "add    %[t], %[t], %[ad]\n\t"
            "asr    %[t], %[t], %[r]\n\t"
            : [t] "=&r"(t), [q] "+r"(q), [m] "=&r"(m), [s] "=&r"(s1), [ad] "=&r"(ad),
              [r] "=&r"(r)
            : [acc] "r"(acc)
            : "memory");
    *qp = q;
    return t;
}

/* One output pixel: every sub-block of the panel over the receptive field (nspan spans of n4
 * groups, step bytes apart), requantized into out[0 .. nf). */
static inline __attribute__((always_inline)) void
tm__pixel(const int8_t *a, int32_t nspan, int32_t n4, size_t step, const int32_t *panel,
          const tm__sub *sb, int32_t nf, int8_t *out, const int32_t *rq, int32_t out_off,
          int32_t lo, int32_t hi)
{
    const int32_t *w = panel;
    for (int32_t f0 = 0; f0 < nf; f0 += TM__SUB, ++sb, out += TM__SUB) {
        int32_t s0 = sb->bias[0], s1 = sb->bias[1], s2 = sb->bias[2], s3 = sb->bias[3];
        if (nspan == 1) {
            TM__SPAN(a, n4, w, s0, s1, s2, s3);
        } else {
            const int8_t *ar = a;
            for (int32_t r = 0; r < nspan; ++r, ar += step)
                TM__SPAN(ar, n4, w, s0, s1, s2, s3);
        }
        if (sb->fast) {
            const tm_arm_rqf *q = sb->q;
            out[0] = (int8_t)__ssat(tm__rqf_ldm(s0, &q) + out_off, 8);
            out[1] = (int8_t)__ssat(tm__rqf_ldm(s1, &q) + out_off, 8);
            out[2] = (int8_t)__ssat(tm__rqf_ldm(s2, &q) + out_off, 8);
            out[3] = (int8_t)__ssat(tm__rqf_ldm(s3, &q) + out_off, 8);
        } else {
            const int32_t s[TM__SUB] = {s0, s1, s2, s3};
            const int32_t nfs = nf - f0 < TM__SUB ? nf - f0 : TM__SUB;
            for (int32_t f = 0; f < nfs; ++f)
                out[f] = tm_arm_clamp_s8(tm_arm_requant(s[f], rq + 4 * (f0 + f)) + out_off, lo,
                                         hi);
        }
    }
}

static tm_status tm__conv_panel(const tm_conv2d_geom *g, const tm_conv2d_params_s8 *p,
                                const int8_t *input, const int8_t *filter, int8_t *output,
                                void *scratch, int32_t pf)
{
    tm__sub *sb = (tm__sub *)((int8_t *)scratch + (tm__rows_bytes(g) + 7) / 8 * 8);
    int32_t *panel = (int32_t *)(sb + pf / TM__SUB);
    const tm__pgeom pg = tm__panel_geom(g);
    const int pointwise = tm_conv2d_is_pointwise(g);
    const int32_t c = g->in.c, oc = g->out.c, depth = g->kh * pg.rowb;
    const size_t row_bytes = (size_t)g->in.w * c;
    const int8_t pad = (int8_t)(-p->input_offset);
    int8_t *row = (int8_t *)scratch;
    const int32_t out_off = p->output_offset, lo = p->act.min, hi = p->act.max;
    /* |acc| <= |bias| + 128 * sum |w| <= |bias| + 2^14 * depth */
    const uint32_t wbound = depth < (1 << 16) ? (uint32_t)depth << 14 : 0xFFFFFFFFu;

    for (int32_t o0 = 0; o0 < oc; o0 += pf) {
        const int32_t nf = oc - o0 < pf ? oc - o0 : pf;
        tm__panel_fill(filter, &pg, g->kh, oc, o0, nf, panel);
        for (int32_t f = 0; f < (nf + TM__SUB - 1) / TM__SUB * TM__SUB; ++f) {
            tm__sub *s = &sb[f / TM__SUB];
            const int32_t i = f % TM__SUB;
            if (i == 0)
                s->fast = lo == -128 && hi == 127;
            s->bias[i] = f < nf ? p->bias[o0 + f] : 0;
            const uint32_t bb = (uint32_t)(s->bias[i] < 0 ? -(int64_t)s->bias[i] : s->bias[i]);
            const uint32_t bound = bb + wbound < bb ? 0xFFFFFFFFu : bb + wbound;
            if (f >= nf || !tm_arm_rqf_make(p->requant + 4 * (o0 + f), bound, &s->q[i]))
                s->fast = 0;
        }
        const int32_t *rq = p->requant + 4 * o0;
        for (int32_t b = 0; b < g->in.n; ++b) {
            const int8_t *image = input + (size_t)b * g->in.h * row_bytes;
            int8_t *out = output + (size_t)b * g->out.h * g->out.w * oc + o0;
            for (int32_t oy = 0; oy < g->out.h; ++oy) {
                const int32_t y0 = oy * g->stride_h - g->pad_top;
                const int rows_in = y0 >= 0 && y0 + (g->kh - 1) * g->dil_h < g->in.h;
                if (pointwise) {
                    const int8_t *a = image + (size_t)oy * g->stride_h * row_bytes;
                    const size_t next = (size_t)g->stride_w * c;
                    for (int32_t ox = 0; ox < g->out.w; ++ox, out += oc, a += next)
                        tm__pixel(a, 1, pg.depth4, 0, panel, sb, nf, out, rq, out_off, lo, hi);
                    continue;
                }
                for (int32_t ox = 0; ox < g->out.w; ++ox, out += oc) {
                    const int32_t x0 = ox * g->stride_w - g->pad_left;
                    if (rows_in && g->dil_w == 1 && x0 >= 0 &&
                        (size_t)x0 * c + 4 * (size_t)pg.span4 <= row_bytes) {
                        /* kernel rows read in place, their padding inside the image row */
                        tm__pixel(image + (size_t)y0 * row_bytes + (size_t)x0 * c, g->kh,
                                  pg.span4, (size_t)g->dil_h * row_bytes, panel, sb, nf, out, rq,
                                  out_off, lo, hi);
                    } else {
                        tm__im2col_padded(g, &pg, image, oy, ox, row, pad);
                        tm__pixel(row, 1, pg.depth4, 0, panel, sb, nf, out, rq, out_off, lo, hi);
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
    const size_t rows = tm__rows_bytes(g);
    if (rows > 0 && (scratch == NULL || scratch_bytes < rows))
        return TM_ERR_SCRATCH;
    /* the panel path when the caller gave its scratch (tm_conv2d_s8_scratch_size), else the
     * pairs path, which needs only the portable kernel's scratch */
    const int32_t pf = tm__panel_filters(g);
    if (pf > 0 && scratch != NULL && scratch_bytes >= tm_conv2d_s8_scratch_size(g))
        return tm__conv_panel(g, p, input, filter, output, scratch, pf);
    return tm__conv_pairs(g, p, input, filter, output, scratch);
}
