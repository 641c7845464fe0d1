/* int8 ADD and SUB, bit-exact with TFLite Micro's reference kernels (see elementwise.h). */
#include "tinymem/elementwise.h"

/* One innermost row: y[i] = out(table1[a[i * sa]] + table2[b[i * sb]]).  The output stage is
 * TFLM's MultiplyByQuantizedMultiplierSmallerThanOneExp, offset and clamp, written for speed:
 *  - the rounding doubling high multiply as (raw * mult + 2^30) >> 31, equal to gemmlowp's
 *    SaturatingRoundingDoublingHighMul whenever mult != INT32_MIN (a Q31 multiplier never is);
 *  - the rounding right shift by e >= 1 (ties away from zero) as
 *    (x + 2^(e-1) - (x < 0)) >> e, and as x itself for e == 0 (half == neg == 0).
 * No intermediate overflows: |table values| < 2^28 (|q - zp| <= 255, shifted by 20, times a
 * multiplier < 1), so |raw| < 2^29 and |x| <= |raw|. */
static void tm_add_s8_row(const int32_t *t1, const int32_t *t2, const int8_t *a, size_t sa,
                          const int8_t *b, size_t sb, int8_t *y, int32_t n, int32_t mult,
                          int right, int32_t half, int32_t neg, int32_t zp, int32_t lo, int32_t hi)
{
    for (int32_t i = 0; i < n; ++i) {
        const int32_t raw = t1[*a] + t2[*b];
        const int32_t x = (int32_t)(((int64_t)raw * mult + ((int64_t)1 << 30)) >> 31);
        int32_t v = ((x + half - (neg & (int32_t)((uint32_t)x >> 31))) >> right) + zp;
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        y[i] = (int8_t)v;
        a += sa;
        b += sb;
    }
}

/* The same for contiguous rows (sa == sb == 1) and right >= 1: fewer live values, no spills. */
static void tm_add_s8_row_flat(const int32_t *t1, const int32_t *t2, const int8_t *a,
                               const int8_t *b, int8_t *y, int32_t n, int32_t mult, int right,
                               int32_t half, int32_t zp, int32_t lo, int32_t hi)
{
    for (int32_t i = 0; i < n; ++i) {
        const int32_t raw = t1[a[i]] + t2[b[i]];
        const int32_t x = (int32_t)(((int64_t)raw * mult + ((int64_t)1 << 30)) >> 31);
        int32_t v = ((x + half - (int32_t)((uint32_t)x >> 31)) >> right) + zp;
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        y[i] = (int8_t)v;
    }
}

tm_status tm_add_s8(const tm_bcast *bc, const tm_add_params_s8 *params, const int8_t *input1,
                    const int8_t *input2, int8_t *output)
{
    const int32_t rows = tm_bcast_rows(bc);
    const int right = -params->output_shift;
    int32_t idx[TM_BCAST_MAX_RANK] = {0};
    size_t o1 = 0, o2 = 0;
    if (rows < 0)
        return TM_ERR_SHAPE;
    if (params->output_multiplier == INT32_MIN || right < 0 || right > 31)
        return TM_ERR_PARAM;
    {
        const int32_t last = bc->rank - 1, n = bc->shape[last];
        const size_t s1 = (size_t)bc->stride1[last], s2 = (size_t)bc->stride2[last];
        const int32_t half = right > 0 ? (int32_t)1 << (right - 1) : 0, neg = right > 0;
        for (int32_t r = 0; r < rows; ++r) {
            if (s1 == 1 && s2 == 1 && right > 0)
                tm_add_s8_row_flat(params->table1 + 128, params->table2 + 128, input1 + o1,
                                   input2 + o2, output + (size_t)r * (size_t)n, n,
                                   params->output_multiplier, right, half, params->output_offset,
                                   params->act.min, params->act.max);
            else
                    tm_add_s8_row(params->table1 + 128, params->table2 + 128, input1 + o1, s1,
                              input2 + o2, s2, output + (size_t)r * (size_t)n, n,
                              params->output_multiplier, right, half, neg, params->output_offset,
                              params->act.min, params->act.max);
            tm_bcast_next_row(bc, idx, &o1, &o2);
        }
    }
    return TM_OK;
}
