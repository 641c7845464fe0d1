"""Conv2D: TFLite CONV_2D (int8, float32, and hybrid float32 activations x int8 weights).

IR: conv2d(input[N, H, W, C], filter[OC, KH, KW, C / groups], bias[OC]?) -> output[N, OH, OW, OC]

Attributes (all explicit; frontends resolve their padding conventions at import):
  strides:   (sh, sw), >= 1
  dilations: (dh, dw), >= 1
  pads:      (top, left, bottom, right), >= 0. TFLite SAME/VALID are resolved as TFLM's
             ComputePaddingHeightWidth does (the odd pixel of SAME padding goes bottom/right).
             ONNX Conv `pads` [y_begin, x_begin, y_end, x_end] map to (top, left, bottom, right).
  act:       fused activation: "none" | "relu" | "relu6" | "relu_n1_to_1"
The number of channel groups is implied by the shapes: groups = C / filter.shape[3] (ONNX
`group`; depthwise convolutions should use the depthwise_conv2d op). The output size is
  OH = (H + top + bottom - ((KH - 1) * dh + 1)) // sh + 1, and likewise OW.

Variants (by dtypes):
  int8:   input/filter/output s8, bias s32 or absent; filter zero point 0, per-tensor or
          per-output-channel scales. Bit-exact with TFLM's reference ConvPerChannel.
  float:  f32 everywhere (bias f32 or absent).
  hybrid: input/output/bias f32, filter s8 with scales (TFLite "dynamic range quantized"
          models). TFLM cannot run these; the semantics are LiteRT's on x86-64 (see
          `quantize_symmetric` / `quantize_asymmetric`): each batch is quantized to int8 on the
          fly, convolved in int32 and scaled back to float.
"""

from __future__ import annotations

import numpy as np

from tinymem.errors import UnsupportedOperatorError
from tinymem.ops import _dsp_scratch as dsp_scratch
from tinymem.ops.op import Op, Window, exact_matmul, with_pads
from tinymem.ops.registry import register
from tinymem.quant.activation import activation_range, clamp
from tinymem.quant.fixedpoint import multiply_by_quantized_multiplier
from tinymem.quant.multiplier import quantize_multiplier_array

F32 = np.float32


# -- geometry ------------------------------------------------------------------------------------
def tflite_padding(padding: str, size: int, k: int, stride: int, dilation: int) -> tuple[int, int]:
    """(before, after) padding of one spatial axis, as TFLM's ComputePaddingHeightWidth."""
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = (size + stride - 1) // stride
    elif padding == "VALID":
        out = (size + stride - eff) // stride
    else:
        raise UnsupportedOperatorError(f"padding {padding!r} is not supported")
    if out < 1:
        raise UnsupportedOperatorError(f"filter of size {eff} is larger than the input ({size})")
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def spatial_attrs(opts: dict, in_shape: tuple, kh: int, kw: int) -> dict:
    """strides / dilations / pads / act attributes from TFLite conv-like builtin options."""
    sh, sw = int(opts.get("stride_h", 1)), int(opts.get("stride_w", 1))
    dh, dw = int(opts.get("dilation_h_factor", 1) or 1), int(opts.get("dilation_w_factor", 1) or 1)
    top, bottom = tflite_padding(opts.get("padding", "VALID"), in_shape[1], kh, sh, dh)
    left, right = tflite_padding(opts.get("padding", "VALID"), in_shape[2], kw, sw, dw)
    return {"strides": [sh, sw], "dilations": [dh, dw], "pads": [top, left, bottom, right],
            "act": opts.get("fused_activation_function", "none")}


