"""`canonicalize`: the passes every model goes through before planning, in order."""

from tinymem.compiler.fold_batchnorm import fold_batchnorm
from tinymem.compiler.fold_constants import fold_constants
from tinymem.compiler.fuse_activations import fuse_activations
from tinymem.compiler.lower_qdq import lower_qdq
from tinymem.compiler.remove_identities import remove_identities
from tinymem.ir import Graph, verify


def canonicalize(g: Graph) -> Graph:
    for stage in (remove_identities, fold_batchnorm, fuse_activations, lower_qdq, fold_constants):
        g = verify(stage(g))
    return g
