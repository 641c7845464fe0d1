/*
 * Nearest-neighbour search of the episodic memory head (--memory-head knn, docs/params.md).
 *
 * keys:  [count, dim] row-major, one stored embedding per slot (slots 0 .. count-1).
 * query: [dim].
 * Each kernel returns in *slot the slot nearest to the query and in *distance its distance; ties
 * go to the lowest slot. count must be >= 1 (TM_ERR_PARAM otherwise), dim >= 1.
 *
 * Distances (deterministic: a numpy twin in tinymem/episodic/reference.py gives the same bits):
 *   l2, int8      sum_d (q[d] - k[d])^2 in int32 (the zero point cancels); needs
 *                 dim <= 33025 so that 255^2 * dim fits (the compiler checks).
 *   cosine, int8  with centred values a = q - zero_point, b = k - zero_point (int32):
 *                 dot = sum a*b, na = sum a*a, nb = sum b*b (int64), s = floor(sqrt(na * nb))
 *                 (exact integer square root), distance = (s - dot) * 65536 / s, truncated
 *                 (s >= |dot| by Cauchy-Schwarz, so it is in [0, 131072]: 65536 * (1 - cos));
 *                 65536 when either vector is all zero points.
 *   l2, float     squared L2: acc = 0; for d in order: t = q[d] - k[d]; acc += t * t, each
 *                 operation rounded to float (no fused multiply-add: the products are separate
 *                 statements, and C99 mode keeps GCC from contracting across them).
 *   cosine, float dot, na, nb accumulated in order in float; distance = 1 - dot / (sqrtf(na) *
 *                 sqrtf(nb)); 1 when na or nb is 0.
 */
#ifndef TINYMEM_KNN_H
#define TINYMEM_KNN_H

#include "tinymem/types.h"

typedef struct {
    int32_t dim;        /* elements per embedding, >= 1 (int8: <= 33025) */
    int32_t zero_point; /* int8 embeddings' zero point (cosine centres on it); 0 for float */
} tm_knn_params;

tm_status tm_knn_l2_s8(const tm_knn_params *params, const int8_t *query, const int8_t *keys,
                       int32_t count, int32_t *slot, int32_t *distance);
tm_status tm_knn_cosine_s8(const tm_knn_params *params, const int8_t *query, const int8_t *keys,
                           int32_t count, int32_t *slot, int32_t *distance);
tm_status tm_knn_l2_f32(const tm_knn_params *params, const float *query, const float *keys,
                        int32_t count, int32_t *slot, float *distance);
tm_status tm_knn_cosine_f32(const tm_knn_params *params, const float *query, const float *keys,
                            int32_t count, int32_t *slot, float *distance);

#endif /* TINYMEM_KNN_H */