def geometry(node) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int, int, int]]:
    """(strides, dilations, pads) of a conv-like node (defaults: 1, 1, no padding)."""
    a = node.attrs
    sh, sw = a.get("strides", (1, 1))
    dh, dw = a.get("dilations", (1, 1))
    top, left, bottom, right = a.get("pads", (0, 0, 0, 0))
    if min(sh, sw, dh, dw) < 1 or min(top, left, bottom, right) < 0:
        raise UnsupportedOperatorError(f"{node.op} {node.name}: strides and dilations must be >= 1, pads >= 0")
    return (int(sh), int(sw)), (int(dh), int(dw)), (int(top), int(left), int(bottom), int(right))


def conv_field(node, g) -> tuple[Window, Window]:
    """Receptive field of conv2d / depthwise_conv2d (filter [*, KH, KW, *])."""
    kh, kw = g.tensor(node.inputs[1]).shape[1:3]
    (sh, sw), (dh, dw), (top, left, _, _) = geometry(node)
    return Window(kh, sh, dh, top), Window(kw, sw, dw, left)


def act_of(node) -> str:
    return node.attrs.get("act", "none")


def output_hw(node, in_shape: tuple, kh: int, kw: int) -> tuple[int, int]:
    (sh, sw), (dh, dw), (top, left, bottom, right) = geometry(node)
    oh = (in_shape[1] + top + bottom - ((kh - 1) * dh + 1)) // sh + 1
    ow = (in_shape[2] + left + right - ((kw - 1) * dw + 1)) // sw + 1
    if oh < 1 or ow < 1:
        raise UnsupportedOperatorError(f"{node.op} {node.name}: empty output ({oh}x{ow})")
    return oh, ow


def windows(x: np.ndarray, node, kh: int, kw: int, out_hw: tuple[int, int], pad_value=0):
    """Yields (ky, kx, x[:, oy*sh - top + ky*dh, ox*sw - left + kx*dw, :]) over the filter taps,
    with out-of-image positions holding pad_value (x is NHWC, any dtype)."""
    (sh, sw), (dh, dw), (top, left, _, _) = geometry(node)
    oh, ow = out_hw
    n, h, w, c = x.shape
    # pad enough on every side for all windows
    pb = max(0, (oh - 1) * sh - top + (kh - 1) * dh + 1 - h)
    pr = max(0, (ow - 1) * sw - left + (kw - 1) * dw + 1 - w)
    xp = np.full((n, top + h + pb, left + w + pr, c), pad_value, dtype=x.dtype)
    xp[:, top:top + h, left:left + w] = x
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dh, kx * dw
            yield ky, kx, xp[:, y0:y0 + (oh - 1) * sh + 1:sh, x0:x0 + (ow - 1) * sw + 1:sw]


def _wrap32(v: np.ndarray) -> np.ndarray:
    return (((v.astype(np.int64) + 2**31) & 0xFFFFFFFF) - 2**31).astype(np.int64)


def conv_accumulate(x: np.ndarray, w: np.ndarray, node, out_hw, pad_value=0) -> np.ndarray:
    """sum over taps of x * w for a (grouped) conv; x NHWC, w [OC, KH, KW, C/groups].

    Integer inputs accumulate exactly in int64; float inputs in float64."""
    oc, kh, kw, ig = w.shape
    groups = x.shape[3] // ig
    og = oc // groups
    acc_t = np.float64 if np.issubdtype(x.dtype, np.floating) else np.int64
    acc = np.zeros((x.shape[0], out_hw[0], out_hw[1], oc), dtype=acc_t)
    wa = w.astype(acc_t)
    for ky, kx, patch in windows(x, node, kh, kw, out_hw, pad_value):
        patch = patch.astype(acc_t)
        for grp in range(groups):
            acc[..., grp * og:(grp + 1) * og] += (patch[..., grp * ig:(grp + 1) * ig]
                                                   @ wa[grp * og:(grp + 1) * og, ky, kx, :].T)
    return acc


