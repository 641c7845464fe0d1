"""SVDF: TFLite SVDF (singular value decomposition filter; streaming keyword models).

IR: svdf(x, weights_feature, weights_time, bias?, state) -> (y, state')
  x:               [batches, n_input]
  weights_feature: [n_filter, n_input]
  weights_time:    [n_filter, n_memory]
  bias:            [n_unit] or absent, n_unit = n_filter / rank
  state:           [batches, n_filter * n_memory]: for each filter the last n_memory feature
                   values, oldest first. In TFLite models a variable tensor: persistent, and
                   state' is the same tensor (updated in place).
  y:               [batches, n_unit]
attrs:
  rank: int >= 1, n_filter % rank == 0
  act:  fused activation of the float kernel ("none", "relu", "relu_n1_to_1", "relu6", "tanh",
        "sign_bit"); TFLM's integer kernel ignores it, and so does ours.
Per run: each filter's memory shifts left by one, the newest entry is weights_feature x; then
  y[b, u] = act(bias[u] + sum_{j < rank} sum_m weights_time[u*rank+j, m] * state[b, u*rank+j, m]).

int8 (TFLM EvalIntegerSvdfReference, bit-exact): int8 x, weights_feature and y; weights_time and
state both int16 (the converter's choice) or both int8; int32 bias at scale state * weights_time.
  feature = clamp_T(MBQM(sum_c wf[r, c] * (x[c] - x_zp), s1) + state_zp)
  acc[u]  = bias[u] + sum_{j, m} wt[f, m] * (state[f, m] - state_zp)
  y       = clamp8(MBQM(acc[u], s2) + y_zp)
with s1 = (double)(float)(s_x * s_wf / s_state) and s2 = (double)(float)(s_state * s_wt / s_y),
computed in float32 as TFLM's Prepare does. Zero-point terms are folded into per-filter / per-unit
constants at compile time (sums modulo 2^32, exact). TFLM requires the bias for int8.
C: tm_svdf_s8_s16 / tm_svdf_s8_s8 (state dtype) and tm_svdf_f32 (runtime_c/include/tinymem/svdf.h);
the feature weights are stored transposed ([n_input, n_filter]).
"""

from __future__ import annotations

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ops.op import Op
from tinymem.ops.registry import register
from tinymem.quant import fixedpoint as fp
from tinymem.quant.multiplier import quantize_multiplier

ACTS = {"none": 0, "relu": 1, "relu_n1_to_1": 2, "relu6": 3, "tanh": 4, "sign_bit": 5}
_RANGE = {"s16": (-32768, 32767), "s8": (-128, 127)}


def _dims(node, g):
    x, wf, wt = (g.tensor(n) for n in node.inputs[:3])
    rank = int(node.attrs["rank"])
    n_filter = wf.shape[0]
    return x.shape[0], x.shape[1], n_filter, wt.shape[1], rank, n_filter // rank


def _scales(node, g) -> tuple[tuple[int, int], tuple[int, int]]:
    x, wf, wt, _, st = (g.tensor(n) if n else None for n in node.inputs)
    y = g.tensor(node.outputs[0])
    f32 = np.float32
    s1 = f32(f32(x.scale) * f32(wf.scale)) / f32(st.scale)
    s2 = f32(f32(st.scale) * f32(wt.scale)) / f32(y.scale)
    return quantize_multiplier(float(s1)), quantize_multiplier(float(s2))


