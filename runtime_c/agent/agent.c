/*
 * tinymem device agent (see agent.h and docs/serial-protocol.md).
 *
 * Receive path: bytes -> frames at 0x00 -> COBS decode in place -> CRC, version and length checks
 * -> sequence check -> command. Send path: the response packet is built in the tx buffer behind a
 * lead gap and COBS-encoded in place, so one buffer holds both. That encoded frame stays in tx as
 * the cached response of the last accepted request: a retried request (same seq, type and CRC) gets
 * the same bytes again without being executed twice. Errors about frames that are not accepted
 * (bad CRC, framing, stale sequence numbers, ...) go through a small separate buffer and leave the
 * cache alone.
 */
#include <string.h>

#include "agent.h"
#include "cobs.h"
#include "crc32.h"
#include "tinymem/port.h"

/* ---- little-endian helpers ---- */

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ---- framing ---- */

/*
 * Complete the packet at pkt (payload already in place): header and CRC, then COBS-encode it into
 * frame + 1 with delimiters on both sides. Returns the frame length. frame + 1 may lie before pkt in
 * the same buffer by at least (packet length / 254 + 1) bytes (in-place encoding, see cobs.h).
 */
static size_t finish_packet(uint8_t *frame, uint8_t *pkt, uint8_t type, uint16_t seq, size_t len)
{
    size_t n = TM_PKT_HEADER + len, enc;
    pkt[0] = (uint8_t)TM_PROTO_VERSION;
    pkt[1] = type;
    wr16(pkt + 2, seq);
    wr16(pkt + 4, (uint16_t)len);
    wr32(pkt + n, tm_crc32(0, pkt, n));
    enc = tm_cobs_encode(pkt, n + 4u, frame + 1);
    frame[0] = 0;
    frame[enc + 1u] = 0;
    return enc + 2u;
}

static size_t put_error_payload(uint8_t *p, uint8_t code, uint8_t req_type, int32_t detail, const char *msg)
{
    size_t n = 6;
    p[0] = code;
    p[1] = req_type;
    wr32(p + 2, (uint32_t)detail);
    while (msg && *msg && n < TM_AGENT_ERROR_PAYLOAD_MAX)
        p[n++] = (uint8_t)*msg++;
    return n;
}

/* An error about a frame that was not accepted: built in agent->err, never cached. */
static size_t frame_error(tm_agent *ag, uint16_t seq, uint8_t req_type, uint8_t code, int32_t detail,
                          const char *msg, const uint8_t **response)
{
    uint8_t pkt[TM_PKT_OVERHEAD + TM_AGENT_ERROR_PAYLOAD_MAX];
    size_t len = put_error_payload(pkt + TM_PKT_HEADER, code, req_type, detail, msg);
    ag->err_len = (uint32_t)finish_packet(ag->err, pkt, (uint8_t)TM_MSG_ERROR, seq, len);
    *response = ag->err;
    return ag->err_len;
}

/* The sequence number of a frame, decoded from its first encoded bytes (0 if too short). */
static uint16_t head_seq(const uint8_t *enc, size_t n)
{
    uint8_t h[4];
    size_t got = 0, in = 0;
    while (in < n && got < 4) {
        uint8_t code = enc[in++], j;
        if (code == 0)
            break;
        for (j = 1; j < code && got < 4; ++j) {
            if (in >= n)
                return 0;
            h[got++] = enc[in++];
        }
        if (got < 4 && j == code && code != 0xFFu)
            h[got++] = 0;
    }
    return got >= 4 ? rd16(h + 2) : 0;
}

/* ---- the model's input / output byte spaces ---- */

static const uint8_t *tensor_bytes(const tm_model *m, int outputs, int32_t i)
{
    return outputs ? (const uint8_t *)m->output_ptr(i) : (const uint8_t *)m->input_ptr(i);
}

/* CRC of the held inputs (outputs != 0: all outputs) in model order, concatenated. Streamed
 * inputs (input_ptr NULL) are not held and not part of the input space. */
static uint32_t space_crc(const tm_model *m, int outputs)
{
    const tm_tensor_desc *d = outputs ? m->outputs : m->inputs;
    int32_t count = outputs ? m->num_outputs : m->num_inputs, i;
    uint32_t crc = 0;
    for (i = 0; i < count; ++i)
        if (tensor_bytes(m, outputs, i) != NULL)
            crc = tm_crc32(crc, tensor_bytes(m, outputs, i), d[i].bytes);
    return crc;
}

