"""AN3155 flasher against the bootloader double: writes and verifies an image; every injected fault
(NACK, checksum error, timeout, disconnect mid-write, read-back mismatch, write protection, wrong
chip) gives a clear error and never reports success. Plus image formats and non-serial boards."""

import struct

import numpy as np
import pytest
from click.testing import CliRunner

from tests.serial.an3155_double import BootloaderDouble, DoubleFaults, FlashModel
from tinymem.errors import InputError, TinymemError
from tinymem.serial import an3155
from tinymem.serial.an3155 import (EXTENDED_ERASE, GET_ID, WRITE_MEMORY, BootloaderDisconnected, BootloaderNack,
                                   BootloaderTimeout, FlashError, FlashLayout, VerifyError)
from tinymem.serial.cli import flash as flash_cmd
from tinymem.serial.flash import flash, flash_config
from tinymem.serial.image import Segment, load_elf, load_hex, load_image, write_hex, write_uf2

BASE = 0x08000000
PAGES = [(32, 4096)]  # a 128 KiB model of the L4R5's 4 KiB pages
LAYOUT = FlashLayout(BASE, PAGES, 0x470)


def elf32(segments: list[tuple[int, int, bytes]]) -> bytes:
    """A minimal ARM ELF32 with PT_LOAD program headers (vaddr, paddr, data)."""
    phoff, n = 52, len(segments)
    data_off = phoff + 32 * n
    head = bytearray(b"\x7fELF\x01\x01\x01" + bytes(9))
    head += struct.pack("<HHIIIIIHHHHHH", 2, 40, 1, segments[0][1], phoff, 0, 0x5000200, 52, 32, n, 40, 0, 0)
    ph, body = bytearray(), bytearray()
    for vaddr, paddr, data in segments:
        ph += struct.pack("<IIIIIIII", 1, data_off + len(body), vaddr, paddr, len(data), len(data) + 64, 5, 4)
        body += data
    return bytes(head + ph + body)


@pytest.fixture
def image():
    rng = np.random.default_rng(1)
    text = rng.integers(0, 256, 9000, dtype=np.uint8).tobytes()  # vector table + code
    data = rng.integers(0, 256, 300, dtype=np.uint8).tobytes()    # .data's load image right behind
    return [Segment(BASE, text), Segment(BASE + 9000 + 8, data)]


def _open(path):
    import serial

    return serial.serial_for_url(path, baudrate=115200, parity=serial.PARITY_EVEN, timeout=0.05)


def _flash(double, image, **kw):
    port = _open(double.path)
    try:
        return an3155.flash_image(port, image, LAYOUT, timeout=kw.pop("timeout", 0.5), erase_timeout_per_page=0.5, **kw)
    finally:
        port.close()


def _image_in(double, image) -> bool:
    return all(double.flash.read(s.address, len(s.data)) == s.data for s in image)


def test_writes_and_verifies(image):
    seen = []
    with BootloaderDouble(FlashModel(BASE, PAGES)) as d:
        r = _flash(d, image, progress=lambda phase, done, total: seen.append((phase, done, total)))
        assert _image_in(d, image)
        assert d.flash.erased == [0, 1, 2]  # only the pages the image covers
        assert d.go_address == BASE and r.started
        assert (r.chip_id, r.bootloader_version, r.pages_erased, r.bytes_written) == (0x470, 0x31, 3, 9300)
        # untouched flash stays erased
        assert d.flash.read(BASE + 3 * 4096, 16) == b"\xff" * 16
    writes = [s for s in seen if s[0] == "write"]
    verifies = [s for s in seen if s[0] == "verify"]
    assert writes[-1][1] == writes[-1][2] == verifies[-1][1] and len(writes) == 37


def test_no_go_stays_in_bootloader(image):
    with BootloaderDouble(FlashModel(BASE, PAGES)) as d:
        r = _flash(d, image, go=False)
        assert d.go_address is None and not r.started


