/*
 * Conv2D (TFLite CONV_2D; ONNX Conv with group < channels).
 *
 *   output[b, y, x, o] = act( bias[o] + sum_{ky, kx, i} input[b, y*sh - pt + ky*dh,
 *                                                          x*sw - pl + kx*dw, g*Ig + i]
 *                                                   * filter[o, ky, kx, i] )
 *
 * where g = o / (OC / groups) is the channel group of output channel o and Ig = C / groups.
 * Taps that fall outside the input (padding) contribute nothing (TFLite Micro semantics).
 *
 * Layouts (all dense, row-major):
 *   input   NHWC  [n, h, w, c]
 *   filter  OHWI  [oc, kh, kw, c / groups] for tm_conv2d_f32;
 *           "blocked OHWI" for the int8-weight kernels: within each channel group the output
 *           channels are taken in blocks of TM_CONV2D_BLOCK (the last block of a group may be
 *           smaller, nb channels), and each block stores its nb filters interleaved:
 *           block[k * nb + j] = filter[o0 + j, k] with k = (ky * kw + kx) * (c/groups) + i.
 *           Block o0 starts at offset o0 * kh * kw * (c/groups), as in OHWI.
 *   output  NHWC  [n, oh, ow, oc]
 *
 * Kernels:
 *   tm_conv2d_s8         int8 activations and weights, int32 folded bias, per-channel or
 *                        per-tensor requantization: bit-exact with TFLM's ConvPerChannel.
 *   tm_conv2d_f32        float32.
 *   tm_conv2d_hybrid_f32 float32 activations with int8 weights ("dynamic range quantized"
 *                        models), as LiteRT's reference kernels compute it (see below).
 *
 * The s8 kernel and the hybrid kernel pad the input with its zero point, which lets the
 * compiler fold input_offset * sum(filter[o]) into a per-channel bias table.
 */
#ifndef TINYMEM_CONV2D_H
#define TINYMEM_CONV2D_H

#include <math.h>
#include <string.h>

#include "tinymem/types.h"

/* Output channels per interleaved filter block of the int8-weight kernels. */
#define TM_CONV2D_BLOCK 8

/* Geometry of a 2-D convolution (also used by depthwise_conv2d.h). */
typedef struct {
    tm_dims4 in;               /* input n, h, w, c; all >= 1 */
    tm_dims4 out;              /* output n (== in.n), oh, ow, oc; all >= 1 */
    int32_t kh, kw;            /* filter height and width, >= 1 */
    int32_t stride_h, stride_w; /* >= 1 */
    int32_t dil_h, dil_w;      /* dilation, >= 1 */
    int32_t pad_top, pad_left; /* >= 0 (bottom/right padding follows from out) */
    int32_t groups;            /* conv: >= 1, divides in.c and out.c; depthwise: 1 */
} tm_conv2d_geom;

/* int8 parameters. */
typedef struct {
    int32_t input_offset;  /* -input zero point, in [-127, 128] */
    int32_t output_offset; /* output zero point, in [-128, 127] */
    /* Folded bias, one per output channel (never NULL):
     *   bias[o] + input_offset * sum(filter[o, :, :, :]).
     * Requirement (checked by the compiler): |folded bias| + 128 * sum|filter[o]| < 2^31. */
    const int32_t *bias;
    /* Requantization, 4 values per output channel o (see tm_conv_requant_ch), derived from
     * TFLM's (multiplier, shift): {multiplier, max(shift, 0), max(-shift, 0) + 1,
     * 2^max(-shift, 0) stored as uint32}. multiplier != INT32_MIN, shift in [-31, 30]. */
    const int32_t *requant;
    tm_act_s32 act;        /* clamp, within [-128, 127] */
} tm_conv2d_params_s8;

/* float32 parameters. */
typedef struct {
    const float *bias; /* [out.c] or NULL */
    tm_act_f32 act;
} tm_conv2d_params_f32;

