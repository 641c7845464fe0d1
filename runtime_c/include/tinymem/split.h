/*
 * Split along one axis (TFLite SPLIT / SPLIT_V, ONNX Split): the inverse of concatenation.
 *
 * Every tensor is read as [outer, chunk_i]: outer is the product of the dimensions before the
 * axis, chunk_i the bytes of output i from the axis inwards. For each outer step the input
 * holds chunk_0 for output 0, then chunk_1 for output 1, and so on.
 *
 * The kernel moves bytes, so it serves every dtype (chunk sizes are in bytes).
 * outputs: count distinct pointers, none overlapping the input. No scratch.
 */
#ifndef TINYMEM_SPLIT_H
#define TINYMEM_SPLIT_H

#include "tinymem/copy.h"

typedef struct {
    int32_t count;        /* number of outputs, >= 1 */
    int32_t outer;        /* >= 1 */
    const int32_t *bytes; /* [count]: bytes of each output per outer step, >= 0 */
} tm_split_params;

tm_status tm_split_x8(const tm_split_params *params, const void *input, void *const *outputs);

#endif /* TINYMEM_SPLIT_H */
