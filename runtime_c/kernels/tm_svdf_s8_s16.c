/* int8 SVDF with 16-bit time weights and state, bit-exact with TFLM (see tinymem/svdf.h). */
#define TM_SVDF_NAME tm_svdf_s8_s16
#define TM_SVDF_STATE int16_t
#define TM_SVDF_STATE_MIN (-32768)
#define TM_SVDF_STATE_MAX 32767
#include "tinymem/svdf_s8_body.h"
