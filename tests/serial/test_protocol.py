"""The framing layer in Python, and its agreement with the C implementation (runtime_c/agent)."""

import subprocess
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.serial.conftest import need_cc
from tinymem.serial import cobs, protocol
from tinymem.serial.host_agent import agent_dir
from tinymem.sim.host import WARNINGS

# Examples of the COBS paper / Wikipedia page (our encoder ends a 254-byte run with 0x01).
VECTORS = [
    (b"\x00", b"\x01\x01"),
    (b"\x00\x00", b"\x01\x01\x01"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    (bytes(range(1, 255)), b"\xff" + bytes(range(1, 255)) + b"\x01"),
    (bytes(range(0, 255)), b"\x01\xff" + bytes(range(1, 255)) + b"\x01"),
    (bytes(range(1, 256)), b"\xff" + bytes(range(1, 255)) + b"\x02\xff"),
]


@pytest.mark.parametrize("raw,enc", VECTORS)
def test_cobs_vectors(raw, enc):
    assert cobs.encode(raw) == enc
    assert cobs.decode(enc) == raw


def test_cobs_decoder_accepts_a_final_ff_block_without_trailer():
    assert cobs.decode(b"\xff" + bytes(range(1, 255))) == bytes(range(1, 255))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=1200), st.floats(0, 1))
def test_cobs_roundtrip(data, zero_share):
    rng = np.random.default_rng(len(data))
    b = bytearray(data)
    for i in range(len(b)):
        if rng.random() < zero_share:
            b[i] = 0
    data = bytes(b)
    enc = cobs.encode(data)
    assert b"\x00" not in enc
    assert len(enc) <= cobs.max_encoded(len(data))
    assert cobs.decode(enc) == data


@pytest.mark.parametrize("bad", [b"\x00", b"\x05\x11\x22", b"\x03\x11\x00"])
def test_cobs_rejects_invalid(bad):
    with pytest.raises(cobs.CobsError):
        cobs.decode(bad)


def test_packet_roundtrip_and_checks():
    f = protocol.frame(protocol.Msg.RUN, 0xBEEF, b"\x01\x02\x00\x03")
    assert f[0] == 0 and f[-1] == 0 and b"\x00" not in f[1:-1]
    p = protocol.unpack(f[1:-1])
    assert (p.type, p.seq, p.payload) == (protocol.Msg.RUN, 0xBEEF, b"\x01\x02\x00\x03")
    raw = bytearray(protocol.pack(protocol.Msg.RUN, 1, b"abc"))
    raw[7] ^= 1
    with pytest.raises(protocol.FrameError, match="CRC"):
        protocol.unpack(cobs.encode(bytes(raw)))
    with pytest.raises(protocol.FrameError, match="truncated"):
        protocol.unpack(cobs.encode(b"\x01\x02\x03"))
    body = protocol.HEADER.pack(1, 1, 1, 5) + b"ab"  # length field says 5, 2 bytes follow
    with pytest.raises(protocol.FrameError, match="length"):
        protocol.unpack(cobs.encode(body + zlib.crc32(body).to_bytes(4, "little")))


def test_deframer_splits_and_drops_oversize():
    d = protocol.Deframer(limit=10)
    assert d.feed(b"\x00abc\x00\x00de") == [b"abc"]
    assert d.feed(b"f\x00" + b"x" * 30 + b"\x00gh\x00") == [b"def", b"gh"]
    assert d.dropped == 1


CHECK_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include "cobs.h"
#include "crc32.h"
/* stdin: data; stdout: 8 hex digits of the CRC, then the COBS encoding, then the decoded bytes. */
int main(void)
{
    static uint8_t in[70000], enc[72000], dec[72000];
    size_t n = fread(in, 1, sizeof in, stdin), e, d;
    e = tm_cobs_encode(in, n, enc);
    d = tm_cobs_decode(enc, e, dec, sizeof dec);
    printf("%08x\n", (unsigned)tm_crc32(tm_crc32(0, in, n / 2), in + n / 2, n - n / 2));
    fwrite(enc, 1, e, stdout);
    if (d != n) return 3;
    fwrite(dec, 1, d, stdout);
    return 0;
}
"""


@pytest.fixture(scope="module")
def c_codec(tmp_path_factory):
    cc = need_cc()
    d = tmp_path_factory.mktemp("codec")
    (d / "check.c").write_text(CHECK_C)
    exe = d / "check"
    r = subprocess.run([cc, *WARNINGS, "-O1", "-fsanitize=address,undefined", "-I", str(agent_dir()),
                        str(d / "check.c"), str(agent_dir() / "cobs.c"), str(agent_dir() / "crc32.c"), "-o", str(exe)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return exe


def _c(exe, data: bytes):
    r = subprocess.run([str(exe)], input=data, capture_output=True)
    assert r.returncode == 0, r.stderr
    crc, rest = r.stdout.split(b"\n", 1)
    return int(crc, 16), rest


def test_c_crc_check_value(c_codec):
    assert _c(c_codec, b"123456789")[0] == 0xCBF43926


@settings(max_examples=20, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from([0, 0.004, 0.1, 0.9]))
def test_c_and_python_agree(c_codec, data, zero_share):
    rng = np.random.default_rng(len(data))
    b = bytearray(data)
    for i in range(len(b)):
        if rng.random() < zero_share:
            b[i] = 0
    data = bytes(b)
    crc, rest = _c(c_codec, data)
    enc = cobs.encode(data)
    assert crc == zlib.crc32(data)
    assert rest == enc + data


def test_c_codec_long_runs(c_codec):
    for data in (bytes(range(1, 256)) * 40, b"\x00" * 5000, bytes([7]) * 508 + b"\x00" + bytes([9]) * 254):
        crc, rest = _c(c_codec, data)
        assert crc == zlib.crc32(data) and rest == cobs.encode(data) + data


def test_header_constants_match_c():
    text = (agent_dir() / "agent.h").read_text()
    for m in protocol.Msg:
        assert f"TM_MSG_{m.name} = 0x{m.value:02X}" in text
    for e in protocol.Err:
        assert f"TM_AGENT_ERR_{e.name} = {e.value}" in text
    assert f"TM_PROTO_VERSION {protocol.VERSION}u" in text


def test_fetch_window_is_the_image_slice():
    rng = np.random.default_rng(3)
    image = rng.integers(-128, 128, (1, 9, 7, 3), dtype=np.int8)
    req = protocol.FetchRequest(0, 2, 1, 4, 5, 10, 30)  # rows 2..5, columns 1..5, bytes 10..39
    assert req.window(image) == bytes(image[0, 2:6, 1:6].reshape(-1).view(np.uint8)[10:40])
    assert protocol.FetchRequest.parse(protocol.FETCH.pack(0, 2, 1, 4, 5, 10, 30)) == req


@pytest.mark.parametrize("req, what", [
    ((0, 6, 0, 4, 2, 0, 1), "outside the 9x7 input"),
    ((0, -1, 0, 2, 2, 0, 1), "outside the 9x7 input"),
    ((0, 0, 0, 2, 2, 10, 3), "outside the 4-byte window"),
    ((0, 0, 0, 2, 2, 0, 0), "outside the 4-byte window"),
])
def test_fetch_window_out_of_range_is_refused(req, what):
    with pytest.raises(protocol.FrameError, match=what):
        protocol.FetchRequest(*req).window(np.zeros((1, 9, 7, 1), np.int8))