/*
 * Hybrid parameters (float activations, int8 weights with scale filter_scale, zero point 0).
 * Each batch of the input is quantized on the fly, exactly like LiteRT on x86-64:
 *   asymmetric == 0 (per-tensor weight scale): symmetric int8 in [-127, 127],
 *       scale = max|x| / 127; output = float(acc) * (scale * filter_scale[0]) + bias.
 *   asymmetric == 1 (per-channel weight scales, or grouped): asymmetric int8 with a zero point
 *       zp; acc = sum filter * (q - zp); output = float(acc) * filter_scale[o] * scale + bias.
 * filter_sum[o] = sum(filter[o]) is needed for asymmetric == 1 (NULL otherwise).
 */
typedef struct {
    const float *bias;         /* [out.c] or NULL */
    const float *filter_scale; /* [scale_count] */
    int32_t scale_count;       /* 1 or out.c */
    const int32_t *filter_sum; /* [out.c] when asymmetric, else unused */
    int32_t asymmetric;        /* 0 or 1 */
    tm_act_f32 act;
} tm_conv2d_params_hybrid;

/* Scratch: 0 bytes when every output pixel reads one input pixel (1x1 filter, no padding),
 * else two im2col rows of kh*kw*(c/groups) int8 values. */
size_t tm_conv2d_s8_scratch_size(const tm_conv2d_geom *g);
tm_status tm_conv2d_s8(const tm_conv2d_geom *g, const tm_conv2d_params_s8 *p,
                       const int8_t *input, const int8_t *filter, int8_t *output,
                       void *scratch, size_t scratch_bytes);

/*
 * In place: the output overwrites the input, both starting at `buf` (a buffer of
 * max(input, output) bytes), bit-exact with tm_conv2d_s8. Modes (tinymem/inplace.h):
 *   pixels  1x1 filter, stride 1, no padding, any batch: scratch 2 * in.c bytes (two input
 *           pixels); pixels are visited first to last when out.c <= in.c, else last to first.
 *   rows    anything else with batch 1: scratch = tm_conv2d_s8_scratch_size (rounded up to 8)
 *           + a ring of tm_inplace_row_slots output rows (out.w * out.c bytes each).
 * The scratch size query returns 0 when neither mode applies (the kernel then returns
 * TM_ERR_UNSUPPORTED): a row of output reading only padding, or rows mode with batch > 1.
 */
size_t tm_conv2d_inplace_s8_scratch_size(const tm_conv2d_geom *g);
tm_status tm_conv2d_inplace_s8(const tm_conv2d_geom *g, const tm_conv2d_params_s8 *p,
                               int8_t *buf, const int8_t *filter, void *scratch,
                               size_t scratch_bytes);
/* The same for float32 (identical to tm_conv2d_f32); scratch sizes in bytes as above with
 * 4-byte elements (pixels: 8 * in.c; rows: tm_conv2d_f32_scratch_size + ring of float rows). */
size_t tm_conv2d_inplace_f32_scratch_size(const tm_conv2d_geom *g);
tm_status tm_conv2d_inplace_f32(const tm_conv2d_geom *g, const tm_conv2d_params_f32 *p,
                                float *buf, const float *filter, void *scratch,
                                size_t scratch_bytes);

/* Scratch: as tm_conv2d_s8_scratch_size, in floats (4 bytes each). */
size_t tm_conv2d_f32_scratch_size(const tm_conv2d_geom *g);
tm_status tm_conv2d_f32(const tm_conv2d_geom *g, const tm_conv2d_params_f32 *p,
                        const float *input, const float *filter, float *output,
                        void *scratch, size_t scratch_bytes);

/* Scratch: the quantized input (n*h*w*c bytes, rounded up to 16) plus
 * tm_conv2d_s8_scratch_size(g). */
size_t tm_conv2d_hybrid_f32_scratch_size(const tm_conv2d_geom *g);
tm_status tm_conv2d_hybrid_f32(const tm_conv2d_geom *g, const tm_conv2d_params_hybrid *p,
                               const float *input, const int8_t *filter, float *output,
                               void *scratch, size_t scratch_bytes);

/* ---------------------------------------------------------------------------------------- */
/* Helpers shared by the conv and depthwise kernels (not part of the public API).            */
/* ---------------------------------------------------------------------------------------- */

/* TFLM MultiplyByQuantizedMultiplier (double rounding) in fewer operations, using
 *   SaturatingRoundingDoublingHighMul(a, m) == floor((a*m + 2^30) / 2^31) for m != INT32_MIN,
 *   RoundingDivideByPOT(t, e) == floor((2t + 2^e - [t < 0]) / 2^(e+1)) for e in [0, 31].
 * rq: {multiplier, left shift, right shift + 1, 2^right shift as uint32} (see the params). */