/* Copy bytes [off, off + n) of the output space (or input space) to dst. */
static void space_read(const tm_model *m, int outputs, uint32_t off, uint8_t *dst, uint32_t n)
{
    const tm_tensor_desc *d = outputs ? m->outputs : m->inputs;
    int32_t count = outputs ? m->num_outputs : m->num_inputs, i;
    uint32_t base = 0;
    for (i = 0; i < count && n > 0; ++i) {
        uint32_t size = d[i].bytes;
        if (tensor_bytes(m, outputs, i) == NULL)
            continue;
        if (off < base + size) {
            uint32_t at = off - base, k = size - at < n ? size - at : n;
            memcpy(dst, tensor_bytes(m, outputs, i) + at, k);
            dst += k;
            off += k;
            n -= k;
        }
        base += size;
    }
}

/* Copy src to bytes [off, off + n) of the input space. */
static void inputs_write(const tm_model *m, uint32_t off, const uint8_t *src, uint32_t n)
{
    int32_t i;
    uint32_t base = 0;
    for (i = 0; i < m->num_inputs && n > 0; ++i) {
        uint32_t size = m->inputs[i].bytes;
        if (m->input_ptr(i) == NULL)
            continue;
        if (off < base + size) {
            uint32_t at = off - base, k = size - at < n ? size - at : n;
            memcpy((uint8_t *)m->input_ptr(i) + at, src, k);
            src += k;
            off += k;
            n -= k;
        }
        base += size;
    }
}

/* ---- INFO: serialised through a window so that it can be read in pieces ---- */

typedef struct {
    uint8_t *dst;
    uint32_t pos, start, cap;
} tm_window;

static void w_bytes(tm_window *w, const void *src, uint32_t n)
{
    const uint8_t *s = (const uint8_t *)src;
    uint32_t i;
    for (i = 0; i < n; ++i, ++w->pos)
        if (w->pos >= w->start && w->pos - w->start < w->cap)
            w->dst[w->pos - w->start] = s[i];
}

static void w_u8(tm_window *w, uint32_t v)
{
    uint8_t b = (uint8_t)v;
    w_bytes(w, &b, 1);
}

static void w_u16(tm_window *w, uint32_t v)
{
    uint8_t b[2];
    wr16(b, (uint16_t)v);
    w_bytes(w, b, 2);
}

static void w_u32(tm_window *w, uint32_t v)
{
    uint8_t b[4];
    wr32(b, v);
    w_bytes(w, b, 4);
}

static void w_str(tm_window *w, const char *s)
{
    uint32_t n = 0;
    if (s == NULL)
        s = "";
    while (s[n] && n < 255u)
        ++n;
    w_u8(w, n);
    w_bytes(w, s, n);
}

static void w_tensors(tm_window *w, const tm_tensor_desc *d, int32_t count)
{
    int32_t i, k;
    for (i = 0; i < count; ++i) {
        uint32_t scale;
        int32_t rank = d[i].rank < 0 ? 0 : (d[i].rank > 6 ? 6 : d[i].rank);
        memcpy(&scale, &d[i].scale, 4);
        w_str(w, d[i].name);
        w_u8(w, (uint32_t)d[i].dtype);
        w_u8(w, (uint32_t)rank);
        for (k = 0; k < rank; ++k)
            w_u32(w, (uint32_t)d[i].shape[k]);
        w_u32(w, scale);
        w_u32(w, (uint32_t)d[i].zero_point);
        w_u32(w, d[i].bytes);
    }
}

