/*
 * CRC-32 (IEEE 802.3: reflected polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF),
 * the CRC of zlib.crc32 and of Ethernet. Check value: tm_crc32(0, "123456789", 9) == 0xCBF43926.
 */
#ifndef TM_AGENT_CRC32_H
#define TM_AGENT_CRC32_H

#include <stddef.h>
#include <stdint.h>

/*
 * Continue a CRC over n more bytes: crc = tm_crc32(0, a, na); crc = tm_crc32(crc, b, nb) equals
 * the CRC of a followed by b (the same convention as zlib.crc32(data, value)).
 */
uint32_t tm_crc32(uint32_t crc, const uint8_t *data, size_t n);

#endif /* TM_AGENT_CRC32_H */
