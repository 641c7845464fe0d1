/*
 * Concatenation along one axis (TFLite CONCATENATION, ONNX Concat).
 *
 * Every tensor is read as [outer, chunk_i]: outer is the product of the dimensions before the
 * axis (the same for all), chunk_i the bytes of input i from the axis inwards. The output is
 * written as, for each outer step, chunk_0 of input 0, then chunk_1 of input 1, and so on.
 *
 * The kernel moves bytes, so it serves every dtype (chunk sizes are in bytes). Quantized inputs
 * must already share the output's quantization (no rescaling happens).
 * inputs: count pointers (any may repeat); output: dense, must not overlap any input.
 * No scratch.
 */
#ifndef TINYMEM_CONCATENATION_H
#define TINYMEM_CONCATENATION_H

#include "tinymem/copy.h"

typedef struct {
    int32_t count;        /* number of inputs, >= 1 */
    int32_t outer;        /* >= 1 */
    const int32_t *bytes; /* [count]: bytes of each input per outer step, >= 0 */
} tm_concat_params;

tm_status tm_concatenation_x8(const tm_concat_params *params, const void *const *inputs,
                              void *output);

#endif /* TINYMEM_CONCATENATION_H */
