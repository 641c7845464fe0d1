"""`firmware_stack`: the worst-case stack depth of a firmware build, from gcc's call-graph files.

boards/CMakeLists.txt compiles with `-fstack-usage -fcallgraph-info=su`, so gcc writes beside each
object X.c.su (every function's frame in bytes, `static` when fixed) and X.c.ci (a VCG graph: one
node per function, with its frame for those defined in that file, one edge per call left after
optimisation; calls through a pointer go to the node `__indirect_call`). The deepest stack is the
longest path, frames added up, from an entry through the merged graph of all files.

- Functions without a frame (compiler built-ins and library code compiled elsewhere: memcpy,
  __aeabi_ldivmod...) count 0 bytes and are listed as `unknown`.
- A call through a pointer is taken to reach the model's API: the functions a generated project
  defines in its own top-level .c files (the device agent calls the model only through its
  `tm_model`). An application with other function pointers is measured up to those calls.
- Recursion and frames that are not `static` (variable-length arrays, alloca) make the figure a
  lower bound: they are listed as `unbounded`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

INDIRECT = "__indirect_call"
_NODE = re.compile(r'node: \{ title: "([^"]*)" label: "([^"]*)"')
_EDGE = re.compile(r'edge: \{ sourcename: "([^"]*)" targetname: "([^"]*)"')
_FRAME = re.compile(r"(\d+) bytes \(([a-z,]+)\)")


@dataclass(frozen=True)
class Function:
    name: str
    file: str | None   # where it is defined (None: declared only)
    frame: int | None  # bytes (None: no frame information)
    static: bool       # the frame size is fixed


@dataclass
class CallGraph:
    functions: dict[str, Function] = field(default_factory=dict)  # by node title
    calls: dict[str, list[str]] = field(default_factory=dict)     # caller title -> callee titles


@dataclass
class Depth:
    bytes: int
    path: list[str]                                     # function names, entry first
    unknown: set[str] = field(default_factory=set)      # callees without a frame, counted 0
    unbounded: set[str] = field(default_factory=set)    # recursive or dynamic frames on some path


def read_callgraph(build_dir: str | Path) -> CallGraph:
    """The merged call graph of every X.c.ci file under build_dir."""
    graph = CallGraph()
    for path in sorted(Path(build_dir).rglob("*.ci")):
        text = path.read_text()
        for title, label in _NODE.findall(text):
            lines = label.split("\\n")
            frame = _FRAME.fullmatch(lines[-1]) if len(lines) == 3 else None
            fn = Function(lines[0], lines[1].rsplit(":", 2)[0] if frame else None,
                          int(frame.group(1)) if frame else None, bool(frame) and frame.group(2) == "static")
            known = graph.functions.get(title)
            if known is None or known.frame is None:
                graph.functions[title] = fn
        for source, target in _EDGE.findall(text):
            graph.calls.setdefault(source, []).append(target)
    return graph


def deepest(graph: CallGraph, entry: str, indirect: tuple[str, ...] = ()) -> Depth:
    """The deepest stack from `entry` (a node title); calls through pointers reach `indirect`."""
    memo: dict[str, Depth] = {}
    active: set[str] = set()

    def visit(title: str) -> Depth:
        if title in memo:
            return memo[title]
        fn = graph.functions.get(title)
        if fn is None or fn.frame is None:
            return Depth(0, [], unknown={fn.name if fn else title})
        if title in active:  # recursion: its depth has no bound
            return Depth(0, [], unbounded={fn.name})
        active.add(title)
        best = Depth(0, [])
        unknown, unbounded = set(), set() if fn.static else {fn.name}
        for callee in dict.fromkeys(graph.calls.get(title, [])):
            for target in (indirect if callee == INDIRECT else (callee,)):
                d = visit(target)
                unknown |= d.unknown
                unbounded |= d.unbounded
                if d.bytes > best.bytes:
                    best = d
        active.discard(title)
        memo[title] = Depth(fn.frame + best.bytes, [fn.name, *best.path], unknown, unbounded)
        return memo[title]

    return visit(entry)


def firmware_stack(build_dir: str | Path, model_dir: str | Path, root: str = "Reset_Handler") -> dict:
    """report.json["firmware"][key]["stack"]: the deepest stack of the whole firmware (from `root`)
    and of the model (its API: the global functions of the generated top-level .c files)."""
    graph = read_callgraph(build_dir)
    model_dir = Path(model_dir).resolve()
    api = tuple(sorted(t for t, f in graph.functions.items()
                       if f.file and t == f.name and Path(f.file).resolve().parent == model_dir))
    model = max((deepest(graph, t) for t in api), key=lambda d: d.bytes, default=Depth(0, []))
    whole = deepest(graph, root if root in graph.functions else "main", api)
    return {
        "used_bytes": whole.bytes,
        "path": whole.path,
        "model_bytes": model.bytes,
        "model_path": model.path,
        "unknown": sorted(whole.unknown),
        "unbounded": sorted(whole.unbounded),
    }
