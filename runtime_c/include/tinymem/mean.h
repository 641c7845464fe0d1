/*
 * Mean over one contiguous block of axes (TFLite MEAN, ONNX ReduceMean / GlobalAveragePool).
 *
 * The input is read as [outer, reduce, inner] and the output as [outer, inner]:
 *
 *   output[o, i] = mean over r of input[o, r, i]
 *
 * e.g. NHWC global average pooling is outer = N, reduce = H*W, inner = C.
 *
 * float32: the float32 sum over r in increasing order (from 0.0f), divided by (float)reduce -
 *          the order and operations of TFLite Micro's reference kernel.
 * int8 / int16 (tm_mean_params): the int32 sum over r, then
 *   tm_multiply_by_quantized_multiplier(sum + bias, multiplier, shift) + output_zp, clamped to
 *   [qmin, qmax] (TFLM's QuantizedMeanOrSum, 1/reduce folded into multiplier and shift).
 * The output must not overlap the input. No scratch (a small fixed block of int32 accumulators
 * lives on the stack).
 */
#ifndef TINYMEM_MEAN_H
#define TINYMEM_MEAN_H

#include "tinymem/fixedpoint.h"
#include "tinymem/types.h"

typedef struct {
    int32_t outer;  /* >= 1 */
    int32_t reduce; /* >= 1, elements averaged per output; reduce * 2^15 < 2^31 for int16 */
    int32_t inner;  /* >= 1 */
} tm_mean_dims;

typedef struct {
    int32_t bias;       /* -input_zero_point * reduce */
    int32_t multiplier; /* Q0.31 in [0, 2^31) */
    int32_t shift;      /* in [-31, 30], > 0 is a left shift */
    int32_t output_zp;  /* output zero point */
    int32_t qmin, qmax; /* output clamp: the dtype's range */
} tm_mean_params;

tm_status tm_mean_s8(const tm_mean_dims *dims, const tm_mean_params *params, const int8_t *input,
                     int8_t *output);
tm_status tm_mean_s16(const tm_mean_dims *dims, const tm_mean_params *params, const int16_t *input,
                      int16_t *output);
tm_status tm_mean_f32(const tm_mean_dims *dims, const float *input, float *output);

/* ---- shared by the kernels (not part of the API) ------------------------------------------ */

#define TM__MEAN_BLOCK 32 /* int32 accumulators kept on the stack */

/* Body of the integer mean for element type T. */
#define TM__MEAN_INT(T, dims, params, input, output)                                               \
    do {                                                                                           \
        const int32_t outer_ = (dims)->outer, red_ = (dims)->reduce, inner_ = (dims)->inner;       \
        const tm_mean_params *p_ = (params);                                                       \
        int32_t acc_[TM__MEAN_BLOCK];                                                              \
        if (outer_ < 1 || red_ < 1 || inner_ < 1)                                                  \
            return TM_ERR_SHAPE;                                                                   \
        if (p_->shift < -31 || p_->shift > 30)                                                     \
            return TM_ERR_PARAM;                                                                   \
        for (int32_t o_ = 0; o_ < outer_; ++o_) {                                                  \
            const T *base_ = (input) + (size_t)o_ * (size_t)red_ * (size_t)inner_;                 \
            T *out_ = (output) + (size_t)o_ * (size_t)inner_;                                      \
            for (int32_t i0_ = 0; i0_ < inner_; i0_ += TM__MEAN_BLOCK) {                           \
                const int32_t n_ = inner_ - i0_ < TM__MEAN_BLOCK ? inner_ - i0_ : TM__MEAN_BLOCK;  \
                const T *row_ = base_ + i0_;                                                       \
                if (n_ == 1) {                                                                     \
                    int32_t s_ = 0;                                                                \
                    for (int32_t r_ = 0; r_ < red_; ++r_, row_ += inner_)                          \
                        s_ += *row_;                                                               \
                    acc_[0] = s_;                                                                  \
                } else {                                                                           \
                    for (int32_t i_ = 0; i_ < n_; ++i_)                                            \
                        acc_[i_] = 0;                                                              \
                    for (int32_t r_ = 0; r_ < red_; ++r_, row_ += inner_)                          \
                        for (int32_t i_ = 0; i_ < n_; ++i_)                                        \
                            acc_[i_] += row_[i_];                                                  \
                }                                                                                  \
                for (int32_t i_ = 0; i_ < n_; ++i_) {                                              \
                    int32_t v_ = tm_multiply_by_quantized_multiplier(                              \
                                     tm_wrap_add(acc_[i_], p_->bias), p_->multiplier, p_->shift) + \
                                 p_->output_zp;                                                    \
                    v_ = v_ < p_->qmin ? p_->qmin : v_;                                            \
                    v_ = v_ > p_->qmax ? p_->qmax : v_;                                            \
                    out_[i0_ + i_] = (T)v_;                                                        \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        return TM_OK;                                                                              \
    } while (0)

#endif /* TINYMEM_MEAN_H */
