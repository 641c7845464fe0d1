/*
 * The body of the float32 binary kernels (tm_add_f32, tm_sub_f32, tm_mul_f32), which differ only
 * in the element operation. Include it once per kernel file after defining:
 *   TM_BINARY_NAME     the kernel's name (declared in tinymem/elementwise.h)
 *   TM_BINARY_OP(a, b) the element operation
 * It walks the broadcast rows; per row both operands are contiguous (blocks of 4 with all loads
 * before the stores, so the block vectorizes even when the output is one of the inputs: in
 * place) or one operand is a repeated scalar. Results are clamped to the fused activation.
 */
#include "tinymem/elementwise.h"

static inline float tm__binary_f32_one(float a, float b, float lo, float hi)
{
    float v = TM_BINARY_OP(a, b);
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

tm_status TM_BINARY_NAME(const tm_bcast *bc, const tm_act_f32 *act, const float *input1,
                         const float *input2, float *output)
{
    const int32_t rows = tm_bcast_rows(bc);
    const float lo = act->min, hi = act->max;
    int32_t idx[TM_BCAST_MAX_RANK] = {0};
    size_t o1 = 0, o2 = 0;
    if (rows < 0)
        return TM_ERR_SHAPE;
    {
        const int32_t n = bc->shape[bc->rank - 1];
        const int s1 = bc->stride1[bc->rank - 1] != 0, s2 = bc->stride2[bc->rank - 1] != 0;
        for (int32_t r = 0; r < rows; ++r) {
            const float *a = input1 + o1, *b = input2 + o2;
            float *y = output + (size_t)r * (size_t)n;
            int32_t i = 0;
            if (s1 && s2) {
                /* blocks of 4: all loads before the stores, so the block vectorizes even though
                 * y may be a or b (in place) */
                for (; i + 4 <= n; i += 4) {
                    const float a0 = a[i], a1 = a[i + 1], a2 = a[i + 2], a3 = a[i + 3];
                    const float b0 = b[i], b1 = b[i + 1], b2 = b[i + 2], b3 = b[i + 3];
                    y[i] = tm__binary_f32_one(a0, b0, lo, hi);
                    y[i + 1] = tm__binary_f32_one(a1, b1, lo, hi);
                    y[i + 2] = tm__binary_f32_one(a2, b2, lo, hi);
                    y[i + 3] = tm__binary_f32_one(a3, b3, lo, hi);
                }
                for (; i < n; ++i)
                    y[i] = tm__binary_f32_one(a[i], b[i], lo, hi);
            } else if (s1) {
                const float c = b[0];
                for (; i < n; ++i)
                    y[i] = tm__binary_f32_one(a[i], c, lo, hi);
            } else {
                const float c = a[0];
                for (; i < n; ++i)
                    y[i] = tm__binary_f32_one(c, b[i], lo, hi);
            }
            tm_bcast_next_row(bc, idx, &o1, &o2);
        }
    }
    return TM_OK;
}
