/* float32 FullyConnected.  The dot product keeps 16 partial sums (vectorizable), so the
 * summation order differs from TFLite Micro's sequential loop: results agree within float
 * tolerance, not bit for bit. */
#include "tinymem/fully_connected.h"

static inline float tm_fc_dot_f32(const float *x, const float *w, int32_t n)
{
    /* sixteen named partial sums (not an array): gcc and clang keep them in vector registers */
    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f, a4 = 0.0f, a5 = 0.0f, a6 = 0.0f, a7 = 0.0f;
    float a8 = 0.0f, a9 = 0.0f, a10 = 0.0f, a11 = 0.0f, a12 = 0.0f, a13 = 0.0f, a14 = 0.0f,
          a15 = 0.0f;
    float acc;
    int32_t d = 0;
    for (; d + 16 <= n; d += 16) {
        const float *p = x + d, *q = w + d;
        a0 += p[0] * q[0];
        a1 += p[1] * q[1];
        a2 += p[2] * q[2];
        a3 += p[3] * q[3];
        a4 += p[4] * q[4];
        a5 += p[5] * q[5];
        a6 += p[6] * q[6];
        a7 += p[7] * q[7];
        a8 += p[8] * q[8];
        a9 += p[9] * q[9];
        a10 += p[10] * q[10];
        a11 += p[11] * q[11];
        a12 += p[12] * q[12];
        a13 += p[13] * q[13];
        a14 += p[14] * q[14];
        a15 += p[15] * q[15];
    }
    acc = ((a0 + a8) + (a4 + a12)) + ((a1 + a9) + (a5 + a13)) + ((a2 + a10) + (a6 + a14)) +
          ((a3 + a11) + (a7 + a15));
    for (; d < n; ++d)
        acc += x[d] * w[d];
    return acc;
}

tm_status tm_fully_connected_f32(const tm_fc_dims *dims, const tm_act_f32 *act, const float *input,
                                 const float *weights, const float *bias, float *output)
{
    const int32_t depth = dims->depth, out_depth = dims->out_depth;
    const float lo = act->min, hi = act->max;
    if (depth < 1 || out_depth < 1 || dims->batches < 1)
        return TM_ERR_SHAPE;
    for (int32_t b = 0; b < dims->batches; ++b) {
        const float *in = input + (size_t)b * (size_t)depth;
        float *out = output + (size_t)b * (size_t)out_depth;
        for (int32_t o = 0; o < out_depth; ++o) {
            float acc = tm_fc_dot_f32(in, weights + (size_t)o * (size_t)depth, depth);
            if (bias)
                acc += bias[o];
            acc = acc < lo ? lo : acc;
            acc = acc > hi ? hi : acc;
            out[o] = acc;
        }
    }
    return TM_OK;
}
