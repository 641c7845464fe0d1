/*
 * ONNX recurrent layers, float32: RNN (tm_rnn_f32), GRU (tm_gru_f32) and LSTM
 * (tm_onnx_lstm_f32), with the semantics of the ONNX operators and of onnxruntime's CPU kernels.
 *
 * Shapes (T steps, B batches, I inputs, H hidden units, D directions):
 *   layout 0: x [T][B][I], y [T][D][B][H], states (h0, c0, y_h, y_c) [D][B][H]
 *   layout 1: x [B][T][I], y [B][T][D][H], states [B][D][H]
 * Direction 0 runs forwards (backwards when dims.reverse, ONNX direction "reverse"); with D = 2
 * (ONNX "bidirectional") direction 1 runs backwards. All directions and batches are computed in
 * one call; every buffer is dense row-major and must not overlap another.
 *
 * Per batch b with length L (seq_lens[b], or T when seq_lens is NULL; 0 <= L <= T, else
 * TM_ERR_PARAM) a direction visits t = 0 .. L-1 (backwards: L-1 .. 0) starting from the initial
 * state (h0 / c0, zeros when NULL), writes the hidden state after each step to y[t], zeros to
 * y[t] for t >= L, and leaves the last state in y_h (and y_c); L = 0 gives zero states (as
 * onnxruntime).
 *
 * Gate pre-activations are W x_t + R h + bias (bias = Wb + Rb, precombined, except GRU's Rbh
 * with linear_before_reset) and, when dims.clip > 0, are clipped to [-clip, clip] before the
 * activation function. Weights keep the ONNX layout: w [D][G*H][I], r [D][G*H][H], gate blocks
 * in the ONNX order (LSTM i, o, f, c; GRU z, r, h; RNN one block).
 *
 *   RNN   h = f(W x + R h + b)
 *   GRU   z = f(.z), r = f(.r);  n = g(Wh x + Rh (r * h) + bh)                 (linear_before_reset 0)
 *                                n = g(Wh x + Wbh + r * (Rh h + Rbh))           (linear_before_reset 1)
 *         h = (1 - z) * n + z * h
 *   LSTM  i = f(.i + Pi * c), f = f(.f + Pf * c) (or 1 - i with input_forget), g = g(.c)
 *         c = f * c + i * g;  o = f(.o + Po * c);  h = o * h(c)      (P: peepholes, optional)
 *
 * Activations (tm_rnn_act, alpha / beta as ONNX activation_alpha / activation_beta):
 *   SIGMOID 1/(1+e^-x)  TANH  RELU max(0,x)  AFFINE a*x+b  LEAKY_RELU x>=0 ? x : a*x
 *   THRESHOLDED_RELU x>a ? x : 0  SCALED_TANH a*tanh(b*x)  HARD_SIGMOID min(1, max(0, a*x+b))
 *   ELU x>=0 ? x : a*(e^x-1)  SOFTSIGN x/(1+|x|)  SOFTPLUS log(1+e^x)
 * computed with <math.h> (expf, tanhf, logf).
 *
 * Scratch (float32): RNN H, GRU 4H, LSTM 4H values; the *_scratch_size queries give the bytes.
 */
#ifndef TINYMEM_RECURRENT_H
#define TINYMEM_RECURRENT_H

#include <math.h>

#include "tinymem/types.h"

enum {
    TM_RNN_SIGMOID = 0,
    TM_RNN_TANH = 1,
    TM_RNN_RELU = 2,
    TM_RNN_AFFINE = 3,
    TM_RNN_LEAKY_RELU = 4,
    TM_RNN_THRESHOLDED_RELU = 5,
    TM_RNN_SCALED_TANH = 6,
    TM_RNN_HARD_SIGMOID = 7,
    TM_RNN_ELU = 8,
    TM_RNN_SOFTSIGN = 9,
    TM_RNN_SOFTPLUS = 10
};

typedef struct {
    int32_t kind; /* TM_RNN_* */
    float alpha, beta;
} tm_rnn_act;

typedef struct {
    int32_t seq_length;  /* T >= 1 */
    int32_t batch;       /* B >= 1 */
    int32_t input_size;  /* I >= 1 */
    int32_t hidden_size; /* H >= 1 */
    int32_t directions;  /* D: 1 or 2 */
    int32_t reverse;     /* 0 or 1: direction 0 runs backwards */
    int32_t layout;      /* 0 or 1, see above */
    float clip;          /* >= 0; 0: no clipping */
} tm_rnn_dims;

