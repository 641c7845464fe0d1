"""FullyConnected: TFLite FULLY_CONNECTED; ONNX Gemm and MatMul with a constant right operand.

IR: fully_connected(input, weights[out, in], bias?) {act, keep_num_dims}.
  act: fused activation ("none" | "relu" | "relu6" | "relu_n1_to_1").
  keep_num_dims: bool (default False). The input is read as [size / in, in] (TFLite semantics);
    the output is [batches, out], or input.shape[:-1] + [out] when keep_num_dims is set.
Quantization (int8): input and output per tensor; weights per tensor (any zero point, applied as
TFLM's per-tensor kernel does) or per output channel (axis 0, symmetric: TFLM's per-channel
kernel ignores the weight zero point); bias int32 with scale input_scale * weight_scale.

Codegen: with constant weights (and a constant or absent bias), the input-offset terms are
folded at compile time into an effective bias, so the C inner loop is a plain int8 dot product:
  eff_bias[o] = bias[o] + input_offset * sum_d w[o, d] + depth * input_offset * weight_offset
computed modulo 2^32 (see runtime_c/include/tinymem/fully_connected.h for why that is exact).
"""

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ops.op import Op, exact_matmul
from tinymem.ops.registry import register
from tinymem.quant.activation import activation_range, clamp
from tinymem.quant.fixedpoint import multiply_by_quantized_multiplier
from tinymem.quant.multiplier import quantize_multiplier


