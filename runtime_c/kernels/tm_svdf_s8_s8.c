/* int8 SVDF with 8-bit time weights and state, bit-exact with TFLM (see tinymem/svdf.h). */
#define TM_SVDF_NAME tm_svdf_s8_s8
#define TM_SVDF_STATE int8_t
#define TM_SVDF_STATE_MIN (-128)
#define TM_SVDF_STATE_MAX 127
#include "tinymem/svdf_s8_body.h"
