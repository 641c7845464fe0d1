/*
 * UART check (no agent): echoes every byte received on the board's UART; stops the emulator with
 * status 0 on the byte 0x00, with status 7 when nothing arrives for 10 s.
 */
#include "tinymem/port.h"

int main(void)
{
    uint8_t buf[64];
    tm_port_init();
    for (;;) {
        size_t n = tm_port_uart_read(buf, sizeof buf, 10000);
        if (n == 0)
            return 7;
        for (size_t i = 0; i < n; ++i)
            if (buf[i] == 0)
                return 0;
        tm_port_uart_write(buf, n);
    }
}