/* Writes the INFO bytes [start, start + cap) to dst; returns the total INFO size. */
static uint32_t info_blob(const tm_agent *ag, uint8_t *dst, uint32_t start, uint32_t cap)
{
    const tm_model *m = ag->model;
    tm_window w;
    w.dst = dst;
    w.pos = 0;
    w.start = start;
    w.cap = cap;
    w_u8(&w, TM_PROTO_VERSION);
    w_u8(&w, (ag->cfg.params_bytes > 0 ? 1u : 0u) | (ag->streamed ? 2u : 0u));
    w_u16(&w, TM_AGENT_MAX_PAYLOAD);
    w_u32(&w, m->arena_bytes);
    w_u32(&w, m->state_bytes);
    w_u32(&w, ag->cfg.params_bytes);
    w_u32(&w, ag->in_total);
    w_u32(&w, ag->out_total);
    w_u32(&w, ag->run_count);
    w_u32(&w, (uint32_t)ag->model_status);
    w_str(&w, ag->cfg.board);
    w_str(&w, ag->cfg.firmware_id);
    w_str(&w, m->name);
    w_str(&w, m->sha256);
    w_u8(&w, (uint32_t)m->num_inputs);
    w_u8(&w, (uint32_t)m->num_outputs);
    w_tensors(&w, m->inputs, m->num_inputs);
    w_tensors(&w, m->outputs, m->num_outputs);
    if (ag->streamed)
        w_u32(&w, ag->streamed);
    return w.pos;
}

/* ---- INPUT_FETCH: the input windows of a --stream-input model, asked from the host ---- */

/*
 * Is the frame in ag->rx[0, n) (encoded) the host's answer to the INPUT_FETCH whose payload is
 * req? 1: yes, its n_data bytes follow the repeated request; 2: the host refused it (an error
 * with the RUN's sequence number); 0: something else (ignored).
 */
static int fetch_answer(tm_agent *ag, size_t n, const uint8_t *req, uint32_t n_data)
{
    size_t len = tm_cobs_decode(ag->rx, n, ag->rx, n);
    const uint8_t *pkt = ag->rx;
    if (len == (size_t)-1 || len < TM_PKT_OVERHEAD || pkt[0] != TM_PROTO_VERSION || rd16(pkt + 2) != ag->last_seq
        || rd16(pkt + 4) != len - TM_PKT_OVERHEAD || tm_crc32(0, pkt, len - 4u) != rd32(pkt + len - 4u))
        return 0;
    if (pkt[1] == TM_MSG_ERROR)
        return 2;
    return pkt[1] == (TM_MSG_INPUT_FETCH | TM_MSG_RESPONSE) && len == TM_PKT_OVERHEAD + TM_FETCH_HEAD + n_data
           && memcmp(pkt + TM_PKT_HEADER, req, TM_FETCH_HEAD) == 0;
}

/*
 * Waits for the answer to the INPUT_FETCH `req` and copies its data to dst. Returns as
 * fetch_answer, or 0 when the line stayed quiet for TM_AGENT_FETCH_TIMEOUT_MS. The frame is
 * collected in ag->rx (free while RUN executes); bytes behind the answer in the same read are
 * dropped (the host sends nothing else while it serves a RUN).
 */
static int fetch_wait(tm_agent *ag, const uint8_t *req, uint32_t n_data, uint8_t *dst)
{
    uint8_t buf[64];
    size_t len = 0;
    int overflow = 0;
    uint32_t last = tm_port_millis();
    for (;;) {
        size_t got = tm_port_uart_read(buf, sizeof buf, 50), i;
        if (got == 0) {
            if (tm_port_millis() - last >= TM_AGENT_FETCH_TIMEOUT_MS)
                return 0;
            continue;
        }
        last = tm_port_millis();
        for (i = 0; i < got; ++i) {
            int ans;
            if (buf[i] != 0) {
                if (len < sizeof ag->rx)
                    ag->rx[len++] = buf[i];
                else
                    overflow = 1;
                continue;
            }
            ans = len > 0 && !overflow ? fetch_answer(ag, len, req, n_data) : 0;
            if (ans == 1)
                memcpy(dst, ag->rx + TM_PKT_HEADER + TM_FETCH_HEAD, n_data);
            if (ans != 0)
                return ans;
            len = 0;
            overflow = 0;
        }
    }
}

/* The model's tm_fetch_fn: one INPUT_FETCH per chunk of the window, each asked again while the
 * host stays quiet, at most TM_AGENT_FETCH_RETRIES times. */
