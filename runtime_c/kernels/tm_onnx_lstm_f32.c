/* ONNX LSTM, float32: peepholes, input_forget, clip, any activations, every direction and batch
 * (see tinymem/recurrent.h). Scratch: 4H floats, the i, o, f, c gate pre-activations. The cell
 * state is kept in y_c and the hidden state in y_h while the sequence runs. */
#include "tinymem/recurrent.h"

size_t tm_onnx_lstm_scratch_size(const tm_onnx_lstm_params *params)
{
    return (size_t)4 * (size_t)params->dims.hidden_size * sizeof(float);
}

tm_status tm_onnx_lstm_f32(const tm_onnx_lstm_params *params, const float *x, const int32_t *seq_lens,
                           const float *h0, const float *c0, float *y, float *y_h, float *y_c,
                           void *scratch, size_t scratch_bytes)
{
    const tm_rnn_dims *d = &params->dims;
    const tm_status st = tm__rnn_check(d, seq_lens);
    if (st != TM_OK)
        return st;
    const int32_t T = d->seq_length, I = d->input_size, H = d->hidden_size;
    float *gi = (float *)scratch, *go = gi + H, *gf = go + H, *gc = gf + H;
    if (scratch == NULL || scratch_bytes < tm_onnx_lstm_scratch_size(params))
        return TM_ERR_SCRATCH;
    if (params->input_forget != 0 && params->input_forget != 1)
        return TM_ERR_PARAM;
    for (int32_t dir = 0; dir < d->directions; ++dir)
        for (int k = 0; k < 3; ++k)
            if (!tm__rnn_act_ok(&params->act[dir][k]))
                return TM_ERR_PARAM;
    for (int32_t dir = 0; dir < d->directions; ++dir) {
        const int backwards = dir == 1 || d->reverse;
        const size_t H4 = 4 * (size_t)H;
        const float *w = params->w + (size_t)dir * H4 * (size_t)I;
        const float *r = params->r + (size_t)dir * H4 * (size_t)H;
        const float *bias = params->bias != NULL ? params->bias + (size_t)dir * H4 : NULL;
        const float *p = params->peephole != NULL ? params->peephole + (size_t)dir * 3 * (size_t)H : NULL;
        const tm_rnn_act *act = params->act[dir];
        for (int32_t b = 0; b < d->batch; ++b) {
            const int32_t len = seq_lens != NULL ? seq_lens[b] : T;
            const size_t at = tm__rnn_state_at(d, dir, b);
            float *h = y_h + at, *c = y_c + at;
            tm__rnn_state_init(h, h0 != NULL && len > 0 ? h0 + at : NULL, H);
            tm__rnn_state_init(c, c0 != NULL && len > 0 ? c0 + at : NULL, H);
            for (int32_t s = 0; s < len; ++s) {
                const int32_t t = backwards ? len - 1 - s : s;
                tm__rnn_gates(gi, 4 * H, bias, w, x + tm__rnn_x_at(d, t, b), I, r, h, H);
                if (p != NULL)
                    for (int32_t j = 0; j < H; ++j) {
                        gi[j] += p[j] * c[j];
                        gf[j] += p[2 * H + j] * c[j];
                    }
                tm__rnn_clip(gi, H, d->clip);
                tm__rnn_activate(&act[0], gi, H);
                if (params->input_forget) {
                    for (int32_t j = 0; j < H; ++j)
                        gf[j] = 1.0f - gi[j];
                } else {
                    tm__rnn_clip(gf, H, d->clip);
                    tm__rnn_activate(&act[0], gf, H);
                }
                tm__rnn_clip(gc, H, d->clip);
                tm__rnn_activate(&act[1], gc, H);
                for (int32_t j = 0; j < H; ++j)
                    c[j] = c[j] * gf[j] + gi[j] * gc[j];
                if (p != NULL)
                    for (int32_t j = 0; j < H; ++j)
                        go[j] += p[H + j] * c[j];
                tm__rnn_clip(go, H, d->clip);
                tm__rnn_activate(&act[0], go, H);
                /* h = o * h(c): h(c) built in gc (no longer needed) */
                for (int32_t j = 0; j < H; ++j)
                    gc[j] = c[j];
                tm__rnn_activate(&act[2], gc, H);
                float *yt = y + tm__rnn_y_at(d, t, dir, b);
                for (int32_t j = 0; j < H; ++j)
                    h[j] = yt[j] = go[j] * gc[j];
            }
            for (int32_t t = len; t < T; ++t)
                tm__rnn_zero(y + tm__rnn_y_at(d, t, dir, b), H);
        }
    }
    return TM_OK;
}
