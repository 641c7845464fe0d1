/*
 * DepthwiseConv2D (TFLite DEPTHWISE_CONV_2D, any depth multiplier M; ONNX Conv with
 * group == channels).
 *
 *   output[b, y, x, c*M + m] = act( bias[c*M + m] + sum_{ky, kx} input[b, y*sh - pt + ky*dh,
 *                                                                   x*sw - pl + kx*dw, c]
 *                                                         * filter[c*M + m, ky, kx] )
 *
 * Taps outside the input contribute nothing (TFLite Micro semantics).
 *
 * Layouts:
 *   input   NHWC [n, h, w, c]
 *   filter  channel-major [c*M][kh*kw]: filter[o * kh*kw + ky*kw + kx] (the compiler transposes
 *           TFLite's [1, kh, kw, c*M] so that each output channel's taps are contiguous)
 *   output  NHWC [n, oh, ow, c*M]
 * The geometry is tm_conv2d_geom (conv2d.h) with groups = 1 and out.c = in.c * M.
 *
 * Out-of-image taps read a "pad row" of in.c values equal to the input zero point (0 for
 * float), which adds nothing, so every output pixel runs the same code and the int8 kernels
 * can fold input_offset * sum(filter[o]) into the bias.
 *
 * Kernels:
 *   tm_depthwise_conv2d_s8      int8, bit-exact with TFLM's DepthwiseConvPerChannel.
 *   tm_depthwise_conv2d_3x3_s8  the same for 3x3 filters with M == 1 (portable: no scratch).
 *   tm_depthwise_conv2d_f32     float32.
 *   tm_depthwise_conv2d_hybrid_f32  float32 activations, int8 weights (LiteRT semantics:
 *                               asymmetric per-batch input quantization, see below).
 */
#ifndef TINYMEM_DEPTHWISE_CONV2D_H
#define TINYMEM_DEPTHWISE_CONV2D_H

#include "tinymem/conv2d.h"

/* int8 parameters. */
typedef struct {
    int32_t input_offset;  /* -input zero point, in [-127, 128] */
    int32_t output_offset; /* output zero point, in [-128, 127] */
    /* Folded bias per output channel: bias[o] + input_offset * sum(filter[o]) (never NULL);
     * |folded bias| + 128 * sum|filter[o]| < 2^31. */
    const int32_t *bias;
    const int32_t *requant; /* 4 values per output channel, as tm_conv2d_params_s8.requant */
    tm_act_s32 act;         /* clamp, within [-128, 127] */
    /* 4 * in.c values, all equal to -input_offset (the 3x3 kernel reads the rows of two
     * adjacent pixels through it, the general kernel only the first in.c) */
    const int8_t *pad_row;
} tm_depthwise_conv2d_params_s8;

/* float32 parameters. */
typedef struct {
    const float *bias;     /* [out.c] or NULL */
    tm_act_f32 act;
    const float *pad_row;  /* in.c zeros */
} tm_depthwise_conv2d_params_f32;

/*
 * Hybrid parameters. Each batch image is quantized with LiteRT's asymmetric quantizer
 * (tm_hybrid_quantize_asymmetric: scale s, zero point zp), then
 *   acc = sum filter * (q - zp) over the taps inside the image,
 *   output = float(acc) * (filter_scale[o] * s) + bias[o], clamped.
 */
typedef struct {
    const float *bias;         /* [out.c] or NULL */
    const float *filter_scale; /* [scale_count] */
    int32_t scale_count;       /* 1 or out.c */
    const int32_t *filter_sum; /* [out.c]: sum of filter[o] over its taps */
    tm_act_f32 act;
} tm_depthwise_conv2d_params_hybrid;

/* Scratch: kh*kw tap pointers, budgeted at 8 bytes each. */
size_t tm_depthwise_conv2d_s8_scratch_size(const tm_conv2d_geom *g);
tm_status tm_depthwise_conv2d_s8(const tm_conv2d_geom *g, const tm_depthwise_conv2d_params_s8 *p,
                                 const int8_t *input, const int8_t *filter, int8_t *output,
                                 void *scratch, size_t scratch_bytes);

/* kh == kw == 3 and out.c == in.c only. Scratch: none for the portable kernel (0, NULL and 0
 * may be passed); the Cortex-M DSP kernel (runtime_c/kernels_arm) keeps the constants of a
 * chunk of up to 32 channels there (44 B per channel). */
size_t tm_depthwise_conv2d_3x3_s8_scratch_size(const tm_conv2d_geom *g);
tm_status tm_depthwise_conv2d_3x3_s8(const tm_conv2d_geom *g,
                                     const tm_depthwise_conv2d_params_s8 *p,
                                     const int8_t *input, const int8_t *filter, int8_t *output,
                                     void *scratch, size_t scratch_bytes);

