/*
 * Port for NUCLEO-H743ZI / H743ZI2 (STM32H743ZI). Untested on hardware: written from RM0433.
 *   clock: HSI 64 MHz -> PLL1 (M=4, N=50, P=2) -> 400 MHz core, AXI 200 MHz, VOS1, 2 flash wait
 *          states, L1 caches (480 MHz needs VOS0 and revision V silicon: not done here)
 *   link:  USART3 on PD8 (TX) / PD9 (RX), AF7, kernel clock HSI 64 MHz, 115200 8N1 (ST-LINK VCP)
 *   counter: DWT CYCCNT (core cycles)
 *   RAM:   SRAM1-3 (D2) are clocked in tm_board_early_init, before startup zeroes their sections
 */
#include <stdint.h>

#define TM_CORE_HZ 400000000u
#define TM_STM32_UART_BASE 0x40004800u /* USART3 */
#define TM_STM32_UART_BRR 556u         /* 64 MHz / 115200, oversampling by 16 */

#include "cortex-m/dwt_port.h"
#include "stm32/usart_port.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC 0x58024400u
#define RCC_CR REG(RCC + 0x000)
#define RCC_CFGR REG(RCC + 0x010)
#define RCC_D1CFGR REG(RCC + 0x018)
#define RCC_D2CFGR REG(RCC + 0x01C)
#define RCC_D3CFGR REG(RCC + 0x020)
#define RCC_PLLCKSELR REG(RCC + 0x028)
#define RCC_PLLCFGR REG(RCC + 0x02C)
#define RCC_PLL1DIVR REG(RCC + 0x030)
#define RCC_D2CCIP2R REG(RCC + 0x054)
#define RCC_AHB2ENR REG(RCC + 0x0DC)
#define RCC_AHB4ENR REG(RCC + 0x0E0)
#define RCC_APB1LENR REG(RCC + 0x0E8)
#define PWR_CSR1 REG(0x58024804u)
#define PWR_CR3 REG(0x5802480Cu)
#define PWR_D3CR REG(0x58024818u)
#define FLASH_ACR REG(0x52002000u)
#define GPIOD 0x58020C00u

void tm_board_early_init(void)
{
    RCC_AHB2ENR |= (1u << 29) | (1u << 30) | (1u << 31); /* SRAM1EN, SRAM2EN, SRAM3EN */
    (void)RCC_AHB2ENR;
}

static void tm_board_init(void)
{
    PWR_CR3 = (PWR_CR3 & ~7u) | (1u << 1); /* LDO supply (locks the supply configuration) */
    while (!(PWR_CSR1 & (1u << 13))) {      /* ACTVOSRDY */
    }
    PWR_D3CR = (PWR_D3CR & ~(3u << 14)) | (3u << 14); /* VOS1 */
    while (!(PWR_D3CR & (1u << 13))) {                  /* VOSRDY */
    }
    FLASH_ACR = 2u | (2u << 4); /* 2 wait states, WRHIGHFREQ = 2 (AXI 200 MHz at VOS1) */
    while ((FLASH_ACR & 0xFu) != 2u) {
    }
    RCC_PLLCKSELR = (RCC_PLLCKSELR & ~((3u << 0) | (0x3Fu << 4))) | (0u << 0) | (4u << 4); /* HSI, DIVM1=4 */
    RCC_PLLCFGR = (RCC_PLLCFGR & ~0xFu) | (3u << 2) | (1u << 16); /* PLL1RGE 8-16 MHz, wide VCO, DIVP1EN */
    RCC_PLL1DIVR = (50u - 1u) | ((2u - 1u) << 9) | ((4u - 1u) << 16) | ((2u - 1u) << 24);
    RCC_CR |= 1u << 24; /* PLL1ON */
    while (!(RCC_CR & (1u << 25))) {
    }
    RCC_D1CFGR = (8u << 0) | (4u << 4); /* HPRE /2 (AXI 200 MHz), D1PPRE /2 */
    RCC_D2CFGR = (4u << 4) | (4u << 8); /* D2PPRE1 /2, D2PPRE2 /2 */
    RCC_D3CFGR = 4u << 4;               /* D3PPRE /2 */
    RCC_CFGR = (RCC_CFGR & ~7u) | 3u;   /* SW = PLL1 */
    while (((RCC_CFGR >> 3) & 7u) != 3u) {
    }
    tm_m7_enable_caches();

    RCC_AHB4ENR |= 1u << 3;   /* GPIODEN */
    RCC_APB1LENR |= 1u << 18; /* USART3EN */
    RCC_D2CCIP2R = (RCC_D2CCIP2R & ~7u) | 3u; /* USART234578SEL = hsi_ker_ck */
    (void)RCC_APB1LENR;
    tm_stm32_gpio_af(GPIOD, 8, 7);
    tm_stm32_gpio_af(GPIOD, 9, 7);
}