def conv_matmul(x: np.ndarray, w: np.ndarray, node, out_hw, matmul) -> np.ndarray:
    """The integer conv_accumulate as one matrix product per channel group, `matmul(key, patches,
    filter)` (see `exact_matmul`): patches [N * OH * OW, KH * KW * C / groups] in the order of the
    flattened OHWI filter (im2col); key = the node name, with "/g<i>" per group when grouped."""
    oc, kh, kw, ig = w.shape
    groups = x.shape[3] // ig
    og = oc // groups
    cols = np.stack([patch for _, _, patch in windows(x, node, kh, kw, out_hw)], axis=3)
    accs = []
    for grp in range(groups):
        xg = cols[..., grp * ig:(grp + 1) * ig].reshape(-1, kh * kw * ig).astype(np.int64)
        wg = w[grp * og:(grp + 1) * og].reshape(og, -1).astype(np.int64)
        accs.append(matmul(node.name if groups == 1 else f"{node.name}/g{grp}", xg, wg))
    return np.concatenate(accs, axis=1).reshape(x.shape[0], out_hw[0], out_hw[1], oc)


# -- int8 helpers --------------------------------------------------------------------------------
def requant_tables(g, in_name: str, w_name: str, out_name: str, channels: int):
    """Per-channel (multiplier, shift) as TFLM's PopulateConvolutionQuantizationParams (a
    per-tensor filter scale is broadcast to every channel)."""
    s_in = np.float64(g.tensor(in_name).scale)
    s_w = g.tensor(w_name).quant.scale.astype(np.float64)
    s_out = np.float64(g.tensor(out_name).scale)
    s_w = np.broadcast_to(s_w, (channels,)) if s_w.size == 1 else s_w
    if s_w.size != channels:
        raise UnsupportedOperatorError(f"filter {w_name!r}: {s_w.size} scales for {channels} channels")
    mult, shift = quantize_multiplier_array(s_in * s_w / s_out)
    if np.any(shift > 30):
        raise UnsupportedOperatorError(f"filter {w_name!r}: requantization scale too large (shift > 30)")
    return mult, shift


def check_int8(node, g, zero_weight_zp=True):
    x, w, y = (g.tensor(n) for n in (node.inputs[0], node.inputs[1], node.outputs[0]))
    if (x.dtype, w.dtype, y.dtype) != ("s8", "s8", "s8"):
        raise UnsupportedOperatorError(
            f"{node.op} {node.name}: dtypes {x.dtype}/{w.dtype}->{y.dtype} are not supported "
            "(int8, float32 or float32 with int8 weights)")
    if x.quant is None or w.quant is None or y.quant is None:
        raise UnsupportedOperatorError(f"{node.op} {node.name}: int8 tensors without quantization")
    if zero_weight_zp and np.any(w.quant.zero_point != 0):
        raise UnsupportedOperatorError(f"{node.op} {node.name}: filter zero point must be 0")
    b = node.input(2)
    if b and g.tensor(b).dtype != "s32":
        raise UnsupportedOperatorError(f"{node.op} {node.name}: int8 bias must be int32")


def folded_bias(w2d: np.ndarray, bias: np.ndarray | None, input_offset: int, what: str) -> np.ndarray:
    """bias + input_offset * sum(w) per row of w2d [OC, K]; checks the int32 accumulator bound
    the kernels rely on (|folded| + 128 * sum|w| < 2^31)."""
    w64 = w2d.astype(np.int64)
    b = np.zeros(w2d.shape[0], np.int64) if bias is None else bias.astype(np.int64)
    folded = b + input_offset * w64.sum(axis=1)
    if np.any(np.abs(folded) + 128 * np.abs(w64).sum(axis=1) >= 2**31):
        raise UnsupportedOperatorError(f"{what}: bias too large for an int32 accumulator")
    return folded.astype(np.int32)


BLOCK = 8  # TM_CONV2D_BLOCK: output channels per interleaved filter block