/*
 * In place: the output overwrites the input, both starting at `buf` (a buffer of
 * max(input, output) bytes), bit-exact with tm_depthwise_conv2d_s8 and _3x3_s8. Modes:
 *   channels  depth multiplier 1, stride 1, output size == input size, any batch: scratch
 *             (in.h + (kh-1)*dil_h) * (in.w + (kw-1)*dil_w) bytes (one input channel plane
 *             inside its zero-point padding);
 *   rows      batch 1 (tinymem/inplace.h): scratch = the row kernel's scratch (0 for 3x3 with
 *             multiplier 1, else tm_depthwise_conv2d_s8_scratch_size, rounded up to 8) + a ring of
 *             tm_inplace_row_slots output rows (out.w * out.c bytes each).
 * The kernel uses the mode with the smaller scratch (rows on a tie). The scratch size query
 * returns 0 when neither applies (the kernel then returns TM_ERR_UNSUPPORTED).
 */
size_t tm_depthwise_conv2d_inplace_s8_scratch_size(const tm_conv2d_geom *g);
tm_status tm_depthwise_conv2d_inplace_s8(const tm_conv2d_geom *g,
                                         const tm_depthwise_conv2d_params_s8 *p, int8_t *buf,
                                         const int8_t *filter, void *scratch, size_t scratch_bytes);
/* float32 in place (identical to tm_depthwise_conv2d_f32): rows mode only, batch 1; scratch =
 * tm_depthwise_conv2d_f32_scratch_size (rounded up to 8) + a ring of tm_inplace_row_slots
 * output rows (out.w * out.c floats each); 0 when not possible. */
size_t tm_depthwise_conv2d_inplace_f32_scratch_size(const tm_conv2d_geom *g);
tm_status tm_depthwise_conv2d_inplace_f32(const tm_conv2d_geom *g,
                                          const tm_depthwise_conv2d_params_f32 *p, float *buf,
                                          const float *filter, void *scratch, size_t scratch_bytes);

/* Scratch: kh*kw tap pointers, budgeted at 8 bytes each. */
size_t tm_depthwise_conv2d_f32_scratch_size(const tm_conv2d_geom *g);
tm_status tm_depthwise_conv2d_f32(const tm_conv2d_geom *g,
                                  const tm_depthwise_conv2d_params_f32 *p, const float *input,
                                  const float *filter, float *output, void *scratch,
                                  size_t scratch_bytes);

/* Scratch: the quantized input (n*h*w*c bytes) and the pad row (in.c bytes), each rounded up
 * to 16, plus kh*kw tap pointers budgeted at 8 bytes each. */
size_t tm_depthwise_conv2d_hybrid_f32_scratch_size(const tm_conv2d_geom *g);
tm_status tm_depthwise_conv2d_hybrid_f32(const tm_conv2d_geom *g,
                                         const tm_depthwise_conv2d_params_hybrid *p,
                                         const float *input, const int8_t *filter, float *output,
                                         void *scratch, size_t scratch_bytes);

/* ---------------------------------------------------------------------------------------- */
/* Helpers shared by the depthwise kernels (not part of the public API).                     */
/* ---------------------------------------------------------------------------------------- */

/* Checks a depthwise geometry: groups == 1 and out.c a multiple of in.c. */
static inline tm_status tm_depthwise_conv2d_check_geom(const tm_conv2d_geom *g)
{
    tm_status st = tm_conv2d_check_geom(g);
    if (st != TM_OK)
        return st;
    return g->groups == 1 && g->out.c % g->in.c == 0 ? TM_OK : TM_ERR_SHAPE;
}

/* Tap pointers of output pixel (oy, ox): taps[ky*kw + kx] points at input pixel
 * (oy*sh - pt + ky*dh, ox*sw - pl + kx*dw) of `image`, or at pad_row outside the image. */
#define TM_DEPTHWISE_TAPS(TYPE, g, image, oy, ox, pad_row, taps)                              \
    do {                                                                                    \
        const int32_t y0_ = (oy) * (g)->stride_h - (g)->pad_top;                            \
        const int32_t x0_ = (ox) * (g)->stride_w - (g)->pad_left;                           \
        int32_t t_ = 0;                                                                     \
        for (int32_t ky_ = 0; ky_ < (g)->kh; ++ky_) {                                       \
            const int32_t iy_ = y0_ + ky_ * (g)->dil_h;                                     \
            const int row_ok_ = iy_ >= 0 && iy_ < (g)->in.h;                                \
            for (int32_t kx_ = 0; kx_ < (g)->kw; ++kx_, ++t_) {                             \
                const int32_t ix_ = x0_ + kx_ * (g)->dil_w;                                 \
                (taps)[t_] = row_ok_ && ix_ >= 0 && ix_ < (g)->in.w                         \
                                 ? (image) + ((size_t)iy_ * (g)->in.w + ix_) * (g)->in.c    \
                                 : (pad_row);                                               \
            }                                                                               \
        }                                                                                   \
    } while (0)

#define TM_DEPTHWISE_TAP_BYTES 8u

#endif /* TINYMEM_DEPTHWISE_CONV2D_H */
