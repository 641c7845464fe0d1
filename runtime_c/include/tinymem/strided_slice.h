/*
 * StridedSlice (TFLite STRIDED_SLICE and SLICE, ONNX Slice): per input dimension k the output
 * takes the elements begin[k], begin[k] + step[k], ... (count[k] of them, step of any nonzero
 * sign); shrunk or inserted size-1 axes only change the output shape.
 *
 * The kernels only move elements, so one serves every dtype of its element size:
 *   tm_strided_slice_x8 (int8, uint8, bool), tm_strided_slice_x16 (int16),
 *   tm_strided_slice_x32 (float32, int32).
 * The slice arrives as a tm_strided_copy (tinymem/copy.h): dims = counts, strides =
 * step[k] * (input stride of k), offset = sum begin[k] * (input stride of k); up to 6 dimensions
 * once size-1 dimensions are dropped and contiguous runs merged.
 * input and output are dense; the output must not overlap the input. No scratch.
 */
#ifndef TINYMEM_STRIDED_SLICE_H
#define TINYMEM_STRIDED_SLICE_H

#include "tinymem/copy.h"

tm_status tm_strided_slice_x8(const tm_strided_copy *params, const void *input, void *output);
tm_status tm_strided_slice_x16(const tm_strided_copy *params, const void *input, void *output);
tm_status tm_strided_slice_x32(const tm_strided_copy *params, const void *input, void *output);

#endif /* TINYMEM_STRIDED_SLICE_H */
