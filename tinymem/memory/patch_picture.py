"""`draw_patches`: the picture of a patch plan (OUT/patch.png, written with --patch).

Left: the stage input, each patch's input window (its halo included) as an outline over the grid
of output patches scaled to the input. Right (with --patch auto): the candidate table, arena peak
against extra MACs, the budget as a vertical line, the layer-by-layer arena as a horizontal one,
and the chosen plan circled.
"""

from __future__ import annotations

from pathlib import Path


def draw_patches(report: dict, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    patch = report["patch"]
    plan = patch["plan"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5), dpi=100)
    if plan is not None:
        shape = next(t["shape"] for t in report["inputs"] if t["name"] == plan["input"])
        h, w = shape[1], shape[2]
        out_h = max(r[1] for r in plan["output_patches"])
        out_w = max(r[3] for r in plan["output_patches"])
        colors = plt.cm.tab10.colors
        for k, (win, out) in enumerate(zip(plan["input_windows"], plan["output_patches"])):
            c = colors[k % len(colors)]
            y0, y1, x0, x1 = win
            left.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=c, lw=1.0, alpha=0.8))
            r0, r1, c0, c1 = out  # the output patch, scaled to input pixels
            left.add_patch(Rectangle((c0 * w / out_w, r0 * h / out_h), (c1 - c0) * w / out_w,
                                     (r1 - r0) * h / out_h, facecolor=c, alpha=0.15, lw=0))
        left.set_xlim(0, w)
        left.set_ylim(h, 0)
        left.set_aspect("equal")
        left.set_title(f"first {plan['split']} ops, {plan['grid'][0]}x{plan['grid'][1]} patches: input windows "
                       f"(outlines) over the output grid\n+{plan['mac_overhead']:.1%} MACs, patch buffers "
                       f"{plan['patch_buffer_bytes']:,} B", fontsize=8)
    else:
        left.text(0.5, 0.5, "layer by layer (no plan lowers the peak)", ha="center", va="center")
        left.set_axis_off()
    cands = [c for c in patch["candidates"] if c["peak_bytes"] is not None]
    if cands:
        right.scatter([c["mac_overhead"] for c in cands], [c["arena_bytes"] or c["peak_bytes"] for c in cands],
                      s=10, c=[c["split"] for c in cands], cmap="viridis")
        right.axvline(patch["max_mac_overhead"], color="k", ls="--", lw=0.8, label="MAC budget")
        right.axhline(patch["arena_before_bytes"], color="#990000", ls=":", lw=1.0, label="layer by layer")
        if plan is not None:
            right.scatter([plan["mac_overhead"]], [patch["arena_after_bytes"]], s=120, facecolors="none",
                          edgecolors="r", label="chosen")
        right.set_xlabel("extra MACs / model MACs")
        right.set_ylabel("arena peak (bytes; colour: split point)")
        right.legend(fontsize=7)
    else:
        right.set_axis_off()
    right.set_title(f"{report['model']['file']}: arena {patch['arena_before_bytes']:,} -> "
                    f"{patch['arena_after_bytes']:,} B", fontsize=8)
    fig.tight_layout()
    fig.savefig(png, metadata={"Software": None})
    plt.close(fig)
