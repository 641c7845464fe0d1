"""`draw_timeline`: the memory timeline picture of a plan (steps on x, arena address on y).

One rectangle per arena buffer (activations blue, those written in place over one another green,
scratch orange), labelled when it is large enough to hold text; in-place partners meet in the
middle of their step. A dashed line marks the lower bound, a dotted one the layer-by-layer bound
(the model's order, nothing in place) when it is higher, and a red band the peak step.
"""

from __future__ import annotations

from pathlib import Path


def draw_timeline(report: dict, png: Path, svg: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    matplotlib.rcParams["svg.hashsalt"] = "tinymem"  # deterministic SVG ids
    mem, ram = report["memory"], report["ram"]
    steps = max(len(report["ops"]), 1)
    arena = max(ram["arena_bytes"], 1)
    fig, ax = plt.subplots(figsize=(10, 5), dpi=100)
    ax.axvspan(ram["peak_step"] - 0.5, ram["peak_step"] + 0.5, color="#f4cccc", zorder=0, label="peak step")
    for b in mem["buffers"]:
        if b.get("region", "arena") != "arena":
            continue  # caller-owned I/O (--io external)
        color = "#f6b26b" if b["kind"] != "activation" else "#93c47d" if "group" in b else "#6fa8dc"
        # in-place partners meet mid-step: the input ends and the output starts there
        x = b["first"] - (0.0 if b.get("late_start") else 0.45)
        w = b["last"] + (0.0 if b.get("early_end") else 0.45) - x
        ax.add_patch(Rectangle((x, b["offset"]), w, b["bytes"], facecolor=color, edgecolor="#1c4587", lw=0.6))
        if b["bytes"] > 0.06 * arena and w > 0.8:
            label = b["tensors"][0] if b["tensors"] else b["name"]
            ax.text(x + w / 2, b["offset"] + b["bytes"] / 2, f"{label[:24]}\n{b['bytes']:,} B",
                    ha="center", va="center", fontsize=6, clip_on=True)
    ax.axhline(ram["lower_bound_bytes"], color="k", ls="--", lw=0.8, label="lower bound")
    base = ram.get("baseline_bound_bytes", 0)
    if base > ram["lower_bound_bytes"]:
        ax.axhline(base, color="#990000", ls=":", lw=1.0, label=f"layer-by-layer bound {base:,} B")
    ax.set_xlim(-0.5, steps - 0.5)
    ax.set_ylim(0, max(arena, base) * 1.05)
    ax.set_xlabel("step (operator index)")
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title(f"{report['model']['file']}: arena {ram['arena_bytes']:,} B, lower bound "
                 f"{ram['lower_bound_bytes']:,} B, planner {mem['planner']}")
    kinds = {b["kind"] if "group" not in b else "in place" for b in mem["buffers"]
             if b.get("region", "arena") == "arena"}
    handles, _ = ax.get_legend_handles_labels()
    for label, color in (("activation", "#6fa8dc"), ("in place", "#93c47d"), ("scratch", "#f6b26b")):
        if label in kinds:
            handles.append(Rectangle((0, 0), 1, 1, facecolor=color, edgecolor="#1c4587", lw=0.6, label=label))
    ax.legend(handles=handles, loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(png, metadata={"Software": None})
    fig.savefig(svg, metadata={"Date": None, "Creator": None})
    plt.close(fig)
