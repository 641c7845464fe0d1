/* int8 FullyConnected for Cortex-M with the DSP extension: the signature and results of
 * runtime_c/kernels/tm_fully_connected_s8.c (bit-exact with TFLite Micro's FullyConnected /
 * FullyConnectedPerChannel; see fully_connected.h for the folded effective bias).
 *
 * Weight rows are contiguous taps, so a word of four weights and a word of four inputs give
 * matching SMLAD operands through SXTB16 (pairs (k, k+2) and (k+1, k+3)). Four rows share each
 * input word: per 4 inputs one load and two SXTB16 for the input, and per row one load, two
 * SXTB16 and two SMLADs. Sums are modulo 2^32 like the portable kernel's. */
#include "tinymem/fixedpoint.h"
#include "tinymem/fully_connected.h"
#include "tm_arm_dsp.h"

/* acc[r] (r < 4) += dot(x, rows w + r * stride) over n4 groups of 4 (n4 >= 1) */
static inline void tm__dot4(const int8_t *x, const int8_t *w, int32_t stride, int32_t n4,
                            uint32_t *acc)
{
    uint32_t s0 = acc[0], s1 = acc[1], s2 = acc[2], s3 = acc[3];
    const int8_t *w2 = w + 2 * (size_t)stride;
    const int8_t *end = x + 4 * n4;
    int32_t A, xe, W, t;
    __asm__("1:\n\t"
            "ldr    %[A], [%[x]], #4\n\t"
            "sxtb16 %[xe], %[A]\n\t"
            "sxtb16 %[A], %[A], ror #8\n\t"
            "ldr    %[W], [%[w], %[d]]\n\t"
            "sxtb16 %[t], %[W]\n\t"
            "smlad  %[s1], %[t], %[xe], %[s1]\n\t"
            "sxtb16 %[W], %[W], ror #8\n\t"
            "smlad  %[s1], %[W], %[A], %[s1]\n\t"
            "ldr    %[W], [%[w]], #4\n\t"
            "sxtb16 %[t], %[W]\n\t"
            "smlad  %[s0], %[t], %[xe], %[s0]\n\t"
            "sxtb16 %[W], %[W], ror #8\n\t"
            "smlad  %[s0], %[W], %[A], %[s0]\n\t"
            "ldr    %[W], [%[w2], %[d]]\n\t"
            "sxtb16 %[t], %[W]\n\t"
            "smlad  %[s3], %[t], %[xe], %[s3]\n\t"
            "sxtb16 %[W], %[W], ror #8\n\t"
            "smlad  %[s3], %[W], %[A], %[s3]\n\t"
            "ldr    %[W], [%[w2]], #4\n\t"
            "sxtb16 %[t], %[W]\n\t"
            "smlad  %[s2], %[t], %[xe], %[s2]\n\t"
            "sxtb16 %[W], %[W], ror #8\n\t"
            "smlad  %[s2], %[W], %[A], %[s2]\n\t"
            "cmp    %[x], %[end]\n\t"
            "bne    1b\n\t"
            : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), [x] "+r"(x),
              [w] "+r"(w), [w2] "+r"(w2), [A] "=&r"(A), [xe] "=&r"(xe), [W] "=&r"(W),
              [t] "=&r"(t)
            : [d] "r"(stride), [end] "r"(end)
            : "cc", "memory");
    acc[0] = s0;
    acc[1] = s1;
    acc[2] = s2;
    acc[3] = s3;
}

/* acc += dot(x, w) over n4 groups of 4 (n4 >= 1) */
static inline uint32_t tm__dot1(const int8_t *x, const int8_t *w, int32_t n4, uint32_t acc)
{
    for (int32_t i = 0; i < n4; ++i, x += 4, w += 4) {
        const int32_t A = tm_arm_ld4(x), W = tm_arm_ld4(w);
        acc = (uint32_t)tm_arm_smlad(tm_arm_sxtb16(W), tm_arm_sxtb16(A), (int32_t)acc);
        acc = (uint32_t)tm_arm_smlad(tm_arm_sxtb16_ror8(W), tm_arm_sxtb16_ror8(A), (int32_t)acc);
    }
    return acc;
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
    const int32_t n4 = depth >> 2, tail = n4 * 4;
    for (int32_t b = 0; b < dims->batches; ++b) {
        const int8_t *in = input + (size_t)b * (size_t)depth;
        int8_t *out = output + (size_t)b * (size_t)out_depth;
        /* weight_offset * sum x: depends on the batch only */
        const uint32_t batch_term =
            w_off ? (uint32_t)w_off * (uint32_t)tm_fc_sum_s8(in, depth) : 0u;
        for (int32_t o = 0; o < out_depth; o += 4) {
            const int32_t nr = out_depth - o < 4 ? out_depth - o : 4;
            const int8_t *w = weights + (size_t)o * (size_t)depth;
            uint32_t acc[4] = {0, 0, 0, 0};
            if (nr == 4 && n4 > 0)
                tm__dot4(in, w, depth, n4, acc);
            else if (n4 > 0)
                for (int32_t j = 0; j < nr; ++j)
                    acc[j] = tm__dot1(in, w + (size_t)j * depth, n4, 0);
            for (int32_t j = 0; j < nr; ++j) {
                const int8_t *wr = w + (size_t)j * depth;
                for (int32_t d = tail; d < depth; ++d)
                    acc[j] += (uint32_t)(in[d] * wr[d]);
            }
            for (int32_t j = 0; j < nr; ++j) {
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
                y = tm_arm_requant_ms((int32_t)a, mult[ch], shift[ch]) + out_off;
                y = y < lo ? lo : y;
                y = y > hi ? hi : y;
                out[c] = (int8_t)y;
            }
        }
    }
    return TM_OK;
}
