/*
 * AveragePool2D and MaxPool2D (TFLite AVERAGE_POOL_2D / MAX_POOL_2D, ONNX AveragePool / MaxPool
 * without count_include_pad, dilations or ceil_mode).
 *
 *   output[b, oy, ox, c] = act( reduce over the in-image taps of the window
 *                               { input[b, oy*stride_h - pad_top + fy, ox*stride_w - pad_left + fx, c] :
 *                                 0 <= fy < kernel_h, 0 <= fx < kernel_w } )
 *
 * Taps outside the input image are skipped: they neither count in an average nor take part in a
 * maximum (TFLite semantics). Only pad_top/pad_left position the windows; the bottom/right padding
 * is implied by out_h/out_w.
 *
 * Average, integer (s8, s16): the int32 sum of the in-image taps divided by their count n, rounded
 * to nearest with ties away from zero ((sum +/- n/2) / n, C truncating division), then clamped to
 * [act.min, act.max]. Input and output share one quantization (TFLM requires it): no rescaling.
 * Average, float: the float32 sum (taps in row-major order) divided by n, then clamped.
 * Max: the maximum of the in-image taps, then clamped.
 *
 * input:  [batches, in_h, in_w, channels]   NHWC, dense.
 * output: [batches, out_h, out_w, channels] NHWC, dense; must not overlap the input.
 * No scratch.
 */
#ifndef TINYMEM_POOLING_H
#define TINYMEM_POOLING_H

#include <string.h>

#include "tinymem/types.h"

typedef struct {
    int32_t batches, in_h, in_w, channels; /* all >= 1 */
    int32_t out_h, out_w;                  /* >= 1 */
    int32_t kernel_h, kernel_w;            /* >= 1 */
    int32_t stride_h, stride_w;            /* >= 1 */
    int32_t pad_top, pad_left;             /* in [0, kernel - 1]: every window holds >= 1 tap */
} tm_pool_dims;

/* act: clamp in the output's quantized range ([-128, 127] for s8, [-32768, 32767] for s16). */
tm_status tm_average_pool2d_s8(const tm_pool_dims *dims, const tm_act_s32 *act, const int8_t *input,
                               int8_t *output);
tm_status tm_average_pool2d_s16(const tm_pool_dims *dims, const tm_act_s32 *act, const int16_t *input,
                                int16_t *output);
tm_status tm_average_pool2d_f32(const tm_pool_dims *dims, const tm_act_f32 *act, const float *input,
                                float *output);
tm_status tm_max_pool2d_s8(const tm_pool_dims *dims, const tm_act_s32 *act, const int8_t *input,
                           int8_t *output);
tm_status tm_max_pool2d_s16(const tm_pool_dims *dims, const tm_act_s32 *act, const int16_t *input,
                            int16_t *output);
tm_status tm_max_pool2d_f32(const tm_pool_dims *dims, const tm_act_f32 *act, const float *input,
                            float *output);

/* ---- shared by the kernels (not part of the API) ------------------------------------------ */

/* TM_OK when the dimensions are valid (see tm_pool_dims). */
static inline tm_status tm__pool_check(const tm_pool_dims *d)
{
    if (d->batches < 1 || d->in_h < 1 || d->in_w < 1 || d->channels < 1 || d->out_h < 1 ||
        d->out_w < 1 || d->kernel_h < 1 || d->kernel_w < 1 || d->stride_h < 1 || d->stride_w < 1)
        return TM_ERR_SHAPE;
    if (d->pad_top < 0 || d->pad_left < 0 || d->pad_top >= d->kernel_h || d->pad_left >= d->kernel_w)
        return TM_ERR_PARAM;
    /* the last window must start inside the image */
    if ((int64_t)(d->out_h - 1) * d->stride_h - d->pad_top >= d->in_h ||
        (int64_t)(d->out_w - 1) * d->stride_w - d->pad_left >= d->in_w)
        return TM_ERR_SHAPE;
    return TM_OK;
}

/* The in-image part of one window along an axis: first input index and number of taps. */
static inline void tm__pool_span(int32_t o, int32_t stride, int32_t pad, int32_t kernel, int32_t size,
                                 int32_t *first, int32_t *taps)
{
    const int32_t origin = o * stride - pad;
    const int32_t lo = origin < 0 ? 0 : origin;
    const int32_t hi = origin + kernel < size ? origin + kernel : size;
    *first = lo;
    *taps = hi - lo;
}

/*
 * The loop nest shared by all pooling kernels, for element type T and accumulator type A:
 * output pixel, then blocks of 8 channels kept in 8 accumulators (the window read row by row
 * with pointer steps), then the remaining channels one by one. Per channel, the taps are visited
 * in row-major window order - the order of TFLM's reference kernels, which matters for float
 * sums. INIT is the accumulator's start value, ACC(a, v) the update expression and
 * FINISH(a, count) the output value (given the number of in-image taps). Expands to a complete
 * function body (it returns).
 */
