"""tinymem.boards.stack on call-graph files written here in gcc's -fcallgraph-info=su format: the
deepest stack equals a brute-force walk over every call path of random call graphs; recursion,
variable frames, unknown callees and calls through pointers are reported as documented."""

from __future__ import annotations

import numpy as np
import pytest

from tinymem.boards.stack import deepest, firmware_stack, read_callgraph


def write_ci(path, frames: dict[str, int | str], calls: list[tuple[str, str]], source="a.c"):
    """One .ci file: functions defined in `source` with frames (int: static bytes, str: 'N kind'),
    a node without a frame for every other callee, the call edges."""
    lines = [f'graph: {{ title: "{source}"']
    for name, frame in frames.items():
        size, kind = (frame, "static") if isinstance(frame, int) else frame.split()
        size = f"{size} bytes ({kind})"
        lines.append(f'node: {{ title: "{name}" label: "{name}\\n{source}:1:5\\n{size}" }}')
    for callee in sorted({c for _, c in calls} - set(frames)):
        lines.append(f'node: {{ title: "{callee}" label: "{callee}\\n<built-in>" shape : ellipse }}')
    for caller, callee in calls:
        lines.append(f'edge: {{ sourcename: "{caller}" targetname: "{callee}" label: "{source}:2:3" }}')
    path.write_text("\n".join(lines + ["}"]) + "\n")


def brute_force(frames: dict[str, int], calls: list[tuple[str, str]], fn: str) -> int:
    return frames[fn] + max((brute_force(frames, calls, c) for f, c in calls if f == fn), default=0)


@pytest.mark.parametrize("seed", range(20))
def test_deepest_equals_brute_force_on_random_call_graphs(tmp_path, seed):
    rng = np.random.default_rng(seed)
    names = [f"f{i}" for i in range(int(rng.integers(2, 12)))]
    frames = {n: int(rng.integers(0, 5000)) for n in names}
    calls = [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if rng.random() < 0.3]  # a DAG
    half = len(names) // 2  # split over two files: a callee defined in the other file
    write_ci(tmp_path / "a.c.ci", {n: frames[n] for n in names[:half]}, [c for c in calls if c[0] in names[:half]])
    write_ci(tmp_path / "b.c.ci", {n: frames[n] for n in names[half:]}, [c for c in calls if c[0] in names[half:]],
             source="b.c")
    graph = read_callgraph(tmp_path)
    for n in names:
        d = deepest(graph, n)
        assert d.bytes == brute_force(frames, calls, n)
        assert sum(frames[f] for f in d.path) == d.bytes and d.path[0] == n
        assert not d.unknown and not d.unbounded


def test_unknown_recursive_dynamic_and_indirect(tmp_path):
    write_ci(tmp_path / "a.c.ci", {"main": 16, "loop": 32, "vla": "40 dynamic", "api": 100},
             [("main", "memcpy"), ("main", "loop"), ("loop", "loop"), ("main", "vla"), ("main", "__indirect_call")])
    graph = read_callgraph(tmp_path)
    d = deepest(graph, "main", indirect=("api",))
    assert d.bytes == 116 and d.path == ["main", "api"]
    assert d.unknown == {"memcpy"} and d.unbounded == {"loop", "vla"}
    assert deepest(graph, "main").bytes == 56  # without targets for the pointer call: main + vla


def test_firmware_stack_takes_the_model_api_from_the_generated_files(tmp_path):
    out = tmp_path / "out"
    (out / "kernels").mkdir(parents=True)
    build = tmp_path / "build"
    build.mkdir()
    write_ci(build / "main.c.ci", {"Reset_Handler": 8, "main": 24}, [("Reset_Handler", "main"),
                                                                     ("main", "__indirect_call")])
    write_ci(build / "model.c.ci", {"tm_m_run": 40, "tm_m_init": 8}, [("tm_m_run", "tm_k")],
             source=str(out / "model.c"))
    write_ci(build / "k.c.ci", {"tm_k": 1000}, [], source=str(out / "kernels" / "k.c"))
    stack = firmware_stack(build, out)
    assert stack["model_bytes"] == 1040 and stack["model_path"] == ["tm_m_run", "tm_k"]
    assert stack["used_bytes"] == 8 + 24 + 1040 and stack["path"][:2] == ["Reset_Handler", "main"]
