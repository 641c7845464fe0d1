/*
 * Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999): re-encodes a packet so that it holds
 * no zero byte, so that 0x00 can delimit frames on the serial link. Encoding n bytes gives at most
 * TM_COBS_MAX_ENCODED(n) bytes; decoding never gives more bytes than it reads.
 */
#ifndef TM_AGENT_COBS_H
#define TM_AGENT_COBS_H

#include <stddef.h>
#include <stdint.h>

/* Upper bound of the encoded size of an n-byte packet (no delimiter). */
#define TM_COBS_MAX_ENCODED(n) ((n) + (n) / 254u + 1u)

/*
 * Encode n bytes of src into dst (no delimiter is written); returns the encoded length.
 * dst may overlap src when dst <= src - (n / 254 + 1), i.e. when src lies at least that many bytes
 * after dst in the same buffer (the agent encodes its responses in place this way).
 */
size_t tm_cobs_encode(const uint8_t *src, size_t n, uint8_t *dst);

/*
 * Decode n encoded bytes (no delimiter) from src into dst, writing at most cap bytes; dst may equal
 * src (in-place decoding). Returns the decoded length, or (size_t)-1 when the input is not valid
 * COBS (a zero byte, or a block that runs past the end) or would decode to more than cap bytes.
 */
size_t tm_cobs_decode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap);

#endif /* TM_AGENT_COBS_H */
