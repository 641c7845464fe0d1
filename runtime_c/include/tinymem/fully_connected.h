/*
 * FullyConnected (also ONNX Gemm / MatMul with constant weights).
 *
 *   output[b, o] = act( sum_d input[b, d] * weights[o, d] + bias[o] )
 *
 * input:   [batches, depth], row-major (any input of batches*depth elements).
 * weights: [out_depth, depth], row-major (TFLite layout).
 * bias:    [out_depth] or NULL.
 * output:  [batches, out_depth].
 */
#ifndef TINYMEM_FULLY_CONNECTED_H
#define TINYMEM_FULLY_CONNECTED_H

#include "tinymem/types.h"

typedef struct {
    int32_t batches;   /* >= 1 */
    int32_t depth;     /* >= 1, elements summed per output */
    int32_t out_depth; /* >= 1 */
} tm_fc_dims;

/* Quantized parameters (TFLite Micro semantics, int8 and per-tensor or per-channel). */
typedef struct {
    int32_t input_offset;  /* -input zero point, in [-127, 128] */
    int32_t weight_offset; /* -weight zero point (0 for symmetric weights) */
    int32_t output_offset; /* output zero point, in [-128, 127] */
    tm_requant requant;    /* count 1 or out_depth */
    tm_act_s32 act;        /* clamp in [-128, 127] */
} tm_fc_params_s8;

/* int8 x int8 -> int8 with int32 bias. No scratch. */
tm_status tm_fully_connected_s8(const tm_fc_dims *dims, const tm_fc_params_s8 *params,
                                const int8_t *input, const int8_t *weights, const int32_t *bias,
                                int8_t *output);

/* float32. No scratch. */
tm_status tm_fully_connected_f32(const tm_fc_dims *dims, const tm_act_f32 *act, const float *input,
                                 const float *weights, const float *bias, float *output);

#endif /* TINYMEM_FULLY_CONNECTED_H */
