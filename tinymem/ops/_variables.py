"""Resource variables of TFLite models (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE, CALL_ONCE).

A resource variable is named by the `shared_name` of the VAR_HANDLE operators that refer to it
(the container is ignored, as TFLM does when it is absent). In the IR it is one persistent tensor
per graph (the state region: never reused, survives between runs), named after the shared name:
READ_VARIABLE copies it into an activation, ASSIGN_VARIABLE copies an activation into it.

Its dtype, shape and quantization come from the first READ/ASSIGN that touches it; later ones must
agree in dtype and byte size (TFLM only checks the size). Its initial value (Tensor.init, what
`reset_state()` restores) is, in this order:
  1. the value the CALL_ONCE init subgraph leaves in it (evaluated at compile time);
  2. TFLM's default: every byte set to the int8-cast zero point of the first ASSIGN_VARIABLE value
     tensor (MicroResourceVariables::Allocate memsets the buffer with it), 0 when unquantized.
"""

from __future__ import annotations

import numpy as np

from tinymem.errors import ModelFormatError, UnsupportedOperatorError
from tinymem.ir import Graph, Tensor, np_dtype
from tinymem.ops.op import Op


def _handles(ctx) -> dict[str, str]:
    """Resource tensor name (VAR_HANDLE output) -> shared name, per subgraph context."""
    return ctx.__dict__.setdefault("var_handles", {})


def _tensors(ctx) -> dict[str, str]:
    """shared name -> persistent IR tensor name in ctx.graph (keyed by id: the graphs are kept
    alive in ctx.shared for the whole import, so ids stay unique)."""
    graphs = ctx.shared.setdefault("var_graphs", {})
    graphs.setdefault(id(ctx.graph), ctx.graph)
    return ctx.shared.setdefault("var_tensors", {}).setdefault(id(ctx.graph), {})


def _assigned(ctx) -> set[str]:
    """Shared names whose default value has been fixed by an ASSIGN_VARIABLE in ctx.graph."""
    _tensors(ctx)
    return ctx.shared.setdefault("var_assigned", {}).setdefault(id(ctx.graph), set())


def call_once_values(ctx) -> dict[str, np.ndarray]:
    """shared name -> value left by the CALL_ONCE init subgraph (model-wide)."""
    return ctx.shared.setdefault("var_init", {})


def register_handle(ctx, resource: str, shared_name: str) -> None:
    _handles(ctx)[resource] = shared_name


def shared_name(ctx, resource: str) -> str:
    try:
        return _handles(ctx)[resource]
    except KeyError:
        raise ModelFormatError(f"node {ctx.node_name()}: resource tensor {resource!r} does not come "
                               "from a VAR_HANDLE of this subgraph") from None


def _default_init(t: Tensor) -> np.ndarray:
    byte = (t.zero_point & 0xFF) if t.quant is not None else 0
    return np.frombuffer(bytes([byte]) * t.nbytes, dtype=np_dtype(t.dtype)).reshape(t.shape).copy()


def _as_init(value: np.ndarray, t: Tensor, where: str) -> np.ndarray:
    value = np.ascontiguousarray(value)
    if value.dtype != np_dtype(t.dtype) or value.nbytes != t.nbytes:
        raise UnsupportedOperatorError(f"{where}: the CALL_ONCE value of variable {t.name!r} "
                                       f"({value.dtype} x {value.size}) does not fit {t.dtype} {list(t.shape)}")
    return value.reshape(t.shape).copy()


def variable(ctx, resource: str, like: str, assign: bool) -> str:
    """The persistent tensor of the variable behind `resource`, created like tensor `like` (the
    READ output or ASSIGN value) on first use. `assign`: the caller is an ASSIGN_VARIABLE."""
    g: Graph = ctx.graph
    name = shared_name(ctx, resource)
    tensors = _tensors(ctx)
    ref = g.tensor(like)
    where = f"node {ctx.node_name()}"
    if name not in tensors:
        t = Tensor(g.fresh_name(name), ref.shape, ref.dtype, ref.quant, persistent=True)
        g.add_tensor(t)
        tensors[name] = t.name
        init = call_once_values(ctx).get(name)
        t.init = _as_init(init, t, where) if init is not None else _default_init(t)
    t = g.tensor(tensors[name])
    if ref.dtype != t.dtype or ref.nbytes != t.nbytes:
        raise UnsupportedOperatorError(f"{where}: variable {name!r} is {t.dtype} {list(t.shape)} but "
                                       f"{like!r} is {ref.dtype} {list(ref.shape)}")
    if assign and name not in _assigned(ctx):
        _assigned(ctx).add(name)
        if name not in call_once_values(ctx):  # TFLM: allocated (and memset) by the first ASSIGN
            t.init = _default_init(ref).reshape(t.shape)
    return t.name


def evaluate_init_subgraph(sub: Graph, where: str) -> dict[str, np.ndarray]:
    """Run a CALL_ONCE init subgraph with the numpy references; returns the final value of every
    persistent tensor (variables start at their Tensor.init)."""
    from tinymem.ops.registry import get_op

    if sub.inputs:
        raise UnsupportedOperatorError(f"{where}: a CALL_ONCE subgraph with inputs")
    values: dict[str, np.ndarray] = {}
    for n, t in sub.tensors.items():
        if t.is_const:
            values[n] = t.data
        elif t.persistent:
            values[n] = t.init if t.init is not None else np.zeros(t.shape, np_dtype(t.dtype))
    for node in sub.nodes:
        try:
            outs = get_op(node.op).reference(node, sub, [values[n] if n else None for n in node.inputs])
        except KeyError as e:
            raise UnsupportedOperatorError(f"{where}: CALL_ONCE subgraph node {node.name} reads {e} "
                                           "which has no value at compile time") from None
        for name, value in zip(node.outputs, outs):
            t = sub.tensor(name)
            values[name] = np.asarray(value, dtype=np_dtype(t.dtype)).reshape(t.shape)
    return {n: values[n] for n, t in sub.tensors.items() if t.persistent}


class VariableCopy(Op):
    """READ_VARIABLE and ASSIGN_VARIABLE in the IR: a byte copy between a variable's persistent
    tensor and an activation (same dtype and byte size; shapes may differ); a memcpy in C
    (runtime_c/include/tinymem/variable.h). No attributes."""

    header = "variable"

    def infer(self, node, g):
        return [g.tensor(node.outputs[0]).shape]

    def reference(self, node, g, inputs):
        return [inputs[0].reshape(g.tensor(node.outputs[0]).shape).copy()]

    def emit(self, node, g, em):
        n = g.tensor(node.outputs[0]).nbytes
        return f"memcpy({em.ptr(node.outputs[0])}, {em.ptr(node.inputs[0])}, {n}u);"
