"""`prepare`: make an ONNX graph static before it is imported into the IR.

Steps, all on the ONNX protobuf (so that onnx's own shape inference and reference evaluator do
the work):

1. `--const NAME=VALUE` turns a graph input into a constant (an initializer);
2. `--input-shape NAME=1x96x96x3` pins an input's dims; a symbolic dim (`dim_param`) pinned on
   one input is pinned on every input using the same symbol; any dynamic dim left is an
   InputError naming the input;
3. until nothing changes: `Constant` nodes become constants, `If` on a constant condition is
   replaced by the nodes of the taken branch, `Shape`/`Size` of a statically shaped tensor and
   every node whose inputs are all constants are evaluated with `onnx.reference` (shape
   arithmetic: Shape, Gather, Concat, Unsqueeze, Cast, ConstantOfShape, Equal, ...), and
   Identity / inference Dropout become aliases;
4. onnx shape inference gives every remaining tensor its static shape and element type.

DequantizeLinear of a constant is deliberately not evaluated: the QDQ lowering
(compiler/lower_qdq.py) needs the integer weights and their quantization parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tinymem.errors import InputError, ModelFormatError, UnsupportedOperatorError

#: ONNX element type -> IR dtype.
ELEM_TYPES = {
    TensorProto.FLOAT: "f32", TensorProto.FLOAT16: "f16", TensorProto.INT8: "s8", TensorProto.UINT8: "u8",
    TensorProto.INT16: "s16", TensorProto.INT32: "s32", TensorProto.INT64: "s64", TensorProto.BOOL: "bool",
}
#: Nodes never evaluated at compile time: DequantizeLinear feeds the QDQ lowering; the rest are
#: random or stateful.
NOT_FOLDED = {"DequantizeLinear", "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
              "Multinomial", "Bernoulli", "If", "Loop", "Scan"}
#: Largest constant (elements) that folding may create; bigger results stay computed at run time.
MAX_FOLD_ELEMENTS = 1 << 22


@dataclass
class Prepared:
    """A static ONNX graph: nodes to import, constants, and every tensor's shape and type."""

    nodes: list  # onnx.NodeProto, topologically ordered
    inputs: list[str]
    outputs: list[str]
    consts: dict[str, np.ndarray]
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    elem_types: dict[str, int] = field(default_factory=dict)
    opset: int = 13


def _dims(vi) -> list:
    """Declared dims of a ValueInfoProto: ints, symbol strings, or None for unknown."""
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in t.shape.dim]


def _pin_inputs(graph, inits: dict, input_shapes: dict, consts: dict) -> tuple[list, dict, dict]:
    real = [vi for vi in graph.input if vi.name not in inits]
    names = [vi.name for vi in real]
    for flag, given in (("--input-shape", input_shapes), ("--const", consts)):
        for name in given:
            if name not in names:
                raise InputError(f"{flag} {name}: the model has no input {name!r} "
                                 f"(inputs: {', '.join(names) or 'none'})")
    symbols: dict[str, int] = {}
    for vi in real:
        dims = _dims(vi)
        if vi.name in input_shapes:
            want = tuple(input_shapes[vi.name])
            if dims is not None and len(dims) != len(want):
                raise InputError(f"--input-shape {vi.name}={'x'.join(map(str, want))}: the input has rank "
                                 f"{len(dims)} ({_show(dims)})")
            for d, w in zip(dims or [], want):
                if isinstance(d, int) and d > 0 and d != w:
                    raise InputError(f"--input-shape {vi.name}: dim {d} of {_show(dims)} is static, {w} given")
                if isinstance(d, str):
                    symbols.setdefault(d, w)
    shapes, types, kept = {}, {}, []
    for vi in real:
        elem = vi.type.tensor_type.elem_type
        dims = _dims(vi)
        if vi.name in input_shapes:
            shape = tuple(input_shapes[vi.name])
        elif dims is None:
            raise InputError(f"input {vi.name!r} has no declared shape: pin it with --input-shape {vi.name}=...")
        else:
            shape = tuple(symbols.get(d, -1) if isinstance(d, str) else (-1 if d is None else d) for d in dims)
        if vi.name in consts:
            if any(d < 0 for d in shape):
                shape = tuple(1 if d < 0 else d for d in shape)
            inits[vi.name] = np.full(shape, consts[vi.name], dtype=helper.tensor_dtype_to_np_dtype(elem))
            continue
        if 0 in shape:
            raise InputError(f"input {vi.name!r} has shape {_show(shape)}: empty tensors are not supported")
        if any(d < 0 for d in shape):
            example = "x".join(str(d) if d > 0 else "1" for d in shape)
            raise InputError(f"input {vi.name!r} has a dynamic shape {_show(dims)}: pin it with "
                             f"--input-shape {vi.name}={example}")
        shapes[vi.name], types[vi.name] = shape, elem
        kept.append(vi.name)
    return kept, shapes, types


