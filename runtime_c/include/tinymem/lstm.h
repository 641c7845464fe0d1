/*
 * LSTM over a sequence (TFLite UNIDIRECTIONAL_SEQUENCE_LSTM, the standard Keras LSTM: no CIFG,
 * peephole, projection or layer norm). For every batch b and step t, with gates
 * k = 0 input, 1 forget, 2 cell, 3 output:
 *
 *   g_k = act_k(W_k x_t + bias_k + R_k h)      act: sigmoid, tanh for the cell gate (k = 2)
 *   c   = clip(g_1 * c + g_0 * g_2)
 *   h   = g_3 * tanh(c);  output_t = h
 *
 * input:  [batches, steps, n_input] (time_major 0) or [steps, batches, n_input] (time_major 1)
 * output: the same layout with n_cell features
 * hidden: [batches, n_cell], cell: [batches, n_cell]: the state, read at the start and updated
 *         in place (the model's persistent state region). Output and state must not overlap
 *         the input. No scratch: the new hidden state of a step is built in its output row.
 * Weights, transposed with the gates interleaved (row r = 4 j + k is gate k of cell j), so that
 * four cells are sixteen contiguous accumulators (vectorized):
 *   input_weights[d][4 j + k] = W_k[j][d]      [n_input][4 * n_cell]
 *   recurrent_weights[d][4 j + k] = R_k[j][d]  [n_cell][4 * n_cell]
 *   biases[4 j + k]                            [4 * n_cell]
 *
 * int8 (bit-exact with TFLM's integer LSTM, lstm_eval.h): per gate, the input and recurrent
 * products are each requantized to int16 Q3.12 (TFLM's int8 -> int16 FullyConnected with
 * output offset 0, clamped to int16), added with int16 saturation, and put through TFLM's int16
 * sigmoid / tanh (sigmoid_table_uint16 interpolation; output Q0.15). Then, with
 * MBQM = tm_multiply_by_quantized_multiplier:
 *   c = sat16(MBQM(g_1 * c, forget)) ; u = sat16(MBQM(g_0 * g_2, update)) ; c = sat16(c + u)
 *   c = clamp(c, -cell_clip, cell_clip)                      (when cell_clip > 0)
 *   h = clamp8(MBQM(tanh16(c) * g_3, hidden) + hidden_zero_point)
 * The input and hidden zero points are folded into the biases at compile time:
 *   input_bias[4 j + k] = bias_k[j] - input_zp * sum_d W_k[j][d]   (mod 2^32)
 *   recurrent_bias[4 j + k] = -hidden_zp * sum_d R_k[j][d]          (mod 2^32)
 * so the products are plain int8 dot products (exact: TFLM's int32 sums, reordered mod 2^32).
 * float32: the same steps in float, each row summed in TFLM's order (d ascending, then + bias,
 * then + the recurrent sum); sigmoid with TFLM's cut-offs, tanhf / expf from libm.
 */
#ifndef TINYMEM_LSTM_H
#define TINYMEM_LSTM_H

#include "tinymem/types.h"

typedef struct {
    int32_t batches;    /* >= 1 */
    int32_t steps;      /* >= 1 */
    int32_t n_input;    /* >= 1 */
    int32_t n_cell;     /* >= 1: cell and hidden state size */
    int32_t time_major; /* 0 or 1, see the layouts above */
} tm_lstm_dims;

typedef struct {
    const int8_t *input_weights;     /* [n_input][4 * n_cell], symmetric */
    const int8_t *recurrent_weights; /* [n_cell][4 * n_cell], symmetric */
    const int32_t *input_bias;       /* [4 * n_cell], folded as above */
    const int32_t *recurrent_bias;   /* [4 * n_cell], folded as above */
    /* per gate: input / recurrent product -> Q3.12 (multiplier Q0.31, shift in [-31, 30]) */
    int32_t input_multiplier[4], input_shift[4];
    int32_t recurrent_multiplier[4], recurrent_shift[4];
    int32_t forget_multiplier, forget_shift; /* Q0.15 forget gate x cell -> cell */
    int32_t update_multiplier, update_shift; /* Q0.15 input gate x Q0.15 cell gate -> cell */
    int32_t hidden_multiplier, hidden_shift; /* Q0.15 x Q0.15 -> hidden (int8) */
    int32_t hidden_zero_point;               /* [-128, 127] */
    int32_t cell_clip;                       /* [0, 32767]; 0: no clipping */
    /* tanh of the cell state: TFLM's (input_multiplier, input_left_shift) for a cell scale 2^p:
     * (0, 12 + p) when 12 + p >= 0 (input scaled by 3 << (12 + p)), else (3, -(12 + p))
     * (input * 3 rounded right by -(12 + p)). shift in [0, 14]. */
    int32_t cell_tanh_multiplier, cell_tanh_shift;
} tm_lstm_params_s8;

typedef struct {
    const float *input_weights;     /* [n_input][4 * n_cell] */
    const float *recurrent_weights; /* [n_cell][4 * n_cell] */
    const float *bias;              /* [4 * n_cell] */
    float cell_clip;                /* >= 0; 0: no clipping */
} tm_lstm_params_f32;

tm_status tm_lstm_s8(const tm_lstm_dims *dims, const tm_lstm_params_s8 *params, const int8_t *input,
                     int8_t *output, int8_t *hidden, int16_t *cell);

tm_status tm_lstm_f32(const tm_lstm_dims *dims, const tm_lstm_params_f32 *params, const float *input,
                      float *output, float *hidden, float *cell);

#endif /* TINYMEM_LSTM_H */
