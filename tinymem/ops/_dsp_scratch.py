"""Scratch sizes of the Cortex-M DSP-extension kernels (runtime_c/kernels_arm), planned when the
model is compiled for a board whose firmware uses them (Graph.kernels == "dsp").

Their C scratch-size queries compute the same numbers. Each is at least the portable kernel's
size for the same layer, so a plan made for these kernels also runs the portable ones.
Geometry `geo` as in tinymem.ops._inplace. Not an operator module (leading underscore).
"""

from __future__ import annotations

from tinymem.ops._inplace import align8, dw_inplace_scratch, rows_scratch

PANEL_BYTES = 3072  # TM_ARM_PANEL_BYTES: most bytes of re-laid-out conv weights
PANEL_MAX = 32  # filters per panel at most
SUB_BYTES = 84  # sizeof(tm__sub): bias and requantization constants of 4 filters
COPY_BYTES = 1024  # in-place pointwise conv: most bytes of input pixels copied at a time
GROUP_BYTES = 3072  # in-place 3x3 depthwise: most bytes of gathered channel planes
CHUNK = 32  # 3x3 depthwise: channels whose constants are prepared together
DWC_BYTES = 44  # sizeof(tm__dwc): one channel's 3x3 depthwise constants


def conv_scratch(npix: int, c: int, oc: int, kh: int, kw: int, groups: int, pointwise: bool,
                 rows: int) -> int:
    """tm_conv2d_s8_scratch_size: the portable `rows` bytes, and when the panel path runs (one
    group, two output pixels at least), at a multiple of 8 after them the panel's constants and
    re-laid-out weights."""
    rowb = kw * c
    depth4 = kh * ((rowb + 3) // 4)
    if groups != 1 or npix < 2 or (c % 4 != 0 if pointwise else rowb % 4 != 0 and rowb < 3):
        return rows
    pf = min(4 * (PANEL_BYTES // (32 * depth4)), (oc + 3) // 4 * 4, PANEL_MAX)
    return align8(rows) + pf // 4 * (SUB_BYTES + 32 * depth4) if pf > 0 else rows


def conv_inplace_scratch(geo, groups: int, portable: int) -> int:
    """tm_conv2d_inplace_s8_scratch_size: pointwise layers (pixels mode) with in.c <= 256 take
    their pixels in chunks of up to 1 KB, copied to the scratch, followed by the panel of a
    chunk; otherwise `portable` (whose rows mode already counts the DSP row kernel's scratch)."""
    n, h, w, c, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl = geo
    pixels = kh == kw == 1 and pt == pl == 0 and sh == sw == 1 and (oh, ow) == (h, w)
    if not pixels or 4 * c > COPY_BYTES:
        return portable
    k = min(n * h * w, COPY_BYTES // c)
    return max(portable, align8(k * c) + conv_scratch(k, c, oc, 1, 1, groups, True, 0))


def dw3x3_scratch(c: int) -> int:
    """tm_depthwise_conv2d_3x3_s8_scratch_size: the constants of a chunk of channels."""
    return min(c, CHUNK) * DWC_BYTES


def dw_inplace_3x3_scratch(geo) -> int:
    """tm_depthwise_conv2d_inplace_s8_scratch_size for 3x3, multiplier 1: the rows mode runs the
    DSP 3x3 kernel (with its scratch); the channels mode, for planes of at most 3 KB, gathers
    groups of channel planes into the scratch, then their constants."""
    n, h, w, c, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl = geo
    base = dw3x3_scratch(c)
    portable = dw_inplace_scratch(geo, base)
    if portable == 0 or portable == rows_scratch(geo, base) or h * w > GROUP_BYTES:
        return portable  # not possible, or the rows mode
    group = min(GROUP_BYTES // (h * w), CHUNK, c)
    return max(portable, align8(group * h * w) + group * DWC_BYTES)
