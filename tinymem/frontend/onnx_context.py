"""`ONNXContext`: what an operator module's `import_onnx(ctx, node)` works with.

Layout. ONNX activations are NCHW; the IR wants NHWC. Every ONNX tensor is *stored* in the IR
in some axis order, its permutation `perm`: the IR data is `onnx_data.transpose(perm)`. 4-D
outputs of layout-sensitive ops (conv, pools) are stored NHWC (`NHWC = (0, 2, 3, 1)`); graph
inputs and outputs of reshapes are stored in the ONNX order (identity perm). An importer asks
for each input in the order it needs (`ctx.input(name, perm)`) and the context inserts the
conversion once per tensor and order: an IR `reshape` (alias, no code) when only size-1 dims
move (C=1 or H=W=1), else an IR `transpose`. Layout-agnostic ops (elementwise, activations)
keep whatever order their input has (`ctx.perm(name)`), so a chain conv -> relu -> pool never
leaves NHWC. Axis attributes are remapped with `ctx.ir_axis(name, axis)`.

The API an importer uses (names are ONNX tensor names unless marked IR):

  ctx.graph                         the IR Graph being built
  ctx.opset                         default-domain opset of the model
  ctx.attr(node, name, default)     attribute value (bytes decoded to str, tensors to numpy)
  ctx.shape(name) / ctx.rank(name)  static ONNX shape (declared layout)
  ctx.dtype(name)                   IR dtype of the tensor ("f32", "s8", ...)
  ctx.const(name)                   numpy value when the tensor is a compile-time constant, else None
  ctx.perm(name)                    the order the tensor is stored in (identity for constants)
  ctx.input(name, perm=None)        IR name of the tensor in order `perm` (None: as stored);
                                    constants (and DequantizeLinear of constants) are transposed
                                    at compile time, never at run time
  ctx.nhwc(name)                    ctx.input(name, NHWC) for 4-D tensors
  ctx.ir_axis(name, axis)           the IR axis of ONNX axis `axis` (may be negative) of `name`
  ctx.output(name, perm=None, dtype=None, quant=None)
                                    creates the IR tensor for ONNX output `name`, stored in
                                    `perm` (default identity); returns its IR name
  ctx.broadcast(names, rank)        (IR names, perm): inputs of an elementwise op brought to the
                                    output rank and one common order (numpy broadcasting)
  ctx.add_node(op, inputs, outputs, attrs)   appends an IR node named after the ONNX node
  ctx.weight(name, perm, shape=None) a constant operand (weights, bias) transposed by `perm` and
                                    reshaped at compile time; DequantizeLinear(int constant)
                                    stays dequantize(int constant) for the QDQ lowering
  ctx.add_quantized_const(name, q, scale, zero_point, axis)   declares name = DQ(constant)
  ctx.consumers(name) / ctx.is_graph_output(name)             ONNX-level readers of a tensor
  ctx.temp(hint, shape, dtype, quant=None)   a fresh IR activation tensor
  ctx.reshape(ir_name, shape) / ctx.transpose(ir_name, perm)   IR-level helpers (aliases when trivial)
  ctx.unary(node, op, attrs)        the common case: one input, one output, same order
  ctx.unsupported(node, why)        raises UnsupportedOperatorError (one line, names the node)

Graph inputs and outputs keep the ONNX model's declared shapes: `finish()` converts each graph
output back to the ONNX order and gives it the ONNX name.
"""

from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper

from tinymem.errors import ModelFormatError, UnsupportedOperatorError
from tinymem.frontend.onnx_attrs import NHWC, identity
from tinymem.frontend.onnx_prepare import ELEM_TYPES, Prepared
from tinymem.ir import Graph, Node, QuantParams, Tensor
from tinymem.ir.dtypes import from_numpy

__all__ = ["NHWC", "ONNXContext", "identity", "rename_tensor", "trivial"]


def trivial(shape: tuple[int, ...], perm: tuple[int, ...]) -> bool:
    """True when transposing `shape` by `perm` only moves size-1 dims (a reshape suffices)."""
    kept = [p for p in perm if shape[p] != 1]
    return kept == sorted(kept)