static inline int32_t tm_conv_requant_ch(int32_t acc, const int32_t *rq)
{
    const int64_t x = (int32_t)((uint32_t)acc << rq[1]);
    const int64_t t = (x * rq[0] + ((int64_t)1 << 30)) >> 31;
    return (int32_t)((2 * t + (int64_t)(uint32_t)rq[3] - (t < 0)) >> rq[2]);
}

/* True when output pixel (y, x) reads input pixel (y*sh, x*sw) only (no im2col needed). */
static inline int tm_conv2d_is_pointwise(const tm_conv2d_geom *g)
{
    return g->kh == 1 && g->kw == 1 && g->pad_top == 0 && g->pad_left == 0 &&
           (int64_t)(g->out.h - 1) * g->stride_h < g->in.h &&
           (int64_t)(g->out.w - 1) * g->stride_w < g->in.w;
}

/* Checks the geometry; returns TM_OK or TM_ERR_SHAPE. */
static inline tm_status tm_conv2d_check_geom(const tm_conv2d_geom *g)
{
    if (g->in.n < 1 || g->in.h < 1 || g->in.w < 1 || g->in.c < 1 || g->out.n != g->in.n ||
        g->out.h < 1 || g->out.w < 1 || g->out.c < 1 || g->kh < 1 || g->kw < 1 ||
        g->stride_h < 1 || g->stride_w < 1 || g->dil_h < 1 || g->dil_w < 1 || g->pad_top < 0 ||
        g->pad_left < 0 || g->groups < 1 || g->in.c % g->groups || g->out.c % g->groups)
        return TM_ERR_SHAPE;
    return TM_OK;
}

/* Writes the im2col row of output pixel (oy, ox), channel group grp, of one batch image:
 * kh*kw*(c/groups) elements of elem_size bytes in (ky, kx, i) order; taps outside the image are
 * filled with the byte `pad` (the zero point for int8, 0 for float's +0.0). */
static inline void tm_conv2d_im2col(const tm_conv2d_geom *g, const void *image, int32_t oy,
                                    int32_t ox, int32_t grp, void *row, size_t elem_size, int pad)
{
    const int32_t ig = g->in.c / g->groups;
    const int32_t y0 = oy * g->stride_h - g->pad_top, x0 = ox * g->stride_w - g->pad_left;
    const size_t tap = (size_t)ig * elem_size, span = (size_t)g->kw * tap;
    const size_t pixel = (size_t)g->in.c * elem_size;
    /* dense rows: every kx inside the image and the whole row contiguous in memory */
    const int dense = g->dil_w == 1 && ig == g->in.c && x0 >= 0 && x0 + g->kw <= g->in.w;
    unsigned char *dst = (unsigned char *)row;
    for (int32_t ky = 0; ky < g->kh; ++ky, dst += span) {
        const int32_t iy = y0 + ky * g->dil_h;
        if (iy < 0 || iy >= g->in.h) {
            memset(dst, pad, span);
            continue;
        }
        const unsigned char *src_row = (const unsigned char *)image +
                                       (size_t)iy * g->in.w * pixel + (size_t)grp * tap;
        if (dense) {
            memcpy(dst, src_row + (size_t)x0 * pixel, span);
            continue;
        }
        for (int32_t kx = 0; kx < g->kw; ++kx) {
            const int32_t ix = x0 + kx * g->dil_w;
            if (ix < 0 || ix >= g->in.w)
                memset(dst + kx * tap, pad, tap);
            else
                memcpy(dst + kx * tap, src_row + (size_t)ix * pixel, tap);
        }
    }
}

/*
 * Dot products of two int8 rows a0, a1 (two output pixels, length n) with the nb filters of
 * one interleaved block w[k * nb + j] (nb in 1..TM_CONV2D_BLOCK), started from init[j] (or 0
 * when init is NULL):
 *   acc0[j] = init[j] + sum_k a0[k] * w[k*nb + j],  acc1[j] = init[j] + sum_k a1[k] * w[k*nb + j].
 * On 64-bit targets both pixels share one 64-bit multiply per tap and filter,
 * (a0 + a1 * 2^32) * w, whose low and high halves are the two sums (exact while both results
 * and |init| + 128 * sum|w_j| stay below 2^31). 32-bit targets use 32-bit multiply-accumulates
 * in 2x2 blocks.
 */