static tm_status agent_fetch(void *ctx, int32_t index, int32_t y0, int32_t x0, int32_t rows, int32_t cols, void *dst)
{
    tm_agent *ag = (tm_agent *)ctx;
    const tm_tensor_desc *d = &ag->model->inputs[index];
    const uint32_t step = TM_AGENT_MAX_PAYLOAD - TM_FETCH_HEAD, c0 = tm_port_cycles();
    uint32_t total = (uint32_t)rows * (uint32_t)cols * (d->bytes / ((uint32_t)d->shape[1] * (uint32_t)d->shape[2]));
    uint32_t off;
    tm_status st = TM_OK;
    for (off = 0; off < total && st == TM_OK; off += step) {
        uint8_t pkt[TM_PKT_OVERHEAD + TM_FETCH_HEAD], *req = pkt + TM_PKT_HEADER;
        uint32_t n = total - off < step ? total - off : step, tries;
        size_t flen;
        int ans = 0;
        wr32(req, (uint32_t)index);
        wr32(req + 4, (uint32_t)y0);
        wr32(req + 8, (uint32_t)x0);
        wr32(req + 12, (uint32_t)rows);
        wr32(req + 16, (uint32_t)cols);
        wr32(req + 20, off);
        wr32(req + 24, n);
        flen = finish_packet(ag->err, pkt, (uint8_t)TM_MSG_INPUT_FETCH, ag->last_seq, TM_FETCH_HEAD);
        for (tries = 0; tries <= TM_AGENT_FETCH_RETRIES && ans == 0; ++tries) {
            tm_port_uart_write(ag->err, flen);
            ans = fetch_wait(ag, req, n, (uint8_t *)dst + off);
        }
        if (ans == 1) {
            ag->fetch_chunks++;
        } else {
            ag->fetch_failed = (uint8_t)(ans == 0 ? 1 : 2);
            st = TM_ERR_IO;
        }
    }
    ag->fetch_cycles += tm_port_cycles() - c0;
    return st;
}

/* ---- commands ---- */

#define RESP(ag) ((ag)->tx + TM_AGENT_TX_LEAD + TM_PKT_HEADER)

static size_t reply(tm_agent *ag, uint8_t req_type, uint16_t seq, size_t len)
{
    ag->tx_len = (uint32_t)finish_packet(ag->tx, ag->tx + TM_AGENT_TX_LEAD,
                                         (uint8_t)(req_type | TM_MSG_RESPONSE), seq, len);
    return ag->tx_len;
}

/* An error answering an accepted request: cached like any response. */
static size_t reply_error(tm_agent *ag, uint8_t req_type, uint16_t seq, uint8_t code, int32_t detail,
                          const char *msg)
{
    size_t len = put_error_payload(RESP(ag), code, req_type, detail, msg);
    ag->tx_len = (uint32_t)finish_packet(ag->tx, ag->tx + TM_AGENT_TX_LEAD, (uint8_t)TM_MSG_ERROR, seq, len);
    return ag->tx_len;
}

/* Checks a (u32 offset, n bytes) range against a space of `total` bytes. */
static int range_ok(uint32_t off, uint32_t n, uint32_t total)
{
    return n > 0 && off <= total && n <= total - off;
}

