/*
 * Port for the Raspberry Pi Pico (RP2040, core 0). Untested on hardware: written from the RP2040
 * datasheet.
 *   clock: 12 MHz crystal -> PLL_SYS (VCO 1500 MHz, /6, /2) -> 125 MHz clk_sys and clk_peri
 *   link:  UART0 (PL011) on GP0 (TX) / GP1 (RX), 115200 8N1
 *   counter: Cortex-M0+ has no DWT cycle counter: cycles = 1 MHz TIMER microseconds x 125
 *   boot:  boot2.S (the second-stage loader in the first 256 bytes of flash) sets up XIP
 */
#include <stddef.h>
#include <stdint.h>

#include "tinymem/port.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define SET(addr) REG((addr) + 0x2000u)
#define CLR(addr) REG((addr) + 0x3000u)
#define RESETS 0x4000C000u
#define CLOCKS 0x40008000u
#define XOSC 0x40024000u
#define PLL_SYS 0x40028000u
#define IO_BANK0 0x40014000u
#define WATCHDOG 0x40058000u
#define TIMER 0x40054000u
#define UART0 0x40034000u
#define CORE_MHZ 125u

#define RESET_IO_BANK0 (1u << 5)
#define RESET_PADS_BANK0 (1u << 8)
#define RESET_PLL_SYS (1u << 12)
#define RESET_TIMER (1u << 21)
#define RESET_UART0 (1u << 22)

static int tm_port_ready;

static void unreset(uint32_t bits)
{
    CLR(RESETS + 0x0) = bits;
    while ((REG(RESETS + 0x8) & bits) != bits) {
    }
}

void tm_port_init(void)
{
    if (tm_port_ready)
        return;
    /* Crystal oscillator, then clk_ref from it. */
    REG(XOSC + 0x00) = 0xAA0u;                  /* FREQ_RANGE 1-15 MHz */
    REG(XOSC + 0x0C) = 47u;                     /* STARTUP: ~1 ms */
    SET(XOSC + 0x00) = 0xFABu << 12;            /* ENABLE */
    while (!(REG(XOSC + 0x04) & (1u << 31))) {  /* STABLE */
    }
    REG(CLOCKS + 0x30) = 2u;                    /* clk_ref <- xosc */
    while (REG(CLOCKS + 0x38) != (1u << 2)) {
    }
    REG(CLOCKS + 0x3C) = 0u;                    /* clk_sys <- clk_ref while the PLL starts */
    while (REG(CLOCKS + 0x44) != 1u) {
    }
    SET(RESETS + 0x0) = RESET_PLL_SYS;
    unreset(RESET_PLL_SYS);
    REG(PLL_SYS + 0x0) = 1u;                    /* REFDIV 1 */
    REG(PLL_SYS + 0x8) = 125u;                  /* FBDIV: VCO = 1500 MHz */
    CLR(PLL_SYS + 0x4) = (1u << 0) | (1u << 5); /* power up PLL and VCO */
    while (!(REG(PLL_SYS + 0x0) & (1u << 31))) { /* LOCK */
    }
    REG(PLL_SYS + 0xC) = (6u << 16) | (2u << 12); /* POSTDIV1 6, POSTDIV2 2: 125 MHz */
    CLR(PLL_SYS + 0x4) = 1u << 3;               /* POSTDIVPD */
    REG(CLOCKS + 0x3C) = (0u << 5) | 1u;        /* clk_sys <- aux (pll_sys) */
    while (REG(CLOCKS + 0x44) != 2u) {
    }
    REG(CLOCKS + 0x48) = (1u << 11) | (0u << 5); /* clk_peri enabled, <- clk_sys */
    REG(WATCHDOG + 0x2C) = (1u << 9) | 12u;     /* 1 us tick for TIMER from the 12 MHz clk_ref */

    unreset(RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_TIMER | RESET_UART0);
    REG(IO_BANK0 + 0x004) = 2u;                 /* GPIO0 FUNCSEL UART0 TX */
    REG(IO_BANK0 + 0x00C) = 2u;                 /* GPIO1 FUNCSEL UART0 RX */
    /* 125 MHz / (16 * 115200) = 67.817: IBRD 67, FBRD round(0.817 * 64) = 52 */
    REG(UART0 + 0x024) = 67u;
    REG(UART0 + 0x028) = 52u;
    REG(UART0 + 0x02C) = (3u << 5) | (1u << 4); /* 8 bits, FIFOs on (LCR_H write latches the divisors) */
    REG(UART0 + 0x030) = (1u << 0) | (1u << 8) | (1u << 9); /* UARTEN, TXE, RXE */
    tm_port_ready = 1;
}

size_t tm_port_uart_read(uint8_t *buf, size_t n, uint32_t timeout_ms)
{
    size_t got = 0;
    uint32_t start = tm_port_millis();
    while (got < n) {
        if (!(REG(UART0 + 0x018) & (1u << 4))) { /* RXFE clear: data waiting */
            buf[got++] = (uint8_t)REG(UART0 + 0x000);
            continue;
        }
        if (got > 0 || tm_port_millis() - start >= timeout_ms)
            break;
    }
    return got;
}

void tm_port_uart_write(const uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        while (REG(UART0 + 0x018) & (1u << 5)) { /* TXFF */
        }
        REG(UART0 + 0x000) = buf[i];
    }
}

uint32_t tm_port_cycles(void)
{
    return REG(TIMER + 0x28) * CORE_MHZ; /* TIMERAWL microseconds */
}

uint32_t tm_port_millis(void)
{
    uint32_t hi, lo;
    do { /* TIMERAWH, TIMERAWL, TIMERAWH: retry if the high word moved */
        hi = REG(TIMER + 0x24);
        lo = REG(TIMER + 0x28);
    } while (REG(TIMER + 0x24) != hi);
    return (uint32_t)((((uint64_t)hi << 32) | lo) / 1000u);
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