def requant_params(g, in_name: str, w_name: str, out_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (or per-tensor) Q31 multipliers and shifts for in*w -> out (TFLite rules)."""
    s_in = np.float64(g.tensor(in_name).scale)
    s_w = g.tensor(w_name).quant.scale.astype(np.float64)
    s_out = np.float64(g.tensor(out_name).scale)
    pairs = [quantize_multiplier(s_in * s / s_out) for s in s_w]
    return (np.array([m for m, _ in pairs], dtype=np.int32), np.array([s for _, s in pairs], dtype=np.int32))


def _wrap32(v) -> np.ndarray:
    """int64 values reduced modulo 2^32 to int32 (two's complement)."""
    return np.asarray(v, dtype=np.int64).astype(np.uint32).astype(np.int32)


def weight_offset(g, w_name: str) -> int:
    """-weight zero point for per-tensor weights; 0 for per-channel (TFLM ignores it there)."""
    q = g.tensor(w_name).quant
    return 0 if q.per_channel else -int(q.zero_point[0])


def effective_bias(w: np.ndarray, bias: np.ndarray | None, input_offset: int, w_offset: int) -> np.ndarray:
    """bias + input_offset * sum(w[o]) + depth * input_offset * weight_offset, modulo 2^32."""
    w = np.asarray(w, dtype=np.int64)
    acc = input_offset * (w.sum(axis=1) + w.shape[1] * w_offset)
    if bias is not None:
        acc = acc + np.asarray(bias, dtype=np.int64)
    return _wrap32(acc)


@register
class FullyConnected(Op):
    name = "fully_connected"
    tflite = ("FULLY_CONNECTED",)
    onnx = ("Gemm", "MatMul")

    def import_tflite(self, ctx, op):
        opts = ctx.options(op)
        if opts.get("weights_format", 0) != 0:
            raise UnsupportedOperatorError(f"FULLY_CONNECTED (node {ctx.node_name()}): shuffled "
                                           "weights format is not supported")
        ctx.add_node(self.name, ctx.inputs(op)[:3], ctx.outputs(op)[:1],
                     {"act": opts.get("fused_activation_function", "none"),
                      "keep_num_dims": bool(opts.get("keep_num_dims", False))})

    def import_onnx(self, ctx, node):
        """Gemm (alpha, beta, transA, transB; C per output or broadcast) and MatMul with a constant
        rank-1 or rank-2 B. Leading dims of A are batches; the output is reshaped to ONNX's."""
        a, b = node.input[0], node.input[1]
        if not ctx.is_const(b):
            ctx.unsupported(node, "a non-constant B (weights) operand")
        bshape = ctx.shape(b)
        if len(bshape) > 2:
            ctx.unsupported(node, f"a rank-{len(bshape)} (batched) B operand")
        gemm = node.op_type == "Gemm"
        alpha = float(ctx.attr(node, "alpha", 1.0)) if gemm else 1.0
        beta = float(ctx.attr(node, "beta", 1.0)) if gemm else 1.0
        trans_b = gemm and bool(ctx.attr(node, "transB", 0))
        if len(bshape) == 1:
            n_out, w = 1, ctx.weight(b, (0,), (1, bshape[0]))
        else:
            n_out = bshape[0] if trans_b else bshape[1]
            w = ctx.weight(b, (0, 1) if trans_b else (1, 0))  # IR weights [out, in]
        if alpha != 1.0:
            wt = ctx.graph.tensor(w)
            if not wt.is_const:
                ctx.unsupported(node, "alpha != 1 with quantized weights")
            w = ctx.graph.add_const(ctx.fresh(f"{b}_alpha"), (wt.data * np.float32(alpha)).astype(wt.data.dtype))
        x = ctx.input(a, tuple(range(ctx.rank(a))))
        if gemm and ctx.attr(node, "transA", 0):
            x = ctx.transpose(x, (1, 0), hint=ctx.fresh(f"{a}_t"))
        ins = [x, w]
        c = node.input[2] if gemm and len(node.input) > 2 and node.input[2] else None
        if c is not None and ctx.is_const(c) and int(np.prod(ctx.shape(c))) in (1, n_out) \
                and (len(ctx.shape(c)) < 2 or ctx.shape(c)[0] == 1):
            if ctx.const(c) is not None:
                v = np.asarray(ctx.const(c), np.float32).reshape(-1) * np.float32(beta)
                ins.append(ctx.graph.add_const(ctx.fresh(c), np.ascontiguousarray(np.broadcast_to(v, (n_out,)))))
            elif beta == 1.0 and int(np.prod(ctx.shape(c))) == n_out:
                ins.append(ctx.weight(c, tuple(range(ctx.rank(c))), (n_out,)))
            else:
                ctx.unsupported(node, "a quantized C with beta != 1")
            c = None
        out, oshape = node.output[0], ctx.shape(node.output[0])
        if c is None and len(oshape) == 2 and len(bshape) == 2:
            return ctx.add_node(self.name, ins, [ctx.output(out)], {"act": "none"})
        rows = int(np.prod(oshape[:-1], dtype=np.int64)) if len(oshape) > 1 else 1
        mid = ctx.temp(f"{out}_fc", (rows, n_out), ctx.dtype(out))
        ctx.add_node(self.name, ins, [mid], {"act": "none"})
        if c is None:
            return ctx.add_node("reshape", [mid], [ctx.output(out)], suffix="reshape")
        if beta != 1.0:
            ctx.unsupported(node, "beta != 1 with a non-constant or full-matrix C")
        (cb,), _ = ctx.broadcast([c], 2)
        ctx.add_node("add", [mid, cb], [ctx.output(out)], {"act": "none"}, suffix="add_c")

    def infer(self, node, g):
        x, w = g.tensor(node.inputs[0]), g.tensor(node.inputs[1])
        if node.attrs.get("keep_num_dims"):
            return [tuple(x.shape[:-1]) + (w.shape[0],)]
        return [(x.size // w.shape[1], w.shape[0])]

    def _dims(self, node, g):
        w = g.tensor(node.inputs[1])
        return g.tensor(node.inputs[0]).size // w.shape[1], w.shape[1], w.shape[0]

    def macs(self, node, g):
        b, d, o = self._dims(node, g)
        return b * d * o

    integer_matmul = True

    def reference(self, node, g, inputs, matmul=exact_matmul):
        x, w, bias = inputs[0], inputs[1], inputs[2] if len(inputs) > 2 else None
        out = g.tensor(node.outputs[0])
        b, d, o = self._dims(node, g)
        rng = activation_range(node.attrs["act"], out)
        x = x.reshape(b, d)
        if out.dtype == "f32":
            y = x.astype(np.float64) @ w.astype(np.float64).T
            if bias is not None:
                y = y + bias
            return [clamp(y, rng).astype(np.float32).reshape(out.shape)]
        self._check_quant(node, g)
        xt = g.tensor(node.inputs[0])
        xc = x.astype(np.int64) - xt.zero_point
        wc = w.astype(np.int64) + weight_offset(g, node.inputs[1])
        const = g.tensor(node.inputs[1]).is_const
        acc = (matmul if const else exact_matmul)(node.name, xc, wc)
        if bias is not None:
            acc = acc + bias.astype(np.int64)
        mult, shift = requant_params(g, node.inputs[0], node.inputs[1], node.outputs[0])
        y = multiply_by_quantized_multiplier(_wrap32(acc), mult, shift) + out.zero_point
        return [clamp(y, rng).astype(np.int8).reshape(out.shape)]

    def _check_quant(self, node, g):
        x, w, y = g.tensor(node.inputs[0]), g.tensor(node.inputs[1]), g.tensor(node.outputs[0])
        if not (x.dtype == w.dtype == y.dtype == "s8"):
            raise UnsupportedOperatorError(f"operator fully_connected (node {node.name}): "
                                           f"{x.dtype} x {w.dtype} -> {y.dtype} is not supported")
        if w.quant.per_channel and (w.quant.axis not in (0, None) or w.quant.scale.size != w.shape[0]):
            raise UnsupportedOperatorError(f"operator fully_connected (node {node.name}): weights "
                                           "quantized along an axis other than the output channels")
        bias = node.input(2)
        if bias and g.tensor(bias).dtype != "s32":
            raise UnsupportedOperatorError(f"operator fully_connected (node {node.name}): "
                                           f"{g.tensor(bias).dtype} bias is not supported")

    def emit(self, node, g, em):
        b, d, o = self._dims(node, g)
        out = g.tensor(node.outputs[0])
        bias = node.input(2)
        rng = activation_range(node.attrs["act"], out)
        dims = em.params("tm_fc_dims", node, f"{{{b}, {d}, {o}}}")
        x_ptr, w_ptr, y_ptr = em.ptr(node.inputs[0]), em.ptr(node.inputs[1]), em.ptr(node.outputs[0])
        if out.dtype == "f32":
            act = em.params("tm_act_f32", node, em.float_range(rng))
            return em.call("tm_fully_connected_f32",
                           f"&{dims}, &{act}, {x_ptr}, {w_ptr}, {em.ptr(bias) if bias else 'NULL'}, {y_ptr}")
        self._check_quant(node, g)
        in_off = -g.tensor(node.inputs[0]).zero_point
        w_off = weight_offset(g, node.inputs[1])
        wt = g.tensor(node.inputs[1])
        if wt.is_const and (bias is None or g.tensor(bias).is_const):
            eff = effective_bias(wt.data.reshape(o, d), g.const(bias), in_off, w_off)
            b_ptr = em.table(f"{node.name}_eff_bias", eff) if eff.any() else "NULL"
            kernel_in_off = 0
        else:  # weights computed at run time: the kernel applies the input offset itself
            b_ptr = em.ptr(bias) if bias else "NULL"
            kernel_in_off = in_off
        mult, shift = requant_params(g, node.inputs[0], node.inputs[1], node.outputs[0])
        rq = em.requant(node, mult, shift)
        p = em.params("tm_fc_params_s8", node,
                      f"{{{kernel_in_off}, {w_off}, {out.zero_point}, {rq}, {{{rng[0]}, {rng[1]}}}}}")
        return em.call("tm_fully_connected_s8", f"&{dims}, &{p}, {x_ptr}, {w_ptr}, {b_ptr}, {y_ptr}")
