"""Scratch sizes of the in-place conv / depthwise kernels (runtime_c/include/tinymem/inplace.h).

The C scratch-size queries compute the same numbers; the generated init() checks that they agree.
Geometry `geo` = (n, h, w, c, oh, ow, oc, kh, kw, sh, sw, dh, dw, pad_top, pad_left).
Not an operator module (the leading underscore keeps the registry from importing it as one).
"""

from __future__ import annotations

INPLACE_PIXELS = 2  # TM_CONV2D_INPLACE_PIXELS


def align8(n: int) -> int:
    return (n + 7) // 8 * 8


def _flushable(geo, q: int, nxt: int, in_row: int, out_row: int) -> bool:
    n, h, w, c, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl = geo
    if nxt >= oh:
        return True
    need = max(nxt * sh - pt, 0)
    if need >= h:
        return True
    lo, hi = need * in_row, h * in_row
    d0 = q * out_row
    return d0 + out_row <= lo or d0 >= hi


def row_slots(geo) -> int:
    """tm_inplace_row_slots: most output rows computed and not yet copied to their place."""
    n, h, w, c, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl = geo
    in_row, out_row = w * c, ow * oc
    done = slots = 0
    for oy in range(oh):
        slots = max(slots, oy + 1 - done)
        while done <= oy and _flushable(geo, done, oy + 1, in_row, out_row):
            done += 1
    return slots


def rows_ok(geo) -> bool:
    """tm_inplace_rows_ok: batch 1 and every output row reads at least one input row."""
    n, h, w, c, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl = geo
    if n != 1:
        return False
    for oy in range(oh):
        y0 = oy * sh - pt
        if min(y0 + (kh - 1) * dh, h - 1) < max(y0, 0):
            return False
    return True


def rows_scratch(geo, base: int, itemsize: int = 1) -> int:
    """Rows mode: the row kernel's scratch (rounded up to 8) + the ring of output rows."""
    if not rows_ok(geo):
        return 0
    ow, oc = geo[5], geo[6]
    return align8(base) + row_slots(geo) * ow * oc * itemsize


def conv_inplace_scratch(geo, base: int, itemsize: int = 1) -> int:
    """tm_conv2d_inplace_{s8,f32}_scratch_size (0: not possible). base: the ordinary kernel's
    scratch (tm_conv2d_s8_scratch_size / tm_conv2d_f32_scratch_size)."""
    n, h, w, c, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl = geo
    pointwise = kh == 1 and kw == 1 and pt == 0 and pl == 0 and (oh - 1) * sh < h and (ow - 1) * sw < w
    if pointwise and sh == 1 and sw == 1 and oh == h and ow == w:
        return INPLACE_PIXELS * c * itemsize
    return rows_scratch(geo, base, itemsize)


def dw_inplace_scratch(geo, base: int, itemsize: int = 1) -> int:
    """tm_depthwise_conv2d_inplace_s8_scratch_size (0: not possible), or with itemsize 4 the
    float32 one (rows mode only). base: the row kernel's scratch (0 for the int8 3x3 kernel)."""
    n, h, w, c, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl = geo
    rows = rows_scratch(geo, base, itemsize)
    if itemsize != 1:
        return rows
    channels_ok = oc == c and sh == 1 and sw == 1 and oh == h and ow == w
    plane = (h + (kh - 1) * dh) * (w + (kw - 1) * dw)  # one channel plane with its padding
    if channels_ok and (rows == 0 or plane < rows):
        return plane
    return rows


def geometry_tuple(node, xs, ys, kh, kw) -> tuple:
    from tinymem.ops.conv2d import geometry

    (sh, sw), (dh, dw), (pt, pl, _, _) = geometry(node)
    return (xs[0], xs[1], xs[2], xs[3], ys[1], ys[2], ys[3], kh, kw, sh, sw, dh, dw, pt, pl)
