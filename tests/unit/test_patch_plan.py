"""Receptive fields of patch-based inference against brute force.

For one operator with random float weights, the input pixels that influence an output patch are
found by perturbing each input pixel and seeing which outputs change; the declared receptive
field (`Op.receptive_field` through tinymem/schedule/patch_plan.py) must be exactly their bounding
box, clipped to the image. The patched stage (per-patch graphs, reference kernels) must also
reproduce the whole output, for every grid.
"""

import numpy as np
import pytest

from tinymem.errors import TinymemError
from tinymem.ir import Graph, Node, Tensor
from tinymem.schedule.patch_plan import patch_plan
from tinymem.sim.interpret import interpret

RNG = np.random.default_rng(7)


def one_op(op: str, h: int, w: int, c: int, attrs: dict, filt=None) -> Graph:
    """A float graph of one spatial op (conv2d / depthwise_conv2d / pooling / pad)."""
    g = Graph("t", inputs=["x"], outputs=["y"])
    g.add_tensor(Tensor("x", (1, h, w, c), "f32"))
    ins = ["x"]
    if filt is not None:
        ins.append(g.add_const("w", RNG.standard_normal(filt).astype(np.float32)))
    node = Node(op, "n", ins, ["y"], attrs)
    g.nodes.append(node)
    from tinymem.ops import get_op

    g.add_tensor(Tensor("y", tuple(get_op(op).infer(node, g)[0]), "f32"))
    return g


def influence(g: Graph, x: np.ndarray, region) -> tuple[int, int, int, int] | None:
    """Bounding box (y0, y1, x0, x1) of the input pixels that change output region `region`."""
    y0, y1, x0, x1 = region
    base = interpret(g, [x])[0][:, y0:y1, x0:x1]
    hits = []
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            xp = x.copy()
            xp[0, i, j, :] += 1000.0
            if not np.array_equal(interpret(g, [xp])[0][:, y0:y1, x0:x1], base):
                hits.append((i, j))
    if not hits:
        return None
    rows, cols = zip(*hits)
    return min(rows), max(rows) + 1, min(cols), max(cols) + 1


def conv_cases():
    for op in ("conv2d", "depthwise_conv2d"):
        for k in (1, 2, 3, 5, 7):
            for s in (1, 2):
                pad = k // 2
                filt = (3, k, k, 2) if op == "conv2d" else (1, k, k, 2)
                attrs = {"strides": [s, s], "dilations": [1, 1], "pads": [pad, pad, pad, pad], "act": "none"}
                yield f"{op}-k{k}-s{s}", op, attrs, filt
    yield "conv2d-dilated", "conv2d", {"strides": [1, 1], "dilations": [2, 2], "pads": [2, 1, 2, 1],
                                       "act": "none"}, (2, 3, 3, 2)
    yield "conv2d-k3x1-valid", "conv2d", {"strides": [2, 1], "dilations": [1, 1], "pads": [0, 0, 0, 0],
                                          "act": "none"}, (2, 3, 1, 2)
    for op in ("max_pool2d", "average_pool2d"):
        yield f"{op}-3s2", op, {"kernel": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "act": "none"}, None
    yield "pad", "pad", {"pads": [[0, 0], [2, 1], [0, 3], [0, 0]], "value": 0.0}, None


@pytest.mark.parametrize("name,op,attrs,filt", list(conv_cases()), ids=[c[0] for c in conv_cases()])
def test_receptive_field_matches_brute_force(name, op, attrs, filt):
    g = one_op(op, 11, 10, 2, attrs, filt)
    x = RNG.standard_normal((1, 11, 10, 2)).astype(np.float32)
    _, oh, ow, _ = g.tensor("y").shape
    plan = patch_plan(g, 1, (min(3, oh), min(2, ow)))
    whole = interpret(g, [x])[0]
    for patch in plan.patches:
        out = patch.regions["y"]
        declared = patch.regions["x"]
        found = influence(g, x, out)
        if found is None:  # the patch reads padding only (a pad op's border)
            assert op == "pad"
            continue
        assert declared == found, (out, declared, found)
        # the patch's own graph, on the window alone, computes exactly that part of the output
        y0, y1, x0, x1 = declared
        got = interpret(patch.graph, [x[:, y0:y1, x0:x1]])[0]
        r0, r1, c0, c1 = out
        np.testing.assert_array_equal(got, whole[:, r0:r1, c0:c1])


