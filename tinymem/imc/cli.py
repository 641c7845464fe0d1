"""`tinymem imc ...`: run the crossbar / liquid-state-machine experiments from a TOML config; and the
device options and report of `tinymem verify MODEL --backend rram`."""

from __future__ import annotations

import tomllib
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from tinymem.errors import InputError
from tinymem.imc.device import Device

console = Console()


rram_options = [  # verify --backend rram (docs/imc.md, "Compiler integration")
    click.option("--ideal", is_flag=True, help="rram: start from the ideal device (exact: no noise, faults, drift "
                                               "or ADC rounding) instead of the default one."),
    click.option("--device-config", type=click.Path(dir_okay=False, exists=True),
                 help="rram: TOML file of device settings (top level or a [device] table)."),
    click.option("--device", "device_settings", multiple=True, metavar="KEY=VALUE",
                 help="rram: one device setting, e.g. adc_bits=6, prog_noise=0.01 (repeatable; after the file)."),
    click.option("--calibration", type=click.IntRange(min=0),
                 help="rram: inputs used to calibrate the ADCs, not evaluated  [default: 16]"),
]


def with_rram_options(f):
    for opt in reversed(rram_options):
        f = opt(f)
    return f


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


def device_from_options(seed: int, ideal: bool, config: str | None, settings) -> Device:
    """The device of `verify --backend rram`: default or ideal, then the config file, then each
    --device KEY=VALUE (VALUE read as TOML: 6, 0.01, true); --seed seeds it unless a setting does."""
    d = {"seed": seed}
    if config:
        try:
            table = tomllib.loads(Path(config).read_text())
        except tomllib.TOMLDecodeError as e:
            raise InputError(f"{config}: not valid TOML ({e})") from None
        d.update(table.get("device", table))
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--device {item!r}: expected KEY=VALUE")
        try:
            d[key.strip()] = tomllib.loads(f"v = {value.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            d[key.strip()] = value.strip()
    try:
        return Device.from_dict(d, Device.ideal() if ideal else None)
    except ValueError as e:
        raise InputError(str(e)) from None


def verify_rram_cmd(model, data, n_random, seed, options, ideal, config, settings, calibration) -> int:
    """Run and print `tinymem verify MODEL --backend rram`; exit code 1 when an exact device
    does not reproduce the digital outputs."""
    from tinymem.imc.verify_rram import verify_rram

    device = device_from_options(seed, ideal, config, settings)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("crossbar inference")
        result = verify_rram(model, device, n_random, data, seed, options,
                             calibration=16 if calibration is None else calibration,
                             progress=lambda: bar.advance(task))
    print_rram(Path(model).name, result)
    return 1 if device.exact and not result.identical else 0


def print_rram(model: str, r) -> None:
    tiles = sum(layer["tiles"] for layer in r.layers)
    console.print(f"{model}: {len(r.layers)} weight matrices on {tiles} crossbar tiles "
                  f"({r.device.tile_rows} x {r.device.tile_cols}, all bit slices); "
                  f"{r.samples} inputs, ADCs calibrated on {r.calibration} more")
    table = Table(title=f"crossbar ({'exact' if r.device.exact else 'device model'}) vs digital int8")
    for col in ("output", "dtype", "identical inputs", "max |diff|", "mean |diff|"):
        table.add_column(col)
    for o in r.outputs:
        unit = "" if o.dtype == "f32" else " steps"
        table.add_row(o.name, o.dtype, f"{o.identical}/{r.samples}", f"{o.max_abs_diff:g}{unit}",
                      f"{o.mean_abs_diff:.3g}{unit}")
    console.print(table)
    if r.accuracy_digital is not None:
        console.print(f"top-1 accuracy on {r.labelled} labelled inputs: digital int8 "
                      f"{100 * r.accuracy_digital:.2f} %, crossbar {100 * r.accuracy_crossbar:.2f} %; "
                      f"top-1 agreement {100 * r.top1_agreement:.2f} %")
    if r.device.exact:  # no physical periphery to count (unlimited ADC resolution)
        return
    e = r.energy
    console.print(f"energy per inference of the mapped layers: crossbar {e['total'] * 1e9:.1f} nJ (cells "
                  f"{e['cells'] * 1e9:.1f}, DAC {e['dac'] * 1e9:.1f}, ADC {e['adc'] * 1e9:.1f}, digital "
                  f"{e['digital'] * 1e9:.1f}); the same MACs on an MCU {e['mcu'] * 1e6:.1f} uJ (docs/imc.md)")
