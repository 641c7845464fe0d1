"""ONNX (opset 11 and newer) -> IR.

1. parse the protobuf (a damaged file is a ModelFormatError naming the file and the defect);
2. `prepare` (onnx_prepare.py): specialise `--const` inputs, pin `--input-shape` dims, fold
   constant sub-graphs and `If` on constants, infer every tensor's static shape;
3. check that every remaining node has an importer (all unsupported operators are named in one
   line, with the supported set);
4. each node's operator module imports it through an `ONNXContext` (onnx_context.py), which
   keeps 4-D activations NHWC and converts layouts where an op needs another order;
5. graph outputs are converted back to the ONNX layout under their ONNX names.

Compiler passes then fold BatchNorm (fold_batchnorm), fuse activations (fuse_activations) and
lower QuantizeLinear/DequantizeLinear pairs to integer kernels (lower_qdq).
"""

from __future__ import annotations

import os
import re

import onnx
from google.protobuf.message import DecodeError

from tinymem.errors import ModelFormatError, UnsupportedOperatorError
from tinymem.frontend.onnx_context import ONNXContext
from tinymem.frontend.onnx_prepare import prepare
from tinymem.ir import Graph
from tinymem.ops import onnx_op, supported

MIN_OPSET = 11


def parse_model(data: bytes, filename: str) -> onnx.ModelProto:
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as e:
        raise ModelFormatError(f"{filename}: corrupt or truncated ONNX protobuf ({e or type(e).__name__})") from None
    if not data:
        raise ModelFormatError(f"{filename}: empty file")
    if not model.HasField("graph") or not model.graph.output:
        raise ModelFormatError(f"{filename}: not an ONNX model (no graph with outputs; truncated or another format?)")
    defined = {i.name for i in model.graph.input} | {i.name for i in model.graph.initializer}
    for node in model.graph.node:
        for name in node.input:
            if name and name not in defined:
                raise ModelFormatError(f"{filename}: node {node.name or node.op_type!r} reads {name!r}, "
                                       "which no earlier node, input or initializer defines (truncated or "
                                       "not topologically sorted)")
        defined.update(node.output)
    missing = [o.name for o in model.graph.output if o.name not in defined]
    if missing:
        raise ModelFormatError(f"{filename}: graph output {missing[0]!r} is never produced")
    return model


def _opset(model: onnx.ModelProto, filename: str) -> int:
    versions = {o.domain: o.version for o in model.opset_import}
    version = versions.get("", versions.get("ai.onnx"))
    if version is None:
        raise ModelFormatError(f"{filename}: the model declares no default-domain opset")
    if version < MIN_OPSET:
        raise UnsupportedOperatorError(
            f"{filename}: ONNX opset {version} is not supported (tinymem imports opset {MIN_OPSET} and newer); "
            "convert it with onnx.version_converter.convert_version(model, 13)")
    return version


def _check_supported(nodes, filename: str) -> None:
    missing: dict[str, list[str]] = {}
    for node in nodes:
        kind = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
        if node.domain not in ("", "ai.onnx") or onnx_op(node.op_type) is None:
            missing.setdefault(kind, []).append(node.name or "?")
    if missing:
        ops = "; ".join(f"{k} (node {', '.join(v[:3])}{', ...' if len(v) > 3 else ''})" for k, v in missing.items())
        hint = ("; an If on a run-time condition can be specialised with --const NAME=VALUE"
                if "If" in missing else "")
        raise UnsupportedOperatorError(
            f"{filename}: unsupported ONNX operator{'s' if len(missing) > 1 else ''} {ops}{hint}; "
            f"supported ONNX operators: {', '.join(supported('onnx'))}")


def load_onnx(data: bytes, filename: str, input_shapes: dict[str, tuple], consts: dict[str, float]) -> Graph:
    model = parse_model(data, filename)
    _opset(model, filename)
    prep = prepare(model, filename, dict(input_shapes or {}), dict(consts or {}))
    _check_supported(prep.nodes, filename)
    graph = Graph(re.sub(r"\W", "_", filename.rsplit(".", 1)[0]) or "model")
    ctx = ONNXContext(graph, prep, filename)
    for name in prep.inputs:
        ctx.add_input(name)
    try:
        for node in prep.nodes:
            ctx.begin(node)
            onnx_op(node.op_type).import_onnx(ctx, node)
        ctx.node = None
        ctx.finish()
    except (ModelFormatError, UnsupportedOperatorError):
        raise
    except (IndexError, KeyError, ValueError, TypeError) as e:
        if os.environ.get("TINYMEM_DEBUG"):
            raise
        where = f" at node {ctx.node.name or ctx.node.op_type!r}" if ctx.node is not None else ""
        raise ModelFormatError(f"{filename}: cannot import the model{where} ({type(e).__name__}: {e})") from None
    graph.prune()
    return graph
