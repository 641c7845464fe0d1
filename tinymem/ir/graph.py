"""Graph, Node, Tensor and QuantParams: the data structures every stage passes along.

Layout conventions: activations are NHWC; Conv2D filters are OHWI; DepthwiseConv2D filters are
1HW(C*M); FullyConnected weights are [out, in]. Shapes are static tuples of ints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinymem.ir.dtypes import from_numpy, itemsize


@dataclass
class QuantParams:
    """Affine quantization: real = scale * (q - zero_point), per tensor or along `axis`."""

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int | None = None

    def __post_init__(self):
        self.scale = np.atleast_1d(np.asarray(self.scale, dtype=np.float32))
        self.zero_point = np.atleast_1d(np.asarray(self.zero_point, dtype=np.int64))
        if self.zero_point.size == 1 and self.scale.size > 1:
            self.zero_point = np.repeat(self.zero_point, self.scale.size)
        if self.scale.size == 1:
            self.axis = None

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1

    def describe(self) -> str:
        if self.per_channel:
            return f"per-axis {self.axis} x{self.scale.size}"
        return f"s={float(self.scale[0]):.6g} zp={int(self.zero_point[0])}"


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: QuantParams | None = None
    data: np.ndarray | None = None  # set for constants (they live in flash)
    #: State that survives between runs (its own RAM region, never reused); nodes may write it.
    persistent: bool = False
    #: Initial value of persistent state (None: the zero point, or 0.0 for float).
    init: np.ndarray | None = None

    def __post_init__(self):
        self.shape = tuple(int(d) for d in self.shape)

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * itemsize(self.dtype)

    @property
    def scale(self) -> float:
        return float(self.quant.scale[0])

    @property
    def zero_point(self) -> int:
        return int(self.quant.zero_point[0])


@dataclass
class Node:
    op: str
    name: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict = field(default_factory=dict)

    def input(self, i: int) -> str | None:
        """Name of input i, or None when it is absent (optional inputs may be "")."""
        return self.inputs[i] if i < len(self.inputs) and self.inputs[i] else None


@dataclass
class Graph:
    name: str
    tensors: dict[str, Tensor] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    #: the C kernel set the plan is made for: "portable" (runtime_c/kernels) or "dsp" (Cortex-M
    #: DSP-extension variants from runtime_c/kernels_arm, whose scratch sizes differ; see
    #: tinymem.memory.target)
    kernels: str = "portable"

    # -- building -----------------------------------------------------------------------------
    def add_tensor(self, tensor: Tensor) -> Tensor:
        if tensor.name in self.tensors:
            raise ValueError(f"duplicate tensor name {tensor.name!r}")
        self.tensors[tensor.name] = tensor
        return tensor

    def add_const(self, name: str, data: np.ndarray, quant: QuantParams | None = None) -> str:
        """Add a constant under a fresh name derived from `name`; returns the name used."""
        data = np.ascontiguousarray(data)
        name = self.fresh_name(name)
        self.add_tensor(Tensor(name, data.shape, from_numpy(data.dtype), quant, data))
        return name

    def fresh_name(self, base: str) -> str:
        name, i = base, 1
        while name in self.tensors:
            name = f"{base}_{i}"
            i += 1
        return name

    # -- queries ------------------------------------------------------------------------------
    def tensor(self, name: str) -> Tensor:
        return self.tensors[name]

    def const(self, name: str | None) -> np.ndarray | None:
        if not name:
            return None
        return self.tensors[name].data

    def producers(self) -> dict[str, Node]:
        return {t: n for n in self.nodes for t in n.outputs if t}

    def consumers(self) -> dict[str, list[Node]]:
        out: dict[str, list[Node]] = {}
        for n in self.nodes:
            for t in n.inputs:
                if t:
                    out.setdefault(t, []).append(n)
        return out

    # -- editing ------------------------------------------------------------------------------
    def rename_uses(self, old: str, new: str) -> None:
        """Make every reader of tensor `old` (nodes and graph outputs) read `new` instead."""
        for n in self.nodes:
            n.inputs = [new if t == old else t for t in n.inputs]
        self.outputs = [new if t == old else t for t in self.outputs]

    def prune(self) -> None:
        """Drop nodes whose outputs nobody needs and tensors nobody references. Writes to
        persistent tensors (state) are always needed."""
        live = set(self.outputs) | {n for n, t in self.tensors.items() if t.persistent}
        kept = []
        for n in reversed(self.nodes):
            if any(t in live for t in n.outputs):
                kept.append(n)
                live.update(t for t in n.inputs if t)
        self.nodes = kept[::-1]
        used = live | set(self.inputs) | {t for n in self.nodes for t in n.outputs if t}
        self.tensors = {k: v for k, v in self.tensors.items() if k in used}