#ifndef TM_CONV2D_SWAR64
#if UINTPTR_MAX > 0xFFFFFFFFu
#define TM_CONV2D_SWAR64 1
#else
#define TM_CONV2D_SWAR64 0
#endif
#endif

#if TM_CONV2D_SWAR64
/* Both halves of a two-pixel accumulator start at v. */
static inline int64_t tm_conv2d_dup64(const int32_t *init, int32_t j)
{
    return init ? (int64_t)init[j] * (((int64_t)1 << 32) + 1) : 0;
}

static inline void tm_conv2d_split64(int64_t s, int32_t *lo, int32_t *hi)
{
    const int32_t l = (int32_t)(uint32_t)(uint64_t)s;
    *lo = l;
    *hi = (int32_t)((s - l) >> 32);
}
#endif

static inline void tm_conv2d_dot2_block_s8(const int8_t *a0, const int8_t *a1, const int8_t *w,
                                           int32_t n, int32_t nb, const int32_t *init,
                                           int32_t *acc0, int32_t *acc1)
{
#if TM_CONV2D_SWAR64
    const int64_t two32 = (int64_t)1 << 32;
    if (nb == 8) {
        int64_t s0 = tm_conv2d_dup64(init, 0), s1 = tm_conv2d_dup64(init, 1);
        int64_t s2 = tm_conv2d_dup64(init, 2), s3 = tm_conv2d_dup64(init, 3);
        int64_t s4 = tm_conv2d_dup64(init, 4), s5 = tm_conv2d_dup64(init, 5);
        int64_t s6 = tm_conv2d_dup64(init, 6), s7 = tm_conv2d_dup64(init, 7);
        int32_t k = 0;
        for (; k + 2 <= n; k += 2, w += 16) {
            const int64_t a = a0[k] + a1[k] * two32, b = a0[k + 1] + a1[k + 1] * two32;
            s0 += a * w[0];
            s1 += a * w[1];
            s2 += a * w[2];
            s3 += a * w[3];
            s4 += a * w[4];
            s5 += a * w[5];
            s6 += a * w[6];
            s7 += a * w[7];
            s0 += b * w[8];
            s1 += b * w[9];
            s2 += b * w[10];
            s3 += b * w[11];
            s4 += b * w[12];
            s5 += b * w[13];
            s6 += b * w[14];
            s7 += b * w[15];
        }
        if (k < n) {
            const int64_t a = a0[k] + a1[k] * two32;
            s0 += a * w[0];
            s1 += a * w[1];
            s2 += a * w[2];
            s3 += a * w[3];
            s4 += a * w[4];
            s5 += a * w[5];
            s6 += a * w[6];
            s7 += a * w[7];
        }
        tm_conv2d_split64(s0, &acc0[0], &acc1[0]);
        tm_conv2d_split64(s1, &acc0[1], &acc1[1]);
        tm_conv2d_split64(s2, &acc0[2], &acc1[2]);
        tm_conv2d_split64(s3, &acc0[3], &acc1[3]);
        tm_conv2d_split64(s4, &acc0[4], &acc1[4]);
        tm_conv2d_split64(s5, &acc0[5], &acc1[5]);
        tm_conv2d_split64(s6, &acc0[6], &acc1[6]);
        tm_conv2d_split64(s7, &acc0[7], &acc1[7]);
        return;
    }
    for (int32_t j = 0; j < nb; ++j) {
        int64_t s = tm_conv2d_dup64(init, j);
        for (int32_t k = 0; k < n; ++k)
            s += (a0[k] + a1[k] * two32) * w[(size_t)k * nb + j];
        tm_conv2d_split64(s, &acc0[j], &acc1[j]);
    }
#else
    int32_t j = 0;
    for (; j + 2 <= nb; j += 2) {
        const int8_t *v = w + j;
        int32_t s00 = init ? init[j] : 0, s01 = init ? init[j + 1] : 0;
        int32_t s10 = s00, s11 = s01;
        for (int32_t k = 0; k < n; ++k, v += nb) {
            const int32_t x0 = a0[k], x1 = a1[k], u0 = v[0], u1 = v[1];
            s00 += x0 * u0;
            s01 += x0 * u1;
            s10 += x1 * u0;
            s11 += x1 * u1;
        }
        acc0[j] = s00;
        acc0[j + 1] = s01;
        acc1[j] = s10;
        acc1[j + 1] = s11;
    }
    if (j < nb) {
        const int8_t *v = w + j;
        int32_t s0 = init ? init[j] : 0, s1 = s0;
        for (int32_t k = 0; k < n; ++k, v += nb) {
            s0 += a0[k] * v[0];
            s1 += a1[k] * v[0];
        }
        acc0[j] = s0;
        acc1[j] = s1;
    }
#endif
}

