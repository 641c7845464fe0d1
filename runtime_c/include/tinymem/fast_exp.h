/*
 * Inline float32 exp for the float activation kernels (Softmax, LogSoftmax, Logistic, Tanh):
 * four values at a time, branch-free and written over small local arrays so that compilers
 * vectorize it at -O2 (SSE2, NEON) without libm; plain scalar code elsewhere.
 *
 * tm_fast_expf4(x, e): e[j] = exp(x[j]) within 1e-7 relative (about 1 ulp; checked against
 * double-precision exp in tests/ops/test_logistic.py) for x in [-87, 88]. Below -87 it gives
 * 0 (the true value is under 1.7e-38), above 88 it gives exp(88); NaN stays NaN.
 * Method: k = round(x / ln2) by the 1.5 * 2^23 shifter (whose low mantissa bits then hold k),
 * r = x - k ln2 with a two-part ln2 (Cody-Waite), exp(r) from Cephes' degree-5 minimax
 * polynomial, and 2^k added to the result's exponent field (the result stays normal).
 */
#ifndef TINYMEM_FAST_EXP_H
#define TINYMEM_FAST_EXP_H

#include <stdint.h>

/* Force inlining where the compiler allows it: the four-lane helpers are only fast when their
 * constants are hoisted out of the caller's loop. */
#if defined(__GNUC__) || defined(__clang__)
#define TM_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define TM_ALWAYS_INLINE static inline
#endif

/* exp(r) for |r| <= ln2 / 2 */
TM_ALWAYS_INLINE float tm_expf_poly(float r)
{
    const float r2 = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    return p * r2 + r + 1.0f;
}

/* float / bit-pattern views of four lanes (type punning through a union is defined in C99) */
typedef union {
    float f[4];
    uint32_t u[4];
} tm_f32x4_bits;

TM_ALWAYS_INLINE void tm_fast_expf4(const float x[4], float e[4])
{
    const float shifter = 12582912.0f; /* 1.5 * 2^23 */
    float a[4];
    tm_f32x4_bits k, p;
    int j;
    for (j = 0; j < 4; ++j) {
        const float t = x[j] < -87.0f ? -87.0f : x[j];
        a[j] = t > 88.0f ? 88.0f : t;
    }
    for (j = 0; j < 4; ++j)
        k.f[j] = a[j] * 1.44269504088896341f + shifter;
    for (j = 0; j < 4; ++j) {
        const float kf = k.f[j] - shifter;
        p.f[j] = tm_expf_poly((a[j] - kf * 0.693359375f) - kf * -2.12194440e-4f);
    }
    for (j = 0; j < 4; ++j) /* times 2^k (k in [-126, 127]); 0 below -87 */
        p.u[j] = x[j] < -87.0f ? 0u : p.u[j] + (k.u[j] << 23);
    for (j = 0; j < 4; ++j)
        e[j] = p.f[j];
}

/* The two passes Softmax and LogSoftmax share over one row in[0..depth), depth >= 1:
 * tm_row_max(in, depth) is the row maximum; tm_exp_row_sum(in, depth, max, beta, out) is
 * sum_c exp((in[c] - max) * beta), added in index order as TFLM's reference does (blocks of four
 * for the vectorizer, the last 1..3 values in a padded block), storing each exp in out[c] when
 * out is not NULL. */
static inline float tm_row_max(const float *in, int32_t depth)
{
    float max = in[0];
    for (int32_t c = 1; c < depth; ++c)
        max = in[c] > max ? in[c] : max;
    return max;
}

static inline float tm_exp_row_sum(const float *in, int32_t depth, float max, float beta, float *out)
{
    float sum = 0.0f, d[4], e[4];
    int32_t c;
    for (c = 0; c + 4 <= depth; c += 4) {
        for (int j = 0; j < 4; ++j)
            d[j] = (in[c + j] - max) * beta;
        tm_fast_expf4(d, e);
        for (int j = 0; j < 4; ++j) {
            if (out)
                out[c + j] = e[j];
            sum += e[j];
        }
    }
    if (c < depth) {
        const int32_t n = depth - c;
        for (int j = 0; j < 4; ++j)
            d[j] = j < n ? (in[c + j] - max) * beta : 0.0f;
        tm_fast_expf4(d, e);
        for (int j = 0; j < n; ++j) {
            if (out)
                out[c + j] = e[j];
            sum += e[j];
        }
    }
    return sum;
}

#endif /* TINYMEM_FAST_EXP_H */
