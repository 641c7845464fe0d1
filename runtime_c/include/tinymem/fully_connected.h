/*
 * FullyConnected (also ONNX Gemm / MatMul with constant weights).
 *
 *   output[b, o] = act( sum_d input[b, d] * weights[o, d] + bias[o] )
 *
 * input:   [batches, depth], row-major (any input of batches*depth elements).
 * weights: [out_depth, depth], row-major (TFLite layout).
 * bias:    [out_depth] or NULL (zeros).
 * output:  [batches, out_depth].
 *
 * int8 (bit-exact with TFLite Micro's reference FullyConnected / FullyConnectedPerChannel).
 * TFLM accumulates sum_d (w + weight_offset) * (x + input_offset) + bias in int32.  Expanded,
 *
 *   sum_d w*x  +  [bias + input_offset * sum_d w + depth * input_offset * weight_offset]
 *              +  weight_offset * sum_d x
 *
 * The bracket depends on the output channel only: with constant weights the compiler folds it
 * into an effective bias table (params->input_offset then 0), so the inner loop is a plain int8
 * dot product.  The last term exists only for asymmetric per-tensor weights (weight_offset != 0;
 * per-channel weights are symmetric and TFLM ignores their zero point).  All sums are taken
 * modulo 2^32, so the result equals TFLM's int32 accumulation bit for bit whatever the order
 * (and wraps the same way if TFLM's ever did).
 */
#ifndef TINYMEM_FULLY_CONNECTED_H
#define TINYMEM_FULLY_CONNECTED_H

#include "tinymem/types.h"

typedef struct {
    int32_t batches;   /* >= 1 */
    int32_t depth;     /* >= 1, elements summed per output */
    int32_t out_depth; /* >= 1 */
} tm_fc_dims;

/* Quantized parameters (TFLite Micro semantics, int8, per-tensor or per-channel requant). */
typedef struct {
    /* -input zero point, in [-127, 128], when bias is the model's bias (weights not constant);
     * 0 when bias is the folded effective bias described above */
    int32_t input_offset;
    int32_t weight_offset; /* -weight zero point, in [-127, 128]; 0 for symmetric weights */
    int32_t output_offset; /* output zero point, in [-128, 127] */
    tm_requant requant;    /* count 1 or out_depth */
    tm_act_s32 act;        /* clamp in [-128, 127] */
} tm_fc_params_s8;

/* int8 x int8 -> int8 with int32 bias (folded effective bias or the model's, see input_offset).
 * No scratch. */
tm_status tm_fully_connected_s8(const tm_fc_dims *dims, const tm_fc_params_s8 *params,
                                const int8_t *input, const int8_t *weights, const int32_t *bias,
                                int8_t *output);

/* float32 (summation order differs from TFLM's: within float tolerance). No scratch. */
tm_status tm_fully_connected_f32(const tm_fc_dims *dims, const tm_act_f32 *act, const float *input,
                                 const float *weights, const float *bias, float *output);

#endif /* TINYMEM_FULLY_CONNECTED_H */
