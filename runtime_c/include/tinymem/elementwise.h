/*
 * Binary elementwise operators: ADD, SUB, MUL (TFLite semantics, NumPy broadcasting).
 *
 *   output[i] = act( input1[i1] OP input2[i2] )
 *
 * Broadcasting.  The compiler describes how the output is walked with a tm_bcast: the output
 * (dense, row-major) is seen as `rank` dims, outermost first, and each input gives the element
 * stride it advances by along each output dim (0 when the input is broadcast along that dim).
 * The compiler drops size-1 dims and merges neighbouring dims that broadcast alike, so the
 * common cases are short:
 *   same shapes:               rank 1, shape {N},     strides {1} and {1}
 *   [1,H,W,C] + [C] (channel): rank 2, shape {HW, C}, strides {C, 1} and {0, 1}
 *   tensor + scalar:           rank 1, shape {N},     strides {1} and {0}
 * The innermost stride of each input must be 0 or 1 (and not both 0 unless the innermost extent
 * is 1); every extent >= 1; rank in [1, 6].
 *
 * In-place: the output may be the same buffer as an input whose shape equals the output's
 * (each output element depends only on the input elements at the same position).
 *
 * Quantized kernels are bit-exact with TFLite Micro's reference kernels:
 *  - ADD/SUB int8: each input is offset, shifted left by 20 and scaled by its Q31 multiplier
 *    (MultiplyByQuantizedMultiplierSmallerThanOneExp); the scaled sum (or difference) is
 *    requantized the same way with the output multiplier.  Because the scaled value of an int8
 *    input depends on that one byte only, the compiler tabulates it: table1[q + 128] is the
 *    scaled value of input1 == q (table2 likewise; for SUB table2 holds the negated values, so
 *    one kernel, tm_add_s8, serves both).
 *  - ADD/SUB int16: the same arithmetic with a left shift of 15, computed inline.
 *  - MUL int8/int16: (q1 + offset1) * (q2 + offset2) requantized with
 *    tm_multiply_by_quantized_multiplier.
 * No kernel here needs scratch.
 */
#ifndef TINYMEM_ELEMENTWISE_H
#define TINYMEM_ELEMENTWISE_H

#include "tinymem/types.h"

#define TM_BCAST_MAX_RANK 6

/* How the output is walked and where each input element comes from (see above). */
typedef struct {
    int32_t rank;                       /* 1..6 */
    int32_t shape[TM_BCAST_MAX_RANK];   /* output extents, outermost first, >= 1 */
    int32_t stride1[TM_BCAST_MAX_RANK]; /* input1 element stride per output dim, >= 0 */
    int32_t stride2[TM_BCAST_MAX_RANK]; /* input2 element stride per output dim, >= 0 */
} tm_bcast;

/* ADD (and SUB) int8. */
typedef struct {
    const int32_t *table1;     /* 256 scaled input1 values, index q + 128 */
    const int32_t *table2;     /* 256 scaled input2 values (negated for SUB), index q + 128 */
    int32_t output_multiplier; /* Q31, in [2^30, 2^31) or 0 (never INT32_MIN) */
    int32_t output_shift;      /* in [-31, 0] (right shift) */
    int32_t output_offset;     /* output zero point, in [-128, 127] */
    tm_act_s32 act;            /* clamp, within [-128, 127] */
} tm_add_params_s8;

/* ADD and SUB int16 (TFLM general-scale path, left shift 15). */
typedef struct {
    int32_t input1_offset, input2_offset; /* -zero points, in [-32767, 32767] */
    int32_t input1_multiplier, input1_shift; /* Q31 and shift in [-31, 0] */
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t output_offset;                /* output zero point */
    int32_t subtract;                     /* 0: ADD, 1: SUB */
    tm_act_s32 act;                       /* clamp, within [-32768, 32767] */
} tm_add_params_s16;

/* MUL int8 and int16. */
typedef struct {
    int32_t input1_offset, input2_offset; /* -zero points: int8 in [-128, 128]; int16 0 */
    int32_t output_multiplier;            /* Q31 */
    int32_t output_shift;                 /* in [-31, 30], positive = left */
    int32_t output_offset;                /* output zero point (0 for int16) */
    tm_act_s32 act;                       /* clamp, within the output type's range */
} tm_mul_params;

tm_status tm_add_s8(const tm_bcast *bc, const tm_add_params_s8 *params, const int8_t *input1,
                    const int8_t *input2, int8_t *output);
tm_status tm_add_s16(const tm_bcast *bc, const tm_add_params_s16 *params, const int16_t *input1,
                     const int16_t *input2, int16_t *output);
tm_status tm_mul_s8(const tm_bcast *bc, const tm_mul_params *params, const int8_t *input1,
                    const int8_t *input2, int8_t *output);
tm_status tm_mul_s16(const tm_bcast *bc, const tm_mul_params *params, const int16_t *input1,
                     const int16_t *input2, int16_t *output);

/* float32: output = clamp(input1 OP input2, act->min, act->max), in float arithmetic. */
tm_status tm_add_f32(const tm_bcast *bc, const tm_act_f32 *act, const float *input1,
                     const float *input2, float *output);
tm_status tm_sub_f32(const tm_bcast *bc, const tm_act_f32 *act, const float *input1,
                     const float *input2, float *output);
tm_status tm_mul_f32(const tm_bcast *bc, const tm_act_f32 *act, const float *input1,
                     const float *input2, float *output);

/* ---- helpers shared by the kernels ------------------------------------------------------ */

/* Checks a tm_bcast; returns the number of innermost rows (product of the outer extents), or
 * -1 when it is malformed. */
static inline int32_t tm_bcast_rows(const tm_bcast *bc)
{
    int32_t rows = 1, d;
    if (bc->rank < 1 || bc->rank > TM_BCAST_MAX_RANK)
        return -1;
    for (d = 0; d < bc->rank; ++d) {
        if (bc->shape[d] < 1 || bc->stride1[d] < 0 || bc->stride2[d] < 0)
            return -1;
        if (d < bc->rank - 1)
            rows *= bc->shape[d];
    }
    d = bc->rank - 1;
    if (bc->stride1[d] > 1 || bc->stride2[d] > 1)
        return -1;
    if (bc->stride1[d] == 0 && bc->stride2[d] == 0 && bc->shape[d] > 1)
        return -1;
    return rows;
}

/* Advances the input offsets *o1, *o2 from one innermost row to the next (odometer over the
 * outer dims; idx holds the current outer index, all zero at the start). */
static inline void tm_bcast_next_row(const tm_bcast *bc, int32_t *idx, size_t *o1, size_t *o2)
{
    int32_t d;
    for (d = bc->rank - 2; d >= 0; --d) {
        *o1 += (size_t)bc->stride1[d];
        *o2 += (size_t)bc->stride2[d];
        if (++idx[d] < bc->shape[d])
            return;
        idx[d] = 0;
        *o1 -= (size_t)bc->stride1[d] * (size_t)bc->shape[d];
        *o2 -= (size_t)bc->stride2[d] * (size_t)bc->shape[d];
    }
}

#endif /* TINYMEM_ELEMENTWISE_H */
