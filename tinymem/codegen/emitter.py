"""`Emitter`: what an operator's `emit` uses to name buffers, constants and parameter structs.

It collects, while the model is emitted node by node:
  - weights and derived tables (const arrays for weights.c, deduplicated by content),
  - parameter structs (static const, in model.c),
  - the kernels called (each kernel function lives in runtime_c/kernels/<function>.c).
"""

from __future__ import annotations

import hashlib

import numpy as np

from tinymem.codegen.cnames import c_float, c_ident
from tinymem.errors import UnsupportedOperatorError
from tinymem.ir import Graph, Node, c_type
from tinymem.ir.dtypes import from_numpy
from tinymem.memory import MemoryPlan


def scratch_check(g: Graph, size_query: str, planned: int) -> str:
    """The C condition under which init() fails: the kernel's scratch-size query must return
    exactly the planned size; for a plan made for the DSP kernels (g.kernels == "dsp") exactly
    when they are compiled (TM_KERNELS_DSP, `tinymem build`), else at most (the portable kernels
    need no more, so the same C runs on the host simulator too): TM_SCRATCH_BAD in model.c."""
    return f"TM_SCRATCH_BAD({size_query}, {planned}u)" if g.kernels == "dsp" else f"{size_query} != {planned}u"


class Emitter:
    def __init__(self, g: Graph, plan: MemoryPlan):
        self.g, self.plan = g, plan
        self.weights: list[tuple] = []  # (ident, ctype, data, comment, is a model weight)
        self._weight_by_key: dict[tuple, str] = {}
        self.param_decls: list[str] = []
        self.kernels: set[str] = set()
        self.offsets: dict[str, int] = {}  # OFF_* macro -> offset
        self._offset_names: dict[str, str] = {}
        self.node_index = 0
        self.init_checks: list[str] = []  # C conditions that must hold at init (e.g. scratch sizes)
        #: constant tensors whose data live in the params region instead (--updatable): offsets
        self.param_offsets: dict[str, int] = {}
        #: runtime headers model.c needs beyond those of the graph's ops (a patch stage's ops)
        self.headers: set[str] = set()

    # -- buffers --------------------------------------------------------------------------------
    def offset_macro(self, tensor: str) -> str:
        if tensor not in self._offset_names:
            macro = f"OFF_{len(self._offset_names)}_{c_ident(tensor, 32)}"
            self._offset_names[tensor] = macro
            self.offsets[macro] = self.plan.offset_of(tensor)
        return self._offset_names[tensor]

    def ptr(self, tensor: str) -> str:
        """C expression for the data of `tensor`: a const array, an arena location, or a place in
        a caller-owned input/output buffer (--io external)."""
        t = self.g.tensor(tensor)
        if tensor in self.param_offsets:  # updatable parameters: RAM copy (tinymem/params)
            return f"(({c_type(t.dtype)} *)(tm_params + {self.param_offsets[tensor]}u))"
        if t.is_const:
            return self.table(tensor, t.data, weight=True)
        if t.persistent:
            return f"(({c_type(t.dtype)} *)(tm_state + {self.plan.state_offsets[tensor]}u))"
        region, offset = self.plan.location(tensor)
        if region != "arena":
            kind, k = region.split(":")
            base = f"tm_io_{kind}s[{k}]"
            return f"(({c_type(t.dtype)} *)((uint8_t *){base} + {offset}u))" if offset else f"(({c_type(t.dtype)} *){base})"
        return f"(({c_type(t.dtype)} *)(tm_arena + {self.offset_macro(tensor)}))"

    def inplace(self, node: Node):
        """The schedule's in-place decision for `node` (tinymem.schedule.InPlace), or None. When
        set, the output starts at the input's address and the kernel must support that."""
        return self.plan.inplace.get(node.name)

    def scratch(self, node: Node, size_query: str | None = None) -> str:
        """`ptr, bytes` arguments for the node's planned scratch buffer.

        size_query: the kernel's C scratch-size call; init then checks it (TM_ERR_SCRATCH
        otherwise, see `scratch_check`).
        """
        off = self.plan.scratch_offset(node.name)
        nbytes = next(b.nbytes for b in self.plan.buffers if b.name == f"scratch:{node.name}") if off is not None else 0
        if size_query:
            self.init_checks.append(scratch_check(self.g, size_query, nbytes))
        if off is None:
            return "NULL, 0"
        return f"(void *)(tm_arena + {off}u), {nbytes}u"

    # -- constants --------------------------------------------------------------------------------
    def table(self, hint: str, data: np.ndarray, weight: bool = False) -> str:
        """Identifier of a const array holding `data` (stored once per distinct content)."""
        data = np.ascontiguousarray(data)
        if data.dtype == np.float64:
            data = data.astype(np.float32)
        key = (data.dtype.str, data.shape, hashlib.sha256(data.tobytes()).hexdigest())
        if key not in self._weight_by_key:
            ident = f"W{len(self.weights)}_{c_ident(hint, 32)}"
            self.weights.append((ident, c_type(from_numpy(data.dtype)), data, hint, weight))
            self._weight_by_key[key] = ident
        return self._weight_by_key[key]

    def params(self, ctype: str, node: Node, initializer: str) -> str:
        ident = f"P{self.node_index}_{len(self.param_decls)}"
        self.param_decls.append(f"static const {ctype} {ident} = {initializer};")
        return ident

    def params_array(self, ctype: str, node: Node, initializers: list[str]) -> str:
        """A static const table of parameter structs (one per patch of a patch stage)."""
        ident = f"P{self.node_index}_{len(self.param_decls)}"
        rows = ",\n".join(f"    {init}" for init in initializers)
        self.param_decls.append(f"static const {ctype} {ident}[{len(initializers)}] = {{\n{rows}\n}};")
        return ident

    def requant(self, node: Node, multiplier: np.ndarray, shift: np.ndarray) -> str:
        """Initializer of a tm_requant with const multiplier/shift tables."""
        m = self.table(f"{node.name}_mult", np.asarray(multiplier, dtype=np.int32))
        s = self.table(f"{node.name}_shift", np.asarray(shift, dtype=np.int32))
        return f"{{{m}, {s}, {len(multiplier)}}}"

    @staticmethod
    def float_range(rng) -> str:
        return f"{{{c_float(rng[0])}, {c_float(rng[1])}}}"

    # -- calls -------------------------------------------------------------------------------------
    def call(self, kernel: str, args: str) -> str:
        self.kernels.add(kernel)
        return f"TM_CHECK({kernel}({args}));"

    @staticmethod
    def unsupported(node: Node, why: str):
        raise UnsupportedOperatorError(f"operator {node.op} (node {node.name}): {why} is not supported")
