"""`make_updatable`: move the parameters of the layers named by `--updatable` into a RAM region.

Matching a LAYER name to a node of the IR (after canonicalization), first rule that matches wins:
  1. the IR node name: the ONNX node name (`/9/Gemm`), or for TFLite `<opcode>_<index>`
     (`fully_connected_3`, the operator's index in the subgraph);
  2. an output tensor of the node (`logits`, `StatefulPartitionedCall:0`);
  3. a constant input of the node: its weights or bias tensor (`9.weight`, `sequential/dense/MatMul`);
  4. the prefix of such a constant's name, followed by `.`, `/` or `_` (`9` for PyTorch's
     `9.weight` / `9.bias`, `sequential/dense` for Keras' `sequential/dense/MatMul`).
A name that matches nothing, or several nodes under the same rule, is an error that lists the
candidates. Updatable layers must be fully_connected (TFLite FULLY_CONNECTED, ONNX Gemm/MatMul)
with constant weights, float32 or int8 (int8 weights, int32 bias).

What changes for a matched node: it becomes `fully_connected_updatable` (tinymem/ops/...); a missing
bias becomes a zero bias (so a new head can have one); weights or bias shared with another node are
copied first. The initial values stay in flash; `<prefix>_init()` / `_params_reset()` copy them to
the params region. The quantization parameters of int8 layers are fixed at compile time: a new head
is quantized with the same scales and zero points (tinymem.params.pack_params does it), and
nothing is derived from the weights at compile time (the kernel applies the input offset at run
time), so a params blob is just the raw weights and biases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinymem.errors import TinymemError
from tinymem.ir import Graph, Node, QuantParams
from tinymem.ir.dtypes import np_dtype

SUPPORTED = ("fully_connected",)
UPDATABLE_OP = "fully_connected_updatable"


@dataclass
class ParamTensor:
    role: str  # "weights" | "bias"
    tensor: str  # IR tensor name (routed to the params region)
    shape: tuple[int, ...]
    dtype: str
    offset: int
    nbytes: int
    data: np.ndarray  # the initial (compiled-in) value
    quant: QuantParams | None = None

    def describe(self) -> dict:
        info = {"role": self.role, "tensor": self.tensor, "offset": self.offset, "bytes": self.nbytes,
                "shape": list(self.shape), "dtype": self.dtype}
        if self.quant is not None:
            info["scale"] = [float(s) for s in self.quant.scale]
            info["zero_point"] = [int(z) for z in self.quant.zero_point]
            if self.quant.per_channel:
                info["axis"] = 0
        return info


@dataclass
class ParamLayer:
    layer: str  # the name given to --updatable
    node: str
    op: str
    tensors: list[ParamTensor] = field(default_factory=list)
    input_scale: float | None = None
    input_zero_point: int | None = None

    def describe(self) -> dict:
        info = {"layer": self.layer, "node": self.node, "op": self.op,
                "layout": "weights [out, in] row-major (TFLite FULLY_CONNECTED; ONNX Gemm B with "
                          "transB=1, B transposed otherwise); bias [out]",
                "tensors": [t.describe() for t in self.tensors]}
        if self.input_scale is not None:
            info["input_scale"] = self.input_scale
            info["input_zero_point"] = self.input_zero_point
        return info


def _fail(msg: str):
    raise TinymemError(f"--updatable: {msg}")


def _const_inputs(g: Graph, node: Node) -> list[str]:
    return [t for t in node.inputs if t and g.tensor(t).is_const]


def match_layer(g: Graph, name: str) -> Node:
    """The node `name` designates (module docstring: matching rules)."""
    rules = [
        lambda n: n.name == name,
        lambda n: name in n.outputs,
        lambda n: name in _const_inputs(g, n),
        lambda n: any(t.startswith(name) and t[len(name):len(name) + 1] in (".", "/", "_")
                      for t in _const_inputs(g, n)),
    ]
    for rule in rules:
        hits = [n for n in g.nodes if rule(n)]
        if len(hits) > 1:
            _fail(f"{name!r} is ambiguous: it matches nodes {', '.join(n.name for n in hits)}")
        if hits:
            return hits[0]
    cands = [n for n in g.nodes if n.op in SUPPORTED]
    listing = "; ".join(f"{n.name} (weights {n.inputs[1]}, output {n.outputs[0]})" for n in cands) or "none"
    _fail(f"no layer named {name!r}; fully_connected layers: {listing}")


def _own_const(g: Graph, node: Node, index: int, users: dict) -> str:
    """The node's constant input `index`, copied under a fresh name if anything else reads it."""
    name = node.inputs[index]
    if len(users.get(name, [])) > 1 or name in g.outputs:
        t = g.tensor(name)
        new = g.add_const(f"{name}_updatable", t.data.copy(), t.quant)
        node.inputs[index] = new
        return new
    return name


