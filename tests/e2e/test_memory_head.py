"""The episodic memory head's C (--memory-head knn) against its numpy reference, bit for bit.

The models here use their input as the embedding (--embedding x), so the stored and queried
embeddings are exactly the bytes the test feeds: every distance and label the C returns must equal
tinymem.episodic.EpisodicMemory's, for int8 (full range, a non-zero zero point) and float,
L2 and cosine. Also: fail-when-full, clear, persistence through state_save/state_load, reset_state
leaving the memory alone, and the number of slots derived from a board's free RAM.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.tflite_builder import T, single_op
from tinymem.compile import CompileOptions, compile_model
from tinymem.episodic import EpisodicMemory, run_memory_host
from tinymem.episodic.head import DEFAULT_HOST_SLOTS, MAX_AUTO_SLOTS, RESERVE_BYTES
from tinymem.errors import TinymemError

DIM, ZP = 24, -7
TM_OK, TM_ERR_PARAM = 0, 2


def _model(path, dtype: str, dim: int = DIM):
    rng = np.random.default_rng(3)
    if dtype == "s8":
        w = rng.integers(-127, 128, (3, dim), dtype=np.int8)
        ins = [T((1, dim), "s8", 0.1, ZP, name="x"), T((3, dim), "s8", 0.01, 0, data=w, name="w")]
        outs = [T((1, 3), "s8", 0.5, 0, name="y")]
    else:
        w = rng.standard_normal((3, dim)).astype(np.float32)
        ins = [T((1, dim), "f32", name="x"), T((3, dim), "f32", data=w, name="w")]
        outs = [T((1, 3), "f32", name="y")]
    path.write_bytes(single_op("FULLY_CONNECTED", ins, outs))
    return path


def _compile(tmp_path, dtype, metric, slots=16, board="host"):
    model = _model(tmp_path / f"emb_{dtype}.tflite", dtype)
    out = tmp_path / f"out_{dtype}_{metric}_{slots}_{board}"
    report = compile_model(model, out, CompileOptions(board=board, memory_head="knn", memory_slots=slots,
                                                      memory_embedding="x", memory_metric=metric))
    return out, report


def _vectors(dtype, n, seed):
    rng = np.random.default_rng(seed)
    if dtype == "s8":
        v = rng.integers(-128, 128, (n, 1, DIM), dtype=np.int8)
        v[1] = ZP  # all zero points: the cosine special case
        v[2] = np.where(rng.random(DIM) < 0.5, -128, 127)  # the extremes
        v[3] = v[4]  # duplicates: ties go to the lowest slot
        return v
    v = (rng.standard_normal((n, 1, DIM)) * rng.choice([1e-3, 1.0, 30.0], (n, 1, 1))).astype(np.float32)
    v[1] = 0.0
    v[3] = v[4]
    return v


@pytest.mark.parametrize("dtype,metric", [("s8", "l2"), ("s8", "cosine"), ("f32", "l2"), ("f32", "cosine")])
def test_classify_matches_reference(tmp_path, dtype, metric):
    out, report = _compile(tmp_path, dtype, metric)
    head = report["memory_head"]
    assert (head["dim"], head["slots"], head["metric"], head["dtype"]) == (DIM, 16, metric, dtype)
    keys, queries = _vectors(dtype, 16, 1), _vectors(dtype, 40, 2)
    queries[5:21] = keys  # exact hits: distance 0 (int8) / 0.0 or the cosine rounding
    labels = np.random.default_rng(4).integers(-1000, 1000, 16)
    commands = [("classify", queries[0])]  # empty memory
    commands += [("write", k, int(lab)) for k, lab in zip(keys, labels)]
    commands += [("write", keys[0], 7)]  # full
    commands += [("classify", q) for q in queries]
    res = run_memory_host(out, commands)
    assert res[0][:2] == (TM_ERR_PARAM, -1) and res[0][3] == 0
    assert [r[0] for r in res[1:17]] == [TM_OK] * 16 and [r[3] for r in res[1:17]] == list(range(1, 17))
    assert res[17][0] == TM_ERR_PARAM and res[17][3] == 16
    mem = EpisodicMemory(16, DIM, dtype, metric, ZP if dtype == "s8" else 0)
    for k, lab in zip(keys, labels):
        assert mem.write(k, int(lab))
    assert not mem.write(keys[0], 7)
    for q, (status, label, dist, count) in zip(queries, res[18:]):
        want_label, want_dist = mem.classify(q)
        assert status == TM_OK and count == 16
        assert (label, dist) == (want_label, want_dist) or (np.isnan(dist) and np.isnan(want_dist))
        if dtype == "f32":
            assert np.float32(dist).tobytes() == np.float32(want_dist).tobytes()


def test_persistence_clear_and_reset(tmp_path):
    out, report = _compile(tmp_path, "s8", "l2", slots=4)
    v = _vectors("s8", 8, 5)
    cmds = [("write", v[i], 100 + i) for i in range(3)] + [("classify", v[6]), ("save",), ("clear",),
                                                           ("classify", v[6]), ("load",), ("classify", v[6]),
                                                           ("reset",), ("classify", v[6])]
    res = run_memory_host(out, cmds)
    before = res[3]
    assert before[0] == TM_OK and before[3] == 3
    assert res[5][3] == 0 and res[6][0] == TM_ERR_PARAM  # cleared: empty
    assert res[8] == before  # state_load brought the slots back
    assert res[10] == before  # reset_state keeps the memory
    assert set(report["memory_head"]["state"]) == {"query", "keys", "labels", "count"}
    assert report["ram"]["state_bytes"] >= 4 * DIM + 4 * 4 + 4


def test_slots_from_board_ram(tmp_path):
    out, report = _compile(tmp_path, "s8", "l2", slots=None)
    assert report["memory_head"]["slots"] == DEFAULT_HOST_SLOTS
    out, report = _compile(tmp_path, "f32", "cosine", slots=None, board="nucleo-l4r5zi")
    head, ram = report["memory_head"], report["ram"]
    from tinymem.memory.target import memory_target

    cap = memory_target("nucleo-l4r5zi").capacity
    slot = DIM * 4 + 4
    assert head["slot_bytes"] == slot
    assert head["slots"] == MAX_AUTO_SLOTS or head["slots"] * slot * 2 <= cap - RESERVE_BYTES
    assert ram["total_bytes"] <= cap
    h = (out / "model.h").read_text()
    assert f"_MEMORY_SLOTS {head['slots']}" in h and "_memory_classify(int32_t *label" in h


def test_bad_options(tmp_path):
    model = _model(tmp_path / "m.tflite", "s8")
    with pytest.raises(TinymemError, match="no tensor or node named"):
        compile_model(model, tmp_path / "o1", CompileOptions(memory_head="knn", memory_embedding="nope"))
    with pytest.raises(TinymemError, match="metric"):
        compile_model(model, tmp_path / "o2", CompileOptions(memory_head="knn", memory_metric="dot"))