def block_filter(w2d: np.ndarray, groups: int) -> np.ndarray:
    """[OC, K] filter -> the kernels' blocked layout (see conv2d.h): per channel group, blocks
    of BLOCK output channels (the last one smaller), each stored [k][channel in block]."""
    oc, k = w2d.shape
    og = oc // groups
    out = np.empty(oc * k, dtype=w2d.dtype)
    for grp in range(groups):
        for o0 in range(grp * og, (grp + 1) * og, BLOCK):
            nb = min(BLOCK, (grp + 1) * og - o0)
            out[o0 * k:(o0 + nb) * k] = w2d[o0:o0 + nb].T.ravel()
    return out


def requant_table(mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """The kernels' per-channel requantization table (4 int32 per channel, see conv2d.h)."""
    shift = shift.astype(np.int64)
    right = np.maximum(-shift, 0)
    rnd = (np.int64(1) << right).astype(np.uint32).view(np.int32)
    return np.stack([mult.astype(np.int32), np.maximum(shift, 0).astype(np.int32),
                     (right + 1).astype(np.int32), rnd], axis=1).ravel()


def requantize(acc: np.ndarray, mult, shift, out_zp: int, rng) -> np.ndarray:
    y = multiply_by_quantized_multiplier(_wrap32(acc), mult, shift) + out_zp
    return clamp(y, rng).astype(np.int8)


# -- hybrid helpers: LiteRT's on-the-fly input quantization (x86-64 build) ------------------------
# LiteRT's x86-64 build runs its NEON tensor utils through NEON_2_SSE: the first
# size & ~7 values are rounded with trunc(p + copysign(0.5, p)) in float32 (RoundToNearest),
# the rest with std::round.
def _round_like_litert(p: np.ndarray) -> np.ndarray:
    n = p.size & ~7
    head = np.trunc((p[:n] + np.where(p[:n] < 0, F32(-0.5), F32(0.5))).astype(F32))
    tail = np.sign(p[n:]) * np.floor(np.abs(p[n:]).astype(np.float64) + 0.5)
    return np.concatenate([head.astype(np.float64), tail]).astype(np.int64)


def quantize_symmetric(x: np.ndarray) -> tuple[np.ndarray, np.float32]:
    """NeonSymmetricQuantizeFloats: (q in [-127, 127], scale) with scale = max|x| / 127."""
    x = np.asarray(x, F32).ravel()
    rng = max(abs(F32(x.min())), abs(F32(x.max())))
    if rng == 0:
        return np.zeros(x.size, np.int64), F32(1)
    scale, inv = F32(rng / F32(127)), F32(F32(127) / rng)
    return np.clip(_round_like_litert((x * inv).astype(F32)), -127, 127), scale


def quantize_asymmetric(x: np.ndarray) -> tuple[np.ndarray, np.float32, int]:
    """NeonAsymmetricQuantizeFloats: (q in [-128, 127], scale, zero point)."""
    x = np.asarray(x, F32).ravel()
    rmin, rmax = min(F32(0), F32(x.min())), max(F32(0), F32(x.max()))
    if rmin == rmax:
        return np.zeros(x.size, np.int64), F32(1), 0
    scale = float(F32(rmax - rmin)) / 255.0  # float subtraction, double division
    zmin, zmax = -128.0 - float(rmin) / scale, 127.0 - float(rmax) / scale
    zd = zmin if 128.0 + abs(float(rmin) / scale) < 127.0 + abs(float(rmax) / scale) else zmax
    zp = -128 if zd <= -128 else 127 if zd >= 127 else int(np.sign(zd) * np.floor(abs(zd) + 0.5))
    sf = F32(scale)
    inv = F32(1.0 / float(sf))
    return np.clip(zp + _round_like_litert((x * inv).astype(F32)), -128, 127), sf, zp


def hybrid_scales(node, g, channels: int) -> np.ndarray:
    w = g.tensor(node.inputs[1])
    if w.quant is None:
        raise UnsupportedOperatorError(f"{node.op} {node.name}: int8 filter without scales")
    if np.any(w.quant.zero_point != 0):
        raise UnsupportedOperatorError(f"{node.op} {node.name}: hybrid filter zero point must be 0")
    s = w.quant.scale.astype(F32)
    if s.size not in (1, channels):
        raise UnsupportedOperatorError(f"{node.op} {node.name}: {s.size} filter scales for {channels} channels")
    return s


def check_hybrid(node, g):
    x, w, y = (g.tensor(n) for n in (node.inputs[0], node.inputs[1], node.outputs[0]))
    b = node.input(2)
    if (x.dtype, w.dtype, y.dtype) != ("f32", "s8", "f32") or (b and g.tensor(b).dtype != "f32"):
        raise UnsupportedOperatorError(f"{node.op} {node.name}: hybrid conv needs f32 activations/bias and s8 weights")


def check_f32(node, g):
    names = [node.inputs[0], node.inputs[1], node.outputs[0]] + ([node.input(2)] if node.input(2) else [])
    if any(g.tensor(n).dtype != "f32" for n in names):
        raise UnsupportedOperatorError(
            f"{node.op} {node.name}: dtypes {[g.tensor(n).dtype for n in names]} are not supported "
            "(int8, float32 or float32 with int8 weights)")


def float_epilogue(y: np.ndarray, bias, rng) -> np.ndarray:
    """y (float32) + bias, then the activation clamp, in float32 like the kernels."""
    if bias is not None:
        y = (y + np.asarray(bias, F32)).astype(F32)
    return np.minimum(np.maximum(y, F32(rng[0])), F32(rng[1])).astype(F32)


def geom_init(x_shape, y_shape, kh, kw, node, groups=1) -> str:
    (sh, sw), (dh, dw), (top, left, _, _) = geometry(node)
    n, h, w, c = x_shape
    _, oh, ow, oc = y_shape
    return (f"{{{{{n}, {h}, {w}, {c}}}, {{{n}, {oh}, {ow}, {oc}}}, {kh}, {kw}, {sh}, {sw}, "
            f"{dh}, {dw}, {top}, {left}, {groups}}}")


def is_pointwise(node, x_shape, out_hw, kh, kw) -> bool:
    (sh, sw), _, (top, left, _, _) = geometry(node)
    return (kh == 1 and kw == 1 and top == 0 and left == 0 and (out_hw[0] - 1) * sh < x_shape[1]
            and (out_hw[1] - 1) * sw < x_shape[2])


@register
class Conv2D(Op):
    name = "conv2d"
    tflite = ("CONV_2D",)
    onnx = ("Conv",)

    def import_tflite(self, ctx, op):
        ins = ctx.inputs(op)
        w = ctx.graph.tensor(ins[1])
        x = ctx.graph.tensor(ins[0])
        attrs = spatial_attrs(ctx.options(op), x.shape, w.shape[1], w.shape[2])
        ctx.add_node(self.name, ins[:3], ctx.outputs(op)[:1], attrs)

    # -- shapes and costs ------------------------------------------------------------------------
    def _shapes(self, node, g):
        x, w = g.tensor(node.inputs[0]), g.tensor(node.inputs[1])
        if len(x.shape) != 4 or len(w.shape) != 4 or x.shape[3] % w.shape[3] or w.shape[0] % (x.shape[3] // w.shape[3]):
            raise UnsupportedOperatorError(f"conv2d {node.name}: input {x.shape} / filter {w.shape} do not match")
        return x.shape, w.shape

    def import_onnx(self, ctx, node):
        """ONNX Conv (1-D or 2-D): group 1 or grouped -> conv2d with OIHW weights as OHWI;
        group == C_in -> depthwise_conv2d with [C*M, 1, kh, kw] weights as [1, kh, kw, C*M]."""
        from tinymem.frontend.onnx_attrs import as_2d, output_2d, spatial_2d, window_pads

        x, w = node.input[0], node.input[1]
        b = node.input[2] if len(node.input) > 2 else ""
        rank = ctx.rank(x)
        if rank not in (3, 4):
            ctx.unsupported(node, f"a rank-{rank} input (1-D and 2-D convolutions are supported)")
        wshape = ctx.shape(w)
        c_in, c_out, group = ctx.shape(x)[1], wshape[0], int(ctx.attr(node, "group", 1))
        kernel = [int(k) for k in ctx.attr(node, "kernel_shape", wshape[2:])]
        nsp = rank - 2
        strides = [int(s) for s in ctx.attr(node, "strides", [1] * nsp)]
        dil = [int(d) for d in ctx.attr(node, "dilations", [1] * nsp)]
        begins, ends, _ = window_pads(ctx, node, ctx.shape(x)[2:], kernel, strides, dil)
        b2, e2 = spatial_2d(begins, 0), spatial_2d(ends, 0)
        attrs = {"strides": spatial_2d(strides, 1), "dilations": spatial_2d(dil, 1),
                 "pads": [b2[0], b2[1], e2[0], e2[1]], "act": "none"}
        kh, kw = spatial_2d(kernel, 1)
        if group == c_in and group > 1:
            op = "depthwise_conv2d"
            weights = ctx.weight(w, (1, 2, 3, 0) if nsp == 2 else (1, 2, 0), (1, kh, kw, c_out))
            attrs["depth_multiplier"] = c_out // c_in
        else:
            op = self.name
            if c_in % group or c_out % group:
                ctx.unsupported(node, f"group {group} with {c_in} input and {c_out} output channels")
            weights = ctx.weight(w, (0, 2, 3, 1) if nsp == 2 else (0, 2, 1), (c_out, kh, kw, c_in // group))
        ins = [as_2d(ctx, x)[0], weights] + ([ctx.weight(b, (0,))] if b else [])
        y, finish = output_2d(ctx, node.output[0])
        ctx.add_node(op, ins, [y], attrs)
        finish()

    def infer(self, node, g):
        xs, ws = self._shapes(node, g)
        oh, ow = output_hw(node, xs, ws[1], ws[2])
        return [(xs[0], oh, ow, ws[0])]

    def macs(self, node, g):
        xs, ws = self._shapes(node, g)
        oh, ow = output_hw(node, xs, ws[1], ws[2])
        return xs[0] * oh * ow * ws[0] * ws[1] * ws[2] * ws[3]

    def _mode(self, node, g) -> str:
        x, w = g.tensor(node.inputs[0]), g.tensor(node.inputs[1])
        if x.dtype == "f32" and w.dtype == "s8":
            return "hybrid"
        return "f32" if x.dtype == "f32" else "s8"

    def _hybrid_asymmetric(self, node, g) -> bool:
        """LiteRT: per-channel path (asymmetric inputs) when the scales differ or groups > 1."""
        xs, ws = self._shapes(node, g)
        s = g.tensor(node.inputs[1]).quant.scale
        if xs[3] != ws[3] and s.size == 1:
            raise UnsupportedOperatorError(f"conv2d {node.name}: grouped hybrid conv needs per-channel scales")
        return bool(np.any(s != s[0])) or xs[3] != ws[3]

    def scratch_bytes(self, node, g):
        xs, ws = self._shapes(node, g)
        out_hw = output_hw(node, xs, ws[1], ws[2])
        k = ws[1] * ws[2] * ws[3]
        pointwise = is_pointwise(node, xs, out_hw, ws[1], ws[2])
        rows = 0 if pointwise else 2 * k
        mode = self._mode(node, g)
        if mode == "s8" and g.kernels == "dsp":
            npix = xs[0] * out_hw[0] * out_hw[1]
            return dsp_scratch.conv_scratch(npix, xs[3], ws[0], ws[1], ws[2], xs[3] // ws[3], pointwise, rows)
        if mode == "s8":
            return rows
        if mode == "f32":
            return 4 * rows
        return (xs[0] * xs[1] * xs[2] * xs[3] + 15) // 16 * 16 + rows

    def receptive_field(self, node, g):
        return conv_field(node, g)

    def patch_node(self, node, pads):
        return with_pads(node, pads)

    def inplace_scratch(self, node, g, index):
        """int8 and float32: tm_conv2d_inplace_{s8,f32} (pixels mode for pointwise, else rows)."""
        from tinymem.ops._inplace import conv_inplace_scratch, geometry_tuple

        mode = self._mode(node, g)
        if index != 0 or mode == "hybrid":
            return None
        xs, ws = self._shapes(node, g)
        geo = geometry_tuple(node, xs, g.tensor(node.outputs[0]).shape, ws[1], ws[2])
        size = conv_inplace_scratch(geo, self.scratch_bytes(node, g), 4 if mode == "f32" else 1)
        if mode == "s8" and g.kernels == "dsp" and size:
            size = dsp_scratch.conv_inplace_scratch(geo, xs[3] // ws[3], size)
        return size or None

    # -- numpy reference -------------------------------------------------------------------------
    integer_matmul = True

    def reference(self, node, g, inputs, matmul=exact_matmul):
        x, w = inputs[0], inputs[1]
        bias = inputs[2] if len(inputs) > 2 else None
        out = g.tensor(node.outputs[0])
        xs, ws = self._shapes(node, g)
        out_hw = output_hw(node, xs, ws[1], ws[2])
        rng = activation_range(act_of(node), out)
        mode = self._mode(node, g)
        if mode == "f32":
            check_f32(node, g)
            acc = conv_accumulate(x.astype(F32), w.astype(F32), node, out_hw)
            if bias is not None:
                acc = acc + bias.astype(np.float64)
            return [clamp(acc, rng).astype(F32)]
        if mode == "hybrid":
            check_hybrid(node, g)
            scales = hybrid_scales(node, g, ws[0])
            asym = self._hybrid_asymmetric(node, g)
            ys = []
            for b in range(xs[0]):
                xb = x[b:b + 1]
                if asym:
                    q, sf, zp = quantize_asymmetric(xb)
                    acc = _wrap32(conv_accumulate((q - zp).reshape(xb.shape), w, node, out_hw))
                    s = np.broadcast_to(scales, (ws[0],))
                    y = ((acc.astype(F32) * s).astype(F32) * sf).astype(F32)
                else:
                    q, sf = quantize_symmetric(xb)
                    acc = _wrap32(conv_accumulate(q.reshape(xb.shape), w, node, out_hw))
                    y = (acc.astype(F32) * F32(sf * scales[0])).astype(F32)
                ys.append(float_epilogue(y, bias, rng))
            return [np.concatenate(ys)]
        check_int8(node, g)
        xc = x.astype(np.int64) - g.tensor(node.inputs[0]).zero_point
        if g.tensor(node.inputs[1]).is_const:
            acc = conv_matmul(xc, w, node, out_hw, matmul)
        else:
            acc = conv_accumulate(xc, w, node, out_hw)
        if bias is not None:
            acc = acc + bias.astype(np.int64)
        mult, shift = requant_tables(g, node.inputs[0], node.inputs[1], node.outputs[0], ws[0])
        return [requantize(acc, mult, shift, out.zero_point, rng)]

    # -- C emission ------------------------------------------------------------------------------
    def emit(self, node, g, em):
        xs, ws = self._shapes(node, g)
        out = g.tensor(node.outputs[0])
        rng = activation_range(act_of(node), out)
        groups = xs[3] // ws[3]
        geom = em.params("tm_conv2d_geom", node, geom_init(xs, out.shape, ws[1], ws[2], node, groups))
        bias = node.input(2)
        mode = self._mode(node, g)
        x_ptr, y_ptr = em.ptr(node.inputs[0]), em.ptr(node.outputs[0])
        if mode == "f32":
            check_f32(node, g)
            p = em.params("tm_conv2d_params_f32", node,
                          f"{{{em.ptr(bias) if bias else 'NULL'}, {em.float_range(rng)}}}")
            if em.inplace(node) is not None:  # the output overwrites the input (same address)
                scratch = em.scratch(node, size_query=f"tm_conv2d_inplace_f32_scratch_size(&{geom})")
                em.kernels.add("tm_conv2d_f32")
                return em.call("tm_conv2d_inplace_f32", f"&{geom}, &{p}, {y_ptr}, {em.ptr(node.inputs[1])}, {scratch}")
            scratch = em.scratch(node, size_query=f"tm_conv2d_f32_scratch_size(&{geom})")
            return em.call("tm_conv2d_f32", f"&{geom}, &{p}, {x_ptr}, {em.ptr(node.inputs[1])}, {y_ptr}, {scratch}")
        if mode == "hybrid":
            check_hybrid(node, g)
            scales = hybrid_scales(node, g, ws[0])
            asym = self._hybrid_asymmetric(node, g)
            if not asym:
                scales = scales[:1]
            w = g.const(node.inputs[1])
            if w is None:
                em.unsupported(node, "a non-constant filter")
            w2d = w.reshape(ws[0], -1)
            folded_bias(w2d, None, 0, f"conv2d {node.name}")  # accumulator bound check
            wsum = em.table(f"{node.name}_wsum", w2d.astype(np.int64).sum(axis=1).astype(np.int32)) if asym else "NULL"
            p = em.params("tm_conv2d_params_hybrid", node,
                          f"{{{em.ptr(bias) if bias else 'NULL'}, {em.table(f'{node.name}_scale', scales)}, "
                          f"{scales.size}, {wsum}, {int(asym)}, {em.float_range(rng)}}}")
            scratch = em.scratch(node, size_query=f"tm_conv2d_hybrid_f32_scratch_size(&{geom})")
            wt = em.table(f"{node.name}_filter", block_filter(w2d, groups), weight=True)
            return em.call("tm_conv2d_hybrid_f32", f"&{geom}, &{p}, {x_ptr}, {wt}, {y_ptr}, {scratch}")
        check_int8(node, g)
        w = g.const(node.inputs[1])
        if w is None or (bias and g.const(bias) is None):
            em.unsupported(node, "a non-constant filter or bias")
        xt = g.tensor(node.inputs[0])
        folded = folded_bias(w.reshape(ws[0], -1), g.const(bias) if bias else None, -xt.zero_point,
                             f"conv2d {node.name}")
        mult, shift = requant_tables(g, node.inputs[0], node.inputs[1], node.outputs[0], ws[0])
        rq = em.table(f"{node.name}_requant", requant_table(mult, shift))
        p = em.params("tm_conv2d_params_s8", node,
                      f"{{{-xt.zero_point}, {out.zero_point}, {em.table(f'{node.name}_bias', folded)}, "
                      f"{rq}, {{{rng[0]}, {rng[1]}}}}}")
        wt = em.table(f"{node.name}_filter", block_filter(w.reshape(ws[0], -1), groups), weight=True)
        if em.inplace(node) is not None:  # the output overwrites the input (same address)
            scratch = em.scratch(node, size_query=f"tm_conv2d_inplace_s8_scratch_size(&{geom})")
            em.kernels.add("tm_conv2d_s8")
            return em.call("tm_conv2d_inplace_s8", f"&{geom}, &{p}, {y_ptr}, {wt}, {scratch}")
        scratch = em.scratch(node, size_query=f"tm_conv2d_s8_scratch_size(&{geom})")
        return em.call("tm_conv2d_s8", f"&{geom}, &{p}, {x_ptr}, {wt}, {y_ptr}, {scratch}")