static size_t execute(tm_agent *ag, uint8_t type, uint16_t seq, const uint8_t *p, uint32_t len)
{
    const tm_model *m = ag->model;
    uint8_t *out = RESP(ag);
    const uint32_t cap = TM_AGENT_MAX_PAYLOAD;

    switch (type) {
    case TM_MSG_PING:
        memmove(out, p, len);
        return reply(ag, type, seq, len);

    case TM_MSG_INFO: {
        uint32_t off = 0, total, n;
        if (len != 0 && len != 4)
            return reply_error(ag, type, seq, TM_AGENT_ERR_BAD_LENGTH, (int32_t)len, "INFO takes 0 or 4 bytes");
        if (len == 4)
            off = rd32(p);
        total = info_blob(ag, out + 8, 0, 0);
        if (off > total)
            return reply_error(ag, type, seq, TM_AGENT_ERR_BAD_ARG, (int32_t)total, "INFO offset past the end");
        n = total - off < cap - 8u ? total - off : cap - 8u;
        info_blob(ag, out + 8, off, n);
        wr32(out, total);
        wr32(out + 4, off);
        return reply(ag, type, seq, 8u + n);
    }

    case TM_MSG_RESET_STATE: {
        tm_status st;
        if (len != 0)
            return reply_error(ag, type, seq, TM_AGENT_ERR_BAD_LENGTH, (int32_t)len, "RESET_STATE takes no payload");
        ag->outputs_valid = 0;
        if (m->reset_state != NULL) {
            st = m->reset_state();
            if (st != TM_OK)
                return reply_error(ag, type, seq, TM_AGENT_ERR_MODEL, (int32_t)st, "model reset_state failed");
        } else {
            st = m->init();
            ag->model_status = (int32_t)st;
            if (st != TM_OK)
                return reply_error(ag, type, seq, TM_AGENT_ERR_MODEL, (int32_t)st, "model init failed");
        }
        return reply(ag, type, seq, 0);
    }

    case TM_MSG_INPUT_WRITE: {
        uint32_t off, n;
        if (len < 5)
            return reply_error(ag, type, seq, TM_AGENT_ERR_BAD_LENGTH, (int32_t)len, "INPUT_WRITE needs offset and data");
        off = rd32(p);
        n = len - 4u;
        if (!range_ok(off, n, ag->in_total))
            return reply_error(ag, type, seq, TM_AGENT_ERR_BAD_ARG, (int32_t)ag->in_total, "input range out of bounds");
        ag->outputs_valid = 0; /* inputs may share arena bytes with the last outputs */
        inputs_write(m, off, p + 4, n);
        wr32(out, off);
        wr32(out + 4, n);
        return reply(ag, type, seq, 8);
    }

    case TM_MSG_RUN: {
        uint32_t c0, ms0, cycles, ms, n;
        tm_status st;
        if (len != 8)
            return reply_error(ag, type, seq, TM_AGENT_ERR_BAD_LENGTH, (int32_t)len, "RUN takes 8 bytes");
        if (rd32(p + 4) != ag->in_total)
            return reply_error(ag, type, seq, TM_AGENT_ERR_BAD_ARG, (int32_t)ag->in_total, "input size differs from the model's");
        if (ag->model_status != TM_OK)
            return reply_error(ag, type, seq, TM_AGENT_ERR_MODEL, ag->model_status, "model init failed");
        {
            uint32_t have = space_crc(m, 0);
            if (have != rd32(p))
                return reply_error(ag, type, seq, TM_AGENT_ERR_INPUT_CRC, (int32_t)have, "inputs do not match their CRC");
        }
        ag->outputs_valid = 0;
        ag->fetch_chunks = ag->fetch_cycles = 0;
        ag->fetch_failed = 0;
        c0 = tm_port_cycles();
        ms0 = tm_port_millis();
        st = m->run();
        cycles = tm_port_cycles() - c0 - ag->fetch_cycles; /* the model's work, not the link's */
        ms = tm_port_millis() - ms0;
        if (ag->fetch_failed)
            return reply_error(ag, type, seq, TM_AGENT_ERR_FETCH, (int32_t)ag->fetch_chunks,
                               ag->fetch_failed == 1 ? "input window: no answer from the host" : "input window refused by the host");
        if (st != TM_OK)
            return reply_error(ag, type, seq, TM_AGENT_ERR_MODEL, (int32_t)st, "model run failed");
        ag->run_count++;
        ag->outputs_valid = 1;
        n = ag->out_total < cap - 20u ? ag->out_total : cap - 20u;
        wr32(out, cycles);
        wr32(out + 4, ms);
        wr32(out + 8, ag->run_count);
        wr32(out + 12, ag->out_total);
        wr32(out + 16, space_crc(m, 1));
        space_read(m, 1, 0, out + 20, n);
        return reply(ag, type, seq, 20u + n);
    }

    case TM_MSG_OUTPUT_READ:
    case TM_MSG_PARAMS_READ: {
        uint32_t off, n, total;
        int params = type == TM_MSG_PARAMS_READ;
        if (len != 8)
            return reply_error(ag, type, seq, TM_AGENT_ERR_BAD_LENGTH, (int32_t)len, "READ takes 8 bytes");
        if (params && ag->cfg.params_bytes == 0)
            return reply_error(ag, type, seq, TM_AGENT_ERR_NO_PARAMS, 0, "no updatable parameters");
        if (!params && !ag->outputs_valid)
            return reply_error(ag, type, seq, TM_AGENT_ERR_NO_OUTPUT, 0, "no outputs: RUN first");
        off = rd32(p);
        n = rd32(p + 4);
        total = params ? ag->cfg.params_bytes : ag->out_total;
        if (n > cap - 4u || !range_ok(off, n, total))
            return reply_error(ag, type, seq, TM_AGENT_ERR_BAD_ARG, (int32_t)total, "read range out of bounds");
        wr32(out, off);
        if (params)
            memcpy(out + 4, ag->cfg.params + off, n);
        else
            space_read(m, 1, off, out + 4, n);
        return reply(ag, type, seq, 4u + n);
    }

    case TM_MSG_PARAMS_WRITE: {
        uint32_t off, n;
        if (len < 5)
            return reply_error(ag, type, seq, TM_AGENT_ERR_BAD_LENGTH, (int32_t)len, "PARAMS_WRITE needs offset and data");
        if (ag->cfg.params_bytes == 0)
            return reply_error(ag, type, seq, TM_AGENT_ERR_NO_PARAMS, 0, "no updatable parameters");
        off = rd32(p);
        n = len - 4u;
        if (!range_ok(off, n, ag->cfg.params_bytes))
            return reply_error(ag, type, seq, TM_AGENT_ERR_BAD_ARG, (int32_t)ag->cfg.params_bytes, "params range out of bounds");
        memcpy(ag->cfg.params + off, p + 4, n);
        ag->outputs_valid = 0;
        if (ag->cfg.params_changed) {
            tm_status st = ag->cfg.params_changed();
            if (st != TM_OK)
                return reply_error(ag, type, seq, TM_AGENT_ERR_MODEL, (int32_t)st, "params rejected");
        }
        wr32(out, off);
        wr32(out + 4, n);
        return reply(ag, type, seq, 8);
    }

    default:
        return reply_error(ag, type, seq, TM_AGENT_ERR_UNKNOWN_COMMAND, type, "unknown command");
    }
}

