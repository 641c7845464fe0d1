"""Mean: TFLite MEAN (int8, int16, float32); also the target of ONNX GlobalAveragePool/ReduceMean.

IR: mean(input) -> output, attrs
  axes:      sorted list of distinct non-negative input axes to reduce (the axis tensor resolved:
             negatives wrapped, duplicates dropped)
  keep_dims: bool; only decides the output shape (reduced axes kept as 1 or removed)

Numerics (TFLM reduce_common.cc / reference reduce.h):
  float32: per output, the float32 sum of its inputs in row-major order from 0.0f, divided by
           float(count).
  int8/int16: QuantizedMeanOrSum, whether or not input and output quantization are equal (the
           installed TFLM no longer takes a truncating path for equal quantization): the
           multiplier of in_scale/out_scale (QuantizeMultiplier) is rescaled by 1/count
           (s = min(floor(log2(count)), 32, 31 + shift), multiplier = (multiplier << s) // count),
           then out = clamp(MultiplyByQuantizedMultiplier(int32 sum - in_zp*count, multiplier,
           shift - s) + out_zp) to the dtype's range (round half away from zero). No fused act.

The C kernels take the input as [outer, reduce, inner]: they need the reduced axes to be
contiguous once size-1 axes are ignored (H,W of NHWC, the last axes, all axes, ...); other axis
sets are reported unsupported at emission.
"""

from __future__ import annotations

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ops.op import Op
from tinymem.ops.registry import register
from tinymem.quant.fixedpoint import multiply_by_quantized_multiplier
from tinymem.quant.multiplier import quantize_multiplier

_QRANGE = {"s8": (-128, 127), "s16": (-32768, 32767)}


