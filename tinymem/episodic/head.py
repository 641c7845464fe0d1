"""`add_memory_head`: an episodic key-value memory after an embedding tensor (`--memory-head knn`).

Graph: one node, `assign_variable(embedding) -> memory_head/query`, copies the embedding into a
persistent tensor on every run (the embedding's arena bytes may be reused later in the run). After
memory planning, `MemoryHead.place` adds the slots to the persistent state region:
  memory_head/keys   [slots, dim]  the embedding's dtype (int8 or float32)
  memory_head/labels [slots]       int32
  memory_head/count  [1]           int32, slots in use
so `state_save` / `state_load` checkpoint the memory with the rest of the state. `reset_state()`
leaves the memory alone (it resets recurrent state only); `init()` and `memory_clear()` empty it.

C API (model.h): `<prefix>_memory_write(label)` stores the embedding of the last run with `label`
in the next free slot and returns TM_ERR_PARAM when the memory is full (no slot is overwritten:
clear it, or compile more slots); `<prefix>_memory_classify(&label, &distance)` finds the nearest
stored embedding (runtime_c/include/tinymem/knn.h; TM_ERR_PARAM and label -1 when empty);
`<prefix>_memory_clear()`, `<prefix>_memory_count()`.

Slots: `--slots K`, else derived: on `host` DEFAULT_HOST_SLOTS; on a board half of the RAM left
after the arena, the state, the params region and RESERVE_BYTES (the device agent's ~8.4 KiB
and the application), capped at MAX_AUTO_SLOTS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinymem.codegen.extension import Extension
from tinymem.errors import TinymemError
from tinymem.ir import Graph, QuantParams, Tensor
from tinymem.ir.dtypes import itemsize

DEFAULT_HOST_SLOTS = 256
RESERVE_BYTES = 16 * 1024
MAX_AUTO_SLOTS = 4096
FC_OPS = ("fully_connected", "fully_connected_updatable")
METRICS = ("l2", "cosine")
QUERY, KEYS, LABELS, COUNT = (f"memory_head/{n}" for n in ("query", "keys", "labels", "count"))


def _fail(msg: str):
    raise TinymemError(f"--memory-head: {msg}")


def _embedding(g: Graph, name: str | None) -> str:
    if name is None:
        fcs = [n for n in g.nodes if n.op in FC_OPS]
        if not fcs:
            _fail("the model has no fully_connected layer: name the embedding with --embedding TENSOR")
        return fcs[-1].inputs[0]
    if name in g.tensors and not g.tensor(name).is_const and not g.tensor(name).persistent:
        return name
    for n in g.nodes:  # a node name stands for its first output
        if n.name == name:
            return n.outputs[0]
    acts = [t for t in g.tensors.values() if not t.is_const and not t.persistent]
    _fail(f"no tensor or node named {name!r} (activations: {', '.join(t.name for t in acts[:20])}"
          f"{' ...' if len(acts) > 20 else ''})")


def add_memory_head(g: Graph, kind: str | None, embedding: str | None = None, metric: str = "l2",
                    slots: int | None = None):
    """Add the head's query copy to g (in place); returns the MemoryHead extension or None."""
    if not kind:
        return None
    if kind != "knn":
        _fail(f"unknown memory head {kind!r} (knn)")
    if metric not in METRICS:
        _fail(f"unknown metric {metric!r} (l2 or cosine)")
    if slots is not None and slots < 1:
        _fail(f"--slots must be at least 1, got {slots}")
    name = _embedding(g, embedding)
    t = g.tensor(name)
    if t.dtype not in ("s8", "f32"):
        _fail(f"embedding {name!r} is {t.dtype}; int8 or float32 embeddings only")
    if t.quant is not None and t.quant.per_channel:
        _fail(f"embedding {name!r} is quantized per channel")
    dim = t.size
    if t.dtype == "s8" and dim > 33025:
        _fail(f"embedding {name!r} has {dim} elements; int8 distances need at most 33025")
    g.add_tensor(Tensor(QUERY, (dim,), t.dtype, QuantParams(t.scale, t.zero_point) if t.quant else None,
                        persistent=True))
    producers = g.producers()
    at = g.nodes.index(producers[name]) + 1 if name in producers else 0
    from tinymem.ir import Node

    g.nodes.insert(at, Node("assign_variable", "memory_head/capture", [name], [QUERY]))
    return MemoryHead(name, dim, t.dtype, t.zero_point if t.quant else 0, t.scale if t.quant else None,
                      metric, slots)


