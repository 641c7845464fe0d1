"""Greedy planner: no two simultaneously live buffers overlap; the arena covers the lower bound."""

from hypothesis import given, settings, strategies as st

from tinymem.memory.heuristics import align_up, greedy_by_size
from tinymem.memory.lifetimes import Buffer
from tinymem.memory.plan import live_bytes_per_step

buffers_st = st.lists(
    st.tuples(st.integers(1, 5000), st.integers(0, 20), st.integers(0, 6)), min_size=1, max_size=30
).map(lambda xs: [Buffer(f"b{i}", n, f, f + d) for i, (n, f, d) in enumerate(xs)])


@settings(max_examples=200, deadline=None)
@given(buffers_st)
def test_greedy_never_overlaps_live_buffers(buffers):
    offsets = greedy_by_size(buffers, 16)
    for i, a in enumerate(buffers):
        assert offsets[a.name] % 16 == 0
        for b in buffers[i + 1:]:
            if a.overlaps(b):
                a0, a1 = offsets[a.name], offsets[a.name] + a.nbytes
                b0, b1 = offsets[b.name], offsets[b.name] + b.nbytes
                assert a1 <= b0 or b1 <= a0, (a, b)
    arena = max(offsets[b.name] + align_up(b.nbytes, 16) for b in buffers)
    steps = max(b.last for b in buffers) + 1
    assert arena >= max(live_bytes_per_step(buffers, steps, 16))
