/* Nearest slot by squared L2 distance, float embeddings (see knn.h for the exact order). */
#include "tinymem/knn.h"

tm_status tm_knn_l2_f32(const tm_knn_params *params, const float *query, const float *keys,
                        int32_t count, int32_t *slot, float *distance)
{
    const int32_t dim = params->dim;
    int32_t best = 0;
    float best_d = 0.0f;
    if (count < 1)
        return TM_ERR_PARAM;
    if (dim < 1)
        return TM_ERR_SHAPE;
    for (int32_t s = 0; s < count; ++s) {
        const float *k = keys + (size_t)s * (size_t)dim;
        float acc = 0.0f;
        for (int32_t d = 0; d < dim; ++d) {
            const float t = query[d] - k[d];
            const float sq = t * t; /* a separate statement: never fused with the add */
            acc += sq;
        }
        if (s == 0 || acc < best_d) {
            best = s;
            best_d = acc;
        }
    }
    *slot = best;
    *distance = best_d;
    return TM_OK;
}