class ONNXContext:
    def __init__(self, graph: Graph, prep: Prepared, filename: str):
        self.graph, self.prep, self.filename = graph, prep, filename
        self.opset = prep.opset
        self.node = None  # the ONNX node being imported
        self._reserved = set(prep.inputs) | set(prep.outputs) | {o for n in prep.nodes for o in n.output}
        self._stored: dict[str, tuple[str, tuple[int, ...]]] = {}  # ONNX name -> (IR name, perm)
        self._views: dict[tuple, str] = {}
        self._qconsts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, int | None]] = {}
        self._node_names: set[str] = set()
        self._node_base = ""
        self._node_count = 0

    # -- queries ------------------------------------------------------------------------------
    def attr(self, node, name: str, default=None):
        for a in node.attribute:
            if a.name == name:
                v = helper.get_attribute_value(a)
                if isinstance(v, bytes):
                    return v.decode()
                if hasattr(v, "dims") and hasattr(v, "data_type"):
                    return numpy_helper.to_array(v)
                return v
        return default

    def shape(self, name: str) -> tuple[int, ...]:
        if name in self.prep.consts:
            return tuple(np.shape(self.prep.consts[name]))
        shape = self.prep.shapes.get(name)
        if shape is None or any(d < 0 for d in shape):
            where = f" (node {self.node.name or self.node.op_type})" if self.node is not None else ""
            raise ModelFormatError(f"{self.filename}: cannot infer a static shape for tensor {name!r}{where}; "
                                   "pin the model inputs with --input-shape")
        return tuple(shape)

    def rank(self, name: str) -> int:
        return len(self.shape(name))

    def dtype(self, name: str) -> str:
        if name in self.prep.consts:
            return from_numpy(np.asarray(self.prep.consts[name]).dtype)
        if name in self._qconsts:
            return "f32"
        elem = self.prep.elem_types.get(name)
        if elem not in ELEM_TYPES:
            raise UnsupportedOperatorError(
                f"tensor {name!r}: ONNX element type {helper.tensor_dtype_to_string(elem) if elem else 'unknown'} "
                "is not supported")
        return ELEM_TYPES[elem]

    def const(self, name: str | None) -> np.ndarray | None:
        if not name:
            return None
        return self.prep.consts.get(name)

    def is_const(self, name: str) -> bool:
        return name in self.prep.consts or name in self._qconsts

    def perm(self, name: str) -> tuple[int, ...]:
        if name in self._stored:
            return self._stored[name][1]
        return identity(self.rank(name))

    def ir_axis(self, name: str, axis: int) -> int:
        rank = self.rank(name)
        if not -rank <= axis < rank:
            raise ModelFormatError(f"{self.filename}: axis {axis} out of range for tensor {name!r} of rank {rank}")
        return self.perm(name).index(axis % rank)

    # -- quantized constants (DequantizeLinear of an integer constant) --------------------------
    def add_quantized_const(self, name: str, q: np.ndarray, scale: np.ndarray, zero_point: np.ndarray,
                            axis: int | None) -> None:
        """Declare ONNX tensor `name` = DequantizeLinear(q, scale, zero_point, axis) of constants.

        Materialized lazily by `input()` as an integer IR constant with QuantParams (axis
        remapped to the order asked for) followed by an IR `dequantize` node, so that the QDQ
        lowering sees the integer weights.
        """
        self._qconsts[name] = (np.asarray(q), np.asarray(scale), np.asarray(zero_point), axis)

    def quantized_const(self, name: str):
        return self._qconsts.get(name)

    # -- building -----------------------------------------------------------------------------
    def fresh(self, base: str) -> str:
        name, i = base, 1
        while name in self.graph.tensors or name in self._reserved:
            name = f"{base}_{i}"
            i += 1
        return name

    def begin(self, node) -> None:
        self.node = node
        base = node.name or f"{node.op_type.lower()}_{len(self._node_names)}"
        self._node_base, self._node_count = base, 0

    def add_node(self, op: str, inputs: list[str], outputs: list[str], attrs: dict | None = None,
                 suffix: str | None = None) -> Node:
        """Append an IR node named after the ONNX node (`suffix` marks helper nodes)."""
        base = self._node_base or op
        if suffix:
            name = f"{base}/{suffix}"
        else:
            name = base if self._node_count == 0 else f"{base}_{self._node_count}"
            self._node_count += 1
        while name in self._node_names:
            name = f"{name}_"
        self._node_names.add(name)
        node = Node(op, name, list(inputs), list(outputs), dict(attrs or {}))
        self.graph.nodes.append(node)
        return node

    def temp(self, hint: str, shape, dtype: str, quant: QuantParams | None = None) -> str:
        name = self.fresh(hint)
        self.graph.add_tensor(Tensor(name, tuple(shape), dtype, quant))
        return name

    def output(self, name: str, perm: tuple[int, ...] | None = None, dtype: str | None = None,
               quant: QuantParams | None = None, shape: tuple[int, ...] | None = None) -> str:
        """Create the IR tensor holding ONNX tensor `name`, stored in order `perm`."""
        onnx_shape = tuple(shape) if shape is not None else self.shape(name)
        perm = tuple(perm) if perm is not None else identity(len(onnx_shape))
        if len(perm) != len(onnx_shape):
            raise ModelFormatError(f"{self.filename}: tensor {name!r} has rank {len(onnx_shape)}, "
                                   f"layout {perm} expected")
        ir_name = name if name not in self.graph.tensors else self.fresh(name)
        self.graph.add_tensor(Tensor(ir_name, tuple(onnx_shape[p] for p in perm), dtype or self.dtype(name), quant))
        self._stored[name] = (ir_name, perm)
        self._views[(name, perm)] = ir_name
        return ir_name

    def add_input(self, name: str) -> str:
        ir = self.output(name)
        self.graph.inputs.append(ir)
        return ir

    def reshape(self, src: str, shape, hint: str | None = None) -> str:
        t = self.graph.tensor(src)
        shape = tuple(int(d) for d in shape)
        if shape == t.shape:
            return src
        if t.is_const:
            return self.graph.add_const(self.fresh(hint or src), t.data.reshape(shape), t.quant)
        out = self.temp(hint or f"{src}_reshaped", shape, t.dtype, t.quant)
        self.add_node("reshape", [src], [out], suffix="reshape")
        return out

    def transpose(self, src: str, perm: tuple[int, ...], hint: str | None = None) -> str:
        t = self.graph.tensor(src)
        perm = tuple(perm)
        if perm == identity(len(perm)):
            return src
        shape = tuple(t.shape[p] for p in perm)
        if t.is_const:
            quant = _permute_quant(t.quant, perm)
            return self.graph.add_const(self.fresh(hint or src), t.data.transpose(perm), quant)
        if trivial(t.shape, perm):
            return self.reshape(src, shape, hint)
        out = self.temp(hint or f"{src}_t", shape, t.dtype, t.quant)
        self.add_node("transpose", [src], [out], {"perm": list(perm)}, suffix="transpose")
        return out

    def input(self, name: str, perm: tuple[int, ...] | None = None) -> str:
        """IR name of ONNX tensor `name` stored in order `perm` (None: in the order it has)."""
        if name in self._qconsts or name in self.prep.consts:
            return self._const_input(name, perm if perm is not None else identity(self.rank(name)))
        if name not in self._stored:
            raise ModelFormatError(f"{self.filename}: tensor {name!r} is read before it is produced")
        src, src_perm = self._stored[name]
        if perm is None or tuple(perm) == src_perm:
            return src
        perm = tuple(perm)
        key = (name, perm)
        if key not in self._views:
            t = tuple(src_perm.index(q) for q in perm)
            suffix = "nhwc" if perm == NHWC else "nchw" if perm == identity(len(perm)) else "t"
            self._views[key] = self.transpose(src, t, hint=self.fresh(f"{name}_{suffix}"))
        return self._views[key]

    def nhwc(self, name: str) -> str:
        if self.rank(name) != 4:
            raise UnsupportedOperatorError(f"ONNX {self.node.op_type} node {self.node.name!r}: input {name!r} "
                                           f"has rank {self.rank(name)}; only 4-D (NCHW) is supported")
        return self.input(name, NHWC)

    def weight(self, name: str, perm: tuple[int, ...], shape: tuple[int, ...] | None = None) -> str:
        """A constant operand transposed by `perm`, then reshaped to `shape` (size-1 dims only
        may come and go), at compile time. For DequantizeLinear(integer constant) the result is
        `dequantize(integer constant)` with the quantization axis following the data."""
        if not self.is_const(name):
            self.unsupported(self.node, f"a non-constant {name!r} operand")
        return self._const_input(name, tuple(perm), None, None if shape is None else tuple(shape))

    def _const_input(self, name: str, perm: tuple[int, ...], rank: int | None = None,
                     shape: tuple[int, ...] | None = None) -> str:
        key = ("const", name, tuple(perm), rank, shape)
        if key in self._views:
            return self._views[key]
        if name in self.prep.consts:
            value = np.asarray(self.prep.consts[name])
            if rank is not None:
                value = value.reshape((1,) * (rank - value.ndim) + value.shape)
            value = value.transpose(perm)
            if shape is not None:
                value = value.reshape(shape)
            ir = self.graph.add_const(self.fresh(name), np.ascontiguousarray(value))
        else:
            q, scale, zp, axis = self._qconsts[name]
            lead = 0 if rank is None else rank - q.ndim
            q = q.reshape((1,) * lead + q.shape)
            axis = None if axis is None else tuple(perm).index(axis + lead)
            q = q.transpose(perm)
            if shape is not None:
                axis = _reshaped_axis(q.shape, shape, axis)
                q = q.reshape(shape)
            quant = QuantParams(scale.reshape(-1), zp.reshape(-1), axis)
            qname = self.graph.add_const(self.fresh(f"{name}_q"), np.ascontiguousarray(q), quant)
            ir = self.temp(name, self.graph.tensor(qname).shape, "f32")
            self.add_node("dequantize", [qname], [ir], suffix="dequantize")
        self._views[key] = ir
        return ir

    def consumers(self, name: str) -> list:
        """The ONNX nodes reading tensor `name`."""
        return [n for n in self.prep.nodes if name in n.input]

    def is_graph_output(self, name: str) -> bool:
        return name in self.prep.outputs

    def broadcast(self, names: list[str], rank: int | None = None) -> tuple[list[str], tuple[int, ...]]:
        """Inputs of a broadcasting elementwise op, at the output rank and in one common order.

        The order is that of the first non-constant input of full rank (so NHWC activations stay
        NHWC, and constants such as a [C,1,1] bias are brought to [1,1,1,C] at compile time).
        """
        present = [n for n in names if n]
        rank = rank if rank is not None else max(self.rank(n) for n in present)
        perm = identity(rank)
        for n in present:
            if not self.is_const(n) and self.rank(n) == rank and self.perm(n) != identity(rank):
                perm = self.perm(n)
                break
        out = []
        for n in names:
            if not n:
                out.append("")
            elif self.is_const(n):
                out.append(self._const_input(n, perm, rank))
            elif self.rank(n) == rank:
                out.append(self.input(n, perm))
            else:
                x = self.input(n, identity(self.rank(n)))
                x = self.reshape(x, (1,) * (rank - self.rank(n)) + self.shape(n), hint=self.fresh(f"{n}_r{rank}"))
                out.append(self.transpose(x, perm, hint=self.fresh(f"{n}_b")))
        return out, perm

    def unary(self, node, op: str, attrs: dict | None = None, dtype: str | None = None) -> Node:
        x = self.input(node.input[0])
        y = self.output(node.output[0], self.perm(node.input[0]), dtype)
        return self.add_node(op, [x], [y], attrs)

    def unsupported(self, node, why: str):
        raise UnsupportedOperatorError(f"ONNX {node.op_type} node {node.name or '?'!r}: {why} is not supported")

    # -- the end --------------------------------------------------------------------------------
    def finish(self) -> None:
        """Graph outputs: in the ONNX order, under their ONNX names."""
        for name in self.prep.outputs:
            if self.is_const(name):
                raise UnsupportedOperatorError(
                    f"{self.filename}: graph output {name!r} is a compile-time constant "
                    "(a model whose output does not depend on its inputs is not supported)")
            ir = self.input(name, identity(self.rank(name)))
            if ir != name:
                if name in self.graph.tensors:
                    self._rename(name, self.fresh(f"{name}_stored"))
                if ir in self.graph.inputs or ir in self.graph.outputs:
                    # an output that is a graph input (or already an output): alias it
                    t = self.graph.tensor(ir)
                    self.graph.add_tensor(Tensor(name, t.shape, t.dtype, t.quant))
                    self._node_base, self._node_count = f"{name}_output", 0
                    self.add_node("reshape", [ir], [name])
                else:
                    self._rename(ir, name)
            self.graph.outputs.append(name)

    def _rename(self, old: str, new: str) -> None:
        rename_tensor(self.graph, old, new)
        self._views = {k: (new if v == old else v) for k, v in self._views.items()}
        self._stored = {k: ((new, p) if v == old else (v, p)) for k, (v, p) in self._stored.items()}


def _reshaped_axis(old: tuple[int, ...], new: tuple[int, ...], axis: int | None) -> int | None:
    """Where axis `axis` of shape `old` lands in shape `new` (a reshape adding/removing 1s)."""
    if axis is None or old[axis] == 1:
        return axis if axis is None else None
    ordinal = sum(1 for d in old[:axis] if d != 1)
    big = [i for i, d in enumerate(new) if d != 1]
    return big[ordinal]


def _permute_quant(quant: QuantParams | None, perm: tuple[int, ...]) -> QuantParams | None:
    if quant is None or quant.axis is None:
        return quant
    return QuantParams(quant.scale, quant.zero_point, tuple(perm).index(quant.axis))


def rename_tensor(g: Graph, old: str, new: str) -> None:
    t = g.tensors.pop(old)
    t.name = new
    g.tensors[new] = t
    for n in g.nodes:
        n.inputs = [new if x == old else x for x in n.inputs]
        n.outputs = [new if x == old else x for x in n.outputs]
    g.inputs = [new if x == old else x for x in g.inputs]
    g.outputs = [new if x == old else x for x in g.outputs]