@dataclass
class MemoryHead(Extension):
    embedding: str
    dim: int
    dtype: str
    zero_point: int
    scale: float | None
    metric: str
    requested_slots: int | None
    slots: int = 0
    slots_from: str = ""
    offsets: dict = field(default_factory=dict)
    keep_on_reset: frozenset = frozenset({KEYS, LABELS, COUNT})

    @property
    def slot_bytes(self) -> int:
        return self.dim * itemsize(self.dtype) + 4

    # -- planning ---------------------------------------------------------------------------------
    def place(self, g: Graph, plan, target, params_bytes: int = 0) -> None:
        """Choose the number of slots and add them to g's persistent state (and to the plan)."""
        from tinymem.memory.state import plan_state

        if self.requested_slots is not None:
            self.slots, self.slots_from = self.requested_slots, "--slots"
        elif target.capacity is None:
            self.slots, self.slots_from = DEFAULT_HOST_SLOTS, f"host default ({DEFAULT_HOST_SLOTS})"
        else:
            free = target.capacity - plan.arena_bytes - plan.state_bytes - params_bytes - RESERVE_BYTES
            self.slots = min(MAX_AUTO_SLOTS, max(free // 2 - 2 * plan.alignment, 0) // self.slot_bytes)
            self.slots_from = (f"half of the {max(free, 0):,} B of {target.region} left after the model and a "
                               f"{RESERVE_BYTES:,} B reserve (at most {MAX_AUTO_SLOTS})")
            if self.slots < 1:
                _fail(f"no slot fits: {target.region} has {target.capacity:,} B, the model takes "
                      f"{plan.arena_bytes + plan.state_bytes + params_bytes:,} B and {RESERVE_BYTES:,} B are "
                      "kept free; give --slots K to force a number")
        dt = self.dtype
        g.add_tensor(Tensor(KEYS, (self.slots, self.dim), dt, persistent=True))
        g.add_tensor(Tensor(LABELS, (self.slots,), "s32", persistent=True))
        g.add_tensor(Tensor(COUNT, (1,), "s32", persistent=True))
        plan.state_offsets, plan.state_bytes = plan_state(g, plan.alignment)
        self.offsets = {n: plan.state_offsets[n] for n in (QUERY, KEYS, LABELS, COUNT)}

    # -- code -------------------------------------------------------------------------------------
    @property
    def _safe_name(self) -> str:
        return repr(self.embedding).replace("*/", "* /")

    def state_c(self, em, prefix: str) -> str:
        return '#include "tinymem/knn.h" /* the episodic memory head\'s nearest-neighbour kernels */\n\n'

    def _ctype(self) -> str:
        return "int8_t" if self.dtype == "s8" else "float"

    def _dist_type(self) -> str:
        return "int32_t" if self.dtype == "s8" else "float"

    def header(self, prefix: str) -> str:
        P = prefix.upper()
        dist = self._dist_type()
        unit = ("int32: squared L2" if self.metric == "l2" else "int32: 65536 * (1 - cosine)") \
            if self.dtype == "s8" else ("float: squared L2" if self.metric == "l2" else "float: 1 - cosine")
        return f"""
/* Episodic memory head (--memory-head knn, metric {self.metric}): embedding {self._safe_name},
 * {self.dim} x {self.dtype}, {self.slots} slots in the persistent state (saved by state_save;
 * reset_state() keeps them, init() and memory_clear() empty them). Distances: {unit}. */
#define {P}_MEMORY_SLOTS {self.slots}
#define {P}_MEMORY_DIM {self.dim}
typedef {dist} {prefix}_distance;
/* Store the embedding of the last run with `label`; TM_ERR_PARAM when all slots are used. */
tm_status {prefix}_memory_write(int32_t label);
/* Nearest stored embedding to the last run's: its label and distance (lowest slot on ties);
 * TM_ERR_PARAM (label -1) when the memory is empty. */
tm_status {prefix}_memory_classify(int32_t *label, {prefix}_distance *distance);
tm_status {prefix}_memory_clear(void);
/* Slots in use. */
int32_t {prefix}_memory_count(void);
"""

    def functions_c(self, em, prefix: str) -> str:
        P = prefix.upper()
        kernel = f"tm_knn_{self.metric}_{self.dtype}"
        em.kernels.add(kernel)
        ct, o = self._ctype(), self.offsets
        row = self.dim * itemsize(self.dtype)
        return f"""/* Episodic memory head: the last embedding, slots, labels and count live in tm_state. */
#define TM_MEMORY_QUERY ((const {ct} *)(tm_state + {o[QUERY]}u))
#define TM_MEMORY_KEYS ((uint8_t *)(tm_state + {o[KEYS]}u))
#define TM_MEMORY_LABELS ((int32_t *)(tm_state + {o[LABELS]}u))
#define TM_MEMORY_COUNT ((int32_t *)(tm_state + {o[COUNT]}u))
static const tm_knn_params tm_memory_params = {{{self.dim}, {self.zero_point}}};

tm_status {prefix}_memory_clear(void)
{{
    memset(TM_MEMORY_KEYS, 0, {self.slots * row}u);
    memset(TM_MEMORY_LABELS, 0, {self.slots * 4}u);
    *TM_MEMORY_COUNT = 0;
    return TM_OK;
}}

int32_t {prefix}_memory_count(void)
{{
    const int32_t n = *TM_MEMORY_COUNT;
    return n < 0 || n > {P}_MEMORY_SLOTS ? 0 : n;
}}

tm_status {prefix}_memory_write(int32_t label)
{{
    const int32_t n = *TM_MEMORY_COUNT;
    if (n < 0 || n >= {P}_MEMORY_SLOTS) /* full (or a corrupt state_load) */
        return TM_ERR_PARAM;
    memcpy(TM_MEMORY_KEYS + (size_t)n * {row}u, TM_MEMORY_QUERY, {row}u);
    TM_MEMORY_LABELS[n] = label;
    *TM_MEMORY_COUNT = n + 1;
    return TM_OK;
}}

tm_status {prefix}_memory_classify(int32_t *label, {prefix}_distance *distance)
{{
    const int32_t n = {prefix}_memory_count();
    int32_t slot = 0;
    if (label == NULL || distance == NULL)
        return TM_ERR_PARAM;
    *label = -1;
    if (n == 0)
        return TM_ERR_PARAM;
    TM_CHECK({kernel}(&tm_memory_params, TM_MEMORY_QUERY, (const {ct} *)TM_MEMORY_KEYS, n, &slot, distance));
    *label = TM_MEMORY_LABELS[slot];
    return TM_OK;
}}

"""

    def init_c(self, prefix: str) -> str:
        return f"    TM_CHECK({prefix}_memory_clear());\n"

    def files(self, prefix: str) -> dict[str, str]:
        from tinymem.episodic.harness import harness_c

        return {"main_memory.c": harness_c(prefix)}

    def report(self, report: dict) -> None:
        info = {"kind": "knn", "metric": self.metric, "embedding": self.embedding, "dim": self.dim,
                "dtype": self.dtype, "slots": self.slots, "slots_from": self.slots_from,
                "slot_bytes": self.slot_bytes, "policy": "fail-when-full",
                "distance_dtype": "s32" if self.dtype == "s8" else "f32",
                "state": {name.split("/")[1]: off for name, off in self.offsets.items()}}
        if self.scale is not None:
            info["scale"], info["zero_point"] = self.scale, self.zero_point
        report["memory_head"] = info
