"""Scheduling and planning over random DAGs of int8 add / conv / depthwise / activation nodes.

Checked against independent references written here:
  - tensor liveness recomputed from the scheduled graph: two tensors live at the same step never
    share a byte, except an in-place node's dying input and its output;
  - in-place decisions: the input is read by no later node and is not a graph input;
  - the order is topological, and on small graphs its peak equals the best over every
    topological order (brute force);
  - every plan covers the lower bound of its schedule; `exact` is never worse than a heuristic.
"""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinymem.ir import Graph, Node, QuantParams, Tensor, verify
from tinymem.memory import plan_memory
from tinymem.memory.plan import HEURISTICS
from tinymem.schedule import ScheduleOptions, best_order, make_schedule, tensor_views
from tinymem.schedule.order import _Model

H, W = 5, 4


def _act(g, name, c):
    g.add_tensor(Tensor(name, (1, H, W, c), "s8", QuantParams(0.05, 0)))
    return name


def random_graph(draw_ops, n_inputs=1) -> Graph:
    """draw_ops: list of (kind, a, b, channels) with a, b picking earlier tensors."""
    g = Graph("rand")
    tensors = [_act(g, f"in{i}", [4, 8][i % 2]) for i in range(n_inputs)]
    g.inputs = list(tensors)
    for k, (kind, a, b, ch) in enumerate(draw_ops):
        x = tensors[a % len(tensors)]
        c = g.tensor(x).shape[3]
        y = f"t{k}"
        if kind == "add":
            same = [t for t in tensors if g.tensor(t).shape[3] == c and t != x]
            other = same[b % len(same)] if same else x
            _act(g, y, c)
            g.nodes.append(Node("add", f"add{k}", [x, other], [y], {"act": "none"}))
        elif kind == "relu":
            _act(g, y, c)
            g.nodes.append(Node("relu", f"relu{k}", [x], [y], {"min": 0.0, "max": None}))
        elif kind == "dw":
            w = g.add_const(f"w{k}", np.ones((1, 3, 3, c), np.int8), QuantParams(np.full(c, 0.01), np.zeros(c), 3))
            _act(g, y, c)
            g.nodes.append(Node("depthwise_conv2d", f"dw{k}", [x, w], [y],
                                {"strides": [1, 1], "dilations": [1, 1], "pads": [1, 1, 1, 1], "act": "none",
                                 "depth_multiplier": 1}))
        else:
            kh = 3 if kind == "conv3" else 1
            w = g.add_const(f"w{k}", np.ones((ch, kh, kh, c), np.int8), QuantParams(np.full(ch, 0.01), np.zeros(ch), 0))
            _act(g, y, ch)
            pad = kh // 2
            g.nodes.append(Node("conv2d", f"conv{k}", [x, w], [y],
                                {"strides": [1, 1], "dilations": [1, 1], "pads": [pad] * 4, "act": "none"}))
        tensors.append(y)
    read = {t for n in g.nodes for t in n.inputs}
    g.outputs = [t for t in tensors[n_inputs:] if t not in read] or [tensors[-1]]
    return verify(g)


ops_st = st.lists(st.tuples(st.sampled_from(["add", "relu", "dw", "conv1", "conv3"]), st.integers(0, 50),
                            st.integers(0, 50), st.sampled_from([4, 8, 16])), min_size=1, max_size=12)


def liveness(g: Graph) -> dict[str, tuple[int, int]]:
    """Tensor -> (first, last) step, recomputed from scratch (inputs from 0, outputs to the end)."""
    span = {}
    end = len(g.nodes) - 1
    for t in g.inputs:
        span[t] = (0, 0)
    for i, n in enumerate(g.nodes):
        for t in list(n.inputs) + list(n.outputs):
            if t and not g.tensor(t).is_const:
                f, l = span.get(t, (i, i))
                span[t] = (min(f, i), max(l, i))
    for t in g.outputs:
        span[t] = (span[t][0], end)
    return span


def check_schedule(g0: Graph, options: ScheduleOptions, planner="auto"):
    s = make_schedule(g0, options)
    g = s.graph
    plan = plan_memory(g, options.alignment, planner, time_limit=0.5, schedule=s)
    # the order is topological and a permutation of the model's nodes
    assert sorted(n.name for n in g.nodes) == sorted(n.name for n in g0.nodes)
    verify(g)
    span = liveness(g)
    step = {n.name: i for i, n in enumerate(g.nodes)}
    partners = set()
    for name, d in s.inplace.items():
        i = step[name]
        assert span[d.input][1] == i, "in-place input read after its node"
        assert d.input not in g.outputs
        assert options.overwrite_inputs or d.input not in g.inputs
        partners.add((d.input, d.output))
    where = {}
    for t in span:
        region, off = plan.location(t)
        if region == "arena":
            where[t] = (off, off + g.tensor(t).nbytes)
            assert off % options.alignment == 0 or s.views.root(t)[1]
            assert off + g.tensor(t).nbytes <= plan.arena_bytes
        else:
            assert options.io == "external"
    names = sorted(where)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (fa, la), (fb, lb) = span[a], span[b]
            if fa <= lb and fb <= la:
                (oa, ea), (ob, eb) = where[a], where[b]
                if oa < eb and ob < ea:
                    (ra, va), (rb, vb) = s.views.root(a), s.views.root(b)
                    same_bytes = ra == rb and oa - va == ob - vb  # views: slices of one buffer
                    assert same_bytes or (a, b) in partners or (b, a) in partners, (a, b, where[a], where[b])
    assert plan.arena_bytes >= plan.lower_bound_bytes
    return s, plan