typedef struct {
    tm_rnn_dims dims;
    const float *w;      /* [D][H][I] */
    const float *r;      /* [D][H][H] */
    const float *bias;   /* [D][H] (Wb + Rb) or NULL */
    tm_rnn_act act[2];   /* f, per direction */
} tm_rnn_params;

typedef struct {
    tm_rnn_dims dims;
    const float *w;       /* [D][3H][I], blocks z, r, h */
    const float *r;       /* [D][3H][H] */
    const float *bias;    /* [D][3H]: Wb + Rb (h block: Wbh alone when linear_before_reset) or NULL */
    const float *bias_rh; /* [D][H] Rbh when linear_before_reset, else NULL */
    tm_rnn_act act[2][2]; /* f, g per direction */
    int32_t linear_before_reset; /* 0 or 1 */
} tm_gru_params;

typedef struct {
    tm_rnn_dims dims;
    const float *w;        /* [D][4H][I], blocks i, o, f, c */
    const float *r;        /* [D][4H][H] */
    const float *bias;     /* [D][4H] (Wb + Rb) or NULL */
    const float *peephole; /* [D][3H], blocks i, o, f, or NULL */
    tm_rnn_act act[2][3];  /* f, g, h per direction */
    int32_t input_forget;  /* 0 or 1 */
} tm_onnx_lstm_params;

size_t tm_rnn_scratch_size(const tm_rnn_params *params);
size_t tm_gru_scratch_size(const tm_gru_params *params);
size_t tm_onnx_lstm_scratch_size(const tm_onnx_lstm_params *params);

tm_status tm_rnn_f32(const tm_rnn_params *params, const float *x, const int32_t *seq_lens, const float *h0,
                     float *y, float *y_h, void *scratch, size_t scratch_bytes);
tm_status tm_gru_f32(const tm_gru_params *params, const float *x, const int32_t *seq_lens, const float *h0,
                     float *y, float *y_h, void *scratch, size_t scratch_bytes);
tm_status tm_onnx_lstm_f32(const tm_onnx_lstm_params *params, const float *x, const int32_t *seq_lens,
                           const float *h0, const float *c0, float *y, float *y_h, float *y_c,
                           void *scratch, size_t scratch_bytes);

/* ---- shared by the kernels (not part of the API) ------------------------------------------ */

/* Checks the dims and the sequence lengths. */
static inline tm_status tm__rnn_check(const tm_rnn_dims *d, const int32_t *seq_lens)
{
    if (d->seq_length < 1 || d->batch < 1 || d->input_size < 1 || d->hidden_size < 1)
        return TM_ERR_SHAPE;
    if ((d->directions != 1 && d->directions != 2) || (d->reverse != 0 && d->reverse != 1)
        || (d->layout != 0 && d->layout != 1) || !(d->clip >= 0.0f))
        return TM_ERR_PARAM;
    if (seq_lens != NULL)
        for (int32_t b = 0; b < d->batch; ++b)
            if (seq_lens[b] < 0 || seq_lens[b] > d->seq_length)
                return TM_ERR_PARAM;
    return TM_OK;
}

static inline int tm__rnn_act_ok(const tm_rnn_act *a)
{
    return a->kind >= TM_RNN_SIGMOID && a->kind <= TM_RNN_SOFTPLUS;
}

/* Element offsets of x[t][b], y[t][d][b] and state[d][b] in the layout of `dims`. */
static inline size_t tm__rnn_x_at(const tm_rnn_dims *d, int32_t t, int32_t b)
{
    const size_t row = d->layout ? (size_t)b * (size_t)d->seq_length + (size_t)t
                                 : (size_t)t * (size_t)d->batch + (size_t)b;
    return row * (size_t)d->input_size;
}

static inline size_t tm__rnn_y_at(const tm_rnn_dims *d, int32_t t, int32_t dir, int32_t b)
{
    const size_t T = (size_t)d->seq_length, B = (size_t)d->batch, D = (size_t)d->directions;
    const size_t row = d->layout ? ((size_t)b * T + (size_t)t) * D + (size_t)dir
                                 : ((size_t)t * D + (size_t)dir) * B + (size_t)b;
    return row * (size_t)d->hidden_size;
}

