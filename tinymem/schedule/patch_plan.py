"""`patch_plan`: the geometry of running the first S operators of a graph patch by patch (MCUNetV2).

The stage output Y (the one stage tensor read after the stage) is cut into an n x m grid of
non-overlapping patches: patch row i covers rows [i * H // n, (i + 1) * H // n), likewise for
columns. For each patch the region every stage tensor must hold follows backwards through the
operators' receptive fields (`Op.receptive_field`): output rows [lo, hi) read input rows
`Window.span(lo, hi)`, clipped to the tensor; what the clipping cuts off lies in the operator's own
padding, so a patch pads only where it touches a true image border, and its interior halo is
computed again by the neighbouring patch (the extra MACs). A tensor read by several operators (the
input of a residual block) is computed over the union of what its readers need; a reader that
needs less (the skip path into the Add) reads a cropped copy (a strided_slice node in the patch
graph).

Each patch gets its own small graph: the same tensor and node names, patch-sized tensors, and
nodes with the patch's padding (`Op.patch_node`), so the ordinary reference and C emission of every
op run on it unchanged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tinymem.errors import TinymemError
from tinymem.ir import Graph, Node
from tinymem.ops import get_op


class StageError(TinymemError):
    """The first S operators cannot form a patched stage, whatever the grid."""


Region = tuple[int, int, int, int]  # (y0, y1, x0, x1): rows [y0, y1) and columns [x0, x1)


@dataclass
class Patch:
    regions: dict[str, Region]  # stage tensor (and the stage input) -> its region for this patch
    graph: Graph  # the stage on this patch (input: the stage input's window, output: Y's patch)


@dataclass
class PatchPlan:
    split: int  # S: the number of leading operators in the stage
    grid: tuple[int, int]  # (n, m): patch rows and columns
    input: str  # the stage input X (a graph input)
    output: str  # the stage output Y
    nodes: list[Node]  # the stage as in the model
    patches: list[Patch]  # row by row (patches of equal shapes and padding share their graph)
    stage_macs: int  # MACs of the stage layer by layer
    patched_macs: int  # MACs of the stage run patch by patch (halos computed again)

    @property
    def extra_macs(self) -> int:
        return self.patched_macs - self.stage_macs


def stage_io(g: Graph, split: int) -> tuple[str, str]:
    """(X, Y) of the stage made of the first `split` nodes of g, or an error naming the cause."""
    if not 1 <= split <= len(g.nodes):
        raise StageError(f"--patch: split point {split} is out of range (the model has {len(g.nodes)} operators)")
    stage = g.nodes[:split]
    produced = {t for n in stage for t in n.outputs if t}
    outside = {t for n in stage for t in n.inputs if t and t not in produced and not g.tensor(t).is_const}
    for node in stage:
        if get_op(node.op).receptive_field(node, g) is None:
            raise StageError(f"--patch {split}: operator {node.op} (node {node.name}) cannot run on patches")
    if len(outside) != 1 or next(iter(outside)) not in g.inputs:
        raise StageError(f"--patch {split}: the stage must read exactly one graph input (reads {sorted(outside)})")
    later = {t for n in g.nodes[split:] for t in n.inputs if t} | set(g.outputs)
    escaping = sorted(produced & later)
    if len(escaping) != 1:
        raise StageError(f"--patch {split}: the stage must have exactly one output used after it "
                         f"(has {escaping or 'none'})")
    x, y = next(iter(outside)), escaping[0]
    for name in (x, y):
        t = g.tensor(name)
        if len(t.shape) != 4 or t.shape[0] != 1 or t.persistent:
            raise StageError(f"--patch {split}: tensor {name!r} {t.shape} is not a batch-1 NHWC feature map")
    return x, y


def grid_bounds(size: int, parts: int) -> list[tuple[int, int]]:
    return [(i * size // parts, (i + 1) * size // parts) for i in range(parts)]


def patch_plan(g: Graph, split: int, grid: tuple[int, int]) -> PatchPlan:
    x, y = stage_io(g, split)
    n, m = grid
    _, h, w, _ = g.tensor(y).shape
    if not (1 <= n <= h and 1 <= m <= w):
        raise TinymemError(f"--patch {split}:{n}x{m}: the grid is larger than the stage output "
                           f"{y!r} ({h}x{w})")
    stage = g.nodes[:split]
    # rows and columns are independent: one backward pass per patch row and per patch column
    rows = [_spans(g, stage, y, 1, lo, hi) for lo, hi in grid_bounds(h, n)]
    cols = [_spans(g, stage, y, 2, lo, hi) for lo, hi in grid_bounds(w, m)]
    # a reader that needs less of a tensor than the patch holds gets its own cropped copy, in
    # every patch, so that all patches run the same code
    crops = {read for spans, needs, _ in rows + cols for read, need in needs.items() if spans[read[1]] != need}
    graphs: dict[tuple[int, int], Graph] = {}  # patches of the same shapes and padding share one graph
    made: dict[tuple, object] = {}  # patch-sized tensors and padded nodes, shared between graphs
    keys = [[_key(axis, crops) for axis in axes] for axes in (rows, cols)]
    patches = []
    for i, (rs, rn, rp) in enumerate(rows):
        for j, (cs, cn, cp) in enumerate(cols):
            regions = {t: (*rs[t], *cs[t]) for t in rs}
            needs = {read: (*rn[read], *cn[read]) for read in rn}
            key = (keys[0][i], keys[1][j])
            if key not in graphs:
                pads = {k: (rp[k][0], cp[k][0], rp[k][1], cp[k][1]) for k in rp}
                graphs[key] = _graph(g, stage, x, y, regions, needs, pads, crops, made)
            patches.append(Patch(regions, graphs[key]))
    stage_macs = sum(get_op(nd.op).macs(nd, g) for nd in stage)
    macs = {id(sub): sum(get_op(nd.op).macs(nd, sub) for nd in sub.nodes) for sub in graphs.values()}
    patched = sum(macs[id(p.graph)] for p in patches)
    return PatchPlan(split, (n, m), x, y, list(stage), patches, stage_macs, patched)


def _spans(g: Graph, stage: list[Node], y: str, axis: int, lo: int, hi: int):
    """Along one axis (1: rows, 2: columns), for output patch [lo, hi) of y: (tensor -> the span the
    patch computes, the union of what its readers need; (node, input tensor) -> the span that node
    reads; node -> the padding it still needs, (before, after))."""
    spans: dict[str, tuple[int, int]] = {y: (lo, hi)}
    needs: dict[tuple[str, str], tuple[int, int]] = {}
    pads: dict[str, tuple[int, int]] = {}
    for node in reversed(stage):  # every reader of a node's output comes after the node
        r = spans.get(node.outputs[0])
        if r is None:
            raise StageError(f"--patch: node {node.name} does not lead to the stage output {y!r}")
        window = get_op(node.op).receptive_field(node, g)[axis - 1]
        a, b = window.span(*r)
        for t in node.inputs:
            if not t or g.tensor(t).is_const:
                continue
            need = needs[node.name, t] = (max(a, 0), min(b, g.tensor(t).shape[axis]))
            old = spans.get(t, need)
            spans[t] = (min(old[0], need[0]), max(old[1], need[1]))
            pads[node.name] = (need[0] - a, b - need[1])
    return spans, needs, pads


def _key(axis_spans, crops) -> tuple:
    """What one patch row (or column) changes in the patch graph: sizes, paddings, crop offsets."""
    spans, needs, pads = axis_spans
    return (tuple((t, b - a) for t, (a, b) in sorted(spans.items())), tuple(sorted(pads.items())),
            tuple((read, needs[read][0] - spans[read[1]][0], needs[read][1] - needs[read][0]) for read in sorted(crops)))


def _offset(region: Region, need: Region) -> tuple[int, int, int, int]:
    return need[0] - region[0], need[2] - region[2], need[1] - need[0], need[3] - need[2]


def _graph(g: Graph, stage: list[Node], x: str, y: str, regions: dict[str, Region], needs, pads,
           crops, made: dict) -> Graph:
    def once(key, build):
        if key not in made:
            made[key] = build()
        return made[key]

    tensors = {t: g.tensor(t) for nd in stage for t in (*nd.inputs, *nd.outputs) if t}
    for t, (y0, y1, x0, x1) in regions.items():
        full = g.tensor(t)
        tensors[t] = once((t, y1 - y0, x1 - x0),
                          lambda: dataclasses.replace(full, shape=(1, y1 - y0, x1 - x0, full.shape[3])))
    nodes = []
    for nd in stage:
        node = once((nd.name, pads[nd.name]), lambda: get_op(nd.op).patch_node(nd, pads[nd.name]))
        for t in [t for t in node.inputs if (nd.name, t) in crops]:
            dy, dx, rows, cols = _offset(regions[t], needs[nd.name, t])
            name = f"{t}@{nd.name}"
            tensors[name] = once((name, rows, cols), lambda: dataclasses.replace(
                tensors[t], name=name, shape=(1, rows, cols, tensors[t].shape[3])))
            nodes.append(Node("strided_slice", f"crop:{name}", [t], [name],
                              {"begin": [0, dy, dx, 0], "end": [1, dy + rows, dx + cols, tensors[t].shape[3]],
                               "strides": [1, 1, 1, 1]}))
            node = dataclasses.replace(node, inputs=[name if i == t else i for i in node.inputs])
        nodes.append(node)
    sub = Graph(f"{g.name}_patch", tensors, nodes, [x], [y], g.kernels)
    for node in nodes:  # the receptive-field rule and the op's shape rule must agree
        if tuple(get_op(node.op).infer(node, sub)[0]) != sub.tensor(node.outputs[0]).shape:
            raise TinymemError(f"internal: patch shape of {node.name} disagrees with its receptive field")
    return sub
