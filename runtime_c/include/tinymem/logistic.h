/*
 * Logistic / sigmoid (TFLite LOGISTIC, ONNX Sigmoid): y = 1 / (1 + exp(-x)), elementwise over
 * flat arrays of `size` elements (any shape). No scratch; input and output may be the same.
 *
 * int8: tm_lut_x8 (tinymem/lut.h) with a 256-entry table computed at compile time with TFLM's
 * fixed-point algorithm (input scaled to Q4.27, gemmlowp logistic, output Q0.8 - 128).
 */
#ifndef TINYMEM_LOGISTIC_H
#define TINYMEM_LOGISTIC_H

#include "tinymem/lut.h"
#include "tinymem/types.h"

/* float32, as TFLM: 1 above 16.619047, exp(x) below -9, else 1 / (1 + exp(-x)); exp within
 * ~1 ulp of expf (tinymem/fast_exp.h). size >= 0. */
tm_status tm_logistic_f32(int32_t size, const float *input, float *output);

#endif /* TINYMEM_LOGISTIC_H */
