/* float32 LSTM with TFLM's step order (see tinymem/lstm.h); within float tolerance of TFLM. */
#include <math.h>
#include <string.h>

#include "tinymem/lstm.h"

/* TFLM reference_ops::Logistic: 1 above 16.619047, exp(x) below -9, else 1 / (1 + exp(-x)). */
static inline float tm_lstm_sigmoidf(float v)
{
    if (v > 16.619047164916992188f)
        return 1.0f;
    if (v < -9.0f)
        return expf(v);
    return 1.0f / (1.0f + expf(-v));
}

static inline float tm_lstm_dotf(const float *a, const float *b, int32_t n)
{
    float s = 0.0f;
    for (int32_t d = 0; d < n; ++d)
        s += a[d] * b[d];
    return s;
}

tm_status tm_lstm_f32(const tm_lstm_dims *dims, const tm_lstm_params_f32 *p, const float *input,
                      float *output, float *hidden, float *cell)
{
    const int32_t nb = dims->batches, nt = dims->steps, ni = dims->n_input, nc = dims->n_cell;
    const float clip = p->cell_clip;
    if (nb < 1 || nt < 1 || ni < 1 || nc < 1)
        return TM_ERR_SHAPE;
    if (!(clip >= 0.0f))
        return TM_ERR_PARAM;
    for (int32_t b = 0; b < nb; ++b) {
        float *h = hidden + (size_t)b * (size_t)nc;
        float *c = cell + (size_t)b * (size_t)nc;
        for (int32_t t = 0; t < nt; ++t) {
            const size_t row = dims->time_major ? (size_t)t * (size_t)nb + (size_t)b : (size_t)b * (size_t)nt + (size_t)t;
            const float *x = input + row * (size_t)ni;
            float *y = output + row * (size_t)nc;
            for (int32_t j = 0; j < nc; ++j) {
                float gate[4];
                for (int k = 0; k < 4; ++k) {
                    const size_t r = (size_t)k * (size_t)nc + (size_t)j;
                    /* TFLM: (input FC + bias) + recurrent FC */
                    const float pre = (tm_lstm_dotf(x, p->input_weights + r * (size_t)ni, ni) + p->bias[r]) +
                                      tm_lstm_dotf(h, p->recurrent_weights + r * (size_t)nc, nc);
                    gate[k] = k == 2 ? tanhf(pre) : tm_lstm_sigmoidf(pre);
                }
                float cj = gate[1] * c[j];
                cj = cj + gate[0] * gate[2];
                if (clip > 0.0f)
                    cj = cj > clip ? clip : cj < -clip ? -clip : cj;
                c[j] = cj;
                y[j] = tanhf(cj) * gate[3];
            }
            memcpy(h, y, (size_t)nc * sizeof(float));
        }
    }
    return TM_OK;
}
