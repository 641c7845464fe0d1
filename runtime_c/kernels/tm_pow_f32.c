/* float32 Pow with broadcasting: output = powf(input1, input2); x * x for an exponent of exactly 2
 * (see tinymem/float_math.h). In-place works (each output element is written after its inputs
 * are read). */
#include <math.h>

#include "tinymem/float_math.h"

static inline float tm_pow_f32_one(float x, float e)
{
    return e == 2.0f ? x * x : powf(x, e);
}

tm_status tm_pow_f32(const tm_bcast *bc, const float *input1, const float *input2, float *output)
{
    const int32_t rows = tm_bcast_rows(bc);
    int32_t idx[TM_BCAST_MAX_RANK] = {0};
    size_t o1 = 0, o2 = 0;
    if (rows < 0)
        return TM_ERR_SHAPE;
    const int32_t n = bc->shape[bc->rank - 1];
    const int s1 = bc->stride1[bc->rank - 1] != 0, s2 = bc->stride2[bc->rank - 1] != 0;
    for (int32_t r = 0; r < rows; ++r) {
        const float *a = input1 + o1, *b = input2 + o2;
        float *y = output + (size_t)r * (size_t)n;
        if (s1 && s2) {
            for (int32_t i = 0; i < n; ++i)
                y[i] = tm_pow_f32_one(a[i], b[i]);
        } else if (s1) {
            const float e = b[0];
            if (e == 2.0f) {
                for (int32_t i = 0; i < n; ++i)
                    y[i] = a[i] * a[i];
            } else {
                for (int32_t i = 0; i < n; ++i)
                    y[i] = powf(a[i], e);
            }
        } else {
            const float x = a[0];
            for (int32_t i = 0; i < n; ++i)
                y[i] = tm_pow_f32_one(x, b[i]);
        }
        tm_bcast_next_row(bc, idx, &o1, &o2);
    }
    return TM_OK;
}
