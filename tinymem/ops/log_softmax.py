"""LogSoftmax over the last axis: TFLite LOG_SOFTMAX (later ONNX LogSoftmax with axis = last).

IR: log_softmax(input) -> output, same shape: y = x - max - log(sum exp(x - max)) per row of
the last axis. No attributes (beta is 1, as in TFLite).

dtypes: f32 -> f32; s8 -> s8 (output scale 16/256, zero point 127, as TFLM requires).

int8 semantics (TFLM LogSoftmaxQuantized): PreprocessLogSoftmaxScalingExp(1, in_scale, 5)
gives a multiplier / left shift taking d = x - max(row) to Q5.26, a reverse-scaling divisor and
shift, and diff_min = -CalculateInputRadius(5, left_shift). The row sum of
Rescale<12>(exp_on_negative_values(d in Q5.26)) over d >= diff_min goes through
log_x_for_x_greater_than_or_equal_to_1 (Q12 -> Q5); elements with
d > max(diff_min - 1, MBQM(log_sum + INT32_MIN, reverse divisor, reverse shift)) give
RDBPOT(d in Q5.26 - log_sum, 22) + 127 clamped, the others -128.
The C kernel takes the Q12 exp and the Q5.26 value of every possible d from two 256-entry
tables computed at compile time with the same fixed-point functions.
float32 (TFLM): (x - max) - logf(sum expf(x - max)), float sums in order.
"""

import numpy as np

from tinymem.ops._unary import io, same_shape
from tinymem.ops.op import Op
from tinymem.ops.registry import register
from tinymem.quant import fixedpoint as fp
from tinymem.quant.multiplier import calculate_input_radius, preprocess_log_softmax_scaling_exp

INPUT_INTEGER_BITS = 5
ACCUMULATION_INTEGER_BITS = 12
OUTPUT_INTEGER_BITS = 4


def int_params(in_scale: float) -> dict:
    """Prepare-time constants and the two tables of the int8 kernel."""
    mult, shift, divisor, rshift = preprocess_log_softmax_scaling_exp(
        1.0, float(np.float32(in_scale)), INPUT_INTEGER_BITS)
    diff_min = -calculate_input_radius(INPUT_INTEGER_BITS, shift)
    d = -np.arange(256, dtype=np.int64)
    valid = d >= diff_min
    # left shift 31 only happens with diff_min 0, where every valid d is 0
    q5 = fp.multiply_by_quantized_multiplier(np.where(valid, d, 0), mult, min(shift, 30))
    exp_q12 = fp.rescale(fp.exp_on_negative_values(q5, INPUT_INTEGER_BITS), 0, ACCUMULATION_INTEGER_BITS)
    return {"diff_min": diff_min, "divisor": divisor, "reverse_shift": rshift,
            "q5": np.where(valid, q5, 0).astype(np.int32), "exp": np.where(valid, exp_q12, 0).astype(np.int32)}


def log_softmax_int(x: np.ndarray, p: dict) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    k = x.max(axis=-1, keepdims=True) - x  # -d
    sums = ((p["exp"][k].astype(np.int64).sum(axis=-1, keepdims=True) + 2**31) & 0xFFFFFFFF) - 2**31
    log_sum = fp.log_x_for_x_greater_than_or_equal_to_1(sums, ACCUMULATION_INTEGER_BITS, INPUT_INTEGER_BITS)
    log_sum = np.asarray(log_sum, dtype=np.int64)
    shifted = log_sum - 2**31
    adjusted = np.maximum(p["diff_min"] - 1, fp.multiply_by_quantized_multiplier(
        shifted, p["divisor"], p["reverse_shift"]).astype(np.int64))
    diff_q5 = p["q5"][k].astype(np.int64)
    num = ((diff_q5 - log_sum + 2**31) & 0xFFFFFFFF) - 2**31
    out = fp.rounding_divide_by_pot(num, 31 - INPUT_INTEGER_BITS - OUTPUT_INTEGER_BITS).astype(np.int64) + 127
    return np.where(-k > adjusted, np.clip(out, -128, 127), -128)


def log_softmax_f32(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    d = x - x.max(axis=-1, keepdims=True)
    e = np.exp(d).astype(np.float32)
    s = np.zeros(d.shape[:-1] + (1,), np.float32)
    for c in range(d.shape[-1]):  # sequential float32 sum, as the reference kernel
        s = s + e[..., c:c + 1]
    return (d - np.log(s)).astype(np.float32)


@register
class LogSoftmax(Op):
    name = "log_softmax"
    tflite = ("LOG_SOFTMAX",)
    onnx = ("LogSoftmax",)

    def import_tflite(self, ctx, op):
        ctx.add_node(self.name, ctx.inputs(op)[:1], ctx.outputs(op)[:1])

    def import_onnx(self, ctx, node):
        from tinymem.frontend.onnx_attrs import last_axis_op

        last_axis_op(self.name, ctx, node)

    def infer(self, node, g):
        return same_shape(node, g)

    def reference(self, node, g, inputs):
        x, y = io(node, g)
        if y.dtype == "f32":
            return [log_softmax_f32(inputs[0])]
        return [log_softmax_int(inputs[0], int_params(x.scale)).astype(np.int8)]

    def emit(self, node, g, em):
        x, y = io(node, g)
        depth = x.shape[-1] if x.shape else 1
        outer = x.size // max(depth, 1)
        args = f"{em.ptr(node.inputs[0])}, {em.ptr(node.outputs[0])}"
        if x.dtype == y.dtype == "f32":
            dims = em.params("tm_log_softmax_dims", node, f"{{{outer}, {depth}}}")
            return em.call("tm_log_softmax_f32", f"&{dims}, {args}")
        if x.dtype == y.dtype == "s8":
            p = int_params(x.scale)
            exp = em.table(f"{node.name}_exp", p["exp"])
            q5 = em.table(f"{node.name}_diff", p["q5"])
            params = em.params("tm_log_softmax_params_s8", node,
                               f"{{{outer}, {depth}, {p['diff_min']}, {p['divisor']}, {p['reverse_shift']}, "
                               f"{exp}, {q5}}}")
            return em.call("tm_log_softmax_s8", f"&{params}, {args}")
        em.unsupported(node, f"{x.dtype} -> {y.dtype}")
