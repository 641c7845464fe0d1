/*
 * SVDF (TFLite SVDF): a rank-`rank` factorised filter over time with a persistent memory.
 *
 * input:           [batches, n_input]
 * weights_feature: [n_input, n_filter] (transposed: filters contiguous, so that sixteen filters
 *                  accumulate in vector registers)
 * weights_time:    [n_filter, n_memory]
 * state:           [batches, n_filter, n_memory], each filter's last n_memory feature values,
 *                  oldest first; updated in place (the model's persistent state region)
 * output:          [batches, n_unit], n_unit = n_filter / rank
 *
 * Per run and batch: every filter's memory shifts left by one and its newest entry becomes
 * weights_feature[f] . input; then
 *   output[u] = act(bias[u] + sum_{j < rank} sum_m weights_time[u*rank+j][m] * state[u*rank+j][m]).
 * No scratch. The output must not overlap the input or the state.
 *
 * int8 (bit-exact with TFLM's EvalIntegerSvdfReference): int8 input, feature weights and output;
 * time weights and state both int16 (tm_svdf_s8_s16) or both int8 (tm_svdf_s8_s8). With
 * MBQM = tm_multiply_by_quantized_multiplier and T the state type:
 *   feature  = clamp_T(MBQM(feature_offset[f] + sum_c wf[c][f] * x[c], s1) + state_zero_point)
 *   output   = clamp8(MBQM(unit_bias[u] + sum_{j, m} wt[f][m] * state[f][m], s2) + output_zero_point)
 * where the zero points are folded at compile time (sums modulo 2^32, equal to TFLM's int32 sums):
 *   feature_offset[f] = -input_zero_point * sum_c wf[c][f]
 *   unit_bias[u]      = bias[u] - state_zero_point * sum_{j, m} wt[u*rank+j][m]
 * TFLM's integer kernel applies no fused activation.
 * float32: sums in TFLM's order; act as TFLM's ActivationValFloat.
 */
#ifndef TINYMEM_SVDF_H
#define TINYMEM_SVDF_H

#include "tinymem/types.h"

typedef struct {
    int32_t batches;  /* >= 1 */
    int32_t n_input;  /* >= 1 */
    int32_t n_filter; /* >= 1, a multiple of rank */
    int32_t n_memory; /* >= 1 */
    int32_t rank;     /* >= 1 */
} tm_svdf_dims;

typedef struct {
    const int32_t *feature_offset; /* [n_filter] */
    const int32_t *unit_bias;      /* [n_filter / rank] */
    int32_t feature_multiplier, feature_shift; /* s1: input x feature weights -> state */
    int32_t output_multiplier, output_shift;   /* s2: state x time weights -> output */
    int32_t state_zero_point;  /* in the state type's range */
    int32_t output_zero_point; /* [-128, 127] */
} tm_svdf_params_s8;

typedef struct {
    int32_t act; /* 0 none, 1 relu, 2 relu_n1_to_1, 3 relu6, 4 tanh, 5 sign_bit */
} tm_svdf_params_f32;

tm_status tm_svdf_s8_s16(const tm_svdf_dims *dims, const tm_svdf_params_s8 *params, const int8_t *input,
                         const int8_t *weights_feature, const int16_t *weights_time, int16_t *state,
                         int8_t *output);

tm_status tm_svdf_s8_s8(const tm_svdf_dims *dims, const tm_svdf_params_s8 *params, const int8_t *input,
                        const int8_t *weights_feature, const int8_t *weights_time, int8_t *state,
                        int8_t *output);

/* bias may be NULL (zeros). */
tm_status tm_svdf_f32(const tm_svdf_dims *dims, const tm_svdf_params_f32 *params, const float *input,
                      const float *weights_feature, const float *weights_time, const float *bias,
                      float *state, float *output);

#endif /* TINYMEM_SVDF_H */
