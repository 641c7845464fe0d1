/*
 * Port for NUCLEO-L4R5ZI (STM32L4R5ZI). Untested on hardware: written from RM0432.
 *   clock: HSI16 -> PLL (M=2, N=30, R=2) -> 120 MHz SYSCLK, range 1 boost mode, 5 flash wait states
 *   link:  LPUART1 on PG7 (TX) / PG8 (RX), AF8, kernel clock HSI16, 115200 8N1 (ST-LINK VCP)
 *   counter: DWT CYCCNT (core cycles)
 */
#include <stdint.h>

#define TM_CORE_HZ 120000000u
#define TM_STM32_UART_BASE 0x40008000u /* LPUART1 */
/* LPUART: BRR = 256 * f_ck / baud = 256 * 16 MHz / 115200 */
#define TM_STM32_UART_BRR 35556u

#include "cortex-m/dwt_port.h"
#include "stm32/usart_port.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC 0x40021000u
#define RCC_CR REG(RCC + 0x00)
#define RCC_CFGR REG(RCC + 0x08)
#define RCC_PLLCFGR REG(RCC + 0x0C)
#define RCC_AHB2ENR REG(RCC + 0x4C)
#define RCC_APB1ENR1 REG(RCC + 0x58)
#define RCC_APB1ENR2 REG(RCC + 0x5C)
#define RCC_CCIPR REG(RCC + 0x88)
#define PWR 0x40007000u
#define PWR_CR2 REG(PWR + 0x04)
#define PWR_CR5 REG(PWR + 0x80)
#define FLASH_ACR REG(0x40022000u)
#define GPIOG 0x48001800u

static void tm_board_init(void)
{
    RCC_APB1ENR1 |= 1u << 28; /* PWREN */
    (void)RCC_APB1ENR1;
    RCC_CR |= 1u << 8; /* HSION */
    while (!(RCC_CR & (1u << 10))) {
    }
    /* Range 1 boost (R1MODE = 0) and 5 wait states before going above 80 MHz. */
    PWR_CR5 &= ~(1u << 8);
    FLASH_ACR = (FLASH_ACR & ~0xFu) | 5u | (1u << 8) | (1u << 9) | (1u << 10); /* + prefetch, I/D cache */
    while ((FLASH_ACR & 0xFu) != 5u) {
    }
    RCC_PLLCFGR = 2u | (1u << 4) | (30u << 8) | (1u << 24); /* HSI16, M=2, N=30, R=2, PLLREN */
    RCC_CR |= 1u << 24;                                        /* PLLON */
    while (!(RCC_CR & (1u << 25))) {
    }
    /* AHB /2 for the switch, then /1 (RM0432: step above 80 MHz through an intermediate divider). */
    RCC_CFGR = (RCC_CFGR & ~(0xFu << 4)) | (0x8u << 4);
    RCC_CFGR = (RCC_CFGR & ~3u) | 3u; /* SW = PLL */
    while (((RCC_CFGR >> 2) & 3u) != 3u) {
    }
    for (volatile int i = 0; i < 1000; ++i) {
    }
    RCC_CFGR &= ~(0xFu << 4);

    /* Port G pins 2..15 are powered from VDDIO2: declare it valid. */
    PWR_CR2 |= 1u << 9; /* IOSV */
    RCC_AHB2ENR |= 1u << 6; /* GPIOGEN */
    RCC_APB1ENR2 |= 1u << 0; /* LPUART1EN */
    RCC_CCIPR = (RCC_CCIPR & ~(3u << 10)) | (2u << 10); /* LPUART1SEL = HSI16 */
    (void)RCC_APB1ENR2;
    tm_stm32_gpio_af(GPIOG, 7, 8);
    tm_stm32_gpio_af(GPIOG, 8, 8);
}