def test_chain_patches_rebuild_the_output():
    """conv s2 -> depthwise 3x3 -> pool: every grid rebuilds the stage output exactly."""
    g = one_op("conv2d", 17, 15, 3, {"strides": [2, 2], "dilations": [1, 1], "pads": [1, 1, 1, 1],
                                     "act": "none"}, (4, 3, 3, 3))
    g.tensors["y"] = Tensor("y", g.tensor("y").shape, "f32")
    from tinymem.ops import get_op

    for name, op, attrs, filt in (("d", "depthwise_conv2d", {"strides": [1, 1], "dilations": [1, 1],
                                                              "pads": [1, 1, 1, 1], "act": "none"}, (1, 3, 3, 4)),
                                  ("p", "max_pool2d", {"kernel": [2, 2], "strides": [2, 2], "pads": [0, 0, 1, 1],
                                                       "act": "none"}, None)):
        ins = [g.outputs[0]] + ([g.add_const(f"w{name}", RNG.standard_normal(filt).astype(np.float32))] if filt else [])
        node = Node(op, name, ins, [f"t{name}"], attrs)
        g.nodes.append(node)
        g.add_tensor(Tensor(f"t{name}", tuple(get_op(op).infer(node, g)[0]), "f32"))
        g.outputs = [f"t{name}"]
    x = RNG.standard_normal((1, 17, 15, 3)).astype(np.float32)
    want = interpret(g, [x])[0]
    for grid in ((2, 2), (3, 2), (5, 4)):
        plan = patch_plan(g, 3, grid)
        got = np.zeros_like(want)
        for patch in plan.patches:
            y0, y1, x0, x1 = patch.regions["x"]
            r0, r1, c0, c1 = patch.regions[plan.output]
            got[:, r0:r1, c0:c1] = interpret(patch.graph, [x[:, y0:y1, x0:x1]])[0]
        np.testing.assert_array_equal(got, want)
        assert plan.patched_macs >= plan.stage_macs


def test_residual_block_patches_rebuild_the_output():
    """conv -> (conv 3x3 -> conv 3x3 s1) + skip: the skip path reads a cropped copy of its input."""
    conv = {"strides": [1, 1], "dilations": [1, 1], "pads": [1, 1, 1, 1], "act": "none"}
    g = one_op("conv2d", 12, 9, 2, conv, (3, 3, 3, 2))
    from tinymem.ops import get_op

    for name, op, ins, filt in (("b", "conv2d", ["y"], (3, 3, 3, 3)), ("c", "conv2d", ["tb"], (3, 5, 5, 3)),
                                ("s", "add", ["y", "tc"], None)):
        attrs = dict(conv, pads=[2, 2, 2, 2]) if name == "c" else conv if filt else {"act": "none"}
        ins = ins + ([g.add_const(f"w{name}", RNG.standard_normal(filt).astype(np.float32))] if filt else [])
        node = Node(op, name, ins, [f"t{name}"], attrs)
        g.nodes.append(node)
        g.add_tensor(Tensor(f"t{name}", tuple(get_op(op).infer(node, g)[0]), "f32"))
    g.outputs = ["ts"]
    x = RNG.standard_normal((1, 12, 9, 2)).astype(np.float32)
    want = interpret(g, [x])[0]
    for grid in ((2, 2), (3, 3), (4, 2)):
        plan = patch_plan(g, 4, grid)
        assert "strided_slice" in [n.op for n in plan.patches[0].graph.nodes]
        got = np.zeros_like(want)
        for patch in plan.patches:
            y0, y1, x0, x1 = patch.regions["x"]
            r0, r1, c0, c1 = patch.regions["ts"]
            got[:, r0:r1, c0:c1] = interpret(patch.graph, [x[:, y0:y1, x0:x1]])[0]
        np.testing.assert_array_equal(got, want)


def test_bad_plans_name_the_cause():
    g = one_op("conv2d", 8, 8, 2, {"strides": [1, 1], "dilations": [1, 1], "pads": [1, 1, 1, 1], "act": "none"},
               (2, 3, 3, 2))
    with pytest.raises(TinymemError, match="out of range"):
        patch_plan(g, 99, (3, 3))
    with pytest.raises(TinymemError, match="larger than the stage output"):
        patch_plan(g, 1, (9, 2))
