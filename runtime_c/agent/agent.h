/*
 * tinymem device agent: serves one compiled model over the serial protocol of
 * docs/serial-protocol.md (COBS frames, CRC-32, sequence numbers, typed errors).
 *
 * Firmware main:
 *
 *     #include "model.h"
 *     #include "agent.h"
 *     int main(void) { tm_port_init(); tm_agent_serve(&tm_<model>_model); }
 *
 * The agent uses only the board port (tinymem/port.h) and the generic tm_model interface; it
 * allocates nothing: tm_agent_serve keeps one static tm_agent (2 x ~4.2 KiB of buffers with the
 * default TM_AGENT_MAX_PAYLOAD). Board name and firmware id come from the compile definitions
 * TM_BOARD_NAME and TM_FIRMWARE_ID (strings), or from a tm_agent_config.
 *
 * C99, no malloc, no stdio; -Wall -Wextra -Werror clean on gcc, clang and arm-none-eabi-gcc.
 */
#ifndef TM_AGENT_H
#define TM_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "tinymem/types.h"

/* ---- Protocol constants (docs/serial-protocol.md is the definition; keep both in step). ---- */

#define TM_PROTO_VERSION 1u

/* Largest payload of one packet the agent accepts and sends. The host learns it from INFO.
 * At least 64; boards short of RAM may lower it (the agent then needs ~2.1 x this in RAM). */
#ifndef TM_AGENT_MAX_PAYLOAD
#define TM_AGENT_MAX_PAYLOAD 4096u
#endif
#if TM_AGENT_MAX_PAYLOAD < 64u || TM_AGENT_MAX_PAYLOAD > 65535u
#error "TM_AGENT_MAX_PAYLOAD must be in [64, 65535]"
#endif

/* A frame whose receiver sees no byte for this long is dropped (resynchronisation without a
 * delimiter). The host starts every frame with a delimiter anyway. */
#ifndef TM_AGENT_RX_IDLE_MS
#define TM_AGENT_RX_IDLE_MS 500u
#endif

/* --stream-input models: the agent fetches each input window from the host during RUN
 * (INPUT_FETCH). It asks again when the host stays quiet this long, at most this many times, and
 * then fails the RUN with TM_AGENT_ERR_FETCH. */
#ifndef TM_AGENT_FETCH_TIMEOUT_MS
#define TM_AGENT_FETCH_TIMEOUT_MS 2000u
#endif
#ifndef TM_AGENT_FETCH_RETRIES
#define TM_AGENT_FETCH_RETRIES 3u
#endif

#ifndef TM_BOARD_NAME
#define TM_BOARD_NAME "unknown"
#endif
#ifndef TM_FIRMWARE_ID
#define TM_FIRMWARE_ID "unknown"
#endif

/* INPUT_FETCH request: u32 input, i32 y0, x0, rows, cols, u32 offset, u32 n; its answer repeats
 * these 28 bytes, then n bytes of the window. */
#define TM_FETCH_HEAD 28u

/* Packet: u8 version, u8 type, u16 seq, u16 length, payload[length], u32 crc (little endian). */
#define TM_PKT_HEADER 6u
#define TM_PKT_OVERHEAD 10u
#define TM_PKT_MAX (TM_AGENT_MAX_PAYLOAD + TM_PKT_OVERHEAD)

/* Request types; a response has type (request | TM_MSG_RESPONSE), an error TM_MSG_ERROR. */
enum {
    TM_MSG_PING = 0x01,
    TM_MSG_INFO = 0x02,
    TM_MSG_RESET_STATE = 0x03,
    TM_MSG_INPUT_WRITE = 0x10,
    TM_MSG_RUN = 0x11,
    TM_MSG_OUTPUT_READ = 0x12,
    TM_MSG_INPUT_FETCH = 0x13, /* sent by the device during RUN; the host answers with the window */
    TM_MSG_PARAMS_READ = 0x20,
    TM_MSG_PARAMS_WRITE = 0x21,
    TM_MSG_RESPONSE = 0x80,
    TM_MSG_ERROR = 0xFF
};

/* Error codes carried by TM_MSG_ERROR (payload: u8 code, u8 request type, i32 detail, text). */
enum {
    TM_AGENT_ERR_UNKNOWN_COMMAND = 1, /* detail: the type byte */
    TM_AGENT_ERR_BAD_LENGTH = 2,      /* payload length wrong for the command; detail: the length */
    TM_AGENT_ERR_BAD_CRC = 3,         /* packet CRC mismatch (request not executed) */
    TM_AGENT_ERR_FRAME = 4,           /* invalid COBS, truncated packet, or length field mismatch */
    TM_AGENT_ERR_OVERSIZE = 5,        /* frame longer than the agent accepts; detail: max payload */
    TM_AGENT_ERR_VERSION = 6,         /* unsupported protocol version; detail: supported version */
    TM_AGENT_ERR_STALE_SEQ = 7,       /* sequence number not after the last accepted; detail: last seq */
    TM_AGENT_ERR_BAD_ARG = 8,         /* offset/size out of range or inconsistent; detail: the limit */
    TM_AGENT_ERR_INPUT_CRC = 9,       /* RUN: the inputs held do not match the CRC sent; detail: theirs */
    TM_AGENT_ERR_MODEL = 10,          /* init/run returned a tm_status; detail: that status */
    TM_AGENT_ERR_NO_OUTPUT = 11,      /* OUTPUT_READ with no valid outputs (no RUN since inputs changed) */
    TM_AGENT_ERR_NO_PARAMS = 12,      /* PARAMS_* on firmware without updatable parameters */
    TM_AGENT_ERR_FETCH = 13           /* RUN: an input window did not arrive; detail: chunks received */
};