def _bias_quant(g: Graph, node: Node) -> QuantParams | None:
    x, w = g.tensor(node.inputs[0]), g.tensor(node.inputs[1])
    if w.quant is None:
        return None
    scale = np.float64(x.scale) * w.quant.scale.astype(np.float64)
    return QuantParams(scale.astype(np.float32), np.zeros(scale.size, np.int64), 0 if scale.size > 1 else None)


def _prepare_node(g: Graph, node: Node, users: dict) -> None:
    if node.op not in SUPPORTED:
        _fail(f"layer {node.name} is a {node.op}; only fully_connected layers (FULLY_CONNECTED, "
              "Gemm, MatMul) can be updatable")
    x, w = g.tensor(node.inputs[0]), g.tensor(node.inputs[1])
    bias = node.input(2)
    if not w.is_const or (bias and not g.tensor(bias).is_const):
        _fail(f"layer {node.name}: its weights/bias are computed at run time, not parameters")
    kinds = (x.dtype, w.dtype, g.tensor(bias).dtype if bias else None)
    if kinds not in (("f32", "f32", "f32"), ("f32", "f32", None), ("s8", "s8", "s32"), ("s8", "s8", None)):
        _fail(f"layer {node.name}: {x.dtype} input x {w.dtype} weights is not supported (float32 or int8)")
    _own_const(g, node, 1, users)
    if bias:
        _own_const(g, node, 2, users)
    else:
        out = w.shape[0]
        zeros = np.zeros(out, np.float32 if w.dtype == "f32" else np.int32)
        name = g.add_const(f"{node.name}_bias", zeros, _bias_quant(g, node))
        node.inputs = node.inputs[:2] + [name]
    node.op = UPDATABLE_OP


def make_updatable(g: Graph, layers, alignment: int = 16):
    """Rewrite g in place; returns the UpdatableParams extension, or None when `layers` is empty."""
    from tinymem.params.extension import UpdatableParams

    if isinstance(layers, str):
        layers = [layers]
    names = [n.strip() for item in layers or () for n in str(item).split(",") if n.strip()]
    if not names:
        return None
    chosen: list[tuple[str, Node]] = []
    for name in names:
        node = match_layer(g, name)
        if any(node is n for _, n in chosen):
            _fail(f"{name!r} names layer {node.name} a second time")
        chosen.append((name, node))
    users = {}
    for n in g.nodes:
        for t in n.inputs:
            if t:
                users.setdefault(t, []).append(n.name)
    result, offset = [], 0
    for name, node in chosen:
        _prepare_node(g, node, users)
        x = g.tensor(node.inputs[0])
        layer = ParamLayer(name, node.name, node.op,
                           input_scale=x.scale if x.quant is not None else None,
                           input_zero_point=x.zero_point if x.quant is not None else None)
        for role, tname in (("weights", node.inputs[1]), ("bias", node.inputs[2])):
            t = g.tensor(tname)
            data = np.ascontiguousarray(t.data, dtype=np_dtype(t.dtype)).reshape(t.shape)
            quant = _bias_quant(g, node) if role == "bias" else t.quant  # bias: input x weight scale
            layer.tensors.append(ParamTensor(role, tname, t.shape, t.dtype, offset, t.nbytes, data, quant))
            offset += -(-t.nbytes // alignment) * alignment
        result.append(layer)
    return UpdatableParams(result, offset, alignment)