def _show(dims) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in (dims or [])) + ")"


class _Folder:
    def __init__(self, opset: int, opsets: dict, filename: str):
        self.opset, self.opsets, self.filename = opset, opsets, filename

    def evaluate(self, node, values: list) -> list[np.ndarray]:
        from onnx.reference import ReferenceEvaluator

        feeds = {n: v for n, v in zip(node.input, values) if n}
        try:
            outs = ReferenceEvaluator(node, opsets=self.opsets).run(None, feeds)
        except Exception as e:  # a node the reference evaluator cannot run: keep it for the import
            raise _CannotFold(f"{type(e).__name__}: {e}") from None
        return [np.asarray(o) for o in outs]


class _CannotFold(Exception):
    pass


def _inline(node, branch, taken_nodes: list, aliases: dict, consts: dict, taken_name: str) -> None:
    """Replace an If node by its taken branch: its nodes, constants and outputs."""
    for init in branch.initializer:
        consts[init.name] = numpy_helper.to_array(init)
    taken_nodes.extend(branch.node)
    for out, bout in zip(node.output, branch.output):
        aliases[out] = bout.name


def prepare(model: onnx.ModelProto, filename: str, input_shapes: dict, consts_given: dict) -> Prepared:
    graph = model.graph
    opsets = {o.domain or "": o.version for o in model.opset_import}
    opset = opsets.get("", opsets.get("ai.onnx", 0))
    opsets.setdefault("", opset)
    consts: dict[str, np.ndarray] = {}
    for init in graph.initializer:
        consts[init.name] = _to_array(init, filename)
    for sparse in graph.sparse_initializer:
        raise UnsupportedOperatorError(f"{filename}: sparse initializer {sparse.values.name!r} is not supported")
    inputs, shapes, types = _pin_inputs(graph, consts, input_shapes, consts_given)
    outputs = [o.name for o in graph.output]
    folder = _Folder(opset, opsets, filename)
    nodes = list(graph.node)
    aliases: dict[str, str] = {}
    inferred_shapes, inferred_types = dict(shapes), dict(types)
    for _ in range(64):
        nodes, changed = _fold_pass(nodes, consts, aliases, inferred_shapes, inferred_types, folder, set(outputs))
        inferred_shapes, inferred_types = _infer(model, nodes, inputs, shapes, types, consts, aliases, opsets)
        if not changed:
            break
    # graph outputs that became aliases or constants keep their ONNX names through Identity nodes
    tail = []
    nodes = [_rewire(n, aliases) for n in nodes]
    produced = {o: n for n in nodes for o in n.output if o}
    for o in outputs:
        src = _resolve(aliases, o)
        if src == o:
            continue
        inferred_shapes[o] = inferred_shapes.get(src)
        inferred_types[o] = inferred_types.get(src)
        if src in produced and src not in outputs and src not in inputs:
            _rename_value(nodes, src, o)  # the producer writes the graph output directly
            produced[o] = produced.pop(src)
        else:
            tail.append(helper.make_node("Identity", [src], [o], name=f"{o}_identity"))
    nodes = nodes + tail
    for name, value in consts.items():
        inferred_shapes[name] = tuple(value.shape)
    return Prepared(nodes, inputs, outputs, consts, inferred_shapes, inferred_types, opset)


def _to_array(init, filename: str) -> np.ndarray:
    if init.data_location == TensorProto.EXTERNAL:
        raise ModelFormatError(f"{filename}: initializer {init.name!r} is stored in an external data file; "
                               "give a single-file model (onnx.save(model, path, save_as_external_data=False))")
    try:
        return numpy_helper.to_array(init)
    except Exception as e:
        raise ModelFormatError(f"{filename}: initializer {init.name!r} is damaged ({e})") from None


def _resolve(aliases: dict, name: str) -> str:
    seen = 0
    while name in aliases and seen < 1000:
        name, seen = aliases[name], seen + 1
    return name


def _rewire(node, aliases: dict):
    if not any(i in aliases for i in node.input):
        return node
    new = onnx.NodeProto()
    new.CopyFrom(node)
    del new.input[:]
    new.input.extend(_resolve(aliases, i) if i else "" for i in node.input)
    return new


