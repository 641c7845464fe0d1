/*
 * UART functions of the board port for STM32 parts whose (LP)USART has the ISR/RDR/TDR layout
 * (STM32F7, H7, L4, L4+, G4, ...). A board's port.c defines
 *   TM_STM32_UART_BASE  the peripheral's base address
 *   TM_STM32_UART_BRR   the value of its BRR register for the wanted baud rate
 * and `static void tm_board_init(void)` (clocks, GPIO alternate functions, peripheral clock and
 * reset), then includes this file after dwt_port.h.
 */
#ifndef TM_STM32_USART_PORT_H
#define TM_STM32_USART_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "tinymem/port.h"

#define TM_USART(off) (*(volatile uint32_t *)((uintptr_t)(TM_STM32_UART_BASE) + (off)))
#define TM_USART_CR1 TM_USART(0x00)
#define TM_USART_BRR TM_USART(0x0C)
#define TM_USART_ISR TM_USART(0x1C)
#define TM_USART_ICR TM_USART(0x20)
#define TM_USART_RDR TM_USART(0x24)
#define TM_USART_TDR TM_USART(0x28)
#define TM_USART_ISR_ERRORS 0xFu /* PE, FE, NE, ORE */
#define TM_USART_ISR_RXNE (1u << 5)
#define TM_USART_ISR_TXE (1u << 7)

/* GPIO pin to alternate function `af` (very high speed, no pull). */
static inline void tm_stm32_gpio_af(uintptr_t gpio, unsigned pin, unsigned af)
{
    volatile uint32_t *moder = (volatile uint32_t *)gpio;
    volatile uint32_t *ospeedr = (volatile uint32_t *)(gpio + 0x08);
    volatile uint32_t *afr = (volatile uint32_t *)(gpio + (pin < 8 ? 0x20 : 0x24));
    unsigned shift = (pin & 7u) * 4u;
    *afr = (*afr & ~(0xFu << shift)) | ((uint32_t)af << shift);
    *ospeedr |= 3u << (pin * 2u);
    *moder = (*moder & ~(3u << (pin * 2u))) | (2u << (pin * 2u));
}

static void tm_board_init(void);
static int tm_port_ready;

void tm_port_init(void)
{
    if (tm_port_ready)
        return;
    tm_board_init();
    tm_dwt_start();
    TM_USART_CR1 = 0;
    TM_USART_BRR = TM_STM32_UART_BRR;
    TM_USART_CR1 = (1u << 3) | (1u << 2) | 1u; /* TE, RE, UE */
    tm_port_ready = 1;
}

size_t tm_port_uart_read(uint8_t *buf, size_t n, uint32_t timeout_ms)
{
    size_t got = 0;
    uint32_t start = tm_port_millis();
    while (got < n) {
        uint32_t isr = TM_USART_ISR;
        if (isr & TM_USART_ISR_ERRORS)
            TM_USART_ICR = TM_USART_ISR_ERRORS; /* drop the error; the protocol's CRC catches it */
        if (isr & TM_USART_ISR_RXNE) {
            buf[got++] = (uint8_t)TM_USART_RDR;
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
        while (!(TM_USART_ISR & TM_USART_ISR_TXE)) {
        }
        TM_USART_TDR = buf[i];
    }
}

#endif /* TM_STM32_USART_PORT_H */
