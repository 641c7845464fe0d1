/*
 * Cortex-M startup shared by every board (ARMv6-M, ARMv7-M, ARMv7E-M, ARMv8-M mainline).
 *
 * Reset_Handler: enables the FPU when the firmware is built for one, calls tm_board_early_init
 * (weak, empty by default), copies .data from flash,
 * zeroes .bss and every extra RAM region listed in the zero table, then calls main(). A CPU fault
 * (HardFault, MemManage, BusFault, UsageFault) or an unexpected interrupt stops the board through
 * tm_port_exit(TM_EXIT_FAULT): on an emulator the process exits with that status, on hardware the
 * board halts.
 *
 * Symbols come from the linker script (boards/common/cortex-m/sections.ld).
 */
#include <stdint.h>

#include "tinymem/port.h"

/* Exit status of a firmware stopped by a CPU fault (the QEMU runner reports it as such). */
#define TM_EXIT_FAULT 99

extern uint32_t __tm_stack_top;
extern uint32_t __tm_data_load, __tm_data_start, __tm_data_end;
extern uint32_t __tm_bss_start, __tm_bss_end;
extern uint32_t __tm_zero_table_start, __tm_zero_table_end;

int main(void);
void Reset_Handler(void);
void tm_fault_handler(void);
void tm_board_early_init(void);

/*
 * Called first thing after reset, before .data/.bss/regions are initialised (so it must not rely
 * on them): a board overrides it to clock RAM that is off at reset (STM32H7 SRAM1-3).
 */
__attribute__((weak)) void tm_board_early_init(void)
{
}

void tm_fault_handler(void)
{
    tm_port_log("tinymem: CPU fault");
    tm_port_exit(TM_EXIT_FAULT);
}

void NMI_Handler(void) __attribute__((weak, alias("tm_fault_handler")));
void HardFault_Handler(void) __attribute__((weak, alias("tm_fault_handler")));
void MemManage_Handler(void) __attribute__((weak, alias("tm_fault_handler")));
void BusFault_Handler(void) __attribute__((weak, alias("tm_fault_handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("tm_fault_handler")));
void SecureFault_Handler(void) __attribute__((weak, alias("tm_fault_handler")));
void SVC_Handler(void) __attribute__((weak, alias("tm_fault_handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("tm_fault_handler")));
void PendSV_Handler(void) __attribute__((weak, alias("tm_fault_handler")));
void SysTick_Handler(void) __attribute__((weak, alias("tm_fault_handler")));
void IRQ_Handler(void) __attribute__((weak, alias("tm_fault_handler")));

typedef void (*tm_vector)(void);

/* 16 core exceptions + 16 external interrupts (the ports poll; no interrupt is enabled). */
__attribute__((section(".vectors"), used)) const tm_vector tm_vectors[32] = {
    (tm_vector)(uintptr_t)&__tm_stack_top,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    SecureFault_Handler,
    0,
    0,
    0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
    IRQ_Handler, IRQ_Handler, IRQ_Handler, IRQ_Handler, IRQ_Handler, IRQ_Handler, IRQ_Handler, IRQ_Handler,
    IRQ_Handler, IRQ_Handler, IRQ_Handler, IRQ_Handler, IRQ_Handler, IRQ_Handler, IRQ_Handler, IRQ_Handler,
};

#define TM_SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

__attribute__((noreturn, used)) void Reset_Handler(void)
{
#if defined(__ARM_FP)
    /* CP10 and CP11: full access, before the first floating-point instruction. */
    TM_SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    tm_board_early_init();
    volatile uint32_t *src = &__tm_data_load;
    for (volatile uint32_t *dst = &__tm_data_start; dst < &__tm_data_end;)
        *dst++ = *src++;
    for (volatile uint32_t *dst = &__tm_bss_start; dst < &__tm_bss_end;)
        *dst++ = 0;
    /* Extra RAM regions (.tm_region.<name> sections): pairs of (start, end) addresses. */
    for (const uint32_t *entry = &__tm_zero_table_start; entry < &__tm_zero_table_end; entry += 2) {
        for (volatile uint32_t *dst = (volatile uint32_t *)(uintptr_t)entry[0];
             dst < (volatile uint32_t *)(uintptr_t)entry[1];)
            *dst++ = 0;
    }
    int status = main();
    tm_port_exit(status);
    for (;;) {
    }
}
