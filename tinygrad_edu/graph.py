"""Reading a recorded graph: the one walk, depth, the slides' numbering and a flat export.

Everything that looks at a built graph — the trace tables, forward mode, the pictures, the
playground, the compiled tape — reads it through this module, so the order of the rows, the
names ``v-1, v0, v1 …`` and the pictures always agree, and nobody reads a node's position
back out of its name. Walks are iterative (an explicit stack): a 10^6-node chain never meets
the recursion limit. The engine's ``backward`` keeps a walk of its own, tuned for speed;
:func:`flatten` follows it, so that a replay adds each adjoint's contributions in the
engine's order.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .engine import Constant, Value, reverse_topological_order

__all__ = ["evaluation_order", "depths", "number_nodes", "Numbering", "flatten", "FlatGraph"]


def evaluation_order(roots, keep=None) -> list:
    """Every node below ``roots`` (one Value or several), each one after its operands.

    A depth-first walk in operand order: the order a left-to-right evaluation completes the
    nodes. With ``keep`` (a set), the walk only enters nodes in it (a picture's visible part).
    Entries of ``roots`` that are not Values (a plain number a function returned) are skipped.
    """
    if isinstance(roots, Value):
        roots = (roots,)
    order, seen = [], set()
    for root in roots:
        if not isinstance(root, Value) or root in seen:
            continue
        seen.add(root)
        stack = [(root, 0)]
        while stack:
            node, next_operand = stack.pop()
            parents = node.parents
            if next_operand < len(parents):
                stack.append((node, next_operand + 1))
                parent = parents[next_operand]
                if parent not in seen and (keep is None or parent in keep):
                    seen.add(parent)
                    stack.append((parent, 0))
            else:
                order.append(node)
    return order


def depths(order, parents_of=lambda node: node.parents) -> dict:
    """``{node: depth}``: 0 for a leaf, else 1 + the deepest operand (longest path from a leaf).

    ``order`` lists every node after its operands (:func:`evaluation_order`);
    ``parents_of(node)`` gives its operands — Values by default, indices for a flat graph.
    """
    depth = {}
    for node in order:
        parents = parents_of(node)
        depth[node] = 1 + max(depth[p] for p in parents) if parents else 0
    return depth


class Numbering(dict):
    """The slides' names of the nodes below a root, and the orders they were given in.

    A dict ``{node: "v-1", …}`` (constants get no name), with:

    * ``inputs`` — the leaves that are inputs, ``v-(n-1) … v0``, in order of first use;
    * ``operations`` — the op nodes ``v1 … vN``, by depth, ties in evaluation order;
    * ``order`` — ``inputs + operations``: the trace's rows, a topological order;
    * ``walk`` — every node (constants too) in evaluation order, and ``depth`` of each;
    * ``letter`` — "v", or another letter when an input's or the output's label is already
      a name like ``v1`` (a variable called v1 must not be confused with the node v1).
    """

    def __init__(self, root: Value):
        self.walk = evaluation_order(root)
        self.depth = depths(self.walk)
        self.inputs = [n for n in self.walk if not n.parents and type(n) is not Constant]
        position = {node: i for i, node in enumerate(self.walk)}
        self.operations = sorted((n for n in self.walk if n.parents),
                                 key=lambda n: (self.depth[n], position[n]))
        self.order = self.inputs + self.operations
        self.letter = _free_letter([n.label for n in self.inputs] + [root.label])
        first = 1 - len(self.inputs)
        super().__init__((node, f"{self.letter}{i}") for i, node in enumerate(self.order, first))


def number_nodes(root: Value) -> Numbering:
    """The trace's names for the graph below ``root``, with the orders they come from (see
    :class:`Numbering`); used by ``trace``, ``draw_dot`` and the playground."""
    return Numbering(root)


def _free_letter(labels) -> str:
    """"v", unless some label already reads like a node name v-1, v0, v1 … (then w, u, …)."""
    for letter in "vwuzabcdefghjkmnpqrst":
        pattern = re.compile(rf"{letter}-?\d+")
        if not any(pattern.fullmatch(label) for label in labels):
            return letter
    raise ValueError("trace: the labels take every node letter (v0, w0, u0, …); rename them")


@dataclass(frozen=True)
class FlatGraph:
    """A recorded graph as parallel lists, one entry per node, nodes referred to by index.

    ``nodes[:n_inputs]`` are the inputs given to :func:`flatten`; ``nodes[n_inputs:n_leaves]``
    the other leaves (parameters and constants) in the order ``Value.backward`` meets them;
    then the operations, each after its operands, in the reverse of the order
    ``Value.backward`` visits them. ``parents[i]`` and ``local_grads[i]`` are in operand order
    (empty for a leaf), ``ops[i]`` is the op table's name ("" for a leaf), ``data[i]`` the
    value at recording.
    """

    nodes: list
    ops: list
    parents: list
    local_grads: list
    data: list
    n_inputs: int
    n_leaves: int
    output: int

    @property
    def constants(self) -> list:
        """Indices of the leaves that are plain numbers written into the expression."""
        return [i for i in range(self.n_leaves) if type(self.nodes[i]) is Constant]


def flatten(output: Value, inputs=()) -> FlatGraph:
    """The graph below ``output`` as a :class:`FlatGraph`, ``inputs`` (leaf Values) first.

    This and ``engine.py`` are the only modules that read a Value's private slots
    (``_parent0``, ``_local0``, …): ``parents`` and ``local_grads`` build two tuples per
    call, and the tape flattens graphs of 10^5 nodes, where that is most of the time.
    """
    inputs = list(inputs)
    operations = reverse_topological_order(output, leaves=False)[::-1]
    index = {leaf: i for i, leaf in enumerate(inputs)}
    if len(index) != len(inputs) or any(leaf._parent0 is not None for leaf in inputs):
        raise ValueError("inputs must be distinct leaf Values")
    leaves = list(inputs)
    for node in reversed(operations):             # the order backward meets the leaves
        for parent in (node._parent0, node._parent1):
            if parent is not None and parent._parent0 is None and parent not in index:
                index[parent] = len(leaves)
                leaves.append(parent)
    if output._parent0 is None and output not in index:
        index[output] = len(leaves)
        leaves.append(output)
    n_leaves = len(leaves)
    for i, node in enumerate(operations, start=n_leaves):
        index[node] = i
    parents = [()] * n_leaves
    local_grads = [()] * n_leaves
    for node in operations:
        if node._parent1 is None:
            parents.append((index[node._parent0],))
            local_grads.append((node._local0,))
        else:
            parents.append((index[node._parent0], index[node._parent1]))
            local_grads.append((node._local0, node._local1))
    nodes = leaves + operations
    return FlatGraph(nodes=nodes, ops=[node.op for node in nodes], parents=parents,
                     local_grads=local_grads, data=[node.data for node in nodes],
                     n_inputs=len(inputs), n_leaves=n_leaves, output=index[output])
