"""FullyConnected whose weights and bias live in RAM (`--updatable`, tinymem/params).

IR: fully_connected_updatable(input, weights[out, in], bias[out]) {act, keep_num_dims}: the
same semantics, attributes and numpy reference as `fully_connected` (tinymem/ops/fully_connected.py).
No frontend produces it: `tinymem.params.make_updatable` renames the nodes of the layers the user
lists, after making sure each has a bias (zeros when the model had none) and owns its weights.

The weights and bias stay constant tensors in the IR (their data are the initial values, kept in
flash); the emitter routes their pointers into the params region (`em.param_offsets`), which
`<prefix>_params_load` overwrites at run time.

Codegen differs from `fully_connected` for int8 only: nothing derived from the weights is
precomputed, because the weights may change after compilation. The kernel receives the model's
bias and the input offset, and adds input_offset * (sum_d w[o, d] + depth * weight_offset) itself
at run time (one extra pass over each weight row; exact, see fully_connected.h). The requantization
table depends only on the (fixed) quantization scales and stays in flash. float32 is unchanged.
"""

from tinymem.ops.fully_connected import FullyConnected, requant_params, weight_offset
from tinymem.ops.registry import register
from tinymem.quant.activation import activation_range


@register
class FullyConnectedUpdatable(FullyConnected):
    name = "fully_connected_updatable"
    tflite = ()
    onnx = ()
    header = "fully_connected"

    def emit(self, node, g, em):
        out = g.tensor(node.outputs[0])
        if out.dtype == "f32":
            return super().emit(node, g, em)  # pointers only: em.ptr routes them to the params region
        self._check_quant(node, g)
        b, d, o = self._dims(node, g)
        rng = activation_range(node.attrs["act"], out)
        dims = em.params("tm_fc_dims", node, f"{{{b}, {d}, {o}}}")
        in_off = -g.tensor(node.inputs[0]).zero_point
        w_off = weight_offset(g, node.inputs[1])
        mult, shift = requant_params(g, node.inputs[0], node.inputs[1], node.outputs[0])
        rq = em.requant(node, mult, shift)
        p = em.params("tm_fc_params_s8", node,
                      f"{{{in_off}, {w_off}, {out.zero_point}, {rq}, {{{rng[0]}, {rng[1]}}}}}")
        return em.call("tm_fully_connected_s8",
                       f"&{dims}, &{p}, {em.ptr(node.inputs[0])}, {em.ptr(node.inputs[1])}, "
                       f"{em.ptr(node.inputs[2])}, {em.ptr(node.outputs[0])}")
