/* Integer -> integer requantization, bit-exact with TFLM's Requantize. */
#include "tinymem/quantize.h"
#include "tinymem/requant_fast.h"

/* y = clamp(MBQM(x + in_off) + out_off) with int32 wrap-around (no C overflow). */
#define TM_REQUANT_LOOP(IN_T, OUT_T, LO, HI)                                             \
    do {                                                                                  \
        const IN_T *in_ = (const IN_T *)input;                                            \
        OUT_T *out_ = (OUT_T *)output;                                                    \
        for (int32_t i = 0; i < size; ++i) {                                              \
            const int32_t v = (int32_t)((uint32_t)in_[i] + in_off);                       \
            int32_t y = (int32_t)((uint32_t)tm_requant_fast_apply(&rq, v) + out_off);     \
            y = y < (LO) ? (LO) : y;                                                      \
            y = y > (HI) ? (HI) : y;                                                      \
            out_[i] = (OUT_T)y;                                                           \
        }                                                                                 \
    } while (0)

#define TM_REQUANT_OUT(IN_T)                                                             \
    do {                                                                                  \
        switch (params->output_type) {                                                    \
        case TM_S8: TM_REQUANT_LOOP(IN_T, int8_t, -128, 127); break;                     \
        case TM_U8: TM_REQUANT_LOOP(IN_T, uint8_t, 0, 255); break;                       \
        case TM_S16: TM_REQUANT_LOOP(IN_T, int16_t, -32768, 32767); break;               \
        case TM_S32: TM_REQUANT_LOOP(IN_T, int32_t, INT32_MIN, INT32_MAX); break;        \
        default: return TM_ERR_PARAM;                                                     \
        }                                                                                 \
    } while (0)

tm_status tm_quantize_int(int32_t size, const tm_requantize_params *params, const void *input,
                          void *output)
{
    const uint32_t in_off = (uint32_t)params->input_offset;
    const uint32_t out_off = (uint32_t)params->output_offset;
    tm_requant_fast rq;
    if (size < 0)
        return TM_ERR_SHAPE;
    if (params->shift < -31 || params->shift > 30 || params->multiplier == INT32_MIN)
        return TM_ERR_PARAM;
    rq = tm_requant_fast_make(params->multiplier, (int)params->shift);
    switch (params->input_type) {
    case TM_S8: TM_REQUANT_OUT(int8_t); break;
    case TM_U8: TM_REQUANT_OUT(uint8_t); break;
    case TM_S16: TM_REQUANT_OUT(int16_t); break;
    case TM_S32: TM_REQUANT_OUT(int32_t); break;
    default: return TM_ERR_PARAM;
    }
    return TM_OK;
}