/* ---- public API ---- */

void tm_agent_init(tm_agent *ag, const tm_model *model, const tm_agent_config *cfg)
{
    int32_t i;
    memset(ag, 0, sizeof *ag);
    ag->model = model;
    if (cfg)
        ag->cfg = *cfg;
    if (ag->cfg.board == NULL)
        ag->cfg.board = TM_BOARD_NAME;
    if (ag->cfg.firmware_id == NULL)
        ag->cfg.firmware_id = TM_FIRMWARE_ID;
    if (ag->cfg.params == NULL && model->params != NULL) { /* the model's own (--updatable) */
        ag->cfg.params = model->params;
        ag->cfg.params_bytes = model->params_bytes;
        ag->cfg.params_changed = model->params_changed;
    }
    if (ag->cfg.params == NULL)
        ag->cfg.params_bytes = 0;
    ag->model_status = TM_OK;
    for (i = 0; i < model->num_inputs; ++i) {
        if (model->input_ptr(i) != NULL)
            ag->in_total += model->inputs[i].bytes;
        else if (model->set_input_source != NULL && i < 32)
            ag->streamed |= 1u << i; /* --stream-input: fetched from the host during RUN */
        else
            ag->model_status = TM_ERR_PARAM;
    }
    for (i = 0; i < model->num_outputs; ++i) {
        ag->out_total += model->outputs[i].bytes;
        if (model->output_ptr(i) == NULL)
            ag->model_status = TM_ERR_PARAM;
    }
    if (ag->model_status == TM_OK && ag->streamed)
        ag->model_status = (int32_t)model->set_input_source(agent_fetch, ag);
    if (ag->model_status == TM_OK)
        ag->model_status = (int32_t)model->init();
}

