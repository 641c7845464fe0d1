"""Memory planning: buffer lifetimes over the schedule and their placement in the arena."""

from tinymem.memory.lifetimes import Buffer, buffer_lifetimes
from tinymem.memory.plan import MemoryPlan, check_fits, plan_memory

__all__ = ["Buffer", "buffer_lifetimes", "MemoryPlan", "check_fits", "plan_memory"]
