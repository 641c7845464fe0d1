/*
 * Instruction-counter check: times loops of a known number of instructions (each iteration is
 * SUBS + BNE, 2 instructions; the loop is written in assembly so the compiler cannot change it)
 * and writes the counts to "counts.bin" (32-bit little-endian) through semihosting.
 */
#include <stdint.h>

#include "semihost.h"
#include "tinymem/port.h"

#define ROUNDS 6

__attribute__((noinline)) static void spin(uint32_t n)
{
    __asm__ volatile(".syntax unified\n1:\tsubs %0, %0, #1\n\tbne 1b" : "+l"(n) : : "cc");
}

int main(void)
{
    static const uint32_t iters[ROUNDS] = {1, 2, 100, 1000, 1000000, 3000000};
    uint32_t counts[2 * ROUNDS];
    tm_port_init();
    for (int r = 0; r < ROUNDS; ++r) {
        uint32_t a = tm_port_cycles();
        spin(iters[r]);
        uint32_t b = tm_port_cycles();
        counts[2 * r] = b - a;
        a = tm_port_cycles();
        spin(iters[r]);
        b = tm_port_cycles();
        counts[2 * r + 1] = b - a;
    }
    int32_t f = tm_semihost_open("counts.bin", 5);
    if (f < 0 || tm_semihost_write(f, counts, sizeof counts) != 0)
        return 2;
    tm_semihost_close(f);
    return 0;
}
