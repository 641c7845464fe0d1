"""FullyConnected: TFLite FULLY_CONNECTED; ONNX Gemm and MatMul with a constant right operand.

IR: fully_connected(input, weights[out, in], bias?) {act}. The input is read as
[size / in, in] (TFLite semantics); the output shape is [batches, out] unless the frontend keeps
more dimensions (`keep_num_dims`).
"""

import numpy as np

from tinymem.ops.op import Op
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


@register
class FullyConnected(Op):
    name = "fully_connected"
    tflite = ("FULLY_CONNECTED",)

    def import_tflite(self, ctx, op):
        opts = ctx.options(op)
        ins = ctx.inputs(op)
        ctx.add_node(self.name, ins[:3], ctx.outputs(op)[:1],
                     {"act": opts.get("fused_activation_function", "none")})

    def infer(self, node, g):
        x, w = g.tensor(node.inputs[0]), g.tensor(node.inputs[1])
        return [(x.size // w.shape[1], w.shape[0])]

    def _dims(self, node, g):
        w = g.tensor(node.inputs[1])
        return g.tensor(node.inputs[0]).size // w.shape[1], w.shape[1], w.shape[0]

    def macs(self, node, g):
        b, d, o = self._dims(node, g)
        return b * d * o

    def reference(self, node, g, inputs):
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
        xt, wt = g.tensor(node.inputs[0]), g.tensor(node.inputs[1])
        acc = (x.astype(np.int64) - xt.zero_point) @ (w.astype(np.int64) - wt.zero_point).T
        if bias is not None:
            acc = acc + bias.astype(np.int64)
        mult, shift = requant_params(g, node.inputs[0], node.inputs[1], node.outputs[0])
        y = multiply_by_quantized_multiplier(acc.astype(np.int32), mult, shift) + out.zero_point
        return [clamp(y, rng).astype(np.int8).reshape(out.shape)]

    def emit(self, node, g, em):
        b, d, o = self._dims(node, g)
        out = g.tensor(node.outputs[0])
        bias = node.input(2)
        rng = activation_range(node.attrs["act"], out)
        dims = em.params("tm_fc_dims", node, f"{{{b}, {d}, {o}}}")
        args = f"{em.ptr(node.inputs[0])}, {em.ptr(node.inputs[1])}, {em.ptr(bias) if bias else 'NULL'}, {em.ptr(node.outputs[0])}"
        if out.dtype == "f32":
            act = em.params("tm_act_f32", node, em.float_range(rng))
            return em.call("tm_fully_connected_f32", f"&{dims}, &{act}, {args}")
        if out.dtype != "s8":
            em.unsupported(node, f"output dtype {out.dtype}")
        xt, wt = g.tensor(node.inputs[0]), g.tensor(node.inputs[1])
        mult, shift = requant_params(g, node.inputs[0], node.inputs[1], node.outputs[0])
        rq = em.requant(node, mult, shift)
        p = em.params("tm_fc_params_s8", node,
                      f"{{{-xt.zero_point}, {-wt.zero_point}, {out.zero_point}, {rq}, {{{rng[0]}, {rng[1]}}}}}")
        return em.call("tm_fully_connected_s8", f"&{dims}, &{p}, {args}")