FAULTS = {
    "nack on write": (DoubleFaults(nack=(WRITE_MEMORY, 3)), BootloaderNack, "WRITE MEMORY: the bootloader answered NACK"),
    "nack on erase": (DoubleFaults(nack=(EXTENDED_ERASE, 1)), BootloaderNack, "EXTENDED ERASE"),
    "checksum error": (DoubleFaults(corrupt_write=2), BootloaderNack, "WRITE MEMORY at 0x08000100: data: the bootloader answered NACK (checksum"),
    "timeout": (DoubleFaults(silent=(WRITE_MEMORY, 5)), BootloaderTimeout, "no answer from the bootloader"),
    "disconnect mid-write": (DoubleFaults(disconnect_write=4), (BootloaderDisconnected, BootloaderTimeout), "lost the serial port"),
    "read-back mismatch": (DoubleFaults(bitrot_write=7), VerifyError, "read-back differs at 0x08000603"),
    "not in bootloader": (DoubleFaults(asleep=True), BootloaderTimeout, "BOOT0"),
    "get id times out": (DoubleFaults(silent=(GET_ID, 1)), BootloaderTimeout, "GET ID"),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_each_fault_is_a_clear_error(image, name):
    faults, exc, message = FAULTS[name]
    with BootloaderDouble(FlashModel(BASE, PAGES), faults) as d:
        with pytest.raises(exc) as e:
            _flash(d, image, timeout=0.3)
        assert isinstance(e.value, FlashError)
        if name != "disconnect mid-write" or isinstance(e.value, BootloaderDisconnected):
            assert message in str(e.value)
        assert d.go_address is None  # never started a half-written firmware


def test_write_protected_page(image):
    with BootloaderDouble(FlashModel(BASE, PAGES, protected={1})) as d:
        with pytest.raises(BootloaderNack, match="EXTENDED ERASE of pages 0..2"):
            _flash(d, image)


def test_programming_unerased_flash_fails():
    """The flash model refuses to program a word twice: a stale image without erase is caught."""
    flash_model = FlashModel(BASE, PAGES)
    flash_model.write(BASE, b"\x00" * 8)
    with BootloaderDouble(flash_model) as d:
        port = _open(d.path)
        bl = an3155.Stm32Bootloader(port, timeout=0.5)
        bl.sync()
        bl.get()
        with pytest.raises(BootloaderNack, match="WRITE MEMORY at 0x08000000"):
            bl.write_memory(BASE, b"\x01" * 8)
        bl.erase_pages([0])
        bl.write_memory(BASE, b"\x01" * 8)
        assert bl.read_memory(BASE, 8) == b"\x01" * 8
        port.close()


def test_wrong_chip(image):
    with BootloaderDouble(FlashModel(BASE, PAGES), chip_id=0x449) as d:
        with pytest.raises(FlashError, match="chip id 0x449, the board expects 0x470"):
            _flash(d, image)
        assert d.flash.erased == []


def test_image_outside_flash():
    with pytest.raises(FlashError, match="outside the flash"):
        LAYOUT.pages_for([Segment(0x20000000, b"1234")])


def test_blocks_are_aligned_and_skip_erased():
    b = an3155.blocks([Segment(BASE + 250, b"\x01" * 10), Segment(BASE + 1024, b"\xff" * 256)])
    assert list(b) == [BASE, BASE + 256]
    assert b[BASE][250:256] == b"\x01" * 6 and b[BASE][:250] == b"\xff" * 250


@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "stm32f746g-disco", "nucleo-h743zi"])
def test_repository_boards_have_a_consistent_flash_layout(board):
    """boards/<board>/board.toml (when present) merged with the built-in geometry."""
    cfg = flash_config(board)
    assert cfg.method == "stm32-uart-bootloader" and cfg.base == BASE
    assert cfg.layout().size == cfg.size and cfg.chip_id is not None


def test_f7_sector_numbers():
    cfg = flash_config("stm32f746g-disco")
    lay = cfg.layout()
    assert lay.size == 1 << 20
    assert lay.pages_for([Segment(BASE + 0x1F000, b"x" * 0x2000)]) == [3, 4]


# ---- images ----

def test_elf_hex_bin(tmp_path, image):
    elf = elf32([(BASE, BASE, image[0].data), (0x20000000, BASE + 9008, image[1].data)])
    segs = load_elf(elf)
    assert [(s.address, s.data) for s in segs] == [(s.address, s.data) for s in image]
    assert [(s.address, s.data) for s in load_hex(write_hex(segs))] == [(s.address, s.data) for s in image]
    (tmp_path / "fw.bin").write_bytes(b"abcd")
    assert load_image(tmp_path / "fw.bin", BASE)[0].address == BASE
    with pytest.raises(InputError, match="checksum"):
        load_hex(":0100000001FF\n")


def test_uf2_blocks():
    uf2 = write_uf2([Segment(0x10000000, bytes(range(256)) * 2 + b"x")], 0xE48BFF56)
    assert len(uf2) == 3 * 512
    magic0, magic1, flags, addr, size, no, total, fam = struct.unpack_from("<8I", uf2, 512)
    assert (magic0, magic1, addr, size, no, total, fam) == (0x0A324655, 0x9E5D5157, 0x10000100, 256, 1, 3, 0xE48BFF56)
    assert struct.unpack_from("<I", uf2, 1020)[0] == 0x0AB16F30