size_t tm_agent_handle_frame(tm_agent *ag, uint8_t *frame, size_t n, const uint8_t **response)
{
    uint16_t seq, plen;
    uint8_t type;
    uint32_t crc;
    size_t len;

    *response = NULL;
    if (n == 0)
        return 0;
    seq = head_seq(frame, n);
    if (n > sizeof ag->rx)
        return frame_error(ag, seq, 0, TM_AGENT_ERR_OVERSIZE, TM_AGENT_MAX_PAYLOAD, "frame too long", response);
    len = tm_cobs_decode(frame, n, frame, n);
    if (len == (size_t)-1)
        return frame_error(ag, seq, 0, TM_AGENT_ERR_FRAME, 0, "invalid COBS", response);
    if (len < TM_PKT_OVERHEAD)
        return frame_error(ag, seq, 0, TM_AGENT_ERR_FRAME, (int32_t)len, "truncated packet", response);
    crc = rd32(frame + len - 4u);
    if (tm_crc32(0, frame, len - 4u) != crc)
        return frame_error(ag, seq, 0, TM_AGENT_ERR_BAD_CRC, 0, "bad CRC", response);
    type = frame[1];
    seq = rd16(frame + 2);
    plen = rd16(frame + 4);
    if ((size_t)plen != len - TM_PKT_OVERHEAD)
        return frame_error(ag, seq, type, TM_AGENT_ERR_FRAME, (int32_t)plen, "length field mismatch", response);
    if (frame[0] != TM_PROTO_VERSION)
        return frame_error(ag, seq, type, TM_AGENT_ERR_VERSION, TM_PROTO_VERSION, "unsupported protocol version", response);
    if (type & TM_MSG_RESPONSE)
        return 0; /* a response (an echo, or another agent): never answered */
    if (plen > TM_AGENT_MAX_PAYLOAD)
        return frame_error(ag, seq, type, TM_AGENT_ERR_OVERSIZE, TM_AGENT_MAX_PAYLOAD, "payload too long", response);
    if (ag->has_last && seq == ag->last_seq) {
        if (type == ag->last_type && crc == ag->last_crc && ag->tx_len > 0) {
            *response = ag->tx; /* a retry: the same answer, not a second execution */
            return ag->tx_len;
        }
        return frame_error(ag, seq, type, TM_AGENT_ERR_STALE_SEQ, ag->last_seq, "sequence number reused", response);
    }
    if (ag->has_last && (uint16_t)(seq - ag->last_seq) >= 0x8000u)
        return frame_error(ag, seq, type, TM_AGENT_ERR_STALE_SEQ, ag->last_seq, "stale sequence number", response);
    ag->has_last = 1;
    ag->last_seq = seq;
    ag->last_type = type;
    ag->last_crc = crc;
    ag->tx_len = 0;
    len = execute(ag, type, seq, frame + TM_PKT_HEADER, plen);
    *response = ag->tx;
    return len;
}

static void drop_frame(tm_agent *ag)
{
    ag->rx_len = 0;
    ag->rx_overflow = 0;
}

void tm_agent_feed(tm_agent *ag, const uint8_t *bytes, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        uint8_t b = bytes[i];
        if (b == 0) {
            const uint8_t *resp = NULL;
            size_t r = 0;
            if (ag->rx_overflow) {
                r = frame_error(ag, head_seq(ag->rx, ag->rx_len), 0, TM_AGENT_ERR_OVERSIZE,
                                TM_AGENT_MAX_PAYLOAD, "frame too long", &resp);
            } else if (ag->rx_len > 0) {
                r = tm_agent_handle_frame(ag, ag->rx, ag->rx_len, &resp);
            }
            if (r > 0)
                tm_port_uart_write(resp, r);
            drop_frame(ag);
        } else if (ag->rx_len < sizeof ag->rx) {
            ag->rx[ag->rx_len++] = b;
        } else {
            ag->rx_overflow = 1;
        }
    }
}

void tm_agent_poll(tm_agent *ag, uint32_t timeout_ms)
{
    uint8_t buf[64];
    size_t n = tm_port_uart_read(buf, sizeof buf, timeout_ms);
    uint32_t now = tm_port_millis();
    if ((ag->rx_len > 0 || ag->rx_overflow) && now - ag->rx_last_ms >= TM_AGENT_RX_IDLE_MS)
        drop_frame(ag); /* a partial frame went quiet: forget it */
    if (n > 0) {
        tm_agent_feed(ag, buf, n);
        ag->rx_last_ms = tm_port_millis(); /* after feeding: a long RUN is not line silence */
    }
}

void tm_agent_serve_config(const tm_model *model, const tm_agent_config *cfg)
{
    static tm_agent agent;
    tm_agent_init(&agent, model, cfg);
    for (;;)
        tm_agent_poll(&agent, 100);
}

void tm_agent_serve(const tm_model *model)
{
    tm_agent_serve_config(model, NULL);
}
