"""PRelu: TFLite PRELU (later ONNX PRelu).

IR: prelu(input, alpha) -> output, y = x >= 0 ? x : alpha * x, with alpha broadcast against the
input numpy-style (output shape = broadcast of both; the usual alpha is per channel, shape [C]
or [1, 1, C]). No attributes.

Integer semantics (TFLM BroadcastPrelu4DSlow): with v = x - zp_in, a = alpha - zp_alpha,
  v >= 0: y = zp_out + MBQM(v, QM(in_scale / out_scale))
  v <  0: y = zp_out + MBQM(v * a, QM(in_scale * alpha_scale / out_scale))
(ratios in double; per-tensor scales: TFLM reads the first scale of each tensor), clamped.
dtypes: f32 (alpha f32), s8 (alpha s8), s16 (alpha s8).

C: the input must have the output's shape. Along the flat output the alpha index repeats with
a period P = product of the output dims from the first axis where alpha is not 1; a constant
alpha is materialised at compile time as P values (the alpha itself for per-channel alpha), a
run-time alpha must already have that layout.
"""

import numpy as np

from tinymem.ops._unary import QRANGE
from tinymem.ops.op import Op
from tinymem.ops.registry import register
from tinymem.quant.fixedpoint import multiply_by_quantized_multiplier
from tinymem.quant.multiplier import quantize_multiplier


def _padded(shape, rank):
    return (1,) * (rank - len(shape)) + tuple(shape)


def int_params(g, node):
    """(input_offset, alpha_offset, output_offset, (m1, s1), (m2, s2)) as TFLM's Prepare."""
    x, a, y = (g.tensor(n) for n in (node.inputs[0], node.inputs[1], node.outputs[0]))
    s_in, s_a, s_out = (float(np.float32(t.scale)) for t in (x, a, y))
    return (-x.zero_point, -a.zero_point, y.zero_point,
            quantize_multiplier(s_in / s_out), quantize_multiplier(s_in * s_a / s_out))


def alpha_period(g, node):
    """(period, first broadcast axis k) of the alpha index along the flat output."""
    out = g.tensor(node.outputs[0]).shape
    a = _padded(g.tensor(node.inputs[1]).shape, len(out))
    k = next((i for i, d in enumerate(a) if d != 1), len(out))
    return int(np.prod(out[k:], dtype=np.int64)), k


@register
class Prelu(Op):
    name = "prelu"
    inplace_inputs = (0,)  # elementwise kernels: may run in place
    pointwise = True  # patch-based inference: output pixel (y, x) reads input pixel (y, x)
    tflite = ("PRELU",)
    onnx = ("PRelu",)

    def import_tflite(self, ctx, op):
        ctx.add_node(self.name, ctx.inputs(op)[:2], ctx.outputs(op)[:1])

    def import_onnx(self, ctx, node):
        from tinymem.frontend.onnx_attrs import elementwise

        elementwise(self.name, ctx, node)

    def infer(self, node, g):
        return [tuple(np.broadcast_shapes(g.tensor(node.inputs[0]).shape, g.tensor(node.inputs[1]).shape))]

    def reference(self, node, g, inputs):
        y = g.tensor(node.outputs[0])
        x, a = np.broadcast_arrays(inputs[0], inputs[1])
        if y.dtype == "f32":
            x, a = x.astype(np.float32), a.astype(np.float32)
            return [np.where(x >= 0, x, x * a).astype(np.float32)]
        in_off, a_off, out_off, (m1, s1), (m2, s2) = int_params(g, node)
        v = x.astype(np.int64) + in_off
        pos = multiply_by_quantized_multiplier(v, m1, s1).astype(np.int64)
        neg = multiply_by_quantized_multiplier(v * (a.astype(np.int64) + a_off), m2, s2).astype(np.int64)
        qmin, qmax = QRANGE[y.dtype]
        return [np.clip(np.where(v >= 0, pos, neg) + out_off, qmin, qmax).astype(inputs[0].dtype)]

    def emit(self, node, g, em):
        x, a, y = (g.tensor(n) for n in (node.inputs[0], node.inputs[1], node.outputs[0]))
        if x.shape != y.shape:
            em.unsupported(node, f"an input {x.shape} broadcast to {y.shape}")
        period, k = alpha_period(g, node)
        if a.is_const:
            alpha = np.broadcast_to(a.data.reshape(_padded(a.shape, len(y.shape)))[(0,) * k], y.shape[k:])
            alpha_ptr = em.table(f"{node.name}_alpha", np.ascontiguousarray(alpha).reshape(-1))
        elif _padded(a.shape, len(y.shape))[k:] == y.shape[k:]:
            alpha_ptr = em.ptr(node.inputs[1])
        else:
            em.unsupported(node, f"a run-time alpha {a.shape} broadcast inside {y.shape}")
        dims = em.params("tm_prelu_dims", node, f"{{{y.size}, {period}}}")
        args = f"{em.ptr(node.inputs[0])}, {alpha_ptr}, {em.ptr(node.outputs[0])}"
        if x.dtype == a.dtype == y.dtype == "f32":
            return em.call("tm_prelu_f32", f"&{dims}, {args}")
        if a.dtype == "s8" and x.dtype == y.dtype and y.dtype in ("s8", "s16"):
            in_off, a_off, out_off, (m1, s1), (m2, s2) = int_params(g, node)
            p = em.params("tm_prelu_params", node, f"{{{in_off}, {a_off}, {out_off}, {m1}, {s1}, {m2}, {s2}}}")
            return em.call(f"tm_prelu_{y.dtype}", f"&{dims}, &{p}, {args}")
        em.unsupported(node, f"input {x.dtype}, alpha {a.dtype}, output {y.dtype}")
