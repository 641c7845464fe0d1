/*
 * 8-bit -> 8-bit elementwise lookup table: output[i] = lut[input byte i].
 *
 * Serves every 8-bit unary operator whose result depends on the input byte alone; the compiler
 * evaluates the operator's numpy reference (TFLM's integer algorithm) on all 256 input bytes,
 * so the kernel is bit-exact by construction and costs one load per element. Used by the int8
 * Relu family, LeakyRelu, Logistic, Tanh and HardSwish, and by 8-bit -> 8-bit requantization
 * (Quantize, any pairing of int8 / uint8).
 *
 * The kernel only moves bytes, so one serves every 8-bit type (the "x8" of tm_pad_x8):
 *   size:   elements of input and output (any shape, flat), >= 0.
 *   lut:    256 entries of the output type, indexed by the input byte: entry b is the result for
 *           the input value whose bit pattern is b (for int8 input, value v at (uint8_t)v).
 *   input:  int8_t or uint8_t data; output: int8_t or uint8_t data.
 * No scratch. input and output may be the same buffer (in place); otherwise they must not
 * overlap.
 */
#ifndef TINYMEM_LUT_H
#define TINYMEM_LUT_H

#include "tinymem/types.h"

tm_status tm_lut_x8(int32_t size, const void *lut, const void *input, void *output);

#endif /* TINYMEM_LUT_H */
