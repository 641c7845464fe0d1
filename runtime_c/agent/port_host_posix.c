/*
 * Host (POSIX) port of the device agent, for tests and for serving a model from a PC: the "UART"
 * is stdin/stdout (a pipe, a pty or a socket given as fds 0 and 1). Not for boards.
 *
 *  - tm_port_uart_read waits with poll(); end of input (the host side closed) exits with status 0.
 *  - tm_port_cycles counts nanoseconds of CLOCK_MONOTONIC (host "cycles" are not CPU cycles).
 *  - tm_port_log writes the line to stderr.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tinymem/port.h"

static uint64_t tm_host_t0_ns;

static uint64_t tm_host_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void tm_port_init(void)
{
    signal(SIGPIPE, SIG_IGN);
    tm_host_t0_ns = tm_host_now_ns();
}

size_t tm_port_uart_read(uint8_t *buf, size_t n, uint32_t timeout_ms)
{
    struct pollfd p;
    ssize_t got;
    p.fd = 0;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, (int)timeout_ms) <= 0)
        return 0;
    got = read(0, buf, n);
    if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
        exit(0); /* the host closed the link */
    return got < 0 ? 0 : (size_t)got;
}

void tm_port_uart_write(const uint8_t *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(1, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            exit(0); /* the host closed the link */
        buf += w;
        n -= (size_t)w;
    }
}

uint32_t tm_port_cycles(void)
{
    return (uint32_t)tm_host_now_ns();
}

uint32_t tm_port_millis(void)
{
    return (uint32_t)((tm_host_now_ns() - tm_host_t0_ns) / 1000000u);
}

void tm_port_log(const char *line)
{
    size_t n = strlen(line);
    if (write(2, line, n) < 0 || write(2, "\n", 1) < 0)
        return;
}

void tm_port_exit(int status)
{
    exit(status);
}
