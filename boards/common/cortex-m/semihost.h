/*
 * ARM semihosting for Cortex-M (BKPT 0xAB), used only by emulator ports and test harnesses.
 *
 * On real hardware without a debugger attached a semihosting call is a HardFault, so board ports
 * for real boards never include this header.
 */
#ifndef TM_SEMIHOST_H
#define TM_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

enum {
    TM_SH_OPEN = 0x01,
    TM_SH_CLOSE = 0x02,
    TM_SH_WRITE0 = 0x04,
    TM_SH_WRITE = 0x05,
    TM_SH_READ = 0x06,
    TM_SH_CLOCK = 0x10,
    TM_SH_EXIT = 0x18,
    TM_SH_EXIT_EXTENDED = 0x20,
    TM_SH_ELAPSED = 0x30,
    TM_SH_TICKFREQ = 0x31
};

#define TM_SH_ADP_APPLICATION_EXIT 0x20026u

static inline int32_t tm_semihost(int32_t op, const void *arg)
{
    register int32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* Write a NUL-terminated string to the emulator's console. */
static inline void tm_semihost_puts(const char *s)
{
    (void)tm_semihost(TM_SH_WRITE0, s);
}

/* Centiseconds since the emulator started (QEMU: the process's CPU time, not wall time). */
static inline uint32_t tm_semihost_clock_cs(void)
{
    return (uint32_t)tm_semihost(TM_SH_CLOCK, NULL);
}

/* Ticks of the host's elapsed-time counter (QEMU: wall-clock ns since start), or -1 if absent. */
static inline int64_t tm_semihost_elapsed(void)
{
    uint32_t block[2] = {0, 0};
    if (tm_semihost(TM_SH_ELAPSED, block) != 0)
        return -1;
    return (int64_t)(((uint64_t)block[1] << 32) | block[0]);
}

/* Frequency of tm_semihost_elapsed() in Hz (QEMU: 1e9), or -1 if absent. */
static inline int32_t tm_semihost_tickfreq(void)
{
    return tm_semihost(TM_SH_TICKFREQ, NULL);
}

/* Stop the emulator; its process exits with `status` (SYS_EXIT_EXTENDED, semihosting v2). */
static inline void tm_semihost_exit(int status)
{
    uint32_t block[2] = {TM_SH_ADP_APPLICATION_EXIT, (uint32_t)status};
    (void)tm_semihost(TM_SH_EXIT_EXTENDED, block);
    /* An emulator without the extension: plain SYS_EXIT (status 0 or 1 only). */
    (void)tm_semihost(TM_SH_EXIT, (const void *)(uintptr_t)(status == 0 ? TM_SH_ADP_APPLICATION_EXIT : 0x20023u));
    for (;;) {
    }
}

/* Host file access (mode: 0 "r", 1 "rb", 4 "w", 5 "wb"). Returns a handle, or -1. */
static inline int32_t tm_semihost_open(const char *path, int32_t mode)
{
    size_t len = 0;
    while (path[len] != '\0')
        ++len;
    uint32_t block[3] = {(uint32_t)(uintptr_t)path, (uint32_t)mode, (uint32_t)len};
    return tm_semihost(TM_SH_OPEN, block);
}

/* Returns the number of bytes NOT read (0 = all read). */
static inline int32_t tm_semihost_read(int32_t handle, void *buf, uint32_t n)
{
    uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buf, n};
    return tm_semihost(TM_SH_READ, block);
}

/* Returns the number of bytes NOT written (0 = all written). */
static inline int32_t tm_semihost_write(int32_t handle, const void *buf, uint32_t n)
{
    uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buf, n};
    return tm_semihost(TM_SH_WRITE, block);
}

static inline int32_t tm_semihost_close(int32_t handle)
{
    uint32_t block[1] = {(uint32_t)handle};
    return tm_semihost(TM_SH_CLOSE, block);
}

#endif /* TM_SEMIHOST_H */
