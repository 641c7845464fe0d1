"""`tinymem imc ...`: run the crossbar / liquid-state-machine experiments from a TOML config."""

from __future__ import annotations

import tomllib
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()


@click.group()
def imc():
    """In-memory-computing backend: resistive crossbars running liquid state machines."""


def print_summary(res: dict) -> None:
    from tinymem.imc.summary import summary_rows

    table = Table(title="tinymem imc")
    for col in ("figure", "measured", "target", "paper"):
        table.add_column(col)
    for row in summary_rows(res):
        table.add_row(*row)
    console.print(table)
    if "sweep" in res:
        sweep = Table(title="noise sweep (image LSM, one factor at a time; see docs/imc.md)")
        sweep.add_column("parameter")
        sweep.add_column("value: test accuracy")
        for name, rows in res["sweep"].items():
            sweep.add_row(name, ", ".join(f"{r['value']:g}: {100 * r['accuracy']:.1f} %" for r in rows))
        console.print(sweep)
    for name, path in res.get("files", {}).items():
        console.print(f"{name}: {path}")


@imc.command()
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@click.option("--output-dir", default=None, help="Override the config's output_dir.")
def run(config, output_dir):
    """Run the experiments described by the TOML file CONFIG."""
    from tinymem.imc.experiment import run_experiments

    cfg = tomllib.loads(Path(config).read_text())
    if output_dir:
        cfg["output_dir"] = output_dir
    elif cfg.get("output_dir") and not Path(cfg["output_dir"]).is_absolute():
        cfg["output_dir"] = str(Path(config).parent / cfg["output_dir"])
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("starting")
        res = run_experiments(cfg, progress=lambda msg: bar.update(task, description=msg))
    print_summary(res)
    console.print(f"{res['seconds']:.0f} s")
