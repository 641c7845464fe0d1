"""`best_order`: the topological order of the nodes whose peak of live bytes is smallest.

The live bytes after a set S of executed nodes depend on S alone: a buffer is live once one of
its producers ran (graph inputs from the start) until all its producers and readers ran (graph
outputs to the end). Running node v after S costs live(S) + the buffers v opens + v's scratch,
less the bytes an in-place run of v saves when its input dies at v. The best order is a shortest
path in the lattice of executed sets, with "path length" = the largest step cost on it:

  exact     a dynamic program over the executed sets, level by level (one node more per
            level); linear graphs have one set per level, residual blocks a handful;
  beam      beyond `max_states` sets in one level (fewer on wide graphs: about WORK transitions
            in all) only the best (peak so far, live bytes) are kept: a heuristic, reported as
            not exact.

Ties keep the model's own order (it is the first path explored). Nodes touching the same
persistent tensor keep their relative order (state reads and writes are side effects).
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymem.ir import Graph
from tinymem.ops import get_op
from tinymem.schedule.inplace import align_up, buffer_bytes, candidates, forbidden_roots
from tinymem.schedule.views import Views

MAX_STATES = 4000  # executed sets kept per level at most
WORK = 150_000  # transitions the search may try in all (keeps very wide graphs to about a second)


@dataclass
class OrderResult:
    order: list[int]  # node indices of g in execution order
    peak: int  # its peak live bytes (the cost model above)
    original_peak: int  # the same for the model's own order
    exact: bool  # the dynamic program kept every executed set


class _Model:
    """The cost model: buffers as bit masks of their producer and reader nodes."""

    def __init__(self, g: Graph, views: Views, alignment: int, inplace: bool, overwrite_inputs: bool,
                 io_external: bool, stream_inputs: tuple[str, ...] = ()):
        n = len(g.nodes)
        self.n = n
        sizes = buffer_bytes(g, views)
        external = ({views.root(t)[0] for t in g.inputs} | {views.root(t)[0] for t in g.outputs}
                    if io_external else set())
        external |= {views.root(t)[0] for t in stream_inputs}
        roots = [r for r in sizes if r not in external]
        index = {r: k for k, r in enumerate(roots)}
        self.size = [align_up(sizes[r], alignment) for r in roots]
        self.prod = [0] * len(roots)
        self.cons = [0] * len(roots)
        self.is_input = [False] * len(roots)
        self.is_output = [False] * len(roots)
        producer: dict[str, int] = {}
        for i, node in enumerate(g.nodes):
            for t in node.outputs:
                if t and not (t in g.tensors and g.tensor(t).persistent):  # state: ordered below
                    producer[t] = i
        self.preds = [0] * n
        self.touch: list[list[int]] = [[] for _ in range(n)]
        self.scratch = [0] * n
        for i, node in enumerate(g.nodes):
            for t in node.inputs:
                if t in producer:
                    self.preds[i] |= 1 << producer[t]
            for t, is_out in [(t, False) for t in node.inputs] + [(t, True) for t in node.outputs]:
                if not t or t not in g.tensors:
                    continue
                k = index.get(views.root(t)[0]) if not g.tensor(t).is_const else None
                if k is None:
                    continue
                if is_out:
                    self.prod[k] |= 1 << i
                else:
                    self.cons[k] |= 1 << i
                if k not in self.touch[i]:
                    self.touch[i].append(k)
            op = get_op(node.op)
            if not (op.alias or node.name in views.elided):
                self.scratch[i] = align_up(op.scratch_bytes(node, g), alignment)
        last: dict[str, int] = {}  # persistent tensors: keep the order of the nodes touching them
        for i, node in enumerate(g.nodes):
            for t in set(node.inputs) | set(node.outputs):
                if t and t in g.tensors and g.tensor(t).persistent:
                    if t in last:
                        self.preds[i] |= 1 << last[t]
                    last[t] = i
        for t in g.inputs:
            if views.root(t)[0] in index:
                self.is_input[index[views.root(t)[0]]] = True
        for t in g.outputs:
            if views.root(t)[0] in index:
                self.is_output[index[views.root(t)[0]]] = True
        self.live0 = sum(s for s, inp in zip(self.size, self.is_input) if inp)
        # graph inputs nobody reads (nor returns) live during the first step only
        self.dead0 = sum(s for k, s in enumerate(self.size)
                         if self.is_input[k] and not self.cons[k] and not self.prod[k] and not self.is_output[k])
        # in-place options: (input buffer index, output buffer index, saving)
        self.inplace: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
        if inplace:
            forbidden = forbidden_roots(g, views, overwrite_inputs, io_external)
            for i, node in enumerate(g.nodes):
                if node.name in views.elided or get_op(node.op).alias:
                    continue
                for _, rx, _, saving in candidates(g, node, views, sizes, alignment, forbidden):
                    ry = views.root(node.outputs[0])[0]
                    if rx in index and ry in index:
                        self.inplace[i].append((index[rx], index[ry], saving))

    def step(self, done: int, live: int, v: int) -> tuple[int, int]:
        """(bytes while v runs after `done`, live bytes after it)."""
        pending = ~(done | (1 << v))
        size, prod_of, cons_of = self.size, self.prod, self.cons
        new = freed = opened = closed = 0
        for k in self.touch[v]:
            prod = prod_of[k]
            was_open = self.is_input[k] or (prod & done) != 0
            if not was_open and (prod >> v) & 1:
                opened |= 1 << k
                new += size[k]
            if ((was_open or (opened >> k) & 1) and not self.is_output[k] and not (prod & pending)
                    and not (cons_of[k] & pending)):
                closed |= 1 << k
                freed += size[k]
        if done == 0:
            freed += self.dead0
        cost = live + new + self.scratch[v]
        for kx, ky, saving in self.inplace[v]:
            if (closed >> kx) & 1 and (opened >> ky) & 1:
                cost -= saving
                break
        return cost, live + new - freed

    def evaluate(self, order: list[int]) -> int:
        done, live, peak = 0, self.live0, self.live0
        for v in order:
            cost, live = self.step(done, live, v)
            peak = max(peak, cost)
            done |= 1 << v
        return peak


def best_order(g: Graph, views: Views, alignment: int = 16, inplace: bool = True,
               overwrite_inputs: bool = False, io_external: bool = False,
               max_states: int = MAX_STATES, stream_inputs: tuple[str, ...] = ()) -> OrderResult:
    model = _Model(g, views, alignment, inplace, overwrite_inputs, io_external, stream_inputs)
    n = model.n
    original = list(range(n))
    original_peak = model.evaluate(original)
    succ = [[w for w in range(n) if (model.preds[w] >> v) & 1] for v in range(n)]
    ready0 = sum(1 << v for v in range(n) if model.preds[v] == 0)
    # level: executed set -> (peak, live, previous set, node run last, ready nodes)
    level: dict[int, tuple] = {0: (model.live0, model.live0, -1, -1, ready0)}
    history = []
    exact = True
    for _ in range(n):
        nxt: dict[int, tuple] = {}
        for done, (peak, live, _, _, ready) in level.items():
            bits = ready
            while bits:
                low = bits & -bits
                v = low.bit_length() - 1
                bits ^= low
                cost, after_live = model.step(done, live, v)
                state = done | low
                old = nxt.get(state)
                worst = max(peak, cost)
                if old is None or worst < old[0]:
                    r = ready & ~low
                    for w in succ[v]:
                        if not (model.preds[w] & ~state):
                            r |= 1 << w
                    nxt[state] = (worst, after_live, done, v, r)
        width = max((bin(v[4]).count("1") for v in nxt.values()), default=1)
        cap = min(max_states, max(32, WORK // max(1, n * width)))
        if len(nxt) > cap:
            exact = False
            keep = sorted(nxt.items(), key=lambda kv: (kv[1][0], kv[1][1]))[:cap]
            keep_set = {k for k, _ in keep}
            nxt = {k: v for k, v in nxt.items() if k in keep_set}  # insertion order kept
        history.append(nxt)
        level = nxt
    if not level:  # empty graph
        return OrderResult([], model.live0, model.live0, True)
    state = next(iter(level))
    peak = level[state][0]
    order = []
    for lvl in reversed(history):
        _, _, prev, v, _ = lvl[state]
        order.append(v)
        state = prev
    order.reverse()
    if peak >= original_peak:  # never worse than the model's own order
        return OrderResult(original, original_peak, original_peak, exact)
    return OrderResult(order, peak, original_peak, exact)
