/*
 * Test harness firmware (no model, no serial link): checks the requantization helpers of the DSP
 * kernels (runtime_c/kernels_arm/tm_arm_dsp.h) against the portable definitions they replace,
 * on edge operands and a fixed pseudo-random sequence, on the emulated core itself.
 *
 *   tm_arm_requant(acc, rq)       == tm_conv_requant_ch(acc, rq)                       (conv2d.h)
 *   tm_arm_requant_ms(acc, m, s)  == tm_multiply_by_quantized_multiplier(acc, m, s)    (fixedpoint.h)
 *   tm_arm_rqf_apply(acc, q)      == tm_conv_requant_ch(acc, rq) whenever tm_arm_rqf_make(rq, bound, q)
 *                                    accepted the constants and |acc| <= bound
 *
 * for multipliers in [2^30, 2^31) (TFLM's), 0, and any other value but INT32_MIN; shifts in
 * [-31, 30]; accumulators at the edges of int32, of the bound, and random. Exit status 0 when
 * every case agrees; otherwise the first mismatch is logged (semihosting) and the status is 1.
 * The number of checked cases (and of fast-path cases) is written to "requant.txt".
 */
#include <stdint.h>

#include "semihost.h"
#include "tinymem/conv2d.h"
#include "tinymem/fixedpoint.h"
#include "tinymem/port.h"
#include "tm_arm_dsp.h"

static uint32_t tm_rng = 0x2545F491u;

static uint32_t next32(void)
{
    tm_rng ^= tm_rng << 13;
    tm_rng ^= tm_rng >> 17;
    tm_rng ^= tm_rng << 5;
    return tm_rng;
}

static void put_u32(char *p, uint32_t v, int *pos)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        p[(*pos)++] = tmp[--n];
}

static void report(const char *what, int32_t acc, const int32_t *rq, int32_t got, int32_t want)
{
    char line[160];
    int pos = 0;
    for (const char *s = what; *s; ++s)
        line[pos++] = *s;
    const int32_t vals[7] = {acc, rq[0], rq[1], rq[2], rq[3], got, want};
    for (int i = 0; i < 7; ++i) {
        line[pos++] = ' ';
        if (vals[i] < 0)
            line[pos++] = '-';
        put_u32(line, vals[i] < 0 ? 0u - (uint32_t)vals[i] : (uint32_t)vals[i], &pos);
    }
    line[pos] = 0;
    tm_port_log(line);
}

/* rq table entry of TFLM's (multiplier, shift), as the compiler writes it (conv2d.h) */
static void make_rq(int32_t mult, int32_t shift, int32_t *rq)
{
    const int32_t right = shift > 0 ? 0 : -shift;
    rq[0] = mult;
    rq[1] = shift > 0 ? shift : 0;
    rq[2] = right + 1;
    rq[3] = (int32_t)((uint32_t)1 << right);
}

static int32_t pick_mult(uint32_t r)
{
    switch (r % 8u) {
    case 0: return 1 << 30;
    case 1: return INT32_MAX;
    case 2: return 0;
    case 3: {
        const int32_t v = (int32_t)next32(); /* any sign, any size but INT32_MIN */
        return v == INT32_MIN ? INT32_MIN + 1 : v;
    }
    default: return (int32_t)(0x40000000u | (next32() & 0x3FFFFFFFu));
    }
}

int main(void)
{
    static const int32_t edges[] = {0, 1, -1, 2, -2, 127, -128, 16383, -16384, 1 << 20, -(1 << 20),
                                    (1 << 28) - 1, -(1 << 28) + 1, INT32_MAX, INT32_MIN,
                                    INT32_MAX - 1, INT32_MIN + 1, 0x40000000, -0x40000000};
    const int nedge = (int)(sizeof edges / sizeof edges[0]);
    uint32_t cases = 0, fast_cases = 0;
    tm_port_init();
    for (int32_t shift = -31; shift <= 30; ++shift) {
        for (int32_t k = 0; k < 1200; ++k) {
            const int32_t mult = pick_mult(next32());
            int32_t rq[4];
            make_rq(mult, shift, rq);
            /* a bound typical of conv layers (|bias| + 2^14 * depth), or an arbitrary one */
            const uint32_t bound = (k & 1) ? (next32() & 0x3FFFFFFFu) >> (next32() % 30u)
                                           : 20000u + (next32() % 600u) * 16384u;
            tm_arm_rqf q;
            const int fast = tm_arm_rqf_make(rq, bound, &q);
            for (int32_t j = 0; j < 8; ++j) {
                int32_t acc;
                const uint32_t r = next32();
                if (j < 3)
                    acc = edges[(k * 3 + j) % nedge];
                else if (j == 3)
                    acc = (int32_t)next32();
                else if (j == 4)
                    acc = (int32_t)bound;
                else if (j == 5)
                    acc = -(int32_t)bound;
                else
                    acc = (int32_t)(r % (2u * bound + 1u)) - (int32_t)bound;
                const int32_t want = tm_conv_requant_ch(acc, rq);
                int32_t got = tm_arm_requant(acc, rq);
                if (got != want) {
                    report("tm_arm_requant", acc, rq, got, want);
                    return 1;
                }
                if (mult != INT32_MIN) {
                    got = tm_arm_requant_ms(acc, mult, shift);
                    const int32_t ref = tm_multiply_by_quantized_multiplier(acc, mult, shift);
                    if (got != ref || ref != want) {
                        report("tm_arm_requant_ms", acc, rq, got, ref);
                        return 1;
                    }
                }
                const uint32_t mag = acc < 0 ? 0u - (uint32_t)acc : (uint32_t)acc;
                if (fast && mag <= bound) {
                    got = tm_arm_rqf_apply(acc, &q);
                    if (got != want) {
                        report("tm_arm_rqf_apply", acc, rq, got, want);
                        return 1;
                    }
                    ++fast_cases;
                }
                ++cases;
            }
        }
    }
    int32_t f = tm_semihost_open("requant.txt", 5);
    if (f < 0)
        return 2;
    char text[40];
    int pos = 0;
    put_u32(text, cases, &pos);
    text[pos++] = ' ';
    put_u32(text, fast_cases, &pos);
    text[pos++] = '\n';
    tm_semihost_write(f, text, (uint32_t)pos);
    tm_semihost_close(f);
    return 0;
}
