/* Nearest slot by cosine distance, float embeddings (see knn.h for the exact order). */
#include <math.h>

#include "tinymem/knn.h"

tm_status tm_knn_cosine_f32(const tm_knn_params *params, const float *query, const float *keys,
                            int32_t count, int32_t *slot, float *distance)
{
    const int32_t dim = params->dim;
    int32_t best = 0;
    float best_d = 0.0f, nq = 0.0f;
    if (count < 1)
        return TM_ERR_PARAM;
    if (dim < 1)
        return TM_ERR_SHAPE;
    for (int32_t d = 0; d < dim; ++d) {
        const float sq = query[d] * query[d];
        nq += sq;
    }
    for (int32_t s = 0; s < count; ++s) {
        const float *k = keys + (size_t)s * (size_t)dim;
        float dot = 0.0f, nk = 0.0f, dist = 1.0f;
        for (int32_t d = 0; d < dim; ++d) {
            const float p = query[d] * k[d];
            const float sq = k[d] * k[d];
            dot += p;
            nk += sq;
        }
        if (nq != 0.0f && nk != 0.0f) {
            const float norm = sqrtf(nq) * sqrtf(nk);
            const float cosine = dot / norm;
            dist = 1.0f - cosine;
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