/* Optional firmware description and updatable parameters (NULL fields take the defaults). With
 * params NULL the agent serves the model's own params region (tm_model.params, --updatable). */
typedef struct {
    const char *board;       /* board name reported by INFO (default TM_BOARD_NAME) */
    const char *firmware_id; /* free-form firmware id reported by INFO (default TM_FIRMWARE_ID) */
    uint8_t *params;         /* updatable parameters in RAM, e.g. a classifier head (or NULL) */
    uint32_t params_bytes;   /* their size in bytes (0: PARAMS_* answer TM_AGENT_ERR_NO_PARAMS) */
    /* Called after every accepted PARAMS_WRITE (e.g. to re-derive tables); may be NULL. */
    tm_status (*params_changed)(void);
} tm_agent_config;

/* Encoded-frame capacity for packets of up to n bytes (no delimiters). */
#define TM_AGENT_COBS_MAX(n) ((n) + (n) / 254u + 1u)
/* Space left in front of a response packet so that it can be COBS-encoded in place. */
#define TM_AGENT_TX_LEAD (TM_PKT_MAX / 254u + 3u)
#define TM_AGENT_ERROR_PAYLOAD_MAX 72u

/* Agent state. Treat as opaque; it is in the header only so that it can be allocated statically. */
typedef struct {
    const tm_model *model;
    tm_agent_config cfg;
    uint32_t in_total, out_total; /* bytes of the held inputs / all outputs, in model order */
    uint32_t streamed;            /* bit i: input i is streamed (fetched from the host during RUN) */
    uint32_t fetch_chunks;        /* INPUT_FETCH answers received during the current RUN */
    uint32_t fetch_cycles;        /* port counter spent inside fetches (not counted as the run's) */
    uint8_t fetch_failed;         /* the current RUN's fetch failed: 1 no answer, 2 host refused */
    int32_t model_status;         /* tm_status of the last init() */
    uint32_t run_count;
    uint8_t outputs_valid;
    uint8_t has_last;      /* a request has been accepted since boot */
    uint8_t last_type;     /* type, seq and CRC of that request, for idempotent retries */
    uint16_t last_seq;
    uint32_t last_crc;
    uint32_t rx_len;       /* encoded bytes of the frame being received */
    uint8_t rx_overflow;   /* the frame being received is longer than rx */
    uint32_t rx_last_ms;   /* tm_port_millis() when the last byte arrived */
    uint32_t tx_len;       /* length of the cached encoded response frame in tx */
    uint32_t err_len;
    uint8_t rx[TM_AGENT_COBS_MAX(TM_PKT_MAX)];
    uint8_t tx[TM_AGENT_TX_LEAD + TM_PKT_MAX + 2u];
    uint8_t err[TM_AGENT_COBS_MAX(TM_PKT_OVERHEAD + TM_AGENT_ERROR_PAYLOAD_MAX) + 2u];
} tm_agent;

/* Prepare an agent for a model (calls model->init()); cfg may be NULL. */
void tm_agent_init(tm_agent *agent, const tm_model *model, const tm_agent_config *cfg);

/*
 * The protocol core: handle one received frame (its COBS-encoded bytes, without the
 * 0x00 delimiters; decoded in place, so frame is clobbered). Returns the length of the response
 * frame to send (delimiters included) and points *response at it, or returns 0 (nothing to send).
 * A frame longer than sizeof(agent->rx) is answered with TM_AGENT_ERR_OVERSIZE (only its first
 * bytes are read). No I/O, except that a RUN of a --stream-input model talks to the host through
 * the port while it fetches the input windows (INPUT_FETCH).
 */
size_t tm_agent_handle_frame(tm_agent *agent, uint8_t *frame, size_t n, const uint8_t **response);

/* Feed received bytes: frames them at 0x00 and writes responses with tm_port_uart_write. */
void tm_agent_feed(tm_agent *agent, const uint8_t *bytes, size_t n);

/* Poll the port once (waits up to timeout_ms for bytes) and handle what arrived. */
void tm_agent_poll(tm_agent *agent, uint32_t timeout_ms);

#if defined(__GNUC__)
#define TM_AGENT_NORETURN __attribute__((noreturn))
#else
#define TM_AGENT_NORETURN
#endif

/* Serve the model forever on the port (tm_port_init() must have been called). */
TM_AGENT_NORETURN void tm_agent_serve(const tm_model *model);
TM_AGENT_NORETURN void tm_agent_serve_config(const tm_model *model, const tm_agent_config *cfg);

#endif /* TM_AGENT_H */
