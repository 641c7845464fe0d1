"""State pairs (tinymem/compiler/state_pairs.py): which input/output names pair up, detection by
name + shape + dtype (ambiguous candidates left alone), and the errors of a wrong --state."""

import numpy as np
import pytest
from onnx import TensorProto as TP
from onnx import helper

from tests.ops.onnx_harness import onnx_model
from tinymem.compiler.state_pairs import detect_state_pairs, make_state, names_pair
from tinymem.errors import InputError
from tinymem.frontend.onnx import load_onnx
from tinymem.ir import verify

vi = helper.make_tensor_value_info


@pytest.mark.parametrize("a, b", [("h", "hn"), ("c", "cn"), ("state", "stateN"), ("state", "state_out"),
                                  ("state_in", "state_out"), ("h0", "h1"), ("cache9", "cache10"),
                                  ("past_key", "present_key"), ("prev_x", "next_x"), ("s", "s_next")])
def test_names_that_pair(a, b):
    assert names_pair(a, b)


@pytest.mark.parametrize("a, b", [("x", "y"), ("h", "c"), ("hn", "h"), ("h1", "h0"), ("input", "output"),
                                  ("0", "1"), ("h", "hh"), ("in", "out")])
def test_names_that_do_not(a, b):
    assert not names_pair(a, b)


def _graph(inputs: dict, outputs: dict):
    """A model whose output k is input k + 1 (elementwise), shapes as given."""
    nodes, inits = [], {}
    ins, outs = list(inputs), list(outputs)
    for i, o in zip(ins, outs):
        inits[f"one_{o}"] = np.ones(outputs[o], np.float32)
        nodes.append(helper.make_node("Add", [i, f"one_{o}"], [o]))
    m = onnx_model(nodes, [vi(n, TP.FLOAT, s) for n, s in inputs.items()],
                   [vi(n, TP.FLOAT, s) for n, s in outputs.items()], inits)
    return verify(load_onnx(m.SerializeToString(), "m.onnx", {}, {}))


def test_detection_needs_name_shape_and_dtype():
    g = _graph({"x": [1, 4], "h": [2, 1, 8], "c": [2, 1, 8], "s": [3]},
               {"y": [1, 4], "hn": [2, 1, 8], "cn": [2, 1, 8], "sn": [2, 3]})
    assert detect_state_pairs(g) == {"h": "hn", "c": "cn"}  # s/sn: shapes differ


def test_ambiguous_candidates_are_left_alone():
    g = _graph({"state": [4], "x": [4]}, {"staten": [4], "state_out": [4]})
    assert detect_state_pairs(g) == {}


def test_make_state_moves_the_input_to_persistent_state():
    g = _graph({"x": [1, 4], "h": [2, 3]}, {"y": [1, 4], "hn": [2, 3]})
    pairs = make_state(g, None)
    assert pairs == {"h": "hn"} and g.inputs == ["x"] and g.outputs == ["y", "hn"]
    t = g.tensor("h")
    assert t.persistent and t.init is None
    last = g.nodes[-1]
    assert (last.op, last.inputs, last.outputs) == ("assign_variable", ["hn"], ["h"])
    verify(g)


def test_state_none_and_no_auto():
    g = _graph({"h": [3]}, {"hn": [3]})
    assert make_state(g, {}) == {} and g.inputs == ["h"]
    assert make_state(g, None, auto=False) == {} and g.inputs == ["h"]


@pytest.mark.parametrize("pairs, match", [
    ({"nope": "hn"}, "no input 'nope'"),
    ({"h": "nope"}, "no output 'nope'"),
    ({"h": "y"}, "differ in shape"),
    ({"h": "hn", "x": "hn"}, "already feeds"),
])
def test_wrong_state_flags_are_input_errors(pairs, match):
    g = _graph({"x": [3], "h": [2, 3]}, {"y": [3], "hn": [2, 3]})
    with pytest.raises(InputError, match=match):
        make_state(g, pairs)
