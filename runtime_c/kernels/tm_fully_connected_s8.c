/* int8 FullyConnected, bit-exact with TFLite Micro's reference integer kernels (see
 * fully_connected.h for the folded effective bias). */
#include "tinymem/fixedpoint.h"
#include "tinymem/fully_connected.h"

/* Dot products of x with two weight rows, modulo 2^32.  Sixteen independent partial sums per
 * row over blocks of 16 let the compiler vectorize the block, and the two rows share the input
 * loads; unsigned arithmetic keeps any (theoretical) wrap defined. */
static inline void tm_fc_dot2_s8(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n,
                                 uint32_t *acc0, uint32_t *acc1)
{
    uint32_t l0[16] = {0}, l1[16] = {0};
    uint32_t a0 = 0, a1 = 0;
    int32_t d = 0, k;
    for (; d + 16 <= n; d += 16)
        for (k = 0; k < 16; ++k) {
            const int32_t v = x[d + k];
            l0[k] += (uint32_t)(v * w0[d + k]);
            l1[k] += (uint32_t)(v * w1[d + k]);
        }
    for (k = 0; k < 16; ++k) {
        a0 += l0[k];
        a1 += l1[k];
    }
    for (; d < n; ++d) {
        a0 += (uint32_t)(x[d] * w0[d]);
        a1 += (uint32_t)(x[d] * w1[d]);
    }
    *acc0 = a0;
    *acc1 = a1;
}

static inline int32_t tm_fc_sum_s8(const int8_t *v, int32_t n)
{
    int32_t s = 0; /* |s| <= 128 n: fits for any realistic depth */
    for (int32_t d = 0; d < n; ++d)
        s += v[d];
    return s;
}

tm_status tm_fully_connected_s8(const tm_fc_dims *dims, const tm_fc_params_s8 *params,
                                const int8_t *input, const int8_t *weights, const int32_t *bias,
                                int8_t *output)
{
    const int32_t depth = dims->depth, out_depth = dims->out_depth;
    const int32_t in_off = params->input_offset, w_off = params->weight_offset;
    const int32_t out_off = params->output_offset;
    const int32_t lo = params->act.min, hi = params->act.max;
    const int32_t *mult = params->requant.multiplier, *shift = params->requant.shift;
    const int per_channel = params->requant.count > 1;
    if (depth < 1 || out_depth < 1 || dims->batches < 1 || depth > (INT32_MAX >> 8))
        return TM_ERR_SHAPE;
    if (per_channel && params->requant.count != out_depth)
        return TM_ERR_PARAM;
    for (int32_t b = 0; b < dims->batches; ++b) {
        const int8_t *in = input + (size_t)b * (size_t)depth;
        int8_t *out = output + (size_t)b * (size_t)out_depth;
        /* weight_offset * sum x: depends on the batch only */
        const uint32_t batch_term =
            w_off ? (uint32_t)w_off * (uint32_t)tm_fc_sum_s8(in, depth) : 0u;
        for (int32_t o = 0; o < out_depth; o += 2) {
            /* two rows at a time; an odd last row is paired with itself */
            const int32_t o1 = o + 1 < out_depth ? o + 1 : o;
            uint32_t acc[2];
            tm_fc_dot2_s8(in, weights + (size_t)o * (size_t)depth,
                          weights + (size_t)o1 * (size_t)depth, depth, &acc[0], &acc[1]);
            for (int32_t j = 0; j <= o1 - o; ++j) {
                const int32_t c = o + j;
                const int ch = per_channel ? c : 0;
                uint32_t a = acc[j] + batch_term;
                int32_t y;
                if (bias)
                    a += (uint32_t)bias[c];
                if (in_off) { /* bias not folded: input_offset * (sum w + depth * weight_offset) */
                    const int32_t sum_w = tm_fc_sum_s8(weights + (size_t)c * (size_t)depth, depth);
                    a += (uint32_t)in_off * ((uint32_t)sum_w + (uint32_t)depth * (uint32_t)w_off);
                }
                y = tm_multiply_by_quantized_multiplier((int32_t)a, mult[ch], shift[ch]) + out_off;
                y = y < lo ? lo : y;
                y = y > hi ? hi : y;
                out[c] = (int8_t)y;
            }
        }
    }
    return TM_OK;
}
