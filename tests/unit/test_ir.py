"""IR structure checks: verify() catches malformed graphs; prune() drops dead code."""

import numpy as np
import pytest

from tinymem.ir import Graph, Node, Tensor, format_graph, verify
from tinymem.ir.verify import IRError


def _graph():
    g = Graph("g")
    g.add_tensor(Tensor("x", (1, 4), "f32"))
    w = g.add_const("w", np.ones((3, 4), np.float32))
    g.add_tensor(Tensor("y", (1, 3), "f32"))
    g.add_tensor(Tensor("dead", (1, 3), "f32"))
    g.nodes = [Node("fully_connected", "fc", ["x", w], ["y"], {"act": "none"}),
               Node("fully_connected", "unused", ["x", w], ["dead"], {"act": "none"})]
    g.inputs, g.outputs = ["x"], ["y"]
    return g


def test_verify_accepts_wellformed_graph():
    g = verify(_graph())
    assert "fully_connected" in format_graph(g)


def test_verify_rejects_use_before_definition():
    g = _graph()
    g.nodes.reverse()
    g.nodes[0].inputs[0] = "y"
    with pytest.raises(IRError, match="before it is produced"):
        verify(g)


def test_verify_rejects_double_definition():
    g = _graph()
    g.nodes[1].outputs = ["y"]
    with pytest.raises(IRError, match="produced twice"):
        verify(g)


def test_verify_rejects_dynamic_shape():
    g = _graph()
    g.tensors["x"].shape = (-1, 4)
    with pytest.raises(IRError, match="dynamic"):
        verify(g)


def test_prune_drops_dead_nodes_and_tensors():
    g = _graph()
    g.prune()
    assert [n.name for n in g.nodes] == ["fc"]
    assert "dead" not in g.tensors


def test_fold_constants_keeps_writes_of_persistent_state():
    """ASSIGN of a constant must still run every call: folding it would turn the variable into a
    constant and drop the write."""
    from tinymem.compiler.fold_constants import fold_constants

    g = Graph("g")
    g.add_tensor(Tensor("x", (1, 4), "f32"))
    c = g.add_const("c", np.full((1, 4), 2.0, np.float32))
    g.add_tensor(Tensor("var", (1, 4), "f32", persistent=True))
    g.add_tensor(Tensor("y", (1, 4), "f32"))
    g.nodes = [Node("assign_variable", "assign", [c], ["var"]),
               Node("add", "add", ["x", "var"], ["y"], {"act": "none"})]
    g.inputs, g.outputs = ["x"], ["y"]
    g = verify(fold_constants(g))
    assert [n.name for n in g.nodes] == ["assign", "add"]
    assert not g.tensor("var").is_const
