/* float32 ADD: output = clamp(input1 + input2), as TFLite Micro's reference kernel. */
#define TM_BINARY_NAME tm_add_f32
#define TM_BINARY_OP(a, b) ((a) + (b))
#include "tinymem/elementwise_f32_body.h"
