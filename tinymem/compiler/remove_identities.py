"""`remove_identities`: drop nodes that compute nothing (Identity, Dropout in inference)."""

from tinymem.ir import Graph


def remove_identities(g: Graph) -> Graph:
    kept = []
    for node in g.nodes:
        if node.op == "identity" and node.inputs[0] not in g.inputs and node.outputs[0] not in g.outputs:
            g.rename_uses(node.outputs[0], node.inputs[0])
            continue
        kept.append(node)
    g.nodes = kept
    g.prune()
    return g