def _fold_pass(nodes, consts, aliases, shapes, types, folder, outputs) -> tuple[list, bool]:
    kept, changed = [], False
    queue = list(nodes)
    while queue:
        node = _rewire(queue.pop(0), aliases)
        op = node.op_type
        if node.domain not in ("", "ai.onnx"):
            kept.append(node)
            continue
        if op == "Constant":
            consts[node.output[0]] = _constant_value(node)
            changed = True
            continue
        if op == "If" and node.input[0] in consts:
            cond = bool(np.asarray(consts[node.input[0]]).reshape(-1)[0])
            branch = next(a.g for a in node.attribute if a.name == ("then_branch" if cond else "else_branch"))
            taken: list = []
            _inline(node, branch, taken, aliases, consts, node.name)
            queue = taken + queue
            changed = True
            continue
        if op in ("Identity",) or (op == "Dropout" and _dropout_is_identity(node, consts)):
            if node.output[0] not in outputs or node.input[0] in consts:
                aliases[node.output[0]] = node.input[0]
                changed = True
                continue
        if op in ("Shape", "Size") and node.input[0] not in consts:
            shape = shapes.get(node.input[0])
            if shape is not None and all(d >= 0 for d in shape):
                consts[node.output[0]] = _shape_value(node, shape)
                changed = True
                continue
        if op == "CastLike" and node.input[0] in consts and types.get(node.input[1]):
            dtype = helper.tensor_dtype_to_np_dtype(types[node.input[1]])
            consts[node.output[0]] = np.asarray(consts[node.input[0]]).astype(dtype)
            changed = True
            continue
        ins = [i for i in node.input if i]
        if op not in NOT_FOLDED and all(i in consts for i in ins) and (ins or op in ("ConstantOfShape",)):
            try:
                values = folder.evaluate(node, [consts.get(i) if i else None for i in node.input])
            except _CannotFold:
                kept.append(node)
                continue
            if sum(v.size for v in values) <= MAX_FOLD_ELEMENTS:
                for name, v in zip(node.output, values):
                    if name:
                        consts[name] = v
                changed = True
                continue
        kept.append(node)
    return kept, changed


def _rename_value(nodes, old: str, new: str) -> None:
    for n in nodes:
        for field in (n.input, n.output):
            for i, name in enumerate(field):
                if name == old:
                    field[i] = new


def _dropout_is_identity(node, consts) -> bool:
    if len(node.output) > 1 and node.output[1]:
        return False  # the mask is used
    if len(node.input) > 2 and node.input[2]:
        mode = consts.get(node.input[2])
        return mode is not None and not bool(np.asarray(mode).reshape(-1)[0])
    return True


def _constant_value(node) -> np.ndarray:
    attr = node.attribute[0]
    if attr.name == "value":
        return numpy_helper.to_array(attr.t)
    value = helper.get_attribute_value(attr)
    dtype = {"value_float": np.float32, "value_floats": np.float32, "value_int": np.int64,
             "value_ints": np.int64}.get(attr.name)
    if dtype is None:
        raise UnsupportedOperatorError(f"Constant node {node.name!r}: attribute {attr.name} is not supported")
    return np.asarray(value, dtype=dtype)


def _shape_value(node, shape) -> np.ndarray:
    if node.op_type == "Size":
        return np.asarray(int(np.prod(shape, dtype=np.int64)), dtype=np.int64)
    attrs = {a.name: a.i for a in node.attribute}
    rank = len(shape)
    start, end = attrs.get("start", 0), attrs.get("end", rank)
    start, end = (start + rank if start < 0 else start), (end + rank if end < 0 else end)
    return np.asarray(shape[max(0, start):min(rank, end)], dtype=np.int64)


def _infer(model, nodes, inputs, shapes, types, consts, aliases, opsets) -> tuple[dict, dict]:
    """Static shapes and element types of every tensor, by onnx shape inference."""
    used = {i for n in nodes for i in n.input if i} | set(aliases.values())
    g = helper.make_graph(
        [_rewire(n, aliases) for n in nodes], "prepared",
        [helper.make_tensor_value_info(n, types[n], shapes[n]) for n in inputs],
        [helper.make_empty_tensor_value_info(o) for n in nodes for o in n.output if o][-1:],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items() if k in used],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()],
                          ir_version=model.ir_version or 8)
    m.functions.extend(model.functions)
    try:
        m = onnx.shape_inference.infer_shapes(m, strict_mode=False, data_prop=True)
    except Exception:
        pass  # partial information is still useful; missing shapes are reported by the importer
    out_shapes, out_types = dict(shapes), dict(types)
    for vi in list(m.graph.value_info) + list(m.graph.output):
        dims = _dims(vi)
        if dims is not None and all(isinstance(d, int) for d in dims):
            out_shapes[vi.name] = tuple(dims)
        if vi.type.tensor_type.elem_type:
            out_types[vi.name] = vi.type.tensor_type.elem_type
    for k, v in consts.items():
        out_shapes[k] = tuple(np.shape(v))
        out_types[k] = helper.np_dtype_to_tensor_dtype(np.asarray(v).dtype)
    return out_shapes, out_types
