/*
 * Port functions shared by real Cortex-M3/M4/M7/M33 boards: the DWT cycle counter (CYCCNT),
 * milliseconds derived from it, a silent log (the UART carries the serial protocol) and exit by
 * halting. A board's port.c defines TM_CORE_HZ (the core clock after tm_board_clock_init) and
 * includes this file, then implements tm_port_init and the UART functions.
 *
 * No interrupt is used: the 32-bit counter is extended to 64 bits in software, so calls to
 * tm_port_millis/tm_port_cycles must be less than 2^32 cycles apart (35 s at 120 MHz) for
 * millisecond timeouts to stay right. Cycle counts include flash wait states and cache misses.
 */
#ifndef TM_DWT_PORT_H
#define TM_DWT_PORT_H

#include <stdint.h>

#include "tinymem/port.h"

#ifndef TM_CORE_HZ
#error "define TM_CORE_HZ before including dwt_port.h"
#endif

#define TM_DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define TM_DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define TM_DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define TM_DWT_LAR (*(volatile uint32_t *)0xE0001FB0u)

static uint32_t tm_dwt_last, tm_dwt_wraps;

static inline void tm_dwt_start(void)
{
    TM_DEMCR |= 1u << 24;      /* TRCENA */
    TM_DWT_LAR = 0xC5ACCE55u;  /* unlock (Cortex-M7; ignored elsewhere) */
    TM_DWT_CYCCNT = 0;
    TM_DWT_CTRL |= 1u;         /* CYCCNTENA */
    tm_dwt_last = 0;
    tm_dwt_wraps = 0;
}

static inline uint64_t tm_dwt_cycles64(void)
{
    uint32_t now = TM_DWT_CYCCNT;
    if (now < tm_dwt_last)
        ++tm_dwt_wraps;
    tm_dwt_last = now;
    return ((uint64_t)tm_dwt_wraps << 32) | now;
}

uint32_t tm_port_cycles(void)
{
    return (uint32_t)tm_dwt_cycles64();
}

uint32_t tm_port_millis(void)
{
    return (uint32_t)(tm_dwt_cycles64() / ((TM_CORE_HZ) / 1000u));
}

void tm_port_log(const char *line)
{
    (void)line;
}

void tm_port_exit(int status)
{
    (void)status;
    __asm__ volatile("cpsid i" ::: "memory");
    for (;;) {
    }
}

/* Cortex-M7: invalidate and enable the L1 instruction and data caches. */
static inline void tm_m7_enable_caches(void)
{
    volatile uint32_t *const ccr = (volatile uint32_t *)0xE000ED14u;
    volatile uint32_t *const csselr = (volatile uint32_t *)0xE000ED84u;
    volatile uint32_t *const ccsidr = (volatile uint32_t *)0xE000ED80u;
    volatile uint32_t *const iciallu = (volatile uint32_t *)0xE000EF50u;
    volatile uint32_t *const dcisw = (volatile uint32_t *)0xE000EF60u;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    *iciallu = 0;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    *ccr |= 1u << 17; /* IC */
    *csselr = 0;      /* level 1 data cache */
    __asm__ volatile("dsb" ::: "memory");
    uint32_t id = *ccsidr;
    uint32_t sets = (id >> 13) & 0x7FFFu, ways = (id >> 3) & 0x3FFu;
    for (uint32_t s = 0; s <= sets; ++s)
        for (uint32_t w = 0; w <= ways; ++w)
            *dcisw = (s << 5) | (w << 30);
    __asm__ volatile("dsb" ::: "memory");
    *ccr |= 1u << 16; /* DC */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}

#endif /* TM_DWT_PORT_H */
