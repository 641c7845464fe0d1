"""`emit_patch_loop`: the C loop of a patch_stage node (tinymem/ops/patch_stage.py).

Each operator of the stage is emitted once per patch by its own `emit`, through a `PatchEmitter`
that puts the patch's buffers in the node's scratch block and hands out a placeholder for every
parameter struct. The statements must come out the same for every patch (the same kernels on the
same buffers); the structs then become tables indexed by the patch, and the stage is one loop:

    for (tm_p = 0; tm_p < PATCHES; ++tm_p) {
        crop (or fetch) the input window of patch tm_p into its buffer
        the stage's kernels, each with its parameter tables at [tm_p]
        place the output patch into the stage output
    }
"""

from __future__ import annotations

import re

from tinymem.codegen.emitter import scratch_check
from tinymem.errors import TinymemError
from tinymem.ir import c_type
from tinymem.ops import get_op

_PLACEHOLDER = re.compile(r"@(\d+)@")


class PatchEmitter:
    """The Emitter interface (tinymem/codegen/emitter.py) for the operators of one patch graph;
    base: the arena offset of the stage's block of patch buffers."""

    def __init__(self, parent, arena, base: int):
        self.parent, self.arena, self.base = parent, arena, base
        self.g = None
        self.patch = 0
        self.param_offsets: dict[str, int] = {}
        self.ctypes: list[str] = []  # placeholder k -> C type of the struct
        self.inits: list[list[str]] = []  # placeholder k -> its initializer for each patch
        self.checks: dict[str, None] = {}  # init() conditions, placeholders resolved per patch
        self._next = 0  # placeholders handed out in the current patch

    @property
    def kernels(self) -> set[str]:
        return self.parent.kernels

    def start(self, patch: int, g) -> None:
        self.patch, self.g, self._next = patch, g, 0

    def ptr(self, tensor: str) -> str:
        t = self.g.tensor(tensor)
        if t.is_const:
            return self.parent.table(tensor, t.data, weight=True)
        return f"(({c_type(t.dtype)} *)(tm_arena + {self.base + self.arena.offset_of(tensor)}u))"

    def inplace(self, node):
        return self.arena.inplace[self.patch].get(node.name)

    def scratch(self, node, size_query: str | None = None) -> str:
        name = f"scratch:{node.name}"
        if name not in self.arena.offsets:
            need, text = 0, "NULL, 0"
        else:
            decision = self.inplace(node)
            need = decision.scratch_bytes if decision else get_op(node.op).scratch_bytes(node, self.g)
            text = f"(void *)(tm_arena + {self.base + self.arena.offsets[name]}u), {self.arena.buffer(name).nbytes}u"
        if size_query:
            self.checks[_PLACEHOLDER.sub(rf"@\1:{self.patch}@", scratch_check(self.g, size_query, need))] = None
        return text

    def params(self, ctype: str, node, initializer: str) -> str:
        k = self._next
        self._next += 1
        if self.patch == 0:
            self.ctypes.append(ctype)
            self.inits.append([])
        if k >= len(self.inits) or self.ctypes[k] != ctype or _PLACEHOLDER.search(initializer):
            raise TinymemError(f"internal: node {node.name} emits different parameters for different patches")
        self.inits[k].append(initializer)
        return f"@{k}@"

    def table(self, hint, data, weight: bool = False) -> str:
        return self.parent.table(hint, data, weight)

    def requant(self, node, multiplier, shift) -> str:
        return self.parent.requant(node, multiplier, shift)

    def float_range(self, rng) -> str:
        return self.parent.float_range(rng)

    def call(self, kernel: str, args: str) -> str:
        return self.parent.call(kernel, args)

    def unsupported(self, node, why: str):
        return self.parent.unsupported(node, why)


def emit_patch_loop(node, g, em) -> str:
    plan, arena = node.attrs["plan"], node.attrs["arena"]
    pem = PatchEmitter(em, arena, em.plan.scratch_offset(node.name))
    body = None
    for p, patch in enumerate(plan.patches):
        pem.start(p, patch.graph)
        lines = []
        for nd in patch.graph.nodes:
            em.headers.add(get_op(nd.op).header or nd.op)
            lines.append(f"/* {nd.op} {nd.name.replace('*/', '* /')} */")
            lines.append(get_op(nd.op).emit(nd, patch.graph, pem))
        text = "\n".join(lines)
        if body is not None and text != body:
            raise TinymemError(f"internal: the stage's code differs between patches ({node.name})")
        body = text
    count = len(plan.patches)
    names = [em.params_array(ctype, node, inits) for ctype, inits in zip(pem.ctypes, pem.inits)]
    body = _PLACEHOLDER.sub(lambda m: f"{names[int(m[1])]}[tm_p]", body)
    for cond in pem.checks:
        em.init_checks.append(re.sub(r"@(\d+):(\d+)@", lambda m: f"{names[int(m[1])]}[{m[2]}]", cond))
    x, y = g.tensor(plan.input), g.tensor(plan.output)
    rects_in = em.params_array("tm_rect", node, [_rect(p.regions[plan.input]) for p in plan.patches])
    rects_out = em.params_array("tm_rect", node, [_rect(p.regions[plan.output]) for p in plan.patches])
    em.headers.add("patch_stage")
    r = f"{rects_in}[tm_p]"
    if node.attrs["stream_input"]:
        k = g.inputs.index(plan.input)
        fetch = (f"TM_CHECK(tm_fetch(tm_fetch_ctx, {k}, {r}.y0, {r}.x0, {r}.rows, {r}.cols, "
                 f"{pem.ptr(plan.input)}));")
    else:
        fetch = em.call("tm_patch_crop", f"&{r}, {x.shape[2]}, {x.nbytes // (x.shape[1] * x.shape[2])}, "
                                         f"{em.ptr(plan.input)}, {pem.ptr(plan.input)}")
    place = em.call("tm_patch_place", f"&{rects_out}[tm_p], {y.shape[2]}, {y.nbytes // (y.shape[1] * y.shape[2])}, "
                                      f"{pem.ptr(plan.output)}, {em.ptr(plan.output)}")
    inner = "\n".join(f"    {line}" for line in f"{fetch}\n{body}\n{place}".splitlines() if line)
    return f"for (int32_t tm_p = 0; tm_p < {count}; ++tm_p) {{ /* {plan.grid[0]}x{plan.grid[1]} patches */\n{inner}\n}}"


def _rect(region) -> str:
    y0, y1, x0, x1 = region
    return f"{{{y0}, {x0}, {y1 - y0}, {x1 - x0}}}"
