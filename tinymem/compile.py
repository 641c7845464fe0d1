"""THE STORY: a model file becomes a C project, one stage after another."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from tinymem import __version__
from tinymem.codegen import write_project
from tinymem.codegen.cnames import c_ident
from tinymem.codegen.model_c import emit_model
from tinymem.compiler.canonicalize import canonicalize
from tinymem.compiler.state_pairs import make_state
from tinymem.frontend import load_model
from tinymem.ir import verify
from tinymem.memory import check_fits, plan_memory
from tinymem.memory.plan import layer_bound
from tinymem.memory.target import memory_target
from tinymem.memory.patch_picture import draw_patches
from tinymem.memory.timeline import draw_timeline
from tinymem.episodic import add_memory_head
from tinymem.params import make_updatable
from tinymem.params.fit import check_params_fit
from tinymem.report import build_report
from tinymem.schedule.patch_report import patch_report
from tinymem.schedule import ScheduleOptions, make_schedule
from tinymem.schedule.patch import DEFAULT_MAX_OVERHEAD, choose_patch


@dataclass
class CompileOptions:
    board: str = "host"
    input_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    consts: dict[str, float] = field(default_factory=dict)
    name: str | None = None  # C prefix is tm_<name>; default from the file name
    planner: str = "auto"  # memory planner (tinymem/memory/plan.py)
    io: str = "arena"  # "external": the application passes its own input/output buffers
    inplace: bool = True  # in-place execution and zero-copy views (tinymem/schedule)
    overwrite_inputs: bool = False  # in-place nodes may overwrite the graph inputs
    alignment: int | None = None  # arena alignment; None: the board's (16 unless board.toml says)
    updatable: tuple[str, ...] = ()  # layers whose parameters live in RAM (tinymem/params, docs/params.md)
    memory_head: str | None = None  # "knn": episodic memory head (tinymem/episodic, docs/params.md)
    memory_slots: int | None = None  # None: derived from the board's free RAM
    memory_embedding: str | None = None  # None: the input of the last fully_connected
    memory_metric: str = "l2"  # l2 | cosine
    state: dict[str, str] | None = None  # --state IN=OUT pairs; None: detected (ONNX), {}: none
    patch: str = "off"  # patch-based inference: off | auto | S:NxM (tinymem/schedule/patch.py, docs/patch.md)
    max_mac_overhead: float = DEFAULT_MAX_OVERHEAD  # --patch auto: extra MACs allowed / the model's MACs
    stream_input: bool = False  # the patched stage fetches its input window by window (a callback)

    def flags(self) -> str:
        parts = [f"--board {self.board}"]
        parts += [f"--input-shape {k}={'x'.join(map(str, v))}" for k, v in sorted(self.input_shapes.items())]
        parts += [f"--const {k}={v}" for k, v in sorted(self.consts.items())]
        parts += [f"--planner {self.planner}"] if self.planner != "auto" else []
        parts += [f"--io {self.io}"] if self.io != "arena" else []
        parts += ["--no-inplace"] if not self.inplace else []
        parts += ["--overwrite-inputs"] if self.overwrite_inputs else []
        parts += [f"--alignment {self.alignment}"] if self.alignment else []
        parts += [f"--updatable {','.join(self.updatable)}"] if self.updatable else []
        if self.memory_head:
            parts += [f"--memory-head {self.memory_head}", f"--metric {self.memory_metric}"]
            parts += [f"--slots {self.memory_slots}"] if self.memory_slots is not None else []
            parts += [f"--embedding {self.memory_embedding}"] if self.memory_embedding else []
        parts += [f"--patch {self.patch}"] if self.patch != "off" else []
        if self.max_mac_overhead != DEFAULT_MAX_OVERHEAD:
            parts += [f"--max-mac-overhead {self.max_mac_overhead:g}"]
        parts += ["--stream-input"] if self.stream_input else []
        if self.state is not None:
            parts += [f"--state {k}={v}" for k, v in self.state.items()] or ["--state none"]
        return " ".join(parts)


def _pictures(report: dict, out: Path) -> None:
    draw_timeline(report, out / "memory.png", out / "memory.svg")
    if report["patch"]["mode"] != "off":
        draw_patches(report, out / "patch.png")


def compile_model(model_path: str | Path, out_dir: str | Path, options: CompileOptions | None = None) -> dict:
    """Compile `model_path` into the C project `out_dir`; returns the report."""
    options = options or CompileOptions()
    model_path = Path(model_path)
    # 1. load: ONNX / TFLite -> IR (NHWC, static shapes)
    graph = verify(load_model(model_path, options.input_shapes, options.consts))
    # 1b. state pairs: inputs fed back from outputs become persistent state (compiler/state_pairs.py)
    state_pairs = make_state(graph, options.state, auto=model_path.suffix.lower() == ".onnx")
    # 2. canonicalize: drop no-ops, fold constants
    graph = canonicalize(graph)
    # 2b. transfer learning: a memory head copies the embedding to persistent state each run;
    #     updatable layers' weights and biases move to a RAM params region
    head = add_memory_head(graph, options.memory_head, options.memory_embedding, options.memory_metric,
                           options.memory_slots)
    params = make_updatable(graph, options.updatable)
    # 3. schedule: the leading stage patch by patch (--patch), execution order, zero-copy views,
    #    in-place nodes
    target = memory_target(options.board, options.alignment)
    graph.kernels = target.kernels  # scratch sizes are those of the board's kernel set
    schedule_options = ScheduleOptions(options.inplace, True, options.overwrite_inputs, options.io, target.alignment)
    patching = choose_patch(graph, options.patch, schedule_options, options.max_mac_overhead, options.stream_input)
    layers = graph
    graph = patching.apply(graph)
    if options.stream_input:
        schedule_options.stream_inputs = (patching.plan.input,)
    schedule = make_schedule(graph, schedule_options)
    graph = schedule.graph
    # 4. plan memory: lifetimes -> arena offsets, which must fit the board's RAM
    plan = plan_memory(graph, target.alignment, options.planner, schedule=schedule)
    if patching.plan is not None:  # the layer-by-layer bound stays that of the unpatched model
        plan.baseline_bound_bytes = layer_bound(layers, target.alignment)
    if head is not None:  # its slots join the state region; their number may come from free RAM
        head.place(graph, plan, target, params.nbytes if params else 0)
    if target.capacity is not None:
        check_fits(plan, graph, target.capacity, target.region, target.detail)
        check_params_fit(plan, params, target)
    # 5. emit C and the report, written all at once
    prefix = "tm_" + c_ident(options.name or graph.name).lower()
    command = f"tinymem compile {model_path.name} {options.flags()}"
    sha = hashlib.sha256(model_path.read_bytes()).hexdigest()
    provenance = (f"/* Generated by tinymem {__version__}. Do not edit.\n"
                  f" * model: {model_path.name} (sha256 {sha})\n * command: {command}\n */")
    extensions = [e for e in (params, head) if e is not None]
    sources = emit_model(graph, plan, prefix, provenance, sha, extensions)
    model_info = {"name": graph.name, "file": model_path.name, "sha256": sha, "prefix": prefix}
    report = build_report(graph, plan, model_info, options.board, command,
                          sources.weights_bytes, sources.tables_bytes)
    report["ram"].setdefault("params_bytes", 0)
    report["state_pairs"] = [{"input": k, "output": v} for k, v in state_pairs.items()]
    report["patch"] = patch_report(patching, report)
    for ext in extensions:
        ext.report(report)
    write_project(Path(out_dir), prefix, sources.files, sources.kernels, report,
                  pictures=lambda d: _pictures(report, d))
    return report