@settings(max_examples=60, deadline=None)
@given(ops_st, st.integers(1, 2))
def test_random_dags_plan_without_overlap(ops, n_inputs):
    g = random_graph(ops, n_inputs)
    _, base = check_schedule(g, ScheduleOptions(inplace=False, reorder=False))
    s, plan = check_schedule(g, ScheduleOptions())
    assert plan.lower_bound_bytes <= base.lower_bound_bytes  # in place and ordering only help
    assert plan.baseline_bound_bytes == base.lower_bound_bytes
    check_schedule(g, ScheduleOptions(io="external"))
    check_schedule(g, ScheduleOptions(overwrite_inputs=True, alignment=4))


def all_orders(g: Graph):
    producer = {t: i for i, n in enumerate(g.nodes) for t in n.outputs}
    preds = [{producer[t] for t in n.inputs if t in producer} for n in g.nodes]

    def extend(prefix, left):
        if not left:
            yield prefix
        for v in sorted(left):
            if preds[v] <= set(prefix):
                yield from extend(prefix + [v], left - {v})

    yield from extend([], set(range(len(g.nodes))))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "relu", "dw", "conv1", "conv3"]), st.integers(0, 50),
                          st.integers(0, 50), st.sampled_from([4, 8, 16])), min_size=2, max_size=7),
       st.booleans())
def test_order_is_the_best_topological_order(ops, inplace):
    g = random_graph(ops, 2)
    views = tensor_views(g)
    result = best_order(g, views, 16, inplace)
    model = _Model(g, views, 16, inplace, False, False)
    brute = min(model.evaluate(o) for o in all_orders(g))
    assert result.exact and result.peak == brute
    assert model.evaluate(result.order) == result.peak
    assert result.peak <= result.original_peak


def test_branch_order_lowers_the_peak():
    """Two branches from one input: running the branch that frees more first wins."""
    g = Graph("branches")
    _act(g, "x", 8)
    big = [(f"b{k}", 16) for k in range(3)]
    g.inputs = ["x"]
    prev = "x"
    for name, c in big:  # a long branch of wide tensors
        _act(g, name, c)
        w = g.add_const(f"w_{name}", np.ones((c, 1, 1, g.tensor(prev).shape[3]), np.int8),
                        QuantParams(np.full(c, 0.01), np.zeros(c), 0))
        g.nodes.append(Node("conv2d", name, [prev, w], [name], {"act": "none"}))
        prev = name
    _act(g, "s", 4)  # a short branch whose small result waits for the join
    w = g.add_const("w_s", np.ones((4, 1, 1, 8), np.int8), QuantParams(np.full(4, 0.01), np.zeros(4), 0))
    g.nodes.append(Node("conv2d", "s", ["x", w], ["s"], {"act": "none"}))
    _act(g, "j", 4)
    w = g.add_const("w_j", np.ones((4, 1, 1, 16), np.int8), QuantParams(np.full(4, 0.01), np.zeros(4), 0))
    g.nodes.append(Node("conv2d", "j", [prev, w], ["j"], {"act": "none"}))
    _act(g, "out", 4)
    g.nodes.append(Node("add", "out", ["j", "s"], ["out"], {"act": "none"}))
    g.outputs = ["out"]
    verify(g)
    s = make_schedule(g, ScheduleOptions(inplace=False))
    order = [n.name for n in s.graph.nodes]
    assert order.index("s") < order.index("b1")  # x dies before the second wide tensor exists
    plan = plan_memory(s.graph, schedule=s)
    assert plan.lower_bound_bytes < plan.baseline_bound_bytes


@settings(max_examples=15, deadline=None)
@given(ops_st)
def test_exact_never_worse_than_heuristics_on_schedules(ops):
    pytest.importorskip("ortools")
    g = random_graph(ops, 1)
    s = make_schedule(g, ScheduleOptions())
    exact = plan_memory(s.graph, 16, "exact", 0.5, schedule=s)
    for name in HEURISTICS:
        h = plan_memory(s.graph, 16, name, schedule=s)
        assert exact.arena_bytes <= h.arena_bytes, name
        assert h.arena_bytes >= h.lower_bound_bytes


def test_views_concat_and_split():
    g = Graph("views")
    _act(g, "x", 4)
    for t in ("a", "b", "p", "q", "y"):
        _act(g, t, 4)
    g.add_tensor(Tensor("cat", (1, 2 * H, W, 4), "s8", QuantParams(0.05, 0)))
    g.add_tensor(Tensor("p2", (1, H, W, 4), "s8", QuantParams(0.05, 0)))
    g.add_tensor(Tensor("q2", (1, H, W, 4), "s8", QuantParams(0.05, 0)))
    g.nodes = [Node("relu", "ra", ["x"], ["a"], {"min": 0.0}), Node("relu", "rb", ["x"], ["b"], {"min": 0.0}),
               Node("concatenation", "cat", ["a", "b"], ["cat"], {"axis": 1}),
               Node("split", "split", ["cat"], ["p2", "q2"], {"axis": 1, "sizes": [H, H]}),
               Node("add", "y", ["p2", "q2"], ["y"], {"act": "none"})]
    g.inputs, g.outputs = ["x"], ["y"]
    verify(g)
    views = tensor_views(g)
    assert views.root("b") == ("cat", H * W * 4) and views.root("a") == ("cat", 0)
    assert views.elided == {"cat", "split"}  # no byte moves: the split's outputs are the parts
    assert views.root("q2") == ("cat", H * W * 4)
    s, plan = check_schedule(g, ScheduleOptions())
    assert plan.location("b")[1] - plan.location("a")[1] == H * W * 4
