/* Port for QEMU mps2-an505 (Cortex-M33): CMSDK UART0 at 0x50200000, CMSDK timer at 0x50000000 (20000000 Hz). */
#define TM_MPS2_UART_BASE 0x50200000u
#define TM_MPS2_TIMER_BASE 0x50000000u
#define TM_MPS2_TIMER_HZ 20000000u
#include "mps2/cmsdk_port.h"
