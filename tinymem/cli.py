"""The `tinymem` command: parses arguments, calls the library, prints tables."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tinymem import __version__
from tinymem.errors import InputError, TinymemError
from tinymem.imc.cli import with_rram_options

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _shapes(values) -> dict:
    out = {}
    for v in values:
        name, _, dims = v.rpartition("=")
        try:
            out[name] = tuple(int(d) for d in dims.lower().split("x"))
        except ValueError:
            raise click.BadParameter(f"{v!r}: expected NAME=1x96x96x3") from None
    return out


def _consts(values) -> dict:
    out = {}
    for v in values:
        name, _, val = v.rpartition("=")
        try:
            out[name] = float(val)
        except ValueError:
            raise click.BadParameter(f"{v!r}: expected NAME=NUMBER") from None
    return out


def _states(values):
    """--state values: None (none given: detect pairs), {} (--state none) or {IN: OUT}."""
    if not values:
        return None
    out = {}
    for v in values:
        if v.lower() == "none":
            continue
        name, sep, target = v.partition("=")
        if not sep or not name or not target:
            raise click.BadParameter(f"{v!r}: expected IN=OUT (or none)")
        out[name] = target
    return out


model_options = [
    click.option("--input-shape", "input_shapes", multiple=True, metavar="NAME=1x96x96x3",
                 help="Pin a dynamic input shape (repeatable)."),
    click.option("--const", "consts", multiple=True, metavar="NAME=VALUE",
                 help="Specialise a model input to a constant (repeatable); folds If on it."),
    click.option("--state", "states", multiple=True, metavar="IN=OUT",
                 help="Input IN takes output OUT of the previous call: persistent state (repeatable; "
                      "'none': no state; default: detected by name for ONNX, e.g. h=hn)."),
    click.option("--board", default="host", show_default=True, help="Target board."),
]


def with_model_options(f):
    for opt in reversed(model_options):
        f = opt(f)
    return f


plan_options = [
    click.option("--planner", type=click.Choice(["auto", "exact", "greedy-size", "greedy-breadth", "best-fit"]),
                 default="auto", show_default=True, help="Memory planner (docs/memory.md)."),
    click.option("--io", "io", type=click.Choice(["arena", "external"]), default="arena", show_default=True,
                 help="external: the application passes its own input/output buffers (set_io), outside the arena."),
    click.option("--inplace/--no-inplace", default=True, show_default=True,
                 help="In-place execution and zero-copy concatenation/split."),
    click.option("--overwrite-inputs", is_flag=True, help="Let in-place nodes overwrite the graph inputs."),
    click.option("--alignment", type=int, help="Arena alignment in bytes (default: the board's, 16)."),
]


def with_plan_options(f):
    for opt in reversed(plan_options):
        f = opt(f)
    return f


head_options = [  # transfer learning (docs/params.md)
    click.option("--updatable", "updatable", multiple=True, metavar="LAYER[,LAYER...]",
                 help="Keep these layers' weights and biases in RAM (params_load / PARAMS_WRITE); LAYER is a "
                      "node, output tensor or weight name (docs/params.md)."),
    click.option("--memory-head", "memory_head", type=click.Choice(["knn"]),
                 help="Add an episodic key-value memory (nearest neighbour) after an embedding tensor."),
    click.option("--slots", "memory_slots", type=click.IntRange(min=1),
                 help="Memory-head slots (default: from the board's free RAM; host 256)."),
    click.option("--embedding", "memory_embedding", metavar="TENSOR",
                 help="Memory-head embedding tensor (default: the input of the last fully connected layer)."),
    click.option("--metric", "memory_metric", type=click.Choice(["l2", "cosine"]), default="l2", show_default=True,
                 help="Memory-head distance."),
]


def with_head_options(f):
    for opt in reversed(head_options):
        f = opt(f)
    return f


patch_options = [
    click.option("--patch", default="off", show_default=True, metavar="auto|off|S:NxM",
                 help="Run the first S operators patch by patch on an N x M grid; auto: search (docs/patch.md)."),
    click.option("--max-mac-overhead", type=click.FloatRange(min=0), default=0.15, show_default=True,
                 help="--patch auto: most extra MACs (halo recomputation) allowed, as a fraction of the model's."),
    click.option("--stream-input", is_flag=True,
                 help="The patched stage fetches its input window by window through a callback (docs/patch.md)."),
]


def with_patch_options(f):
    for opt in reversed(patch_options):
        f = opt(f)
    return f


def _options(board, input_shapes, consts, states=(), **plan):
    from tinymem.compile import CompileOptions

    return CompileOptions(board=board, input_shapes=_shapes(input_shapes), consts=_consts(consts),
                          state=_states(states), **plan)


@click.group()
@click.version_option(__version__, prog_name="tinymem")
def cli():
    """tinymem: compile ONNX/TFLite models to bit-exact C for microcontrollers."""


@cli.command()
@click.argument("model", type=click.Path(dir_okay=False))
@with_model_options
@click.option("--ir", "show_ir", is_flag=True, help="Also print the IR after canonicalization.")
def inspect(model, input_shapes, consts, states, board, show_ir):
    """Print the operator table of MODEL."""
    from tinymem.compiler.canonicalize import canonicalize
    from tinymem.compiler.state_pairs import make_state
    from tinymem.frontend import load_model
    from tinymem.ir import format_graph, verify
    from tinymem.ops import get_op

    opts = _options(board, input_shapes, consts, states)
    g = verify(load_model(model, opts.input_shapes, opts.consts))
    pairs = make_state(g, opts.state, auto=Path(model).suffix.lower() == ".onnx")
    g = canonicalize(g)
    table = Table(title=f"{Path(model).name}: {len(g.nodes)} ops")
    for col in ("#", "op", "inputs", "outputs", "MACs", "weight bytes"):
        table.add_column(col, justify="right" if col in ("#", "MACs", "weight bytes") else "left")

    def describe(name):
        t = g.tensor(name)
        q = f" {t.quant.describe()}" if t.quant is not None else ""
        return f"{'const ' if t.is_const else ''}{t.dtype}{list(t.shape)}{q}"

    total_macs = total_w = 0
    for i, node in enumerate(g.nodes):
        macs = get_op(node.op).macs(node, g)
        wbytes = sum(g.tensor(n).nbytes for n in node.inputs if n and g.tensor(n).is_const)
        total_macs += macs
        total_w += wbytes
        table.add_row(str(i), f"{node.op}\n[dim]{node.name}[/dim]", "\n".join(describe(n) for n in node.inputs if n),
                      "\n".join(describe(n) for n in node.outputs), f"{macs:,}", f"{wbytes:,}")
    table.add_section()
    table.add_row("", "total", "", "", f"{total_macs:,}", f"{total_w:,}")
    console.print(table)
    if pairs:
        state = sum(g.tensor(k).nbytes for k in pairs)
        console.print(f"state (persistent, {state:,} B): " + ", ".join(f"{k} <- {v}" for k, v in pairs.items()))
    if show_ir:
        console.print(format_graph(g), markup=False, highlight=False)


@cli.command("compile")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False), help="Output directory.")
@with_model_options
@with_plan_options
@with_head_options
@with_patch_options
def compile_cmd(model, out, input_shapes, consts, states, board, planner, io, inplace, overwrite_inputs, alignment,
                updatable, memory_head, memory_slots, memory_embedding, memory_metric, patch, max_mac_overhead,
                stream_input):
    """Compile MODEL into a self-contained C project in OUT."""
    from tinymem.compile import compile_model

    report = compile_model(model, out, _options(board, input_shapes, consts, states, planner=planner, io=io, inplace=inplace,
                                                overwrite_inputs=overwrite_inputs, alignment=alignment,
                                                updatable=tuple(updatable), memory_head=memory_head,
                                                memory_slots=memory_slots, memory_embedding=memory_embedding,
                                                memory_metric=memory_metric, patch=patch,
                                                max_mac_overhead=max_mac_overhead, stream_input=stream_input))
    table = Table(title=f"{report['model']['file']} -> {out}", show_header=False)
    table.add_row("ops", str(len(report["ops"])))
    table.add_row("MACs", f"{report['macs']:,}")
    table.add_row("flash (weights + tables)", f"{report['flash']['total_bytes']:,} B")
    table.add_row("RAM (arena + persistent)", f"{report['ram']['total_bytes']:,} B")
    if report.get("state_pairs"):
        table.add_row("state (persistent)", f"{report['ram']['state_bytes']:,} B: "
                      + ", ".join(f"{p['input']} <- {p['output']}" for p in report["state_pairs"]))
    if report.get("params"):
        table.add_row("params (RAM, updatable)", f"{report['ram']['params_bytes']:,} B: "
                      + ", ".join(layer["node"] for layer in report["params"]["layers"]))
    if report.get("memory_head"):
        h = report["memory_head"]
        table.add_row("memory head", f"knn {h['metric']}, {h['slots']} slots x {h['dim']} {h['dtype']} "
                      f"({h['slots'] * h['slot_bytes']:,} B) on {h['embedding']}")
    table.add_row("RAM lower bound", f"{report['ram']['lower_bound_bytes']:,} B")
    if report["ram"].get("baseline_bound_bytes", 0) != report["ram"]["lower_bound_bytes"]:
        table.add_row("layer-by-layer bound", f"{report['ram']['baseline_bound_bytes']:,} B "
                      f"({len(report['memory'].get('inplace', []))} ops in place)")
    patch = report["patch"]["plan"]
    if patch is not None:
        table.add_row("patch stage", f"first {patch['split']} ops on {patch['grid'][0]}x{patch['grid'][1]} patches: "
                      f"arena {report['patch']['arena_before_bytes']:,} -> {report['ram']['arena_bytes']:,} B, "
                      f"+{patch['mac_overhead']:.1%} MACs")
    console.print(table)


@cli.command("report")
@click.argument("out", type=click.Path(file_okay=False, exists=True))
@click.option("--buffers", is_flag=True, help="Also list every arena buffer.")
def report_cmd(out, buffers):
    """Summarise the report.json of a compiled model in OUT."""
    import json

    path = Path(out) / "report.json"
    if not path.exists():
        raise InputError(f"{out} is not a tinymem output directory (no report.json)")
    r = json.loads(path.read_text())
    ram, flash, mem = r["ram"], r["flash"], r["memory"]
    table = Table(title=f"{r['model']['file']} ({r['board']})", show_header=False)
    table.add_row("MACs", f"{r['macs']:,}")
    table.add_row("flash: weights / tables / total", f"{flash['weights_bytes']:,} / {flash['tables_bytes']:,} / {flash['total_bytes']:,} B")
    table.add_row("RAM: arena / persistent / total", f"{ram['arena_bytes']:,} / {ram['persistent_bytes']:,} / {ram['total_bytes']:,} B")
    ratio = ram["arena_bytes"] / ram["lower_bound_bytes"] if ram["lower_bound_bytes"] else 1.0
    table.add_row("arena / lower bound", f"{ratio:.4f} (bound {ram['lower_bound_bytes']:,} B at step {ram['peak_step']})")
    table.add_row("planner", f"{mem['planner']}{' (optimal)' if mem.get('optimal') else ''}, alignment {mem['alignment']}")
    if "baseline_bound_bytes" in ram:
        base = ram["baseline_bound_bytes"]
        table.add_row("layer-by-layer bound", f"{base:,} B (plan is {ram['arena_bytes'] / base:.3f} of it)" if base else "0 B")
    if mem.get("inplace") or mem.get("views"):
        table.add_row("in place / views", f"{len(mem.get('inplace', []))} ops in place, {len(mem.get('views', []))} zero-copy views"
                      f"{', execution order changed' if mem.get('reordered') else ''}")
    patch = (r.get("patch") or {}).get("plan")
    if patch is not None:
        table.add_row("patch stage", f"first {patch['split']} ops on {patch['grid'][0]}x{patch['grid'][1]} patches"
                      f"{' (streamed input)' if r['patch']['stream_input'] else ''}: arena "
                      f"{r['patch']['arena_before_bytes']:,} B without, +{patch['mac_overhead']:.1%} MACs")
    if mem.get("io") == "external":
        table.add_row("I/O", f"external (caller-owned, {ram.get('io_external_bytes', 0):,} B outside the arena)")
    console.print(table)
    ops = Table(title="operators")
    for col in ("#", "op", "name", "MACs", "weights B", "scratch B", "output", "memory"):
        ops.add_column(col, justify="right" if col in ("#", "MACs", "weights B", "scratch B") else "left",
                       no_wrap=col in ("output", "memory"))
    for o in r["ops"]:
        how = "in place" if "inplace_of" in o else "view" if o.get("view") else ""
        ops.add_row(str(o["index"]), o["type"], o["name"], f"{o['macs']:,}", f"{o['weight_bytes']:,}",
                    f"{o['scratch_bytes']:,}", "x".join(map(str, o["output_shape"])), how)
    console.print(ops)
    if buffers:
        bt = Table(title="arena buffers")
        for col in ("buffer", "kind", "bytes", "steps", "region", "offset", "in-place group"):
            bt.add_column(col)
        for b in sorted(mem["buffers"], key=lambda b: (b.get("region", "arena"), b["offset"])):
            bt.add_row(b["name"], b["kind"], f"{b['bytes']:,}", f"{b['first']}-{b['last']}", b.get("region", "arena"),
                       f"{b['offset']:,}", b.get("group", ""))
        console.print(bt)


def _read_inputs(path: str, descs: list[dict]) -> list[np.ndarray]:
    try:
        data = np.load(path)
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: cannot read inputs ({e})") from None
    if isinstance(data, np.ndarray):
        if len(descs) != 1:
            raise InputError(f"{path}: the model has {len(descs)} inputs; give an .npz keyed by input name")
        return [data]
    missing = [d["name"] for d in descs if d["name"] not in data.files]
    if missing:
        raise InputError(f"{path}: missing input(s) {', '.join(missing)} (has {', '.join(data.files)})")
    return [data[d["name"]] for d in descs]


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, exists=True))
@click.option("--input", "-i", "input_path", required=True, type=click.Path(dir_okay=False, exists=True),
              help=".npy (single input) or .npz keyed by input name.")
@click.option("--output", "-o", "output_path", type=click.Path(dir_okay=False),
              help="Write outputs to this .npz (keyed by output name).")
@click.option("--board", default="host", show_default=True, help="host, an emulated board, or a real board.")
@click.option("--port", help="Serial port of a real board already flashed with this model (pyserial URL).")
@click.option("--qemu", "emulate", is_flag=True, help="Run a real board's firmware (its limits) on its QEMU machine.")
@click.option("--steps", default=1, show_default=True, help="Consecutive calls; inputs stacked on a leading axis.")
@click.option("--params", "params_path", type=click.Path(dir_okay=False, exists=True),
              help="Host: load this params blob (tinymem.params.pack_params) first (--updatable models).")
def run(out, input_path, output_path, board, port, emulate, steps, params_path):
    """Build (once) and run the compiled model in OUT on the host, QEMU or a board."""
    from tinymem.sim.host import io_descriptors, run_host

    in_desc, out_desc = io_descriptors(out)
    inputs = _read_inputs(input_path, in_desc)
    if params_path and board != "host":
        raise InputError("--params: on a board, write parameters with `tinymem device` / DeviceClient.params_write")
    if board == "host":
        outputs = run_host(out, inputs, steps=steps, params=Path(params_path).read_bytes() if params_path else None)
    else:
        from tinymem.boards.cli import run_on_board

        result = run_on_board(out, board, inputs, steps=steps, port=port, emulate=emulate)
        outputs = result.outputs
        console.print(f"{result.unit} per inference: {', '.join(f'{c:,}' for c in result.counts)}")
    if output_path:
        tmp = Path(output_path).with_suffix(".tmp.npz")
        np.savez(tmp, **{d["name"]: y for d, y in zip(out_desc, outputs)})
        tmp.replace(output_path)
    for d, y in zip(out_desc, outputs):
        console.print(f"[bold]{d['name']}[/bold] {d['dtype']}{list(y.shape)}")
        console.print(np.array2string(y, threshold=64, max_line_width=100), markup=False, highlight=False)


@cli.command("verify")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--data", type=click.Path(file_okay=False, exists=True), help="Folder of real inputs.")
@click.option("-n", "n_random", default=20, show_default=True, help="Seeded random inputs.")
@click.option("--seed", default=0, show_default=True, help="Seed of the random inputs (and of the rram device).")
@click.option("--atol", default=1e-4, show_default=True, help="Float tolerance (max abs).")
@click.option("--steps", type=click.IntRange(min=1),
              help="N consecutive calls on seeded random inputs, state carried (replaces -n).")
@click.option("--backend", type=click.Choice(["c", "rram"]), default="c", show_default=True,
              help="c: the generated C vs the reference runtime; rram: FullyConnected/Conv2D layers on "
                   "resistive crossbars vs the digital int8 execution (docs/imc.md).")
@with_rram_options
@with_model_options
@with_plan_options
@with_patch_options
def verify_cmd(model, data, n_random, seed, atol, steps, backend, ideal, device_config, device_settings, calibration,
               input_shapes, consts, states, board, planner, io, inplace, overwrite_inputs, alignment, patch,
               max_mac_overhead, stream_input):
    """Compile MODEL, run it on the host and compare with the reference runtime (--backend rram:
    its FullyConnected and Conv2D layers on simulated resistive crossbars vs the digital int8 run)."""
    from tinymem.verify import verify_model

    options = _options(board, input_shapes, consts, states, planner=planner, io=io, inplace=inplace,
                       overwrite_inputs=overwrite_inputs, alignment=alignment, patch=patch,
                       max_mac_overhead=max_mac_overhead, stream_input=stream_input)
    if backend == "rram":
        if steps:
            raise click.UsageError("--steps: --backend rram runs stateless models, one input per call")
        from tinymem.imc.cli import verify_rram_cmd

        sys.exit(verify_rram_cmd(model, data, n_random, seed, options, ideal, device_config, device_settings,
                                 calibration))
    if ideal or device_config or device_settings or calibration is not None:
        raise click.UsageError("--ideal, --device-config, --device and --calibration need --backend rram")
    result = verify_model(model, n_random, data, seed, atol, options, steps=steps)
    table = Table(title=f"{Path(model).name}: {result.samples} inputs vs {result.reference}")
    for col in ("output", "dtype", "tolerance", "max |diff|", "differing", "status"):
        table.add_column(col)
    for o in result.outputs:
        status = "[green]ok[/green]" if o.differing == 0 else (
            f"[red]MISMATCH[/red] (first: step {o.first_bad_step} = {o.first_bad_sample}, element "
            f"{o.first_bad_index}: {o.first_bad_values[0]:g} vs {o.first_bad_values[1]:g})")
        table.add_row(o.name, o.dtype, f"{o.tolerance:g}", f"{o.max_abs_diff:.3g}",
                      f"{o.differing}/{o.elements}", status)
    console.print(table)
    sys.exit(0 if result.ok else 1)


def _register_subcommands():
    from tinymem.boards.cli import boards_cmd, build_cmd
    from tinymem.imc.cli import imc
    from tinymem.serial.cli import device, flash

    for command in (build_cmd, boards_cmd, flash, device, imc):
        cli.add_command(command)


_register_subcommands()


def main():
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except TinymemError as e:
        err_console.print(f"[red]error:[/red] {escape(str(e))}", markup=True, highlight=False)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
