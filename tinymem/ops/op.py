"""`Op`: what one operator module declares about its operator.

Each module in `tinymem/ops/` defines one subclass and decorates it with `@register`. The
frontends look operators up by their TFLite or ONNX name; the compiler, the reference
interpreter, the cost model and the C emitter look them up by IR name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from tinymem.ir import Graph, Node


@dataclass(frozen=True)
class Window:
    """The receptive field of one spatial axis of an operator for patch-based inference
    (tinymem/schedule/patch_plan.py): output index o reads the input indices
    o * stride - pad + k * dilation for k < kernel; those outside the input are padding."""
    kernel: int = 1
    stride: int = 1
    dilation: int = 1
    pad: int = 0  # padding before the first input index

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        """Input indices [a, b) that outputs [lo, hi) read, unclipped (a < 0 or b > size: padding)."""
        return lo * self.stride - self.pad, (hi - 1) * self.stride - self.pad + (self.kernel - 1) * self.dilation + 1


POINTWISE = (Window(), Window())


def with_pads(node: Node, pads: tuple[int, int, int, int]) -> Node:
    """A copy of a conv-like node (attribute "pads": top, left, bottom, right) with other pads."""
    return dataclasses.replace(node, attrs={**node.attrs, "pads": [int(p) for p in pads]})


class Op:
    #: IR name of the operator (one per module).
    name: str = ""
    #: TFLite builtin operator names this module imports.
    tflite: tuple[str, ...] = ()
    #: ONNX operator types this module imports.
    onnx: tuple[str, ...] = ()

    # -- frontends ----------------------------------------------------------------------------
    def import_tflite(self, ctx, op) -> None:
        """Add IR node(s) for one TFLite operator to ctx.graph (see frontend/tflite.py)."""
        raise NotImplementedError

    def import_onnx(self, ctx, node) -> None:
        """Add IR node(s) for one ONNX node to ctx.graph (see frontend/onnx.py)."""
        raise NotImplementedError

    # -- semantics ----------------------------------------------------------------------------
    def infer(self, node: Node, g: Graph) -> list[tuple[int, ...]]:
        """Output shapes from input shapes and attributes."""
        raise NotImplementedError

    def reference(self, node: Node, g: Graph, inputs: list[np.ndarray | None]) -> list[np.ndarray]:
        """Numpy reference: bit-exact with TFLM for integer tensors, exact float otherwise."""
        raise NotImplementedError

    #: True when `reference` also takes `matmul=`: a replacement for the integer accumulation of
    #: the op's int8 path with constant weights (an `exact_matmul`-like function). The reference
    #: interpreter passes it to run those layers on another backend (tinymem/imc: crossbars).
    integer_matmul: bool = False

    # -- costs and memory traits ----------------------------------------------------------------
    def macs(self, node: Node, g: Graph) -> int:
        return 0

    def scratch_bytes(self, node: Node, g: Graph) -> int:
        """Bytes of kernel workspace; must equal the C kernel's scratch-size query."""
        return 0

    #: True when the output may be the same buffer as the first input (a pure alias: no copy).
    alias: bool = False
    #: Inputs whose buffer the output may overwrite with the ordinary kernel: output element i
    #: depends only on element i of that input, which the kernel reads before writing output
    #: element i (elementwise ops). Needs the input's shape and dtype size to be the output's.
    inplace_inputs: tuple[int, ...] = ()

    def inplace_scratch(self, node: Node, g: Graph, index: int) -> int | None:
        """Scratch bytes the node needs when its output overwrites input `index` (both starting
        at the same address of one buffer of max(input, output) bytes), or None when it cannot.
        The schedule decides (tinymem/schedule/inplace.py); `emit` asks `em.inplace(node)`."""
        if index not in self.inplace_inputs or len(node.outputs) != 1:
            return None
        x, y = g.tensor(node.inputs[index]), g.tensor(node.outputs[0])
        if x.shape != y.shape or x.nbytes != y.nbytes:
            return None
        return self.scratch_bytes(node, g)
    # -- patch-based inference (tinymem/schedule/patch_plan.py) ----------------------------------
    #: True for ops whose output pixel depends only on the same pixel of their inputs
    #: (elementwise ops); `receptive_field` then checks the shapes.
    pointwise: bool = False

    def receptive_field(self, node: Node, g: Graph) -> tuple[Window, Window] | None:
        """(rows, columns) windows of the op on its NHWC activation inputs, or None when the op
        cannot run on a patch of its input. Pointwise ops: every non-constant input has the
        output's shape and constants do not vary over rows and columns."""
        if not self.pointwise or len(node.outputs) != 1:
            return None
        y = g.tensor(node.outputs[0])
        for name in node.inputs:
            t = g.tensor(name) if name else None
            if t is None:
                continue
            if t.is_const:
                if len(t.shape) >= 3 and any(d != 1 for d in t.shape[-3:-1]):
                    return None
            elif t.shape != y.shape:
                return None
        return POINTWISE if len(y.shape) == 4 else None

    def patch_node(self, node: Node, pads: tuple[int, int, int, int]) -> Node:
        """The node computing one patch: the same op with (top, left, bottom, right) padding
        `pads` (the padding the patch still needs: nonzero only at true image borders)."""
        if any(pads):
            raise ValueError(f"{node.op}: a pointwise op has no padding")
        return node
    #: C header declaring the kernels (runtime_c/include/tinymem/<header>.h); default: `name`.
    header: str | None = None

    # -- code generation ------------------------------------------------------------------------
    def emit(self, node: Node, g: Graph, em) -> str:
        """C statement(s) computing the node, using em (codegen/emitter.py) for buffers & tables."""
        raise NotImplementedError


def exact_matmul(key: str, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The digital accumulation of an int8 layer: x [M, K] @ w [N, K].T in int64, on operands
    already corrected by their zero points. `key` names the weight matrix (the node, and its
    channel group: see conv2d.py); a replacement backend keeps per-matrix state under it."""
    return x @ w.T
