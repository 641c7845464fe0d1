/* ONNX RNN, float32: h = f(W x + R h + b) over the sequence, every direction and batch (see
 * tinymem/recurrent.h). Scratch: H floats (the pre-activation, built before h is replaced). */
#include "tinymem/recurrent.h"

size_t tm_rnn_scratch_size(const tm_rnn_params *params)
{
    return (size_t)params->dims.hidden_size * sizeof(float);
}

tm_status tm_rnn_f32(const tm_rnn_params *params, const float *x, const int32_t *seq_lens, const float *h0,
                     float *y, float *y_h, void *scratch, size_t scratch_bytes)
{
    const tm_rnn_dims *d = &params->dims;
    const tm_status st = tm__rnn_check(d, seq_lens);
    if (st != TM_OK)
        return st;
    const int32_t T = d->seq_length, I = d->input_size, H = d->hidden_size;
    float *v = (float *)scratch;
    if (scratch == NULL || scratch_bytes < tm_rnn_scratch_size(params))
        return TM_ERR_SCRATCH;
    for (int32_t dir = 0; dir < d->directions; ++dir)
        if (!tm__rnn_act_ok(&params->act[dir]))
            return TM_ERR_PARAM;
    for (int32_t dir = 0; dir < d->directions; ++dir) {
        const int backwards = dir == 1 || d->reverse;
        const float *w = params->w + (size_t)dir * (size_t)H * (size_t)I;
        const float *r = params->r + (size_t)dir * (size_t)H * (size_t)H;
        const float *bias = params->bias != NULL ? params->bias + (size_t)dir * (size_t)H : NULL;
        for (int32_t b = 0; b < d->batch; ++b) {
            const int32_t len = seq_lens != NULL ? seq_lens[b] : T;
            const size_t at = tm__rnn_state_at(d, dir, b);
            float *h = y_h + at;
            tm__rnn_state_init(h, h0 != NULL && len > 0 ? h0 + at : NULL, H);
            for (int32_t s = 0; s < len; ++s) {
                const int32_t t = backwards ? len - 1 - s : s;
                tm__rnn_gates(v, H, bias, w, x + tm__rnn_x_at(d, t, b), I, r, h, H);
                tm__rnn_clip(v, H, d->clip);
                tm__rnn_activate(&params->act[dir], v, H);
                float *yt = y + tm__rnn_y_at(d, t, dir, b);
                for (int32_t j = 0; j < H; ++j)
                    h[j] = yt[j] = v[j];
            }
            for (int32_t t = len; t < T; ++t)
                tm__rnn_zero(y + tm__rnn_y_at(d, t, dir, b), H);
        }
    }
    return TM_OK;
}