# ---- the command ----

def _out_with_firmware(tmp_path, board, image):
    out = tmp_path / "out"
    fw = out / "firmware" / board
    fw.mkdir(parents=True)
    (fw / "firmware.elf").write_bytes(elf32([(s.address, s.address, s.data) for s in image]))
    return out


def test_cli_flashes_and_verifies(tmp_path, image):
    out = _out_with_firmware(tmp_path, "nucleo-l4r5zi", image)
    flash_model = FlashModel(BASE, [(512, 4096)])
    with BootloaderDouble(flash_model) as d:
        r = CliRunner().invoke(flash_cmd, [str(out), "--board", "nucleo-l4r5zi", "--port", d.path])
        assert r.exit_code == 0, r.output + repr(r.exception)
        assert "read back and verified" in r.output and "firmware started" in r.output
        assert _image_in(d, image)


@pytest.mark.parametrize("name", ["checksum error", "read-back mismatch", "disconnect mid-write"])
def test_cli_never_reports_success_on_faults(tmp_path, image, name):
    out = _out_with_firmware(tmp_path, "nucleo-l4r5zi", image)
    with BootloaderDouble(FlashModel(BASE, [(512, 4096)]), FAULTS[name][0]) as d:
        r = CliRunner().invoke(flash_cmd, [str(out), "--board", "nucleo-l4r5zi", "--port", d.path, "--timeout", "0.3"])
        assert r.exit_code != 0 and isinstance(r.exception, FlashError)
        assert "verified" not in r.output and "flashed" not in r.output


def test_cli_needs_firmware_and_port(tmp_path):
    (tmp_path / "out").mkdir()
    r = CliRunner().invoke(flash_cmd, [str(tmp_path / "out"), "--board", "nucleo-l4r5zi", "--port", "loop://"])
    assert isinstance(r.exception, InputError) and "tinymem build" in str(r.exception)
    with pytest.raises(InputError, match="--port"):
        flash(_out_with_firmware(tmp_path, "nucleo-h743zi", [Segment(BASE, b"1234")]), "nucleo-h743zi", None)


def test_boards_without_serial_bootloader(tmp_path):
    seg = [Segment(0x0, b"\x01\x02\x03\x04" * 70)]
    out = _out_with_firmware(tmp_path, "nrf52840-dk", seg)
    with pytest.raises(TinymemError, match="nrfjprog -f nrf52 --program .*firmware.hex"):
        flash(out, "nrf52840-dk", "/dev/ttyACM0")
    assert load_hex((out / "firmware" / "nrf52840-dk" / "firmware.hex").read_text())[0].data == seg[0].data
    pico = [Segment(0x10000000, b"\x05" * 600)]
    out2 = _out_with_firmware(tmp_path / "p", "rpi-pico", pico)
    with pytest.raises(TinymemError, match="picotool load -x .*firmware.uf2"):
        flash(out2, "rpi-pico", None)
    drive = tmp_path / "RPI-RP2"
    drive.mkdir()
    (drive / "INFO_UF2.TXT").write_text("UF2 Bootloader v3.0\n")
    msg = flash(out2, "rpi-pico", str(drive))
    assert "copied" in msg and (drive / "firmware.uf2").stat().st_size == 3 * 512
    with pytest.raises(TinymemError, match="emulated"):
        flash(out2, "mps2-an386", None)
    with pytest.raises(InputError, match="unknown board"):
        flash(out2, "no-such-board", None)


def test_board_toml_overrides(tmp_path):
    d = tmp_path / "boards" / "my-l4"
    d.mkdir(parents=True)
    (d / "board.toml").write_text('[flash]\nmethod = "stm32-uart-bootloader"\nbase = 0x08000000\n'
                                  'size = "64K"\nchip_id = 0x470\npages = [[16, 4096]]\n')
    cfg = flash_config("my-l4", tmp_path / "boards")
    assert cfg.layout().size == 65536 and cfg.chip_id == 0x470
    (d / "board.toml").write_text('[flash]\nmethod = "stm32-uart-bootloader"\nbase = 0x08000000\n'
                                  'size = "64K"\nchip_id = 0x470\npages = [[15, 4096]]\n')
    with pytest.raises(TinymemError, match="pages add up to 61440 bytes"):
        flash_config("my-l4", tmp_path / "boards").layout()
    (d / "board.toml").write_text('[flash]\nmethod = "jtag"\n')
    with pytest.raises(TinymemError, match="method"):
        flash_config("my-l4", tmp_path / "boards")
