/*
 * Port for the nRF52840 DK. Untested on hardware: written from the nRF52840 product specification.
 *   clock: 64 MHz core; the external 32 MHz crystal (HFXO) is started for an accurate baud rate
 *   link:  UART0 (non-DMA) on P0.06 (TX) / P0.08 (RX), 115200 8N1 (J-Link VCOM)
 *   counter: DWT CYCCNT (core cycles)
 */
#include <stddef.h>
#include <stdint.h>

#define TM_CORE_HZ 64000000u

#include "cortex-m/dwt_port.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define CLOCK 0x40000000u
#define UART0 0x40002000u
#define P0 0x50000000u
#define TX_PIN 6u
#define RX_PIN 8u

static int tm_port_ready;

void tm_port_init(void)
{
    if (tm_port_ready)
        return;
    REG(CLOCK + 0x100) = 0; /* EVENTS_HFCLKSTARTED */
    REG(CLOCK + 0x000) = 1; /* TASKS_HFCLKSTART */
    while (REG(CLOCK + 0x100) == 0) {
    }
    tm_dwt_start();
    REG(P0 + 0x508) = 1u << TX_PIN;          /* OUTSET: idle high */
    REG(P0 + 0x700 + 4u * TX_PIN) = 1u;      /* PIN_CNF: output */
    REG(P0 + 0x700 + 4u * RX_PIN) = 0u;      /* PIN_CNF: input, buffer connected */
    REG(UART0 + 0x50C) = TX_PIN;             /* PSEL.TXD */
    REG(UART0 + 0x514) = RX_PIN;             /* PSEL.RXD */
    REG(UART0 + 0x508) = 0xFFFFFFFFu;        /* PSEL.RTS disconnected */
    REG(UART0 + 0x510) = 0xFFFFFFFFu;        /* PSEL.CTS disconnected */
    REG(UART0 + 0x524) = 0x01D7E000u;        /* BAUDRATE 115200 */
    REG(UART0 + 0x56C) = 0;                  /* CONFIG: no parity, no flow control */
    REG(UART0 + 0x500) = 4u;                 /* ENABLE */
    REG(UART0 + 0x108) = 0;                  /* EVENTS_RXDRDY */
    REG(UART0 + 0x11C) = 0;                  /* EVENTS_TXDRDY */
    REG(UART0 + 0x000) = 1;                  /* TASKS_STARTRX */
    REG(UART0 + 0x008) = 1;                  /* TASKS_STARTTX */
    tm_port_ready = 1;
}

size_t tm_port_uart_read(uint8_t *buf, size_t n, uint32_t timeout_ms)
{
    size_t got = 0;
    uint32_t start = tm_port_millis();
    while (got < n) {
        if (REG(UART0 + 0x124)) {             /* EVENTS_ERROR: drop it, the protocol's CRC catches it */
            REG(UART0 + 0x480) = REG(UART0 + 0x480);
            REG(UART0 + 0x124) = 0;
        }
        if (REG(UART0 + 0x108)) {
            REG(UART0 + 0x108) = 0;
            buf[got++] = (uint8_t)REG(UART0 + 0x518); /* RXD */
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
        REG(UART0 + 0x11C) = 0;
        REG(UART0 + 0x51C) = buf[i]; /* TXD */
        while (REG(UART0 + 0x11C) == 0) {
        }
    }
}
