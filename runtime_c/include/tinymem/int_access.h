/*
 * Integer elements addressed by their tm_dtype (TM_S8, TM_U8, TM_S16, TM_S32), for kernels that
 * share one body across element types (static inline templates in the operator headers, e.g.
 * tm__dequantize_int in dequantize.h). A kernel calls its template with a constant type; once
 * the template is inlined (it is, at -O1 and above: one call site), every switch below folds
 * to a plain typed access, so the code is what a hand-written kernel for that type would be.
 */
#ifndef TINYMEM_INT_ACCESS_H
#define TINYMEM_INT_ACCESS_H

#include "tinymem/types.h"

/* Bytes of one element. */
static inline size_t tm_int_size(tm_dtype type)
{
    return type == TM_S8 || type == TM_U8 ? 1 : type == TM_S16 ? 2 : 4;
}

/* Smallest and largest value of the type. */
static inline int32_t tm_int_min(tm_dtype type)
{
    return type == TM_S8 ? -128 : type == TM_U8 ? 0 : type == TM_S16 ? -32768 : INT32_MIN;
}

static inline int32_t tm_int_max(tm_dtype type)
{
    return type == TM_S8 ? 127 : type == TM_U8 ? 255 : type == TM_S16 ? 32767 : INT32_MAX;
}

/* Element `index` of the array `base` of `type`. */
static inline int32_t tm_int_load(const void *base, size_t index, tm_dtype type)
{
    switch (type) {
    case TM_S8: return ((const int8_t *)base)[index];
    case TM_U8: return ((const uint8_t *)base)[index];
    case TM_S16: return ((const int16_t *)base)[index];
    default: return ((const int32_t *)base)[index];
    }
}

/* Stores `value` (within [tm_int_min(type), tm_int_max(type)]) as element `index` of `base`. */
static inline void tm_int_store(void *base, size_t index, int32_t value, tm_dtype type)
{
    switch (type) {
    case TM_S8: ((int8_t *)base)[index] = (int8_t)value; break;
    case TM_U8: ((uint8_t *)base)[index] = (uint8_t)value; break;
    case TM_S16: ((int16_t *)base)[index] = (int16_t)value; break;
    default: ((int32_t *)base)[index] = value; break;
    }
}

#endif /* TINYMEM_INT_ACCESS_H */
