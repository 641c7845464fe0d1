/* COBS encoder and decoder (see cobs.h). */
#include "cobs.h"

size_t tm_cobs_encode(const uint8_t *src, size_t n, uint8_t *dst)
{
    size_t out = 1, code_pos = 0, i;
    uint8_t code = 1;
    for (i = 0; i < n; ++i) {
        uint8_t b = src[i];
        if (b == 0) {
            dst[code_pos] = code;
            code_pos = out++;
            code = 1;
        } else {
            dst[out++] = b;
            if (++code == 0xFFu) {
                dst[code_pos] = code;
                code_pos = out++;
                code = 1;
            }
        }
    }
    dst[code_pos] = code;
    return out;
}

size_t tm_cobs_decode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
    size_t in = 0, out = 0;
    while (in < n) {
        uint8_t code = src[in++];
        uint8_t j;
        if (code == 0)
            return (size_t)-1;
        for (j = 1; j < code; ++j) {
            uint8_t b;
            if (in >= n || out >= cap)
                return (size_t)-1;
            b = src[in++];
            if (b == 0)
                return (size_t)-1;
            dst[out++] = b;
        }
        if (code != 0xFFu && in < n) {
            if (out >= cap)
                return (size_t)-1;
            dst[out++] = 0;
        }
    }
    return out;
}
