"""TFLite flatbuffer -> IR.

The flatbuffer is read with the `tflite` package's generated accessors. Tensors keep their
TFLite layout (NHWC activations, OHWI / 1HWC filters), which is also the IR's layout, so each
operator module's `import_tflite` mostly copies options into IR attributes.
"""

from __future__ import annotations

import os
import re

import numpy as np
import tflite
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions

from tinymem.errors import ModelFormatError, UnsupportedOperatorError
from tinymem.ir import Graph, Node, QuantParams, Tensor
from tinymem.ops import supported, tflite_op

OPCODE_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
OPTION_NAMES = {v: k for k, v in vars(BuiltinOptions).items() if not k.startswith("_")}
ACTIVATIONS = {0: "none", 1: "relu", 2: "relu_n1_to_1", 3: "relu6", 4: "tanh", 5: "sign_bit"}
PADDINGS = {0: "SAME", 1: "VALID"}
# TFLite TensorType -> (IR dtype, numpy dtype of the buffer)
TENSOR_TYPES = {
    0: ("f32", np.float32), 1: ("f16", np.float16), 2: ("s32", np.int32), 3: ("u8", np.uint8),
    4: ("s64", np.int64), 6: ("bool", np.bool_), 7: ("s16", np.int16), 9: ("s8", np.int8),
}
#: TensorType RESOURCE: a VAR_HANDLE's handle. It holds no data and gets no IR tensor; the resource
#: variable it names becomes a persistent tensor (see tinymem/ops/var_handle.py).
RESOURCE_TYPE = 13


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class TFLiteContext:
    """What an operator module's `import_tflite` gets: the graph being built and accessors."""

    def __init__(self, graph: Graph, model, subgraph, names: list[str], shared: dict | None = None):
        self.graph = graph
        self.model = model
        self.subgraph = subgraph
        self.names = names  # TFLite tensor index -> IR tensor name
        self.index = 0
        self.opcode = ""
        #: Model-wide state shared by the contexts of all subgraphs (e.g. resource variables).
        self.shared = shared if shared is not None else {}

    def load_subgraph(self, index: int) -> Graph:
        """Subgraph `index` of the model imported as its own Graph (for control-flow operators such
        as CALL_ONCE); its context shares `self.shared` with this one. Not pruned."""
        if not 0 <= index < self.model.SubgraphsLength():
            raise ModelFormatError(f"node {self.node_name()}: subgraph {index} does not exist")
        return _import_subgraph(self.model, index, f"{self.graph.name}_subgraph{index}", {}, self.shared)

    def inputs(self, op) -> list[str]:
        return [self.names[i] if i >= 0 else "" for i in op.InputsAsNumpy()]

    def outputs(self, op) -> list[str]:
        return [self.names[i] for i in op.OutputsAsNumpy()]

    def node_name(self) -> str:
        return f"{self.opcode.lower()}_{self.index}"

    def add_node(self, op: str, inputs: list[str], outputs: list[str], attrs: dict | None = None,
                 name: str | None = None) -> Node:
        node = Node(op, name or self.node_name(), list(inputs), list(outputs), dict(attrs or {}))
        self.graph.nodes.append(node)
        return node

    def options(self, op) -> dict:
        """The operator's builtin options as a dict with snake_case keys (enums decoded)."""
        kind = OPTION_NAMES.get(op.BuiltinOptionsType(), "NONE")
        table = op.BuiltinOptions()
        if kind == "NONE" or table is None:
            return {}
        cls = getattr(tflite, kind)
        cls = getattr(cls, kind, cls)  # the package exposes either the class or its module
        opts = cls()
        opts.Init(table.Bytes, table.Pos)
        out = {}
        for attr in dir(cls):
            if not attr[0].isupper() or attr.startswith("GetRootAs") or attr in ("Init",):
                continue
            if attr.endswith(("AsNumpy", "Length", "IsNone")) or attr.startswith(kind):
                continue
            length = getattr(opts, attr + "Length", None)
            if length is not None:
                value = [int(v) for v in getattr(opts, attr + "AsNumpy")()] if length() else []
            else:
                value = getattr(opts, attr)()
            out[_snake(attr)] = value
        if "fused_activation_function" in out:
            out["fused_activation_function"] = ACTIVATIONS[out["fused_activation_function"]]
        if "padding" in out:
            out["padding"] = PADDINGS[out["padding"]]
        return out


