/* Port for QEMU mps2-an500 (Cortex-M7): CMSDK UART0 at 0x40004000, CMSDK timer at 0x40000000 (25000000 Hz). */
#define TM_MPS2_UART_BASE 0x40004000u
#define TM_MPS2_TIMER_BASE 0x40000000u
#define TM_MPS2_TIMER_HZ 25000000u
#include "mps2/cmsdk_port.h"