def _check(node, g):
    where = f"operator svdf (node {node.name})"
    x, wf, wt = (g.tensor(n) for n in node.inputs[:3])
    st, y = g.tensor(node.inputs[4]), g.tensor(node.outputs[0])
    bias = g.tensor(node.inputs[3]) if node.input(3) else None
    if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2 or wf.shape[1] != x.shape[1] \
            or wt.shape[0] != wf.shape[0]:
        raise UnsupportedOperatorError(f"{where}: inconsistent shapes")
    rank = int(node.attrs.get("rank", 0))
    if rank < 1 or wf.shape[0] % rank:
        raise UnsupportedOperatorError(f"{where}: rank {rank} does not divide {wf.shape[0]} filters")
    if st.size != x.shape[0] * wf.shape[0] * wt.shape[1]:
        raise UnsupportedOperatorError(f"{where}: state of {st.size} elements, needs batches x filters x memory")
    if node.attrs.get("act", "none") not in ACTS:
        raise UnsupportedOperatorError(f"{where}: activation {node.attrs.get('act')!r}")
    if x.dtype == "f32":
        if not all(t.dtype == "f32" for t in (wf, wt, st, y) + ((bias,) if bias else ())):
            raise UnsupportedOperatorError(f"{where}: float SVDF with non-float tensors (hybrid)")
        return
    if x.dtype != "s8" or wf.dtype != "s8" or y.dtype != "s8" or wt.dtype not in _RANGE or st.dtype != wt.dtype:
        raise UnsupportedOperatorError(f"{where}: {x.dtype} input, {wf.dtype} feature weights, {wt.dtype} time "
                                       f"weights, {st.dtype} state, {y.dtype} output")
    if bias is None or bias.dtype != "s32":
        raise UnsupportedOperatorError(f"{where}: the int8 kernel needs an int32 bias (as TFLM)")
    for t in (wf, wt):
        if t.quant is None or t.quant.per_channel:
            raise UnsupportedOperatorError(f"{where}: weights {t.name!r} must be quantized per tensor")


