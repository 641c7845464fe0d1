"""Programmatic writer of small TFLite flatbuffer models for operator tests.

It lets operator tests use TensorFlow Lite Micro as the bit-exact oracle for
single operators (and small chains) that no shipped model contains::

    from tests.tflite_builder import T, single_op, build_model, run_tflm

    buf = single_op(
        "CONV_2D",
        [T((1, 8, 8, 3), "s8", scale=0.05, zero_point=-3),
         T((4, 3, 3, 3), "s8", scale=[0.01, 0.02, 0.03, 0.04], zero_point=0,
           data=w),
         T((4,), "s32", scale=[...], zero_point=0, data=b)],
        [T((1, 8, 8, 4), "s8", scale=0.1, zero_point=5)],
        stride_w=1, stride_h=1, padding="SAME", fused_activation_function="RELU")
    (y,) = run_tflm(buf, [x])

The flatbuffer is written with the generated builder functions of the
``tflite`` PyPI package (``tflite.<Table>Start/Add<Field>/End``), laid out like
the TFLite converter does: schema version 3, file identifier ``TFL3``,
buffer 0 is the empty sentinel (used by every non-constant tensor), one
subgraph named ``main``, operator codes carrying both
``deprecated_builtin_code`` (clamped to 127) and ``builtin_code``.

Builtin options are given in snake_case (the schema field names).  Enum-valued
fields accept their names (``padding="SAME"``, ``fused_activation_function=
"RELU6"``, ``quantized_bias_type="s32"`` ...).  A few schema defaults that make
no sense for a hand-built model are replaced by convenient ones (see
``_default_options``): strides 1, softmax beta 1.0, depthwise depth_multiplier
from the tensor shapes, num_splits / values_count / num from the op arity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import flatbuffers
import numpy as np
import tflite

__all__ = [
    "T",
    "build_model",
    "single_op",
    "run_tflm",
    "DTYPES",
    "OPTIONS_TABLE",
]

SCHEMA_VERSION = 3
FILE_IDENTIFIER = b"TFL3"
# BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES
_PLACEHOLDER_FOR_GREATER_OP_CODES = 127
_BUFFER_ALIGNMENT = 16

# short dtype name -> (TensorType value, numpy dtype)
DTYPES: dict[str, tuple[int, np.dtype]] = {
    "f32": (tflite.TensorType.FLOAT32, np.dtype("<f4")),
    "f16": (tflite.TensorType.FLOAT16, np.dtype("<f2")),
    "f64": (tflite.TensorType.FLOAT64, np.dtype("<f8")),
    "s8": (tflite.TensorType.INT8, np.dtype("i1")),
    "u8": (tflite.TensorType.UINT8, np.dtype("u1")),
    "s16": (tflite.TensorType.INT16, np.dtype("<i2")),
    "u16": (tflite.TensorType.UINT16, np.dtype("<u2")),
    "s32": (tflite.TensorType.INT32, np.dtype("<i4")),
    "u32": (tflite.TensorType.UINT32, np.dtype("<u4")),
    "s64": (tflite.TensorType.INT64, np.dtype("<i8")),
    "bool": (tflite.TensorType.BOOL, np.dtype("?")),
}

_NUMPY_TO_SHORT = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float16): "f16",
    np.dtype(np.float64): "f64",
    np.dtype(np.int8): "s8",
    np.dtype(np.uint8): "u8",
    np.dtype(np.int16): "s16",
    np.dtype(np.uint16): "u16",
    np.dtype(np.int32): "s32",
    np.dtype(np.uint32): "u32",
    np.dtype(np.int64): "s64",
    np.dtype(np.bool_): "bool",
}

# BuiltinOperator name -> BuiltinOptions table name (ops absent here have no
# options table, i.e. BuiltinOptions.NONE: RELU, RELU6, LOGISTIC, TANH, PRELU,
# ...).
OPTIONS_TABLE: dict[str, str] = {
    "CONV_2D": "Conv2DOptions",
    "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "TRANSPOSE_CONV": "TransposeConvOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions",
    "BATCH_MATMUL": "BatchMatMulOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions",
    "MEAN": "ReducerOptions",
    "SUM": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions",
    "REDUCE_ANY": "ReducerOptions",
    "ADD": "AddOptions",
    "SUB": "SubOptions",
    "MUL": "MulOptions",
    "DIV": "DivOptions",
    "SQUARED_DIFFERENCE": "SquaredDifferenceOptions",
    "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions",
    "CONCATENATION": "ConcatenationOptions",
    "PACK": "PackOptions",
    "UNPACK": "UnpackOptions",
    "SPLIT": "SplitOptions",
    "SPLIT_V": "SplitVOptions",
    "RESHAPE": "ReshapeOptions",
    "SQUEEZE": "SqueezeOptions",
    "EXPAND_DIMS": "ExpandDimsOptions",
    "TRANSPOSE": "TransposeOptions",
    "PAD": "PadOptions",
    "PADV2": "PadV2Options",
    "MIRROR_PAD": "MirrorPadOptions",
    "STRIDED_SLICE": "StridedSliceOptions",
    "SLICE": "SliceOptions",
    "GATHER": "GatherOptions",
    "SOFTMAX": "SoftmaxOptions",
    "LOG_SOFTMAX": "LogSoftmaxOptions",
    "LEAKY_RELU": "LeakyReluOptions",
    "HARD_SWISH": "HardSwishOptions",
    "GELU": "GeluOptions",
    "EXP": "ExpOptions",
    "L2_NORMALIZATION": "L2NormOptions",
    "QUANTIZE": "QuantizeOptions",
    "DEQUANTIZE": "DequantizeOptions",
    "CAST": "CastOptions",
    "SHAPE": "ShapeOptions",
    "ARG_MAX": "ArgMaxOptions",
    "ARG_MIN": "ArgMinOptions",
    "RESIZE_BILINEAR": "ResizeBilinearOptions",
    "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions",
    "DEPTH_TO_SPACE": "DepthToSpaceOptions",
    "SPACE_TO_DEPTH": "SpaceToDepthOptions",
    "BATCH_TO_SPACE_ND": "BatchToSpaceNDOptions",
    "SPACE_TO_BATCH_ND": "SpaceToBatchNDOptions",
    "TILE": "TileOptions",
    "FILL": "FillOptions",
    "ZEROS_LIKE": "ZerosLikeOptions",
    "EQUAL": "EqualOptions",
    "NOT_EQUAL": "NotEqualOptions",
    "LESS": "LessOptions",
    "LESS_EQUAL": "LessEqualOptions",
    "GREATER": "GreaterOptions",
    "GREATER_EQUAL": "GreaterEqualOptions",
    "SELECT_V2": "SelectV2Options",
    "NEG": "NegOptions",
    "SQUARE": "SquareOptions",
    "ABS": "AbsOptions",
}

# option field name -> enum class whose member names are accepted as values
_ENUM_FIELDS = {
    "padding": tflite.Padding,
    "fused_activation_function": tflite.ActivationFunctionType,
    "weights_format": tflite.FullyConnectedOptionsWeightsFormat,
    "mode": tflite.MirrorPadMode,
    "quantized_bias_type": tflite.TensorType,
    "in_data_type": tflite.TensorType,
    "out_data_type": tflite.TensorType,
    "output_type": tflite.TensorType,
    "idx_out_type": tflite.TensorType,
}


@dataclass
class T:
    """Tensor spec.

    shape: tensor shape.  dtype: one of DTYPES ('f32', 's8', 'u8', 's16',
    's32', 's64', 'bool', ...) or a numpy dtype.  scale/zero_point: affine
    quantization, a scalar (per-tensor) or a list (per-channel along
    ``quantized_dimension``); zero_point defaults to 0 when scale is given and
    a scalar zero_point is broadcast to len(scale).  data: constant contents
    (becomes a flatbuffer buffer; the tensor is then not a model input).
    """

    shape: tuple
    dtype: str
    scale: float | list | None = None
    zero_point: int | list | None = None
    quantized_dimension: int = 0
    data: np.ndarray | None = None
    name: str = ""

    @property
    def np_dtype(self) -> np.dtype:
        return DTYPES[_short_dtype(self.dtype)][1]


def _short_dtype(dtype) -> str:
    if isinstance(dtype, str) and dtype in DTYPES:
        return dtype
    try:
        return _NUMPY_TO_SHORT[np.dtype(dtype)]
    except (TypeError, KeyError):
        raise ValueError(f"unsupported tensor dtype {dtype!r}; "
                         f"use one of {sorted(DTYPES)}") from None


def _camel(snake: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in snake.split("_"))


def _builtin_code(op: str) -> int:
    code = getattr(tflite.BuiltinOperator, op.upper(), None)
    if not isinstance(code, int):
        raise ValueError(f"unknown BuiltinOperator {op!r}")
    return code


def _options_table(op: str) -> str | None:
    return OPTIONS_TABLE.get(op.upper())


# --------------------------------------------------------------------------
# flatbuffer helpers


def _int_vector(b: flatbuffers.Builder, values: Iterable[int],
                start_fn) -> int:
    values = [int(v) for v in values]
    start_fn(b, len(values))
    for v in reversed(values):
        b.PrependInt32(v)
    return b.EndVector()


def _aligned_bytes(b: flatbuffers.Builder, data: bytes,
                   alignment: int = _BUFFER_ALIGNMENT) -> int:
    """A [ubyte] vector whose payload is `alignment`-aligned (like the
    converter does for buffers, so int32/float data is naturally aligned)."""
    b.StartVector(1, len(data), alignment)
    b.head = b.head - len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    return b.EndVector()


def _enum_value(field: str, value):
    enum = _ENUM_FIELDS.get(field)
    if enum is None or not isinstance(value, str):
        return value
    if enum is tflite.TensorType and value in DTYPES:
        return DTYPES[value][0]
    v = getattr(enum, value.upper(), None)
    if not isinstance(v, int):
        members = [k for k in vars(enum) if not k.startswith("_")]
        raise ValueError(f"option {field}={value!r}: expected one of {members}")
    return v


def _default_options(op: str, options: dict, in_specs: list[T | None],
                     out_specs: list[T]) -> dict:
    """Fill in convenient defaults where the schema default is unusable."""
    op = op.upper()
    o = dict(options)
    if op in ("CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV",
              "AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D"):
        o.setdefault("stride_w", 1)
        o.setdefault("stride_h", 1)
    if op in ("AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D"):
        if "filter_width" not in o or "filter_height" not in o:
            raise ValueError(f"{op} needs filter_width and filter_height")
    if op == "DEPTHWISE_CONV_2D" and "depth_multiplier" not in o:
        cin = in_specs[0].shape[-1]
        cout = out_specs[0].shape[-1]
        if cout % cin:
            raise ValueError("DEPTHWISE_CONV_2D: output channels must be a "
                             "multiple of input channels")
        o["depth_multiplier"] = cout // cin
    if op in ("SOFTMAX",):
        o.setdefault("beta", 1.0)
    if op in ("SPLIT", "SPLIT_V"):
        o.setdefault("num_splits", len(out_specs))
    if op == "PACK":
        o.setdefault("values_count", len(in_specs))
    if op == "UNPACK":
        o.setdefault("num", len(out_specs))
    return o


def _build_options(b: flatbuffers.Builder, op: str, options: dict
                   ) -> tuple[int, int | None]:
    """Returns (BuiltinOptions union type, table offset or None)."""
    table = _options_table(op)
    if table is None:
        if options:
            raise ValueError(f"{op} has no builtin options table but got "
                             f"options {sorted(options)}")
        return tflite.BuiltinOptions.NONE, None
    union_type = getattr(tflite.BuiltinOptions, table)

    # resolve adders first so that typos fail loudly
    adders = []
    for field, value in options.items():
        adder = getattr(tflite, f"{table}Add{_camel(field)}", None)
        if adder is None:
            raise ValueError(f"{op}: {table} has no field {field!r}")
        adders.append((field, adder, _enum_value(field, value)))

    # vectors must be created before the table is started
    resolved = []
    for field, adder, value in adders:
        if isinstance(value, (list, tuple, np.ndarray)):
            start = getattr(tflite, f"{table}Start{_camel(field)}Vector")
            value = _int_vector(b, value, start)
        elif isinstance(value, np.generic):
            value = value.item()
        resolved.append((adder, value))

    getattr(tflite, f"{table}Start")(b)
    for adder, value in resolved:
        adder(b, value)
    return union_type, getattr(tflite, f"{table}End")(b)


def _build_quantization(b: flatbuffers.Builder, t: T) -> int | None:
    if t.scale is None:
        if t.zero_point is not None:
            raise ValueError(f"tensor {t.name!r}: zero_point without scale")
        return None
    scales = np.atleast_1d(np.asarray(t.scale, dtype=np.float32)).ravel()
    zp = 0 if t.zero_point is None else t.zero_point
    zps = np.atleast_1d(np.asarray(zp, dtype=np.int64)).ravel()
    if zps.size == 1 and scales.size > 1:
        zps = np.full(scales.size, zps[0], dtype=np.int64)
    if zps.size != scales.size:
        raise ValueError(f"tensor {t.name!r}: {scales.size} scales but "
                         f"{zps.size} zero points")
    if scales.size > 1:
        qd = t.quantized_dimension
        if not (0 <= qd < len(t.shape)) or t.shape[qd] != scales.size:
            raise ValueError(
                f"tensor {t.name!r}: per-channel quantization with "
                f"{scales.size} scales along dimension {qd} of shape {t.shape}")

    tflite.QuantizationParametersStartScaleVector(b, scales.size)
    for s in reversed(scales.tolist()):
        b.PrependFloat32(s)
    scale_vec = b.EndVector()
    tflite.QuantizationParametersStartZeroPointVector(b, zps.size)
    for z in reversed(zps.tolist()):
        b.PrependInt64(z)
    zp_vec = b.EndVector()

    tflite.QuantizationParametersStart(b)
    tflite.QuantizationParametersAddScale(b, scale_vec)
    tflite.QuantizationParametersAddZeroPoint(b, zp_vec)
    tflite.QuantizationParametersAddQuantizedDimension(
        b, int(t.quantized_dimension))
    return tflite.QuantizationParametersEnd(b)


def _tensor_bytes(t: T) -> bytes:
    dt = t.np_dtype
    arr = np.asarray(t.data)
    if arr.dtype.kind == "f" and dt.kind in "iub":
        raise ValueError(f"tensor {t.name!r}: float data for integer dtype "
                         f"{t.dtype!r} (quantize it first)")
    if dt.kind in "iu" and arr.dtype.kind in "iu" and arr.size:
        info = np.iinfo(dt)
        if arr.min() < info.min or arr.max() > info.max:
            raise ValueError(f"tensor {t.name!r}: data out of range for "
                             f"{t.dtype!r}")
    arr = arr.astype(dt, copy=False)
    n = int(np.prod(t.shape, dtype=np.int64))
    if arr.size != n:
        raise ValueError(f"tensor {t.name!r}: data has {arr.size} elements, "
                         f"shape {tuple(t.shape)} needs {n}")
    return np.ascontiguousarray(arr.reshape(tuple(t.shape))).tobytes()


# --------------------------------------------------------------------------
# public API


def build_model(ops: Sequence[tuple], tensors: Sequence[T],
                inputs: Sequence[int], outputs: Sequence[int],
                description: str = "tinymem tests.tflite_builder") -> bytes:
    """Serialize a one-subgraph TFLite model.

    ops: list of ``(op_name, input_indices, output_indices[, options])``
    where op_name is a BuiltinOperator name ('CONV_2D', ...), indices refer to
    `tensors` (-1 = omitted optional input) and options is a dict of builtin
    options in snake_case.  inputs/outputs: subgraph input/output tensor
    indices.  Tensors with `data` get their own buffer; the others use the
    empty sentinel buffer 0.
    """
    tensors = list(tensors)
    for t in tensors:
        _short_dtype(t.dtype)  # validate early

    def check_idx(idx: int, what: str, allow_missing: bool = False):
        if allow_missing and idx == -1:
            return
        if not 0 <= idx < len(tensors):
            raise ValueError(f"{what}: tensor index {idx} out of range")

    norm_ops = []
    for k, entry in enumerate(ops):
        if len(entry) == 3:
            name, ins, outs = entry
            opts = {}
        else:
            name, ins, outs, opts = entry
        ins = [-1 if i is None else int(i) for i in ins]
        outs = [int(i) for i in outs]
        for i in ins:
            check_idx(i, f"op {k} ({name}) input", allow_missing=True)
        for i in outs:
            check_idx(i, f"op {k} ({name}) output")
        in_specs = [tensors[i] if i >= 0 else None for i in ins]
        out_specs = [tensors[i] for i in outs]
        opts = _default_options(name, opts or {}, in_specs, out_specs)
        norm_ops.append((name.upper(), ins, outs, opts))
    for i in inputs:
        check_idx(i, "subgraph input")
    for i in outputs:
        check_idx(i, "subgraph output")

    b = flatbuffers.Builder(1024)

    # --- buffers: 0 = empty sentinel, then one per constant tensor
    buffer_data: list[bytes | None] = [None]
    tensor_buffer: list[int] = []
    for t in tensors:
        if t.data is None:
            tensor_buffer.append(0)
        else:
            tensor_buffer.append(len(buffer_data))
            buffer_data.append(_tensor_bytes(t))
    buffer_offsets = []
    for data in buffer_data:
        vec = _aligned_bytes(b, data) if data else None
        tflite.BufferStart(b)
        if vec is not None:
            tflite.BufferAddData(b, vec)
        buffer_offsets.append(tflite.BufferEnd(b))

    # --- tensors
    tensor_offsets = []
    for i, (t, buf_idx) in enumerate(zip(tensors, tensor_buffer)):
        name = b.CreateString(t.name or f"t{i}")
        shape = _int_vector(b, t.shape, tflite.TensorStartShapeVector)
        quant = _build_quantization(b, t)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, DTYPES[_short_dtype(t.dtype)][0])
        tflite.TensorAddBuffer(b, buf_idx)
        tflite.TensorAddName(b, name)
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        tensor_offsets.append(tflite.TensorEnd(b))

    # --- operator codes (deduplicated, in order of first use)
    opcode_index: dict[str, int] = {}
    for name, *_ in norm_ops:
        opcode_index.setdefault(name, len(opcode_index))
    opcode_offsets = []
    for name in opcode_index:
        code = _builtin_code(name)
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(
            b, min(code, _PLACEHOLDER_FOR_GREATER_OP_CODES))
        tflite.OperatorCodeAddVersion(b, 1)
        tflite.OperatorCodeAddBuiltinCode(b, code)
        opcode_offsets.append(tflite.OperatorCodeEnd(b))

    # --- operators
    op_offsets = []
    for name, ins, outs, opts in norm_ops:
        in_vec = _int_vector(b, ins, tflite.OperatorStartInputsVector)
        out_vec = _int_vector(b, outs, tflite.OperatorStartOutputsVector)
        opt_type, opt_off = _build_options(b, name, opts)
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, opcode_index[name])
        tflite.OperatorAddInputs(b, in_vec)
        tflite.OperatorAddOutputs(b, out_vec)
        tflite.OperatorAddBuiltinOptionsType(b, opt_type)
        if opt_off is not None:
            tflite.OperatorAddBuiltinOptions(b, opt_off)
        op_offsets.append(tflite.OperatorEnd(b))

    # --- subgraph
    def table_vector(start_fn, offsets):
        start_fn(b, len(offsets))
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    sg_tensors = table_vector(tflite.SubGraphStartTensorsVector, tensor_offsets)
    sg_inputs = _int_vector(b, inputs, tflite.SubGraphStartInputsVector)
    sg_outputs = _int_vector(b, outputs, tflite.SubGraphStartOutputsVector)
    sg_ops = table_vector(tflite.SubGraphStartOperatorsVector, op_offsets)
    sg_name = b.CreateString("main")
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, sg_tensors)
    tflite.SubGraphAddInputs(b, sg_inputs)
    tflite.SubGraphAddOutputs(b, sg_outputs)
    tflite.SubGraphAddOperators(b, sg_ops)
    tflite.SubGraphAddName(b, sg_name)
    subgraph = tflite.SubGraphEnd(b)

    # --- model
    m_opcodes = table_vector(tflite.ModelStartOperatorCodesVector,
                             opcode_offsets)
    m_subgraphs = table_vector(tflite.ModelStartSubgraphsVector, [subgraph])
    m_desc = b.CreateString(description)
    m_buffers = table_vector(tflite.ModelStartBuffersVector, buffer_offsets)
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, SCHEMA_VERSION)
    tflite.ModelAddOperatorCodes(b, m_opcodes)
    tflite.ModelAddSubgraphs(b, m_subgraphs)
    tflite.ModelAddDescription(b, m_desc)
    tflite.ModelAddBuffers(b, m_buffers)
    model = tflite.ModelEnd(b)
    b.Finish(model, file_identifier=FILE_IDENTIFIER)
    return bytes(b.Output())


def single_op(op: str, inputs: Sequence[T | None], outputs: Sequence[T],
              **options) -> bytes:
    """A model with one operator.  Input specs without `data` become the
    model inputs (in order); specs with `data` are constants; None marks an
    omitted optional input (index -1)."""
    tensors: list[T] = []
    op_inputs: list[int] = []
    for t in inputs:
        if t is None:
            op_inputs.append(-1)
        else:
            op_inputs.append(len(tensors))
            tensors.append(t)
    op_outputs = list(range(len(tensors), len(tensors) + len(outputs)))
    tensors.extend(outputs)
    model_inputs = [i for i in op_inputs if i >= 0 and tensors[i].data is None]
    return build_model([(op, op_inputs, op_outputs, options)], tensors,
                       model_inputs, op_outputs)


def _default_arena_size(model: bytes) -> int:
    """Generous arena: TFLM's own heuristic (10x the flatbuffer size) is too
    small for models with tiny weights and large activations."""
    sg = tflite.Model.GetRootAs(model, 0).Subgraphs(0)
    itemsize = {v[0]: v[1].itemsize for v in DTYPES.values()}
    total = 0
    for i in range(sg.TensorsLength()):
        t = sg.Tensors(i)
        n = int(np.prod(t.ShapeAsNumpy(), dtype=np.int64)) if t.ShapeLength() else 1
        total += n * itemsize.get(t.Type(), 8) + 64
    return max(10 * len(model), 2 * total) + 64 * 1024


def run_tflm(model: bytes, inputs: Sequence[np.ndarray],
             arena_size: int | None = None) -> list[np.ndarray]:
    """Run `model` once under the TFLM Python interpreter (all builtin ops
    registered); returns copies of all subgraph outputs."""
    from tflite_micro.python.tflite_micro import runtime

    if arena_size is None:
        arena_size = _default_arena_size(model)
    interp = runtime.Interpreter.from_bytes(model, arena_size=arena_size)
    for i, x in enumerate(inputs):
        interp.set_input(np.ascontiguousarray(x), i)
    interp.invoke()
    n_out = tflite.Model.GetRootAs(model, 0).Subgraphs(0).OutputsLength()
    return [np.array(interp.get_output(i), copy=True) for i in range(n_out)]