static inline size_t tm__rnn_state_at(const tm_rnn_dims *d, int32_t dir, int32_t b)
{
    const size_t row = d->layout ? (size_t)b * (size_t)d->directions + (size_t)dir
                                 : (size_t)dir * (size_t)d->batch + (size_t)b;
    return row * (size_t)d->hidden_size;
}

/* v[j] = bias[j] (0 when NULL) + w[j] . x + r[j] . h, for j < rows (w: rows x n_x, r: rows x n_h). */
static inline void tm__rnn_gates(float *v, int32_t rows, const float *bias, const float *w, const float *x,
                                 int32_t n_x, const float *r, const float *h, int32_t n_h)
{
    for (int32_t j = 0; j < rows; ++j) {
        const float *wj = w + (size_t)j * (size_t)n_x, *rj = r + (size_t)j * (size_t)n_h;
        float ax = 0.0f, ah = 0.0f;
        for (int32_t k = 0; k < n_x; ++k)
            ax += wj[k] * x[k];
        for (int32_t k = 0; k < n_h; ++k)
            ah += rj[k] * h[k];
        v[j] = (bias != NULL ? bias[j] : 0.0f) + ax + ah;
    }
}

static inline void tm__rnn_clip(float *v, int32_t n, float clip)
{
    if (clip > 0.0f)
        for (int32_t j = 0; j < n; ++j)
            v[j] = v[j] < -clip ? -clip : (v[j] > clip ? clip : v[j]);
}

/* v[j] = act(v[j]) for j < n. */
static inline void tm__rnn_activate(const tm_rnn_act *a, float *v, int32_t n)
{
    const float al = a->alpha, be = a->beta;
    int32_t j;
    switch (a->kind) {
    case TM_RNN_SIGMOID:
        for (j = 0; j < n; ++j)
            v[j] = 1.0f / (1.0f + expf(-v[j]));
        break;
    case TM_RNN_TANH:
        for (j = 0; j < n; ++j)
            v[j] = tanhf(v[j]);
        break;
    case TM_RNN_RELU:
        for (j = 0; j < n; ++j)
            v[j] = v[j] > 0.0f ? v[j] : 0.0f;
        break;
    case TM_RNN_AFFINE:
        for (j = 0; j < n; ++j)
            v[j] = al * v[j] + be;
        break;
    case TM_RNN_LEAKY_RELU:
        for (j = 0; j < n; ++j)
            v[j] = v[j] >= 0.0f ? v[j] : al * v[j];
        break;
    case TM_RNN_THRESHOLDED_RELU:
        for (j = 0; j < n; ++j)
            v[j] = v[j] > al ? v[j] : 0.0f;
        break;
    case TM_RNN_SCALED_TANH:
        for (j = 0; j < n; ++j)
            v[j] = al * tanhf(be * v[j]);
        break;
    case TM_RNN_HARD_SIGMOID:
        for (j = 0; j < n; ++j) {
            const float s = al * v[j] + be;
            v[j] = s < 0.0f ? 0.0f : (s > 1.0f ? 1.0f : s);
        }
        break;
    case TM_RNN_ELU:
        for (j = 0; j < n; ++j)
            v[j] = v[j] >= 0.0f ? v[j] : al * (expf(v[j]) - 1.0f);
        break;
    case TM_RNN_SOFTSIGN:
        for (j = 0; j < n; ++j)
            v[j] = v[j] / (1.0f + fabsf(v[j]));
        break;
    default: /* TM_RNN_SOFTPLUS */
        for (j = 0; j < n; ++j)
            v[j] = logf(1.0f + expf(v[j]));
        break;
    }
}

/* Zeros n floats. */
static inline void tm__rnn_zero(float *v, int32_t n)
{
    for (int32_t j = 0; j < n; ++j)
        v[j] = 0.0f;
}

/* One (direction, batch) state row at the start of a sequence: a copy of init[0..n), or zeros
 * when init is NULL (no initial state given, or an empty sequence, whose state is 0). */
static inline void tm__rnn_state_init(float *v, const float *init, int32_t n)
{
    for (int32_t j = 0; j < n; ++j)
        v[j] = init != NULL ? init[j] : 0.0f;
}

#endif /* TINYMEM_RECURRENT_H */
