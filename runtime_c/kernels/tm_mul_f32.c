/* float32 MUL: output = clamp(input1 * input2), as TFLite Micro's reference kernel. */
#include "tinymem/elementwise.h"

#define TM__MUL(a, b) ((a) * (b))

TM_DEFINE_BINARY_F32(tm_mul_f32, TM__MUL)
