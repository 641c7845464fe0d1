/*
 * Board port: the only board-specific functions the tinymem runtime and device agent use.
 * Each board in boards/<name>/ implements them in port.c.
 */
#ifndef TINYMEM_PORT_H
#define TINYMEM_PORT_H

#include <stddef.h>
#include <stdint.h>

/* Clocks, UART and the cycle/tick counter. Called once before anything else. */
void tm_port_init(void);

/*
 * Read up to n bytes from the host link into buf, waiting at most timeout_ms for the first byte.
 * Returns the number of bytes read (0 on timeout).
 */
size_t tm_port_uart_read(uint8_t *buf, size_t n, uint32_t timeout_ms);

/* Write n bytes to the host link (blocking). */
void tm_port_uart_write(const uint8_t *buf, size_t n);

/* A free-running counter of CPU cycles, or of instructions on emulators (wraps at 2^32). */
uint32_t tm_port_cycles(void);

/* Milliseconds since tm_port_init (for timeouts). */
uint32_t tm_port_millis(void);

/* Debug log line (may be a no-op). */
void tm_port_log(const char *line);

/* Stop the board: on emulators, exit with the status (semihosting); on hardware, loop forever. */
void tm_port_exit(int status);

#endif /* TINYMEM_PORT_H */
