"""Planners over random lifetime sets (with in-place groups): no two buffers live at the same half
step share a byte, every plan covers the lower bound, `exact` is never worse than a heuristic.
The overlap check here is written independently of tinymem.memory.plan.check_placement."""

import pytest
from hypothesis import given, settings, strategies as st

from tinymem.errors import TinymemError
from tinymem.memory.heuristics import align_up, arena_size, greedy_by_size
from tinymem.memory.lifetimes import Buffer
from tinymem.memory.plan import HEURISTICS, MemoryPlan, check_fits, live_bytes_per_step, live_bytes_per_tick, place
from tinymem.memory.target import memory_target
from tinymem.ir import Graph, Node, Tensor

buffers_st = st.lists(
    st.tuples(st.integers(1, 5000), st.integers(0, 20), st.integers(0, 6)), min_size=1, max_size=30
).map(lambda xs: [Buffer(f"b{i}", n, f, f + d) for i, (n, f, d) in enumerate(xs)])


@st.composite
def with_groups(draw, max_buffers=24):
    """Plain buffers plus chains of in-place partners: member k ends (early) at the step where
    member k + 1 starts (late), all members at the chain's base address."""
    out = draw(buffers_st.map(lambda bs: bs[: max_buffers // 2]))
    for c in range(draw(st.integers(0, 3))):
        step = draw(st.integers(0, 10))
        prev = None
        for k in range(draw(st.integers(2, 4))):
            length = draw(st.integers(1, 5))
            b = Buffer(f"g{c}_{k}", draw(st.integers(1, 4000)), step, step + length, group=f"g{c}_0")
            if prev is not None:
                prev.early_end, b.late_start = True, True
            out.append(b)
            prev, step = b, step + length
    return out


def assert_valid(buffers, offsets, alignment):
    """Independent check: live ticks [2*first + late, 2*last + 1 - early] intersect -> disjoint bytes;
    in-place partners at their common base."""
    def ticks(b):
        return 2 * b.first + int(b.late_start), 2 * b.last + 1 - int(b.early_end)

    for b in buffers:
        assert offsets[b.name] % alignment == 0 and offsets[b.name] >= 0
    bases = {}
    for b in buffers:
        if b.group:
            assert bases.setdefault(b.group, offsets[b.name] - b.delta) == offsets[b.name] - b.delta
    for i, a in enumerate(buffers):
        for b in buffers[i + 1:]:
            (a0, a1), (b0, b1) = ticks(a), ticks(b)
            if a0 <= b1 and b0 <= a1:
                lo_a, lo_b = offsets[a.name], offsets[b.name]
                assert lo_a + a.nbytes <= lo_b or lo_b + b.nbytes <= lo_a, (a, b, offsets)


def bound(buffers, alignment):
    steps = max(b.last for b in buffers) + 1
    return max(live_bytes_per_tick(buffers, steps, alignment))


@settings(max_examples=150, deadline=None)
@given(buffers_st)
def test_greedy_never_overlaps_live_buffers(buffers):
    offsets = greedy_by_size(buffers, 16)
    assert_valid(buffers, offsets, 16)
    arena = max(offsets[b.name] + align_up(b.nbytes, 16) for b in buffers)
    steps = max(b.last for b in buffers) + 1
    assert arena >= max(live_bytes_per_step(buffers, steps, 16))


@settings(max_examples=120, deadline=None)
@given(with_groups(), st.sampled_from([4, 16, 32]))
def test_heuristics_respect_in_place_groups_and_the_bound(buffers, alignment):
    low = bound(buffers, alignment)
    for name, fn in HEURISTICS.items():
        offsets = fn(buffers, alignment)
        assert_valid(buffers, offsets, alignment)
        assert arena_size(buffers, offsets, alignment) >= low, name


@settings(max_examples=25, deadline=None)
@given(with_groups(max_buffers=14))
def test_exact_is_never_worse_than_a_heuristic(buffers):
    pytest.importorskip("ortools")
    low = bound(buffers, 16)
    heuristic = min(arena_size(buffers, fn(buffers, 16), 16) for fn in HEURISTICS.values())
    used, offsets, optimal = place(buffers, 16, "exact", low, time_limit=0.5)
    assert_valid(buffers, offsets, 16)
    arena = arena_size(buffers, offsets, 16)
    assert low <= arena <= heuristic
    if optimal:
        assert arena == low or used == "exact"


def test_in_place_partners_share_an_address_and_the_bound_counts_them_once():
    x = Buffer("x", 1000, 0, 2, early_end=True, group="x")
    y = Buffer("y", 1600, 2, 4, late_start=True, group="x")
    other = Buffer("o", 500, 1, 3)
    assert not x.overlaps(y) and x.overlaps(other) and y.overlaps(other)
    assert bound([x, y, other], 16) == align_up(1600, 16) + 512
    for fn in HEURISTICS.values():
        offsets = fn([x, y, other], 16)
        assert offsets["x"] == offsets["y"]
        assert arena_size([x, y, other], offsets, 16) == 1600 + 512


def _tiny_graph():
    g = Graph("g")
    for name, shape in (("in", (1, 64)), ("a", (1, 4000)), ("b", (1, 3000)), ("out", (1, 8))):
        g.add_tensor(Tensor(name, shape, "s8"))
    g.nodes = [Node("relu", "n0", ["in"], ["a"]), Node("relu", "n1", ["a"], ["b"]),
               Node("relu", "n2", ["b"], ["out"])]
    g.inputs, g.outputs = ["in"], ["out"]
    return g


def test_overflow_names_the_step_the_live_tensors_and_the_shortfall():
    g = _tiny_graph()
    a, b = Buffer("a", 4000, 0, 1, ["a"]), Buffer("b", 3000, 1, 2, ["b"])
    plan = MemoryPlan([a, b], {"a": 0, "b": 4000}, 7008, 7008, 1, 16, "best-fit", True, state_bytes=64)
    check_fits(plan, g, 7072)
    with pytest.raises(TinymemError) as e:
        check_fits(plan, g, 7000)
    msg = str(e.value)
    assert "short by 72 B" in msg and "step 1 (n1)" in msg and "a 4,000 B" in msg and "b 3,000 B" in msg


def test_board_alignment_and_capacity():
    assert memory_target().alignment == 16 and memory_target().capacity is None
    m7 = memory_target("nucleo-h743zi")
    assert m7.alignment == 32 and m7.capacity == 512 * 1024 - 8192
    assert memory_target("nucleo-l4r5zi", 64).alignment == 64
    with pytest.raises(TinymemError):
        memory_target("host", 24)
