"""`check_params_fit`: the params region must fit in the board's RAM beside the arena and state."""

from __future__ import annotations

from tinymem.errors import TinymemError


def check_params_fit(plan, params, target) -> None:
    """Raise when arena + persistent state + params region exceed the board's RAM for the model
    (tinymem.memory.target: capacity). No-op without params or without a limit (host)."""
    if params is None or target.capacity is None:
        return
    need = plan.arena_bytes + plan.state_bytes + params.nbytes
    if need > target.capacity:
        raise TinymemError(f"model needs {need:,} B of {target.region} (arena {plan.arena_bytes:,} B + "
                           f"{plan.state_bytes:,} B persistent state + {params.nbytes:,} B updatable "
                           f"parameters) but the board has {target.capacity:,} B: short by "
                           f"{need - target.capacity:,} B; make fewer layers --updatable")
