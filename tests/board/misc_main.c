/* Firmware that misbehaves on purpose: TM_MISC_FAULT reads an unmapped address (a bus fault),
 * otherwise it spins forever (the runner must kill it). */
#include <stdint.h>

#include "tinymem/port.h"

int main(void)
{
    tm_port_init();
#ifdef TM_MISC_FAULT
    return (int)*(volatile uint32_t *)0xF0000000u;
#else
    for (;;) {
    }
#endif
}
