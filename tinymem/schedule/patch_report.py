"""`patch_report`: the "patch" section of report.json (docs/report.md, docs/patch.md)."""

from __future__ import annotations


def patch_report(choice, report: dict) -> dict:
    """choice: tinymem.schedule.patch.PatchChoice; report: the rest of the report (its arena)."""
    out = {"mode": choice.mode, "stream_input": choice.stream_input, "max_mac_overhead": choice.max_overhead,
           "arena_before_bytes": choice.arena_before or report["ram"]["arena_bytes"],
           "arena_after_bytes": report["ram"]["arena_bytes"], "plan": None,
           "candidates": [{"split": c.split, "grid": list(c.grid), "peak_bytes": c.peak_bytes,
                           "arena_bytes": c.arena_bytes,
                           "extra_macs": c.extra_macs, "mac_overhead": round(c.overhead, 6)}
                          for c in choice.candidates]}
    plan = choice.plan
    if plan is not None:
        out["plan"] = {"split": plan.split, "grid": list(plan.grid), "input": plan.input, "output": plan.output,
                       "nodes": [n.name for n in plan.nodes], "patch_buffer_bytes": choice.arena.nbytes,
                       "stage_macs": plan.stage_macs, "patched_macs": plan.patched_macs,
                       "extra_macs": plan.extra_macs,
                       "mac_overhead": round(plan.extra_macs / max(choice.model_macs, 1), 6),
                       "input_windows": [list(p.regions[plan.input]) for p in plan.patches],
                       "output_patches": [list(p.regions[plan.output]) for p in plan.patches]}
    return out
