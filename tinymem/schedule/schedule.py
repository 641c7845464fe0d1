"""`make_schedule`: execution order, views and in-place decisions for a canonical graph.

  1. views      reshapes as aliases; concatenation / split as slices (tinymem/schedule/views.py)
  2. order      the topological order with the smallest peak (tinymem/schedule/order.py)
  3. in place   nodes that write their output over a dying input (tinymem/schedule/inplace.py)

The result feeds the memory planner (tinymem/memory/plan.py) and the emitter (views emit no
code; in-place nodes call their in-place kernels).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from tinymem.errors import TinymemError
from tinymem.ir import Graph
from tinymem.schedule.inplace import InPlace, plan_inplace
from tinymem.schedule.order import best_order
from tinymem.schedule.views import Views, tensor_views

IO_MODES = ("arena", "external")


@dataclass
class ScheduleOptions:
    inplace: bool = True  # in-place execution and zero-copy views (concatenation, split)
    reorder: bool = True  # search the execution order with the smallest peak
    overwrite_inputs: bool = False  # in-place nodes may overwrite graph inputs
    io: str = "arena"  # "external": the application owns the input / output buffers
    alignment: int = 16
    stream_inputs: tuple[str, ...] = ()  # graph inputs fetched patch by patch (--stream-input): no buffer


@dataclass
class Schedule:
    graph: Graph  # nodes in execution order
    views: Views
    inplace: dict[str, InPlace] = field(default_factory=dict)  # node name -> decision
    options: ScheduleOptions = field(default_factory=ScheduleOptions)
    original_order: list[str] = field(default_factory=list)  # node names in the model's order
    order_exact: bool = True  # the order search was exhaustive

    @property
    def io_external(self) -> bool:
        return self.options.io == "external"

    @property
    def reordered(self) -> bool:
        return [n.name for n in self.graph.nodes] != self.original_order


def make_schedule(g: Graph, options: ScheduleOptions | None = None) -> Schedule:
    options = options or ScheduleOptions()
    if options.io not in IO_MODES:
        raise TinymemError(f"unknown --io {options.io!r} (choose from {', '.join(IO_MODES)})")
    external = options.io == "external"
    views = tensor_views(g, external) if options.inplace else _aliases_only(g)
    original = [n.name for n in g.nodes]
    exact = True
    decisions = (plan_inplace(g, views, options.alignment, options.overwrite_inputs, external)
                 if options.inplace else {})
    schedule = Schedule(g, views, decisions, options, original, exact)
    if options.reorder and len(g.nodes) > 1:
        result = best_order(g, views, options.alignment, options.inplace, options.overwrite_inputs, external,
                            stream_inputs=options.stream_inputs)
        if result.order != list(range(len(g.nodes))):
            g2 = dataclasses.replace(g, nodes=[g.nodes[i] for i in result.order])
            d2 = (plan_inplace(g2, views, options.alignment, options.overwrite_inputs, external)
                  if options.inplace else {})
            other = Schedule(g2, views, d2, options, original, result.exact)
            # the lifetimes decide: a new order only when its lower bound is smaller
            if _bound(other) < _bound(schedule):
                return other
        schedule.order_exact = result.exact
    return schedule


def _bound(schedule: Schedule) -> int:
    """Lower bound of a schedule's arena (most aligned live bytes at any half step)."""
    from tinymem.memory.lifetimes import buffer_lifetimes
    from tinymem.memory.plan import live_bytes_per_tick

    buffers = [b for b in buffer_lifetimes(schedule.graph, schedule) if b.region == "arena"]
    return max(live_bytes_per_tick(buffers, len(schedule.graph.nodes), schedule.options.alignment))


def _aliases_only(g: Graph) -> Views:
    from tinymem.ops import get_op

    views = Views()
    for node in g.nodes:
        if get_op(node.op).alias and node.inputs and node.outputs:
            views.parent[node.outputs[0]] = (node.inputs[0], 0)
    return views
