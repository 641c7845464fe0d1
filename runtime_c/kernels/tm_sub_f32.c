/* float32 SUB: output = clamp(input1 - input2), as TFLite Micro's reference kernel. */
#include "tinymem/elementwise.h"

#define TM__SUB(a, b) ((a) - (b))

TM_DEFINE_BINARY_F32(tm_sub_f32, TM__SUB)
