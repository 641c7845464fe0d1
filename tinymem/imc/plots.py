"""`plot_sweep`, `plot_energy`: PNG figures of the experiments (needs the optional matplotlib)."""

from __future__ import annotations

from pathlib import Path

LABELS = {
    "prog_noise": ("programming noise (fraction of g_max)", False),
    "adc_bits": ("ADC bits", False),
    "stuck_rate": ("added stuck-at cell rate", False),
    "read_noise": ("read noise (fraction of g_max)", False),
    "drift_time": ("time after readout training (s)", True),
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_sweep(sweep: dict, path: str | Path, reference: float | None = None,
               title: str = "Image-event LSM under device non-idealities") -> Path:
    """One panel per swept parameter: test accuracy vs value; `reference` = noiseless accuracy."""
    plt = _pyplot()
    names = list(sweep)
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        xs = [r["value"] for r in sweep[name]]
        ys = [100 * r["accuracy"] for r in sweep[name]]
        label, logx = LABELS.get(name, (name, False))
        if logx:
            xs = [max(x, 1.0) for x in xs]
            ax.set_xscale("log")
        ax.plot(xs, ys, "o-")
        if reference is not None:
            ax.axhline(100 * reference, color="gray", ls="--", lw=1, label="noiseless")
            ax.legend(fontsize=7)
        ax.set_xlabel(label, fontsize=8)
        ax.set_ylabel("test accuracy (%)", fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_energy(rows: list[dict], path: str | Path) -> Path:
    """Bars of energy per inference (uJ, log scale): crossbar vs digital estimates, per task."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    names = [r["task"] for r in rows]
    xs = range(len(rows))
    bars = [("imc_joules", "RRAM crossbar (this model)"),
            ("digital_mac_joules", "int8 MACs alone, 45 nm"), ("mcu_joules", "Cortex-M4 MCU")]
    for i, (key, label) in enumerate(bars):
        ax.bar([x + (i - 1) * 0.27 for x in xs], [r.get(key, 0) * 1e6 for r in rows], 0.27,
               label=label)
    ax.set_xticks(list(xs), names)
    ax.set_yscale("log")
    top = max(r.get(k, 0) for r in rows for k, _ in bars) * 1e6
    ax.set_ylim(top=top * 300)  # room for the legend above the bars
    ax.set_ylabel("energy per inference (uJ)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
