/* Nearest slot by squared L2 distance, int8 embeddings (see knn.h). */
#include "tinymem/knn.h"

tm_status tm_knn_l2_s8(const tm_knn_params *params, const int8_t *query, const int8_t *keys,
                       int32_t count, int32_t *slot, int32_t *distance)
{
    const int32_t dim = params->dim;
    int32_t best = 0, best_d = 0;
    if (count < 1)
        return TM_ERR_PARAM;
    if (dim < 1 || dim > 33025)
        return TM_ERR_SHAPE;
    for (int32_t s = 0; s < count; ++s) {
        const int8_t *k = keys + (size_t)s * (size_t)dim;
        int32_t acc = 0; /* <= 255^2 * dim < 2^31 */
        for (int32_t d = 0; d < dim; ++d) {
            const int32_t t = (int32_t)query[d] - (int32_t)k[d];
            acc += t * t;
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
