/* float32 LSTM with TFLM's step order and per-row summation order (see tinymem/lstm.h); within
 * float tolerance of TFLM (libm expf / tanhf). */
#include <math.h>
#include <string.h>

#include "tinymem/lstm.h"

/* The row helpers are specialised for a constant row count (16 or 4) only when inlined. */
#if defined(__GNUC__) || defined(__clang__)
#define TM_LSTM_INLINE static inline __attribute__((always_inline))
#else
#define TM_LSTM_INLINE static inline
#endif

/* TFLM reference_ops::Logistic: 1 above 16.619047, exp(x) below -9, else 1 / (1 + exp(-x)). */
static inline float tm_lstm_sigmoidf(float v)
{
    if (v > 16.619047164916992188f)
        return 1.0f;
    if (v < -9.0f)
        return expf(v);
    return 1.0f / (1.0f + expf(-v));
}

/* acc[r] += sum_d v[d] * w[d * stride + r], d in order (TFLM's order for each row), for ROWS
 * (16 or 4) consecutive rows kept in groups of four local accumulators (vector registers). */
TM_LSTM_INLINE void tm_lstm_matvecf(float *acc, const float *w, ptrdiff_t stride, const float *v, int32_t depth,
                                   int rows)
{
    float a0[4], a1[4], a2[4], a3[4];
    int k;
    for (k = 0; k < 4; ++k) {
        a0[k] = acc[k];
        a1[k] = rows > 4 ? acc[4 + k] : 0.0f;
        a2[k] = rows > 4 ? acc[8 + k] : 0.0f;
        a3[k] = rows > 4 ? acc[12 + k] : 0.0f;
    }
    for (int32_t d = 0; d < depth; ++d, w += stride) {
        const float vd = v[d];
        for (k = 0; k < 4; ++k)
            a0[k] += w[k] * vd;
        if (rows > 4) {
            for (k = 0; k < 4; ++k)
                a1[k] += w[4 + k] * vd;
            for (k = 0; k < 4; ++k)
                a2[k] += w[8 + k] * vd;
            for (k = 0; k < 4; ++k)
                a3[k] += w[12 + k] * vd;
        }
    }
    for (k = 0; k < 4; ++k) {
        acc[k] = a0[k];
        if (rows > 4) {
            acc[4 + k] = a1[k];
            acc[8 + k] = a2[k];
            acc[12 + k] = a3[k];
        }
    }
}

TM_LSTM_INLINE void tm_lstm_cellsf(const tm_lstm_params_f32 *p, int32_t ni, int32_t nc, int32_t j, int rows,
                                  const float *x, const float *h, float *c, float *y)
{
    float ai[16], ar[16];
    const ptrdiff_t stride = (ptrdiff_t)4 * nc;
    for (int r = 0; r < rows; ++r)
        ai[r] = ar[r] = 0.0f;
    tm_lstm_matvecf(ai, p->input_weights + 4 * j, stride, x, ni, rows);
    tm_lstm_matvecf(ar, p->recurrent_weights + 4 * j, stride, h, nc, rows);
    for (int q = 0; q < rows / 4; ++q) {
        float gate[4];
        for (int k = 0; k < 4; ++k) {
            const int r = 4 * q + k;
            const float pre = (ai[r] + p->bias[4 * j + r]) + ar[r]; /* TFLM: (input FC + bias) + recurrent FC */
            gate[k] = k == 2 ? tanhf(pre) : tm_lstm_sigmoidf(pre);
        }
        float cj = gate[1] * c[j + q];
        cj = cj + gate[0] * gate[2];
        if (p->cell_clip > 0.0f)
            cj = cj > p->cell_clip ? p->cell_clip : cj < -p->cell_clip ? -p->cell_clip : cj;
        c[j + q] = cj;
        y[j + q] = tanhf(cj) * gate[3];
    }
}

tm_status tm_lstm_f32(const tm_lstm_dims *dims, const tm_lstm_params_f32 *p, const float *input,
                      float *output, float *hidden, float *cell)
{
    const int32_t nb = dims->batches, nt = dims->steps, ni = dims->n_input, nc = dims->n_cell;
    if (nb < 1 || nt < 1 || ni < 1 || nc < 1)
        return TM_ERR_SHAPE;
    if (!(p->cell_clip >= 0.0f))
        return TM_ERR_PARAM;
    for (int32_t b = 0; b < nb; ++b) {
        float *h = hidden + (size_t)b * (size_t)nc;
        float *c = cell + (size_t)b * (size_t)nc;
        for (int32_t t = 0; t < nt; ++t) {
            const size_t row = dims->time_major ? (size_t)t * (size_t)nb + (size_t)b : (size_t)b * (size_t)nt + (size_t)t;
            const float *x = input + row * (size_t)ni;
            float *y = output + row * (size_t)nc; /* the new hidden state; h stays the old one */
            int32_t j = 0;
            for (; j + 4 <= nc; j += 4)
                tm_lstm_cellsf(p, ni, nc, j, 16, x, h, c, y);
            for (; j < nc; ++j)
                tm_lstm_cellsf(p, ni, nc, j, 4, x, h, c, y);
            memcpy(h, y, (size_t)nc * sizeof(float));
        }
    }
    return TM_OK;
}
