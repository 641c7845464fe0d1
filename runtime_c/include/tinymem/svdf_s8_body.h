/*
 * The body of the int8 SVDF kernels, shared by tm_svdf_s8_s8.c and tm_svdf_s8_s16.c, which
 * differ only in the type of the time weights and state. Include it once per kernel file after
 * defining:
 *   TM_SVDF_NAME       the kernel's name (declared in tinymem/svdf.h)
 *   TM_SVDF_STATE      int8_t or int16_t
 *   TM_SVDF_STATE_MIN, TM_SVDF_STATE_MAX   that type's range
 * Bit-exact with TFLM's SVDF (see tinymem/svdf.h for the parameters).
 */
#include "tinymem/fixedpoint.h"
#include "tinymem/svdf.h"

#if defined(__GNUC__) || defined(__clang__)
#define TM_SVDF_INLINE static inline __attribute__((always_inline))
#else
#define TM_SVDF_INLINE static inline
#endif

/* acc[r] += sum_c x[c] * wt[c * stride + r] for ROWS (16 or 1) consecutive filters, mod 2^32. */
TM_SVDF_INLINE void tm_svdf_feature_rows(uint32_t *acc, const int8_t *w, ptrdiff_t stride, const int8_t *x,
                                         int32_t depth, int rows)
{
    for (int32_t c = 0; c < depth; ++c, w += stride) {
        const int32_t xc = x[c];
        for (int r = 0; r < rows; ++r)
            acc[r] += (uint32_t)(int32_t)(int16_t)(w[r] * xc);
    }
}

/* sum_i a[i] * b[i] mod 2^32, eight partial sums so that it vectorizes. */
static inline uint32_t tm_svdf_dot(const TM_SVDF_STATE *a, const TM_SVDF_STATE *b, int32_t n)
{
    uint32_t l[8] = {0}, s = 0;
    int32_t i = 0, k;
    for (; i + 8 <= n; i += 8)
        for (k = 0; k < 8; ++k)
            l[k] += (uint32_t)((int32_t)a[i + k] * (int32_t)b[i + k]);
    for (k = 0; k < 8; ++k)
        s += l[k];
    for (; i < n; ++i)
        s += (uint32_t)((int32_t)a[i] * (int32_t)b[i]);
    return s;
}

/* Each filter's memory moves left by one: state[i] = state[i + 1] (forward, so overlap is safe;
 * an inline loop rather than memmove, which costs a library call per run). */
static inline void tm_svdf_shift(TM_SVDF_STATE *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; ++i)
        s[i] = s[i + 1];
}

TM_SVDF_INLINE void tm_svdf_store(const tm_svdf_params_s8 *p, const uint32_t *acc, int32_t f0, int rows,
                                  TM_SVDF_STATE *s, int32_t nm)
{
    for (int r = 0; r < rows; ++r) {
        int32_t v = tm_multiply_by_quantized_multiplier((int32_t)acc[r], p->feature_multiplier,
                                                        p->feature_shift) + p->state_zero_point;
        v = v < TM_SVDF_STATE_MIN ? TM_SVDF_STATE_MIN : v > TM_SVDF_STATE_MAX ? TM_SVDF_STATE_MAX : v;
        s[(size_t)(f0 + r) * (size_t)nm + (size_t)(nm - 1)] = (TM_SVDF_STATE)v;
    }
}

tm_status TM_SVDF_NAME(const tm_svdf_dims *dims, const tm_svdf_params_s8 *p, const int8_t *input,
                       const int8_t *weights_feature, const TM_SVDF_STATE *weights_time,
                       TM_SVDF_STATE *state, int8_t *output)
{
    const int32_t nb = dims->batches, ni = dims->n_input, nf = dims->n_filter, nm = dims->n_memory;
    const int32_t rank = dims->rank;
    const int32_t szp = p->state_zero_point, ozp = p->output_zero_point;
    if (nb < 1 || ni < 1 || nf < 1 || nm < 1 || rank < 1 || nf % rank != 0)
        return TM_ERR_SHAPE;
    if (szp < TM_SVDF_STATE_MIN || szp > TM_SVDF_STATE_MAX || ozp < -128 || ozp > 127)
        return TM_ERR_PARAM;
    for (int32_t b = 0; b < nb; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)ni;
        TM_SVDF_STATE *s = state + (size_t)b * (size_t)nf * (size_t)nm;
        /* shift every filter's memory left by one (the whole batch row at once, as TFLM) */
        tm_svdf_shift(s, (size_t)nf * (size_t)nm);
        /* newest entries: the feature products, sixteen filters at a time */
        int32_t f = 0;
        for (; f + 16 <= nf; f += 16) {
            uint32_t acc[16];
            for (int r = 0; r < 16; ++r)
                acc[r] = (uint32_t)p->feature_offset[f + r];
            tm_svdf_feature_rows(acc, weights_feature + f, nf, x, ni, 16);
            tm_svdf_store(p, acc, f, 16, s, nm);
        }
        for (; f < nf; ++f) {
            uint32_t acc[1] = {(uint32_t)p->feature_offset[f]};
            tm_svdf_feature_rows(acc, weights_feature + f, nf, x, ni, 1);
            tm_svdf_store(p, acc, f, 1, s, nm);
        }
        /* each unit: its rank filters' memories are contiguous in state and weights_time */
        int8_t *y = output + (size_t)b * (size_t)(nf / rank);
        const int32_t span = rank * nm;
        for (int32_t u = 0; u < nf / rank; ++u) {
            const size_t at = (size_t)u * (size_t)span;
            const uint32_t acc = (uint32_t)p->unit_bias[u] + tm_svdf_dot(weights_time + at, s + at, span);
            int32_t v = tm_multiply_by_quantized_multiplier((int32_t)acc, p->output_multiplier,
                                                            p->output_shift) + ozp;
            y[u] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
        }
    }
    return TM_OK;
}
