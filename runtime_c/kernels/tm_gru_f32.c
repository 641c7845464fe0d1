/* ONNX GRU, float32, both linear_before_reset variants, every direction and batch (see
 * tinymem/recurrent.h). Scratch: 4H floats: the z, r, h pre-activations and r * h (or
 * Rh h + Rbh). */
#include "tinymem/recurrent.h"

size_t tm_gru_scratch_size(const tm_gru_params *params)
{
    return (size_t)4 * (size_t)params->dims.hidden_size * sizeof(float);
}

tm_status tm_gru_f32(const tm_gru_params *params, const float *x, const int32_t *seq_lens, const float *h0,
                     float *y, float *y_h, void *scratch, size_t scratch_bytes)
{
    const tm_rnn_dims *d = &params->dims;
    const tm_status st = tm__rnn_check(d, seq_lens);
    if (st != TM_OK)
        return st;
    const int32_t T = d->seq_length, I = d->input_size, H = d->hidden_size;
    const int lbr = params->linear_before_reset;
    float *zr = (float *)scratch, *n = zr + 2 * (size_t)H, *rh = n + H;
    if (scratch == NULL || scratch_bytes < tm_gru_scratch_size(params))
        return TM_ERR_SCRATCH;
    if (lbr != 0 && lbr != 1)
        return TM_ERR_PARAM;
    for (int32_t dir = 0; dir < d->directions; ++dir)
        if (!tm__rnn_act_ok(&params->act[dir][0]) || !tm__rnn_act_ok(&params->act[dir][1]))
            return TM_ERR_PARAM;
    for (int32_t dir = 0; dir < d->directions; ++dir) {
        const int backwards = dir == 1 || d->reverse;
        const size_t H3 = 3 * (size_t)H;
        const float *w = params->w + (size_t)dir * H3 * (size_t)I;
        const float *r = params->r + (size_t)dir * H3 * (size_t)H;
        const float *bias = params->bias != NULL ? params->bias + (size_t)dir * H3 : NULL;
        const float *bias_rh = params->bias_rh != NULL ? params->bias_rh + (size_t)dir * (size_t)H : NULL;
        const float *wh = w + 2 * (size_t)H * (size_t)I, *rhw = r + 2 * (size_t)H * (size_t)H;
        const float *bh = bias != NULL ? bias + 2 * (size_t)H : NULL;
        for (int32_t b = 0; b < d->batch; ++b) {
            const int32_t len = seq_lens != NULL ? seq_lens[b] : T;
            const size_t at = tm__rnn_state_at(d, dir, b);
            float *h = y_h + at;
            tm__rnn_state_init(h, h0 != NULL && len > 0 ? h0 + at : NULL, H);
            for (int32_t s = 0; s < len; ++s) {
                const int32_t t = backwards ? len - 1 - s : s;
                const float *xt = x + tm__rnn_x_at(d, t, b);
                /* z and r */
                tm__rnn_gates(zr, 2 * H, bias, w, xt, I, r, h, H);
                tm__rnn_clip(zr, 2 * H, d->clip);
                tm__rnn_activate(&params->act[dir][0], zr, 2 * H);
                const float *z = zr, *rg = zr + H;
                if (lbr) {
                    /* rh = Rh h + Rbh; n = Wh x + Wbh + r * rh */
                    for (int32_t j = 0; j < H; ++j) {
                        const float *rj = rhw + (size_t)j * (size_t)H;
                        float acc = 0.0f;
                        for (int32_t k = 0; k < H; ++k)
                            acc += rj[k] * h[k];
                        rh[j] = (bias_rh != NULL ? bias_rh[j] : 0.0f) + acc;
                    }
                    for (int32_t j = 0; j < H; ++j) {
                        const float *wj = wh + (size_t)j * (size_t)I;
                        float acc = 0.0f;
                        for (int32_t k = 0; k < I; ++k)
                            acc += wj[k] * xt[k];
                        n[j] = (bh != NULL ? bh[j] : 0.0f) + acc + rg[j] * rh[j];
                    }
                } else {
                    /* n = Wh x + Rh (r * h) + Wbh + Rbh */
                    for (int32_t j = 0; j < H; ++j)
                        rh[j] = rg[j] * h[j];
                    tm__rnn_gates(n, H, bh, wh, xt, I, rhw, rh, H);
                }
                tm__rnn_clip(n, H, d->clip);
                tm__rnn_activate(&params->act[dir][1], n, H);
                float *yt = y + tm__rnn_y_at(d, t, dir, b);
                for (int32_t j = 0; j < H; ++j)
                    h[j] = yt[j] = (1.0f - z[j]) * n[j] + z[j] * h[j];
            }
            for (int32_t t = len; t < T; ++t)
                tm__rnn_zero(y + tm__rnn_y_at(d, t, dir, b), H);
        }
    }
    return TM_OK;
}
