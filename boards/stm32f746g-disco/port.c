/*
 * Port for 32F746GDISCOVERY (STM32F746NG). Untested on hardware: written from RM0385.
 *   clock: HSI 16 MHz -> PLL (M=8, N=216, P=2, Q=9) -> 216 MHz, over-drive, 7 wait states, caches
 *   link:  USART1 on PA9 (TX) / PB7 (RX), AF7, kernel clock HSI, 115200 8N1 (ST-LINK VCP)
 *   counter: DWT CYCCNT (core cycles)
 */
#include <stdint.h>

#define TM_CORE_HZ 216000000u
#define TM_STM32_UART_BASE 0x40011000u /* USART1 */
#define TM_STM32_UART_BRR 139u         /* 16 MHz / 115200, oversampling by 16 */

#include "cortex-m/dwt_port.h"
#include "stm32/usart_port.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC 0x40023800u
#define RCC_CR REG(RCC + 0x00)
#define RCC_PLLCFGR REG(RCC + 0x04)
#define RCC_CFGR REG(RCC + 0x08)
#define RCC_AHB1ENR REG(RCC + 0x30)
#define RCC_APB1ENR REG(RCC + 0x40)
#define RCC_APB2ENR REG(RCC + 0x44)
#define RCC_DCKCFGR2 REG(RCC + 0x90)
#define PWR_CR1 REG(0x40007000u)
#define PWR_CSR1 REG(0x40007004u)
#define FLASH_ACR REG(0x40023C00u)
#define GPIOA 0x40020000u
#define GPIOB 0x40020400u

static void tm_board_init(void)
{
    RCC_APB1ENR |= 1u << 28; /* PWREN */
    (void)RCC_APB1ENR;
    PWR_CR1 |= 3u << 14; /* VOS scale 1 */
    RCC_PLLCFGR = 8u | (216u << 6) | (0u << 16) | (0u << 22) | (9u << 24); /* HSI, M=8, N=216, P=2, Q=9 */
    RCC_CR |= 1u << 24;
    while (!(RCC_CR & (1u << 25))) {
    }
    PWR_CR1 |= 1u << 16; /* ODEN */
    while (!(PWR_CSR1 & (1u << 16))) {
    }
    PWR_CR1 |= 1u << 17; /* ODSWEN */
    while (!(PWR_CSR1 & (1u << 17))) {
    }
    FLASH_ACR = 7u | (1u << 8) | (1u << 9); /* 7 WS, prefetch, ART */
    while ((FLASH_ACR & 0xFu) != 7u) {
    }
    RCC_CFGR = (RCC_CFGR & ~((0xFu << 4) | (7u << 10) | (7u << 13))) | (5u << 10) | (4u << 13); /* APB1 /4, APB2 /2 */
    RCC_CFGR = (RCC_CFGR & ~3u) | 2u; /* SW = PLL */
    while (((RCC_CFGR >> 2) & 3u) != 2u) {
    }
    tm_m7_enable_caches();

    RCC_AHB1ENR |= (1u << 0) | (1u << 1); /* GPIOA, GPIOB */
    RCC_APB2ENR |= 1u << 4;               /* USART1 */
    RCC_DCKCFGR2 = (RCC_DCKCFGR2 & ~3u) | 2u; /* USART1SEL = HSI */
    (void)RCC_APB2ENR;
    tm_stm32_gpio_af(GPIOA, 9, 7);
    tm_stm32_gpio_af(GPIOB, 7, 7);
}