@register
class SVDF(Op):
    name = "svdf"
    tflite = ("SVDF",)

    def import_tflite(self, ctx, op):
        ins = ctx.inputs(op)
        ins += [""] * (5 - len(ins))
        opts = ctx.options(op)
        state = ins[4]
        if not state or not ctx.graph.tensor(state).persistent:
            raise UnsupportedOperatorError(f"SVDF (node {ctx.node_name()}): the state must be a variable tensor")
        node = ctx.add_node(self.name, ins[:5], ctx.outputs(op)[:1] + [state],
                            {"rank": int(opts.get("rank", 1)), "act": opts.get("fused_activation_function", "none")})
        _check(node, ctx.graph)

    def infer(self, node, g):
        b, _, _, _, _, units = _dims(node, g)
        return [(b, units), g.tensor(node.inputs[4]).shape]

    def macs(self, node, g):
        b, n_in, nf, nm, _, _ = _dims(node, g)
        return b * nf * (n_in + nm)

    def reference(self, node, g, inputs):
        _check(node, g)
        b, n_in, nf, nm, rank, units = _dims(node, g)
        x, wf, wt, bias, state = inputs
        st_t, y_t = g.tensor(node.inputs[4]), g.tensor(node.outputs[0])
        s = np.asarray(state).reshape(b, nf, nm)
        s = np.concatenate([s[:, :, 1:], np.zeros((b, nf, 1), s.dtype)], axis=2)
        if y_t.dtype == "f32":
            s[:, :, -1] = np.asarray(x, np.float32) @ np.asarray(wf, np.float32).T
            acc = (s * np.asarray(wt, np.float32)[None]).sum(axis=2, dtype=np.float32)
            y = acc.reshape(b, units, rank).sum(axis=2, dtype=np.float32)
            if bias is not None:
                y = y + np.asarray(bias, np.float32)
            y = _act_f32(y, node.attrs.get("act", "none"))
            return [y.astype(np.float32), s.reshape(st_t.shape)]
        (m1, sh1), (m2, sh2) = _scales(node, g)
        x_t = g.tensor(node.inputs[0])
        szp = st_t.zero_point if st_t.quant is not None else 0
        lo, hi = _RANGE[st_t.dtype]
        dot = fp._wrap32(np.asarray(wf, np.int64) @ (np.asarray(x, np.int64) - x_t.zero_point).T).T  # [b, nf]
        feat = np.clip(fp.multiply_by_quantized_multiplier(dot, m1, sh1).astype(np.int64) + szp, lo, hi)
        s[:, :, -1] = feat
        prod = fp._wrap32((np.asarray(wt, np.int64)[None] * (s.astype(np.int64) - szp)).sum(axis=2))
        acc = fp._wrap32(prod.reshape(b, units, rank).sum(axis=2) + np.asarray(bias, np.int64))
        y = np.clip(fp.multiply_by_quantized_multiplier(acc, m2, sh2).astype(np.int64) + y_t.zero_point, -128, 127)
        return [y.astype(np.int8), s.reshape(st_t.shape)]

    def emit(self, node, g, em):
        _check(node, g)
        b, n_in, nf, nm, rank, units = _dims(node, g)
        x, wf, wt, bias, state = node.inputs
        st_t, y_t = g.tensor(state), g.tensor(node.outputs[0])
        code = []
        if node.outputs[1] != state:  # the kernel updates the state in place
            code.append(f"memcpy({em.ptr(node.outputs[1])}, {em.ptr(state)}, {st_t.nbytes}u);")
        dims = em.params("tm_svdf_dims", node, f"{{{b}, {n_in}, {nf}, {nm}, {rank}}}")
        out_state = em.ptr(node.outputs[1])
        if g.const(wf) is None or g.const(wt) is None:
            em.unsupported(node, "non-constant weights")
        if y_t.dtype == "f32":
            p = em.params("tm_svdf_params_f32", node, f"{{{ACTS[node.attrs.get('act', 'none')]}}}")
            b_ptr = em.ptr(bias) if bias else "NULL"
            wf_t = em.table(f"{node.name}_wf_t", np.ascontiguousarray(g.const(wf).T))
            code.append(em.call("tm_svdf_f32", f"&{dims}, &{p}, {em.ptr(x)}, {wf_t}, {em.ptr(wt)}, "
                                               f"{b_ptr}, {out_state}, {em.ptr(node.outputs[0])}"))
            return "\n".join(code)
        (m1, sh1), (m2, sh2) = _scales(node, g)
        x_zp = g.tensor(x).zero_point
        szp = st_t.zero_point if st_t.quant is not None else 0
        wf_d, wt_d = g.const(wf), g.const(wt)
        if g.const(bias) is None:
            em.unsupported(node, "a non-constant bias")
        feat_off = fp._wrap32(-x_zp * wf_d.astype(np.int64).sum(axis=1)).astype(np.int32)
        unit_bias = fp._wrap32(g.const(bias).astype(np.int64)
                               - szp * wt_d.astype(np.int64).sum(axis=1).reshape(units, rank).sum(axis=1))
        p = em.params("tm_svdf_params_s8", node, "{" + ", ".join([
            em.table(f"{node.name}_feature_offset", feat_off),
            em.table(f"{node.name}_unit_bias", unit_bias.astype(np.int32)),
            str(m1), str(sh1), str(m2), str(sh2), str(szp), str(y_t.zero_point)]) + "}")
        kernel = "tm_svdf_s8_s16" if st_t.dtype == "s16" else "tm_svdf_s8_s8"
        wf_t = em.table(f"{node.name}_wf_t", np.ascontiguousarray(wf_d.T))
        code.append(em.call(kernel, f"&{dims}, &{p}, {em.ptr(x)}, {wf_t}, {em.ptr(wt)}, {out_state}, "
                                    f"{em.ptr(node.outputs[0])}"))
        return "\n".join(code)


def _act_f32(y: np.ndarray, act: str) -> np.ndarray:
    y = np.asarray(y, np.float32)
    if act == "relu":
        return np.maximum(y, np.float32(0))
    if act == "relu_n1_to_1":
        return np.clip(y, np.float32(-1), np.float32(1))
    if act == "relu6":
        return np.clip(y, np.float32(0), np.float32(6))
    if act == "tanh":
        return np.tanh(y).astype(np.float32)
    if act == "sign_bit":
        return np.signbit(y).astype(np.float32)
    return y
