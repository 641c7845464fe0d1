"""The ONNX project's node test cases that exercise operators tinymem imports, made static.

Each case (`onnx.backend.test.case.node.collect_testcases()`) is a one-node (or small expanded)
model with input and expected output arrays. tinymem compiles models whose weights, shapes,
axes, pads, scales, ... are compile-time constants, so `bake()` turns the case's operand inputs
that must be constant (weights, integer inputs, per-op operand positions below) into
initializers with the case's values; the remaining inputs stay runtime inputs.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import onnx
from onnx import numpy_helper

#: ONNX nodes that the frontend evaluates at compile time (constant shape sub-graphs)
FOLDED = {"Constant", "Shape", "Size", "ConstantOfShape", "Cast", "CastLike", "Gather", "Equal", "Range"}

#: operand positions that tinymem needs as compile-time constants, per op type
CONST_OPERANDS = {
    "Conv": (1, 2), "Gemm": (1, 2), "MatMul": (1,), "BatchNormalization": (1, 2, 3, 4), "Clip": (1, 2),
    "Pad": (1, 2, 3), "QuantizeLinear": (1, 2), "DequantizeLinear": (1, 2), "PRelu": (1,), "Slice": (1, 2, 3, 4),
    "Reshape": (1,), "Split": (1,), "Squeeze": (1,), "Unsqueeze": (1,), "ReduceMean": (1,), "Dropout": (1, 2),
    "LSTM": (1, 2, 3, 7), "GRU": (1, 2, 3), "RNN": (1, 2, 3),  # W, R, B (and LSTM's peepholes P)
}


@lru_cache(maxsize=1)
def all_cases():
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return {c.name: c for c in collect_testcases() if c.kind == "node"}


def op_types(case) -> set[str]:
    return {n.op_type for n in case.model.graph.node}


def selected(supported: set[str]) -> list[str]:
    """Names of the cases whose every node is an operator tinymem imports (or folds)."""
    out = []
    for name, case in sorted(all_cases().items()):
        types = op_types(case)
        if types & supported and types <= supported | FOLDED:
            out.append(name)
    return out


def bake(case) -> tuple[onnx.ModelProto, list[str], dict[str, np.ndarray], list[np.ndarray]]:
    """(static model, runtime input names, their values, expected outputs) of a case."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    inputs, outputs = case.data_sets[0]
    names = [i.name for i in model.graph.input]
    values = dict(zip(names, inputs))
    const_names = set()
    for node in model.graph.node:
        for pos in CONST_OPERANDS.get(node.op_type, ()):
            if pos < len(node.input) and node.input[pos] in values:
                const_names.add(node.input[pos])
    keep = []
    for vi in list(model.graph.input):
        if vi.name in const_names:
            v = values[vi.name]
            if isinstance(v, onnx.TensorProto):
                t = onnx.TensorProto()
                t.CopyFrom(v)
                t.name = vi.name
            else:
                t = numpy_helper.from_array(np.asarray(v), vi.name)
            model.graph.initializer.append(t)
        else:
            keep.append(vi)
    del model.graph.input[:]
    model.graph.input.extend(keep)
    runtime = [vi.name for vi in keep]
    return model, runtime, {n: np.asarray(values[n]) for n in runtime}, [np.asarray(o) for o in outputs]
