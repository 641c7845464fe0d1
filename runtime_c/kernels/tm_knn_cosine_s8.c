/* Nearest slot by cosine distance, int8 embeddings, exact integer arithmetic (see knn.h). */
#include "tinymem/knn.h"

/* floor(sqrt(v)) for any 64-bit v, digit by digit (no floating point). */
static uint64_t tm_knn_isqrt_u64(uint64_t v)
{
    uint64_t r = 0, bit = (uint64_t)1 << 62;
    while (bit > v)
        bit >>= 2;
    while (bit != 0) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

tm_status tm_knn_cosine_s8(const tm_knn_params *params, const int8_t *query, const int8_t *keys,
                           int32_t count, int32_t *slot, int32_t *distance)
{
    const int32_t dim = params->dim, zp = params->zero_point;
    int64_t nq = 0;
    int32_t best = 0, best_d = 0;
    if (count < 1)
        return TM_ERR_PARAM;
    if (dim < 1 || dim > 33025 || zp < -128 || zp > 127)
        return TM_ERR_SHAPE;
    for (int32_t d = 0; d < dim; ++d) {
        const int64_t a = (int64_t)query[d] - zp;
        nq += a * a;
    }
    for (int32_t s = 0; s < count; ++s) {
        const int8_t *k = keys + (size_t)s * (size_t)dim;
        int64_t dot = 0, nk = 0;
        int32_t dist = 65536;
        for (int32_t d = 0; d < dim; ++d) {
            const int64_t a = (int64_t)query[d] - zp, b = (int64_t)k[d] - zp;
            dot += a * b;
            nk += b * b;
        }
        if (nq != 0 && nk != 0) {
            const uint64_t root = tm_knn_isqrt_u64((uint64_t)nq * (uint64_t)nk); /* < 2^64 for dim <= 33025 */
            dist = (int32_t)(((uint64_t)((int64_t)root - dot) << 16) / root);
        }
        if (s == 0 || dist < best_d) {
            best = s;
            best_d = dist;
        }
    }
    *slot = best;
    *distance = best_d;
    return TM_OK;
}
