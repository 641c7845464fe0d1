"""Scheduling: execution order, zero-copy views and in-place decisions (before memory planning)."""

from tinymem.schedule.inplace import InPlace, plan_inplace
from tinymem.schedule.order import best_order
from tinymem.schedule.schedule import IO_MODES, Schedule, ScheduleOptions, make_schedule
from tinymem.schedule.views import Views, tensor_views

__all__ = ["InPlace", "plan_inplace", "best_order", "IO_MODES", "Schedule", "ScheduleOptions", "make_schedule",
           "Views", "tensor_views"]