def _tensor(model, t, name: str, input_shapes: dict) -> Tensor | None:
    ttype = t.Type()
    if ttype == RESOURCE_TYPE:
        return None
    if ttype not in TENSOR_TYPES:
        raise UnsupportedOperatorError(f"tensor {name!r}: unsupported TFLite tensor type {ttype}")
    dtype, npdt = TENSOR_TYPES[ttype]
    shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
    if name in input_shapes:
        shape = tuple(input_shapes[name])
    sig = tuple(int(d) for d in t.ShapeSignatureAsNumpy()) if t.ShapeSignatureLength() else shape
    if any(d < 0 for d in sig) and name not in input_shapes:
        shape = tuple(1 if d < 0 else s for d, s in zip(sig, shape))  # batch-like dims: pin to 1
    quant = None
    q = t.Quantization()
    if q is not None and q.ScaleLength() > 0:
        quant = QuantParams(q.ScaleAsNumpy(), q.ZeroPointAsNumpy() if q.ZeroPointLength() else 0,
                            q.QuantizedDimension())
    data = None
    buf = model.Buffers(t.Buffer())
    if buf is not None and buf.DataLength() > 0:
        raw = buf.DataAsNumpy().tobytes()
        expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(npdt).itemsize
        if len(raw) != expected:
            raise ModelFormatError(f"constant {name!r} holds {len(raw)} bytes, its shape needs {expected}")
        data = np.frombuffer(raw, dtype=npdt).reshape(shape).copy()
    tensor = Tensor(name, shape, dtype, quant, data)
    if t.IsVariable() and data is None:
        # A variable tensor (LSTM / SVDF state): persistent. TFLM resets int8 variables to their
        # zero point and every other type to zero bytes.
        tensor.persistent = True
        if dtype != "s8" and quant is not None and tensor.zero_point != 0:
            tensor.init = np.zeros(shape, dtype=npdt)
    return tensor


def _import_subgraph(model, index: int, graph_name: str, input_shapes: dict, shared: dict) -> Graph:
    """Tensors and operators of subgraph `index` as a Graph (not pruned)."""
    subgraph = model.Subgraphs(index)
    graph = Graph(graph_name)
    names: list[str] = []
    used: set[str] = set()
    for i in range(subgraph.TensorsLength()):
        base = subgraph.Tensors(i).Name().decode("utf-8", "replace") or f"t{i}"
        name, k = base, 1
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        names.append(name)
        tensor = _tensor(model, subgraph.Tensors(i), name, input_shapes)
        if tensor is not None:
            graph.add_tensor(tensor)
    graph.inputs = [names[i] for i in subgraph.InputsAsNumpy()]
    graph.outputs = [names[i] for i in subgraph.OutputsAsNumpy()]
    ctx = TFLiteContext(graph, model, subgraph, names, shared)
    for i in range(subgraph.OperatorsLength()):
        op = subgraph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        opcode = OPCODE_NAMES.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "CUSTOM")
        if opcode == "CUSTOM":
            opcode = f"CUSTOM:{code.CustomCode().decode()}"
        impl = tflite_op(opcode)
        ctx.index, ctx.opcode = i, opcode
        if impl is None:
            raise UnsupportedOperatorError(
                f"unsupported operator {opcode} (node {ctx.node_name()}); "
                f"supported TFLite operators: {', '.join(supported('tflite'))}")
        impl.import_tflite(ctx, op)
    return graph


def load_tflite(data: bytes, filename: str, input_shapes: dict) -> Graph:
    try:
        model = tflite.Model.GetRootAsModel(data, 0)
        subgraph = model.Subgraphs(0)
        for i in range(subgraph.TensorsLength()):
            subgraph.Tensors(i).Name().decode("utf-8", "replace")
        subgraph.OperatorsLength()
    except Exception as e:  # flatbuffers raises bare struct/index errors on damaged files
        raise ModelFormatError(f"{filename}: corrupt or truncated TFLite flatbuffer ({type(e).__name__})") from None
    # Subgraphs other than 0 only serve control flow (CALL_ONCE, ...): the operators that use them
    # import them through TFLiteContext.load_subgraph.
    try:
        graph = _import_subgraph(model, 0, re.sub(r"\W", "_", filename.rsplit(".", 1)[0]), input_shapes, {})
    except (ModelFormatError, UnsupportedOperatorError):
        raise
    except (IndexError, ValueError, TypeError, AttributeError, UnicodeDecodeError) as e:
        if os.environ.get("TINYMEM_DEBUG"):
            raise
        raise ModelFormatError(f"{filename}: corrupt or truncated TFLite flatbuffer ({e})") from None
    graph.prune()
    return graph