/* Rounding of LiteRT's x86-64 input quantizers (NEON code run through NEON_2_SSE): the first
 * n & ~7 values use RoundToNearest, trunc(p + copysign(0.5, p)) in float, the rest roundf. */
static inline int32_t tm_hybrid_round(float p, int32_t i, int32_t n_vec)
{
    if (i < n_vec)
        return (int32_t)(p + (p < 0.0f ? -0.5f : 0.5f));
    return (int32_t)roundf(p);
}

/* LiteRT NeonSymmetricQuantizeFloats: q in [-127, 127], *scale = max|x| / 127 (1 if all 0). */
static inline void tm_hybrid_quantize_symmetric(const float *x, int32_t n, int8_t *q, float *scale)
{
    float lo = x[0], hi = x[0];
    for (int32_t i = 1; i < n; ++i) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    const float range = fabsf(lo) < fabsf(hi) ? fabsf(hi) : fabsf(lo);
    if (range == 0.0f) {
        memset(q, 0, (size_t)n);
        *scale = 1.0f;
        return;
    }
    *scale = range / 127.0f;
    const float inv = 127.0f / range;
    const int32_t n_vec = n & ~7;
    for (int32_t i = 0; i < n; ++i) {
        int32_t v = tm_hybrid_round(inv * x[i], i, n_vec);
        v = v < -127 ? -127 : v > 127 ? 127 : v;
        q[i] = (int8_t)v;
    }
}

/* LiteRT NeonAsymmetricQuantizeFloats: q in [-128, 127] with zero point *zp, over the range
 * [min(0, x), max(0, x)] (*scale = 1, *zp = 0 when that range is empty). */
static inline void tm_hybrid_quantize_asymmetric(const float *x, int32_t n, int8_t *q,
                                                 float *scale, int32_t *zp)
{
    float rmin = 0.0f, rmax = 0.0f;
    for (int32_t i = 0; i < n; ++i) {
        rmin = x[i] < rmin ? x[i] : rmin;
        rmax = x[i] > rmax ? x[i] : rmax;
    }
    if (rmin == rmax) {
        memset(q, 0, (size_t)n);
        *scale = 1.0f;
        *zp = 0;
        return;
    }
    const float diff = rmax - rmin; /* float subtraction, then double arithmetic */
    const double s = (double)diff / 255.0;
    const double z_min = -128.0 - (double)rmin / s, z_max = 127.0 - (double)rmax / s;
    const double e_min = 128.0 + fabs((double)rmin / s), e_max = 127.0 + fabs((double)rmax / s);
    const double zd = e_min < e_max ? z_min : z_max;
    const int32_t z = zd <= -128.0 ? -128 : zd >= 127.0 ? 127 : (int32_t)round(zd);
    *scale = (float)s;
    *zp = z;
    const float inv = *scale == 0.0f ? 0.0f : (float)(1.0 / (double)*scale);
    const int32_t n_vec = n & ~7;
    for (int32_t i = 0; i < n; ++i) {
        const float p = inv * x[i];
        int32_t v = i < n_vec ? z + (int32_t)(p + (p < 0.0f ? -0.5f : 0.5f))
                              : (int32_t)((float)z + roundf(p));
        v = v < -128 ? -128 : v > 127 ? 127 : v;
        q[i] = (int8_t)v;
    }
}

#endif /* TINYMEM_CONV2D_H */
