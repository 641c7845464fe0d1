/* int8 AveragePool2D, bit-exact with TFLite Micro's reference integer kernel. */
#include "tinymem/pooling.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * Sums 8 channels at once in the 16-bit lanes of two 64-bit words ("SIMD within a register"):
 * each byte is biased to unsigned (x ^ 0x80 = x + 128), even bytes go to `ev`, odd bytes to
 * `od`; a lane holds at most 257 * 255 < 2^16, so windows of up to 257 taps cannot overflow.
 * The lane of channel c is then read back and the bias (128 per tap) removed: the exact int32
 * sums of the generic path, with about a quarter of its instructions.
 */
static tm_status tm__average_pool2d_s8_swar(const tm_pool_dims *d, int32_t lo, int32_t hi,
                                            const int8_t *input, int8_t *output)
{
    const uint64_t bias = 0x8080808080808080u, lanes = 0x00FF00FF00FF00FFu;
    const int32_t C = d->channels;
    const size_t row = (size_t)d->in_w * (size_t)C;
    for (int32_t b = 0; b < d->batches; ++b) {
        const int8_t *img = input + (size_t)b * (size_t)d->in_h * row;
        for (int32_t oy = 0; oy < d->out_h; ++oy) {
            int32_t y0, ny;
            tm__pool_span(oy, d->stride_h, d->pad_top, d->kernel_h, d->in_h, &y0, &ny);
            for (int32_t ox = 0; ox < d->out_w; ++ox) {
                int32_t x0, nx;
                tm__pool_span(ox, d->stride_w, d->pad_left, d->kernel_w, d->in_w, &x0, &nx);
                const int32_t n = ny * nx, offset = 128 * n;
                const int8_t *win = img + (size_t)y0 * row + (size_t)x0 * (size_t)C;
                int32_t c = 0;
                for (; c + 8 <= C; c += 8) {
                    uint64_t ev = 0, od = 0;
                    const int8_t *r = win + c;
                    for (int32_t fy = 0; fy < ny; ++fy, r += row) {
                        const int8_t *p = r;
                        for (int32_t fx = 0; fx < nx; ++fx, p += C) {
                            uint64_t w;
                            memcpy(&w, p, 8);
                            w ^= bias;
                            ev += w & lanes;
                            od += (w >> 8) & lanes;
                        }
                    }
                    for (int k = 0; k < 4; ++k) {
                        output[2 * k] = (int8_t)tm__pool_avg_int(
                            (int32_t)((ev >> (16 * k)) & 0xFFFFu) - offset, n, lo, hi);
                        output[2 * k + 1] = (int8_t)tm__pool_avg_int(
                            (int32_t)((od >> (16 * k)) & 0xFFFFu) - offset, n, lo, hi);
                    }
                    output += 8;
                }
                for (; c < C; ++c) {
                    int32_t acc = 0;
                    const int8_t *r = win + c;
                    for (int32_t fy = 0; fy < ny; ++fy, r += row) {
                        const int8_t *p = r;
                        for (int32_t fx = 0; fx < nx; ++fx, p += C)
                            acc += *p;
                    }
                    *output++ = (int8_t)tm__pool_avg_int(acc, n, lo, hi);
                }
            }
        }
    }
    return TM_OK;
}
#endif

tm_status tm_average_pool2d_s8(const tm_pool_dims *dims, const tm_act_s32 *act, const int8_t *input,
                               int8_t *output)
{
    const int32_t lo = act->min, hi = act->max;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (dims->channels >= 8 && (int64_t)dims->kernel_h * dims->kernel_w <= 257) {
        tm_status st = tm__pool_check(dims);
        return st != TM_OK ? st : tm__average_pool2d_s8_swar(dims, lo, hi, input, output);
    }
#endif
#define FINISH(a, n) (int8_t)tm__pool_avg_int(a, n, lo, hi)
    TM__POOL_BODY(int8_t, int32_t, 0, TM__POOL_ADD, FINISH, dims, input, output);
#undef FINISH
}
