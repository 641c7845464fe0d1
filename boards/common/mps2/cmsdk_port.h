/*
 * Board port for Arm MPS2/MPS2+ FPGA images as emulated by QEMU (mps2-an385, -an386, -an500,
 * -an505): CMSDK APB UART for the host link, a CMSDK APB timer as the instruction counter,
 * semihosting for the wall clock (SYS_ELAPSED: host time, so UART timeouts are real
 * milliseconds although virtual time runs at 2^S ns per instruction), the log and exit.
 *
 * A board's port.c defines the addresses and includes this file:
 *   TM_MPS2_UART_BASE   CMSDK APB UART connected to QEMU's first -serial
 *   TM_MPS2_TIMER_BASE  CMSDK APB timer (32-bit down counter clocked at TM_MPS2_TIMER_HZ)
 *   TM_MPS2_TIMER_HZ    the timer's clock in QEMU (25 MHz on AN385/386/500, 20 MHz on AN505)
 *   TM_ICOUNT_SHIFT     the firmware build passes QEMU's -icount shift (tinymem.sim.qemu)
 *
 * Instruction counter. QEMU runs the firmware with `-icount shift=S`: virtual time advances by
 * exactly 2^S ns per executed instruction, and the timer counts virtual time. With S = 7 one
 * instruction is 128 ns, several timer ticks (3.2 at 25 MHz, 2.56 at 20 MHz), so the number of
 * instructions since the timer started is recovered exactly: n = ceil(ticks * tick_ns / 2^S).
 * The count is a pure function of the instructions executed: deterministic, host independent.
 * The 32-bit timer wraps every 2^32 ticks (~1.3e9 instructions); tm_port_cycles() extends it to
 * 64 bits in software (no interrupt, which would add instructions to the measured code), so two
 * calls must be less than one wrap apart for their difference to be right.
 */
#ifndef TM_MPS2_CMSDK_PORT_H
#define TM_MPS2_CMSDK_PORT_H

#include <stdint.h>

#include "semihost.h"
#include "tinymem/port.h"

#if !defined(TM_MPS2_UART_BASE) || !defined(TM_MPS2_TIMER_BASE) || !defined(TM_MPS2_TIMER_HZ)
#error "define TM_MPS2_UART_BASE, TM_MPS2_TIMER_BASE and TM_MPS2_TIMER_HZ before including cmsdk_port.h"
#endif
#ifndef TM_ICOUNT_SHIFT
#define TM_ICOUNT_SHIFT 7
#endif

#define TM_REG(base, off) (*(volatile uint32_t *)((uintptr_t)(base) + (off)))

/* CMSDK APB UART */
#define UART_DATA TM_REG(TM_MPS2_UART_BASE, 0x00)
#define UART_STATE TM_REG(TM_MPS2_UART_BASE, 0x04)
#define UART_CTRL TM_REG(TM_MPS2_UART_BASE, 0x08)
#define UART_BAUDDIV TM_REG(TM_MPS2_UART_BASE, 0x10)
#define UART_STATE_TXFULL 0x1u
#define UART_STATE_RXFULL 0x2u

/* CMSDK APB timer */
#define TIMER_CTRL TM_REG(TM_MPS2_TIMER_BASE, 0x00)
#define TIMER_VALUE TM_REG(TM_MPS2_TIMER_BASE, 0x04)
#define TIMER_RELOAD TM_REG(TM_MPS2_TIMER_BASE, 0x08)

#define TM_TICK_NS (1000000000u / (TM_MPS2_TIMER_HZ))

static uint32_t tm_timer_last, tm_timer_wraps;
static int64_t tm_clock_start;
static uint32_t tm_clock_per_ms; /* 0: no SYS_ELAPSED, use SYS_CLOCK (centiseconds) */
static int tm_port_ready;

void tm_port_init(void)
{
    if (tm_port_ready)
        return;
    tm_port_ready = 1;
    UART_BAUDDIV = 16u;
    UART_CTRL = 0x3u; /* TX and RX enabled, no interrupts */
    TIMER_CTRL = 0u;
    TIMER_RELOAD = 0xFFFFFFFFu;
    TIMER_VALUE = 0xFFFFFFFFu;
    TIMER_CTRL = 0x1u; /* enable, no interrupt */
    tm_timer_last = 0;
    tm_timer_wraps = 0;
    int32_t freq = tm_semihost_tickfreq();
    tm_clock_start = tm_semihost_elapsed();
    if (freq >= 1000 && tm_clock_start >= 0) {
        tm_clock_per_ms = (uint32_t)freq / 1000u;
    } else {
        tm_clock_per_ms = 0;
        tm_clock_start = tm_semihost_clock_cs();
    }
}

size_t tm_port_uart_read(uint8_t *buf, size_t n, uint32_t timeout_ms)
{
    size_t got = 0;
    if (n == 0)
        return 0;
    uint32_t start = tm_port_millis();
    for (uint32_t polls = 0;; ++polls) {
        if (UART_STATE & UART_STATE_RXFULL) {
            buf[got++] = (uint8_t)UART_DATA;
            if (got == n)
                return got;
            polls = 0;
            continue;
        }
        if (got > 0)
            return got; /* return what has arrived; the caller asks again */
        /* Read the clock (a semihosting call) only every 64 empty polls. */
        if ((polls & 63u) == 63u && tm_port_millis() - start >= timeout_ms)
            return 0;
    }
}

void tm_port_uart_write(const uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        while (UART_STATE & UART_STATE_TXFULL) {
        }
        UART_DATA = buf[i];
    }
}

uint32_t tm_port_cycles(void)
{
    uint32_t raw = ~TIMER_VALUE; /* ticks since enable, modulo 2^32 */
    if (raw < tm_timer_last)
        ++tm_timer_wraps;
    tm_timer_last = raw;
    uint64_t ticks = ((uint64_t)tm_timer_wraps << 32) | raw;
    uint64_t ns = ticks * TM_TICK_NS;
    return (uint32_t)((ns + ((1u << TM_ICOUNT_SHIFT) - 1u)) >> TM_ICOUNT_SHIFT);
}

uint32_t tm_port_millis(void)
{
    if (tm_clock_per_ms == 0)
        return (uint32_t)(tm_semihost_clock_cs() - (uint32_t)tm_clock_start) * 10u;
    return (uint32_t)((uint64_t)(tm_semihost_elapsed() - tm_clock_start) / tm_clock_per_ms);
}

void tm_port_log(const char *line)
{
    tm_semihost_puts(line);
    tm_semihost_puts("\n");
}

void tm_port_exit(int status)
{
    tm_semihost_exit(status);
}

#endif /* TM_MPS2_CMSDK_PORT_H */
