"""Attribute arithmetic shared by the ONNX importers of conv and pooling operators, and layout
helpers for channel-last storage of 3-D (N, C, W) and 4-D (N, C, H, W) tensors.

A 1-D conv/pool input [N, C, W] is stored channel-last as [N, W, C] (perm (0, 2, 1)) and seen
by the 2-D kernels as [N, 1, W, C] through an alias reshape, so 1-D models run on the same
kernels with H = 1.
"""

from __future__ import annotations

import math

import numpy as np

NHWC = (0, 2, 3, 1)
NWC = (0, 2, 1)


def identity(rank: int) -> tuple[int, ...]:
    return tuple(range(rank))


def channels_last(rank: int) -> tuple[int, ...]:
    return (0, *range(2, rank), 1)


def window_pads(ctx, node, in_sizes, kernel, strides, dilations, ceil_mode: bool = False):
    """Explicit (begins, ends, out_sizes) of a conv/pool window along each spatial axis.

    Follows ONNX: `pads` [x1_begin, x2_begin, ..., x1_end, ...] or auto_pad SAME_UPPER (extra
    padding at the end), SAME_LOWER (at the beginning), VALID; ceil_mode rounds the output size up
    (a window must start inside the input or its begin padding), which is expressed as extra end
    padding that only off-image taps use.
    """
    n = len(in_sizes)
    auto = ctx.attr(node, "auto_pad", "NOTSET")
    eff = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        begins, ends = [], []
        for size, e, s in zip(in_sizes, eff, strides):
            out = -(-size // s)
            total = max((out - 1) * s + e - size, 0)
            small, big = total // 2, total - total // 2
            begins.append(small if auto == "SAME_UPPER" else big)
            ends.append(big if auto == "SAME_UPPER" else small)
    elif auto == "VALID":
        begins, ends = [0] * n, [0] * n
    elif auto == "NOTSET":
        pads = list(ctx.attr(node, "pads", [0] * (2 * n)))
        if len(pads) != 2 * n:
            ctx.unsupported(node, f"pads {pads} for {n} spatial axes")
        begins, ends = pads[:n], pads[n:]
    else:
        ctx.unsupported(node, f"auto_pad {auto}")
    outs = []
    for i, (size, e, s) in enumerate(zip(in_sizes, eff, strides)):
        span = size + begins[i] + ends[i] - e
        if span < 0:
            ctx.unsupported(node, f"a window larger than the padded input ({e} > {size + begins[i] + ends[i]})")
        if ceil_mode and auto == "NOTSET":
            out = math.ceil(span / s) + 1
            if (out - 1) * s >= size + begins[i]:
                out -= 1
            ends[i] += max(0, (out - 1) * s + e - (size + begins[i] + ends[i]))
        else:
            out = span // s + 1
        outs.append(out)
    return list(begins), list(ends), outs


def as_2d(ctx, name: str) -> tuple[str, tuple[int, ...]]:
    """IR name and ONNX shape of a 3-D or 4-D activation as an NHWC tensor (3-D gets H = 1)."""
    rank = ctx.rank(name)
    if rank == 4:
        return ctx.input(name, NHWC), ctx.shape(name)
    if rank == 3:
        n, c, w = ctx.shape(name)
        x = ctx.input(name, NWC)
        return ctx.reshape(x, (n, 1, w, c), hint=ctx.fresh(f"{name}_h1")), (n, c, 1, w)
    ctx.unsupported(ctx.node, f"a rank-{rank} input (1-D and 2-D windows are supported)")


def output_2d(ctx, name: str, dtype: str | None = None) -> tuple[str, callable]:
    """(IR tensor to write as NHWC, finish()) for the output of a windowed op.

    For a 3-D ONNX output the op writes a [N, 1, W, C] temporary that `finish()` aliases to the
    [N, W, C] channel-last ONNX tensor.
    """
    rank = ctx.rank(name)
    if rank == 4:
        return ctx.output(name, NHWC, dtype), lambda: None
    n, c, w = ctx.shape(name)
    final = ctx.output(name, NWC, dtype)
    tmp = ctx.temp(f"{name}_h1", (n, 1, w, c), ctx.graph.tensor(final).dtype, ctx.graph.tensor(final).quant)

    def finish():
        ctx.add_node("reshape", [tmp], [final])

    return tmp, finish


def spatial_2d(values, fill) -> list[int]:
    """[h, w] from per-spatial-axis ONNX values (1-D ops get h = fill)."""
    values = [int(v) for v in values]
    return values if len(values) == 2 else [fill] + values


def float_attr(value) -> float:
    return float(np.float32(value))


def elementwise(op: str, ctx, node, attrs: dict | None = None) -> None:
    """A broadcasting binary op (Add, Sub, Mul, PRelu): inputs in one common order."""
    (a, b), perm = ctx.broadcast([node.input[0], node.input[1]], ctx.rank(node.output[0]))
    ctx.add_node(op, [a, b], [ctx.output(node.output[0], perm)], attrs)


def last_axis_op(op: str, ctx, node, attrs: dict | None = None) -> None:
    """Softmax / LogSoftmax: the IR ops normalise over the last axis.

    opset >= 13: one axis (default -1), stored in an order that puts it last (NHWC already does
    for axis 1 of a 4-D tensor). opset < 13: the input is coerced to 2-D at `axis` (default 1)
    and normalised over the flattened trailing dims."""
    name = node.input[0]
    rank = ctx.rank(name)
    axis = int(ctx.attr(node, "axis", -1 if ctx.opset >= 13 else 1)) % rank
    if ctx.opset < 13 and axis != rank - 1:
        shape = ctx.shape(name)
        rows, cols = int(np.prod(shape[:axis], dtype=np.int64)), int(np.prod(shape[axis:], dtype=np.int64))
        x2 = ctx.reshape(ctx.input(name, identity(rank)), (rows, cols), hint=ctx.fresh(f"{name}_2d"))
        y2 = ctx.temp(f"{node.output[0]}_2d", (rows, cols), ctx.graph.tensor(x2).dtype)
        ctx.add_node(op, [x2], [y2], attrs)
        ctx.add_node("reshape", [y2], [ctx.output(node.output[0])], suffix="reshape")
        return
    perm = ctx.perm(name)
    if perm[-1] != axis:
        perm = tuple(p for p in range(rank) if p != axis) + (axis,)
    ctx.add_node(op, [ctx.input(name, perm)], [ctx.output(node.output[0], perm)], attrs)


def qdq_params(ctx, node, what: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(scale, zero point or None) of a QuantizeLinear / DequantizeLinear: constants only."""
    scale = ctx.const(node.input[1])
    zp_name = node.input[2] if len(node.input) > 2 else ""
    zp = ctx.const(zp_name) if zp_name else None
    if scale is None or (zp_name and zp is None):
        ctx.unsupported(node, f"a non-constant {what} scale or zero point")
    if int(ctx.attr(node, "block_size", 0) or 0):
        ctx.unsupported(node, "blocked quantization (block_size)")
    return np.asarray(scale, dtype=np.float32), None if zp is None else np.asarray(zp)