def mean_requant(in_scale: float, out_scale: float, count: int) -> tuple[int, int]:
    """TFLM's (multiplier, shift) for sum -> mean in the output scale (count folded in)."""
    mult, shift = quantize_multiplier(float(np.float32(in_scale)) / float(np.float32(out_scale)))
    s = min(count.bit_length() - 1, 32, 31 + shift)
    return int((mult << s) // count), shift - s


def collapse(shape: tuple[int, ...], axes: list[int]) -> tuple[int, int, int] | None:
    """(outer, reduce, inner) sizes when the reduced axes are one contiguous block once size-1
    axes are ignored; None otherwise."""
    kept = [(d, a in axes) for a, d in enumerate(shape) if d != 1]
    flags = [r for _, r in kept]
    if True not in flags:
        return int(np.prod(shape, dtype=np.int64)), 1, 1
    first, last = flags.index(True), len(flags) - 1 - flags[::-1].index(True)
    if not all(flags[first:last + 1]):
        return None
    sizes = [d for d, _ in kept]
    prod = lambda v: int(np.prod(v, dtype=np.int64))  # noqa: E731
    return prod(sizes[:first]), prod(sizes[first:last + 1]), prod(sizes[last + 1:])


@register
class Mean(Op):
    name = "mean"
    tflite = ("MEAN",)
    onnx = ("GlobalAveragePool", "ReduceMean")

    def import_tflite(self, ctx, op):
        ins = ctx.inputs(op)
        x = ctx.graph.tensor(ins[0])
        axis = ctx.graph.const(ins[1])
        if axis is None:
            raise UnsupportedOperatorError(f"{ctx.node_name()}: MEAN with a non-constant axis tensor")
        rank = len(x.shape)
        axes = sorted({int(a) + rank if a < 0 else int(a) for a in np.asarray(axis).reshape(-1)})
        if any(not 0 <= a < rank for a in axes):
            raise UnsupportedOperatorError(f"{ctx.node_name()}: MEAN axis out of range for shape {x.shape}")
        keep = bool(ctx.options(op).get("keep_dims", False))
        node = ctx.add_node(self.name, ins[:1], ctx.outputs(op)[:1], {"axes": axes, "keep_dims": keep})
        self._check(node, ctx.graph)

    def _check(self, node, g):
        x, y = g.tensor(node.inputs[0]), g.tensor(node.outputs[0])
        where = f"operator mean (node {node.name})"
        if x.dtype != y.dtype or x.dtype not in ("f32", "s8", "s16"):
            raise UnsupportedOperatorError(f"{where}: dtype {x.dtype} -> {y.dtype} is not supported")
        if x.dtype != "f32" and (x.quant is None or y.quant is None or x.quant.per_channel
                                 or y.quant.per_channel):
            raise UnsupportedOperatorError(f"{where}: integer mean needs per-tensor quantization")
        if y.size != int(np.prod(self.infer(node, g)[0], dtype=np.int64)):
            raise UnsupportedOperatorError(f"{where}: output shape {y.shape} does not match the reduction")

    def import_onnx(self, ctx, node):
        """GlobalAveragePool (mean over H, W keeping dims) and ReduceMean with constant axes."""
        name = node.input[0]
        rank = ctx.rank(name)
        if node.op_type == "GlobalAveragePool":
            axes, keep = list(range(2, rank)), True
        else:
            keep = bool(ctx.attr(node, "keepdims", 1))
            if ctx.opset >= 18:
                given = len(node.input) > 1 and node.input[1]
                if given and ctx.const(node.input[1]) is None:
                    ctx.unsupported(node, "non-constant axes")
                axes = [int(a) for a in np.asarray(ctx.const(node.input[1])).reshape(-1)] if given else None
            else:
                axes = ctx.attr(node, "axes")
            if not axes:
                if ctx.attr(node, "noop_with_empty_axes", 0):
                    return ctx.unary(node, "identity")
                axes = list(range(rank))
            axes = sorted({int(a) % rank for a in axes})
        shape, perm = ctx.shape(name), ctx.perm(name)
        if collapse(tuple(shape[p] for p in perm), [perm.index(a) for a in axes]) is None:
            perm = tuple(range(rank))  # the kernel needs the reduced axes contiguous
        if keep:
            out_perm = perm
        else:
            rest = [p for p in perm if p not in axes]
            out_perm = tuple(sorted(rest).index(p) for p in rest)
        ctx.add_node(self.name, [ctx.input(name, perm)], [ctx.output(node.output[0], out_perm)],
                     {"axes": sorted(perm.index(a) for a in axes), "keep_dims": keep})

    def infer(self, node, g):
        shape = g.tensor(node.inputs[0]).shape
        axes = node.attrs["axes"]
        if node.attrs["keep_dims"]:
            return [tuple(1 if a in axes else d for a, d in enumerate(shape))]
        return [tuple(d for a, d in enumerate(shape) if a not in axes)]

    def _count(self, node, g) -> int:
        shape = g.tensor(node.inputs[0]).shape
        return int(np.prod([shape[a] for a in node.attrs["axes"]], dtype=np.int64))

    def reference(self, node, g, inputs):
        self._check(node, g)
        x = inputs[0]
        xt, y = g.tensor(node.inputs[0]), g.tensor(node.outputs[0])
        axes = tuple(node.attrs["axes"])
        count = self._count(node, g)
        kept = [a for a in range(x.ndim) if a not in axes]
        # [kept..., reduced...] so that the reduced elements of one output are in row-major order
        xr = np.transpose(x, kept + list(axes)).reshape(
            [x.shape[a] for a in kept] + [count])
        if x.dtype == np.float32:
            acc = np.zeros(xr.shape[:-1], dtype=np.float32)
            for r in range(count):  # sequential float32 sum, like TFLM
                acc = acc + xr[..., r]
            return [(acc / np.float32(count)).astype(np.float32).reshape(y.shape)]
        total = xr.astype(np.int64).sum(axis=-1)
        mult, shift = mean_requant(xt.scale, y.scale, count)
        shifted = (total - xt.zero_point * count).astype(np.int32)
        q = multiply_by_quantized_multiplier(shifted, mult, shift).astype(np.int64) + y.zero_point
        q = np.clip(q, *_QRANGE[y.dtype])
        return [q.astype(x.dtype).reshape(y.shape)]

    def emit(self, node, g, em):
        self._check(node, g)
        xt, y = g.tensor(node.inputs[0]), g.tensor(node.outputs[0])
        shape3 = collapse(xt.shape, node.attrs["axes"])
        if shape3 is None:
            em.unsupported(node, f"reducing axes {node.attrs['axes']} of shape {list(xt.shape)} "
                                 "(not one contiguous block)")
        outer, reduce, inner = shape3
        dims = em.params("tm_mean_dims", node, f"{{{outer}, {reduce}, {inner}}}")
        args = f"&{dims}, {em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}"
        if y.dtype == "f32":
            return em.call("tm_mean_f32", args)
        qmin, qmax = _QRANGE[y.dtype]
        if reduce * (qmax + 1) > 2**31 - 1:
            em.unsupported(node, f"averaging {reduce} elements (the int32 sum could overflow)")
        mult, shift = mean_requant(xt.scale, y.scale, reduce)
        params = em.params("tm_mean_params", node,
                           f"{{{-xt.zero_point * reduce}, {mult}, {shift}, {y.zero_point}, {qmin}, {qmax}}}")
        return em.call(f"tm_mean_{y.dtype}", f"&{dims}, &{params}, {em.ptr(node.inputs[0])}, "
                       f"{em.ptr(node.outputs[0])}")
