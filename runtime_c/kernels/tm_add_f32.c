/* float32 ADD: output = clamp(input1 + input2), as TFLite Micro's reference kernel. */
#include "tinymem/elementwise.h"

#define TM__ADD(a, b) ((a) + (b))

TM_DEFINE_BINARY_F32(tm_add_f32, TM__ADD)
