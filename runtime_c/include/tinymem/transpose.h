/*
 * Transpose (TFLite TRANSPOSE, ONNX Transpose): output[j0, ..., jr] = input[j permuted back],
 * i.e. output dimension d is input dimension perm[d].
 *
 * The kernels only move elements, so one serves every dtype of its element size:
 *   tm_transpose_x8 (int8, uint8, bool), tm_transpose_x16 (int16), tm_transpose_x32 (float32,
 *   int32).
 * The permutation arrives as a tm_strided_copy (tinymem/copy.h): output dims and, per output
 * dimension, the input stride of the dimension it reads; offset 0. Up to 6 dimensions once
 * size-1 dimensions are dropped and contiguous runs merged (any rank before that).
 * input and output are dense; the output must not overlap the input. No scratch.
 */
#ifndef TINYMEM_TRANSPOSE_H
#define TINYMEM_TRANSPOSE_H

#include "tinymem/copy.h"

tm_status tm_transpose_x8(const tm_strided_copy *params, const void *input, void *output);
tm_status tm_transpose_x16(const tm_strided_copy *params, const void *input, void *output);
tm_status tm_transpose_x32(const tm_strided_copy *params, const void *input, void *output);

#endif /* TINYMEM_TRANSPOSE_H */