#define TM__POOL_BODY(T, A, INIT, ACC, FINISH, dims, input, output)                                \
    do {                                                                                           \
        const tm_pool_dims *d_ = (dims);                                                           \
        const int32_t C_ = d_->channels;                                                           \
        const size_t row_ = (size_t)d_->in_w * (size_t)C_;                                         \
        T *out_ = (output);                                                                        \
        tm_status st_ = tm__pool_check(d_);                                                        \
        if (st_ != TM_OK)                                                                          \
            return st_;                                                                            \
        for (int32_t b_ = 0; b_ < d_->batches; ++b_) {                                             \
            const T *img_ = (input) + (size_t)b_ * (size_t)d_->in_h * row_;                        \
            for (int32_t oy_ = 0; oy_ < d_->out_h; ++oy_) {                                        \
                int32_t y0_, ny_;                                                                  \
                tm__pool_span(oy_, d_->stride_h, d_->pad_top, d_->kernel_h, d_->in_h, &y0_, &ny_); \
                for (int32_t ox_ = 0; ox_ < d_->out_w; ++ox_) {                                    \
                    int32_t x0_, nx_;                                                              \
                    tm__pool_span(ox_, d_->stride_w, d_->pad_left, d_->kernel_w, d_->in_w, &x0_,   \
                                  &nx_);                                                           \
                    const int32_t n_ = ny_ * nx_;                                                  \
                    (void)n_; /* unused by max pools */                                            \
                    const T *win_ = img_ + (size_t)y0_ * row_ + (size_t)x0_ * (size_t)C_;          \
                    int32_t c_ = 0;                                                                \
                    for (; c_ + 8 <= C_; c_ += 8) {                                                \
                        A a0_ = (INIT), a1_ = (INIT), a2_ = (INIT), a3_ = (INIT);                  \
                        A a4_ = (INIT), a5_ = (INIT), a6_ = (INIT), a7_ = (INIT);                  \
                        const T *r_ = win_ + c_;                                                   \
                        for (int32_t fy_ = 0; fy_ < ny_; ++fy_, r_ += row_) {                      \
                            const T *p_ = r_;                                                      \
                            for (int32_t fx_ = 0; fx_ < nx_; ++fx_, p_ += C_) {                    \
                                a0_ = ACC(a0_, p_[0]);                                             \
                                a1_ = ACC(a1_, p_[1]);                                             \
                                a2_ = ACC(a2_, p_[2]);                                             \
                                a3_ = ACC(a3_, p_[3]);                                             \
                                a4_ = ACC(a4_, p_[4]);                                             \
                                a5_ = ACC(a5_, p_[5]);                                             \
                                a6_ = ACC(a6_, p_[6]);                                             \
                                a7_ = ACC(a7_, p_[7]);                                             \
                            }                                                                      \
                        }                                                                          \
                        out_[0] = FINISH(a0_, n_);                                                 \
                        out_[1] = FINISH(a1_, n_);                                                 \
                        out_[2] = FINISH(a2_, n_);                                                 \
                        out_[3] = FINISH(a3_, n_);                                                 \
                        out_[4] = FINISH(a4_, n_);                                                 \
                        out_[5] = FINISH(a5_, n_);                                                 \
                        out_[6] = FINISH(a6_, n_);                                                 \
                        out_[7] = FINISH(a7_, n_);                                                 \
                        out_ += 8;                                                                 \
                    }                                                                              \
                    for (; c_ < C_; ++c_) {                                                        \
                        A a_ = (INIT);                                                             \
                        const T *r_ = win_ + c_;                                                   \
                        for (int32_t fy_ = 0; fy_ < ny_; ++fy_, r_ += row_) {                      \
                            const T *p_ = r_;                                                      \
                            for (int32_t fx_ = 0; fx_ < nx_; ++fx_, p_ += C_)                      \
                                a_ = ACC(a_, *p_);                                                 \
                        }                                                                          \
                        *out_++ = FINISH(a_, n_);                                                  \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        return TM_OK;                                                                              \
    } while (0)

/* Update expressions. */
#define TM__POOL_ADD(a, v) ((a) + (v))
#define TM__POOL_MAX(a, v) ((v) > (a) ? (v) : (a))

/* Integer average: (sum +/- n/2) / n with C truncation (ties away from zero), then the clamp. */
static inline int32_t tm__pool_avg_int(int32_t acc, int32_t n, int32_t lo, int32_t hi)
{
    const int32_t half = n / 2;
    acc = acc > 0 ? (acc + half) / n : (acc - half) / n;
    acc = acc < lo ? lo : acc;
    return acc > hi ? hi : acc;
}

/* Clamps of the float and integer max pools and of the float average. */
static inline int32_t tm__pool_clamp_int(int32_t v, int32_t lo, int32_t hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

static inline float tm__pool_clamp_f32(float v, float lo, float hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

#endif /* TINYMEM_POOLING_H */
