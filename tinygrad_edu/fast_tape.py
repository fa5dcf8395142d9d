"""The fast tape, ``compile(fn, *inputs, exact=False)``: the structure an MLP's graph hides.

A neuron is a chain of ``+`` over ``×`` terms, Σⱼ wⱼ·xⱼ + b; a layer over a batch is many
such chains whose operands line up: sample row i times weight row k. The scalar graph does
not say so, but it can be read back out of it. At recording, this module

1. collapses every chain of ``+`` whose inner nodes have one consumer into one n-ary sum,
   and takes each ``×`` term used by that sum alone into it as a product a·b;
2. gives every remaining node a level (longest path from a leaf) and groups the nodes by
   level and kind: an op (all relu of one level), or sums with as many products;
3. turns each group into a step of :mod:`tinygrad_edu.array_program`: a matrix product when
   the sums' products form a full grid — term j of sum (r, c) pairs operand j of row r of one
   side with operand j of row c of the other (either order of the × operands) — else a
   segment sum, or, for an op, its numpy form;
4. lays the nodes out in the value array group by group, so that a layer's outputs are one
   block and the next layer reads them as a view.

What it promises, and what it does not. Values and gradients agree with the engine to about
1e-12 relative to the size of the terms: a matrix product and the backward scatter-adds add
in another order than the engine (a segment sum adds left to right, the engine's order for a
chain built left to right), and numpy's exp or tanh may differ from Python's in the last bit,
so where a sum cancels the error is relative to Σ|terms| (for a gradient: to the sum over
paths of |upstream × local|), not to the result. Branches (relu, max, abs) are decided by
each replay's live data, so an operand within that error of a kink may take the other branch
than in the engine. The refusals and errors are the exact tape's, from its own code
(:mod:`tinygrad_edu.tape` says how), with one difference: a partial sum that overflows in the
engine's order but not in the reordered one (terms within a factor n of 1.8e308) raises in
the engine and not here.
"""
from __future__ import annotations

import numpy as np

from .array_program import GridStep, OpStep, Slots, SumStep, array_form
from .tape import Tape

__all__ = ["FastTape"]

GRID_MIN = 64
"""A grid of sums runs as a matrix product when rows × columns × terms reaches this."""


# ---------------------------------------------------------------- 1. sums and products
def _collapse(flat):
    """{sum root: [(term, is_product)]} and the set of nodes folded into a sum.

    A ``+`` node used once, by another ``+``, is folded into that one; a ``×`` used once, by
    a sum, becomes one of its products. A plain two-term ``+`` stays an op.
    """
    n, first_op = len(flat.nodes), flat.n_leaves
    ops, parents = flat.ops, flat.parents
    uses, consumer = [0] * n, [-1] * n
    for i in range(first_op, n):
        for p in parents[i]:
            uses[p] += 1
            consumer[p] = i
    consumer[flat.output] = -1                      # the output is used by the caller
    folded = {i for i in range(first_op, n)
              if ops[i] == "+" and uses[i] == 1 and consumer[i] >= 0 and ops[consumer[i]] == "+"}
    sums = {}
    for i in range(first_op, n):
        if ops[i] != "+" or i in folded:
            continue
        terms, stack = [], list(reversed(parents[i]))
        while stack:                                # the chain's terms, left to right
            p = stack.pop()
            if p in folded:
                stack.extend(reversed(parents[p]))
            else:
                terms.append((p, ops[p] == "×" and uses[p] == 1 and consumer[p] >= 0))
        if len(terms) > 2 or any(product for _, product in terms):
            sums[i] = terms
            folded.update(t for t, product in terms if product)
    return sums, folded


def _operands(flat, sums, i):
    if i in sums:
        return [p for t, product in sums[i] for p in (flat.parents[t] if product else (t,))]
    return flat.parents[i]


# ---------------------------------------------------------------- 2.–4. groups, layout, steps
class _Layout:
    """Node → slot: inputs, parameters, constants, then each group's outputs as one block."""

    def __init__(self, flat, param_index):
        leaves = list(range(flat.n_inputs)) + list(param_index)
        placed = set(leaves)
        self.leaves = leaves + [i for i in range(flat.n_leaves) if i not in placed]
        self.slot = {i: k for k, i in enumerate(self.leaves)}
        self.size = flat.n_leaves

    def place(self, nodes) -> slice:
        start = self.size
        for i in nodes:
            self.slot[i] = self.size
            self.size += 1
        return slice(start, self.size)

    def slots(self, nodes, shape=None) -> Slots:
        return Slots([self.slot[i] for i in nodes], shape)


def _program(flat, param_index):
    """(steps, layout) for the graph below ``flat.output``."""
    sums, folded = _collapse(flat)
    level = [0] * len(flat.nodes)
    groups = {}
    for i in range(flat.n_leaves, len(flat.nodes)):
        if i in folded:
            continue
        level[i] = 1 + max(level[p] for p in _operands(flat, sums, i))
        if i in sums:
            n_products = sum(product for _, product in sums[i])
            key = (level[i], "Σ", n_products)
        else:
            key = (level[i], flat.ops[i])
        groups.setdefault(key, []).append(i)
    layout = _Layout(flat, param_index)
    params = set(param_index)
    steps = []
    for key in sorted(groups, key=lambda k: (k[0], str(k[1:]))):
        nodes = groups[key]
        if key[1] == "Σ":
            steps.append(_grid(flat, sums, nodes, layout, params)
                         or _sum(flat, sums, nodes, layout))
        else:
            steps.append(_op(flat, key[1], nodes, layout))
    return steps, layout


def _op(flat, name, nodes, layout):
    parents = flat.parents
    nodes = sorted(nodes, key=lambda i: [layout.slot[p] for p in parents[i]])
    arity = len(parents[nodes[0]])
    operands = [[flat.data[parents[i][k]] for i in nodes[:64]] for k in range(arity)]
    form = array_form(name, operands)
    out = layout.place(nodes)
    return OpStep(name, form, out, [layout.slots([parents[i][k] for i in nodes])
                                    for k in range(arity)])


def _sum(flat, sums, nodes, layout):
    nodes = sorted(nodes, key=lambda i: layout.slot[_operands(flat, sums, i)[0]])
    segment, left, right, at_products, plain, at_plain = [], [], [], [], [], []
    for s, i in enumerate(nodes):
        for t, product in sums[i]:
            if product:
                a, b = flat.parents[t]
                left.append(a)
                right.append(b)
                at_products.append(len(segment))
            else:
                plain.append(t)
                at_plain.append(len(segment))
            segment.append(s)
    out = layout.place(nodes)
    return SumStep(out, segment, layout.slots(left) if left else None,
                   layout.slots(right) if right else None, at_products,
                   layout.slots(plain) if plain else None, at_plain)


def _grid(flat, sums, nodes, layout, params):
    """A GridStep if the sums' products form a full grid of rows × columns, else None."""
    rows, cols, cells, plains = {}, {}, {}, {}
    for i in nodes:
        left, right, plains[i] = [], [], []
        for t, product in sums[i]:
            if not product:
                plains[i].append(t)
                continue
            a, b = flat.parents[t]
            if a in params and b not in params:     # the parameter's side is the columns'
                a, b = b, a
            left.append(a)
            right.append(b)
        r = rows.setdefault(tuple(left), len(rows))
        c = cols.setdefault(tuple(right), len(cols))
        if (r, c) in cells:
            return None
        cells[r, c] = i
    n_terms = len(next(iter(rows)))
    if len(rows) * len(cols) != len(nodes) or len(nodes) < 2 or len(nodes) * n_terms < GRID_MIN:
        return None
    if len(rows) < len(cols) and not any(p in params for col in cols for p in col):
        rows, cols = cols, rows                     # the longer side runs down the rows
        cells = {(c, r): i for (r, c), i in cells.items()}
    row_keys = sorted(rows, key=lambda row: [layout.slot[p] for p in row])
    col_keys = sorted(cols, key=lambda col: [layout.slot[p] for p in col])
    order = [cells[rows[r], cols[c]] for r in row_keys for c in col_keys]
    shape = (len(row_keys), len(col_keys))
    plain = segment = None
    if any(plains.values()):
        first_row = [plains[i] for i in order[:shape[1]]]
        if all(len(p) == 1 for p in first_row) and all(
                plains[i] == first_row[k % shape[1]] for k, i in enumerate(order)):
            plain = layout.slots([p[0] for p in first_row])      # a bias per column
        else:
            terms = [(k, t) for k, i in enumerate(order) for t in plains[i]]
            plain = layout.slots([t for _, t in terms])
            segment = [k for k, _ in terms]
    out = layout.place(order)
    return GridStep(out, shape, layout.slots([p for row in row_keys for p in row],
                                             (shape[0], n_terms)),
                    layout.slots([p for col in col_keys for p in col], (shape[1], n_terms)),
                    plain, segment)


# ---------------------------------------------------------------- the tape
class FastTape(Tape):
    """A recorded graph replayed as array operations; made by ``compile(..., exact=False)``.

    The interface is :class:`tinygrad_edu.tape.Tape`'s (``forward``, ``backward``,
    ``input_grads``, ``verify``); the numbers agree with the engine to about 1e-12 relative
    to the size of the terms summed (see the module's docstring), not bit for bit, so
    ``verify`` accepts a replayed output within 1e-9 relative (or 1e-12 absolute) of the
    engine's. :meth:`forward_with` and :meth:`param_grads` keep θ out of the Values.
    """

    exact = False
    _rel_tol, _abs_tol = 1e-9, 1e-12

    def __init__(self, output, inputs, shapes, fn):
        super().__init__(output, inputs, _shapes=shapes, _fn=fn)

    def _plan(self, graph) -> None:
        self._steps, layout = _program(graph.flat, graph.param_index)
        self._root = layout.slot[graph.root]
        self._values = np.zeros(layout.size)
        self._values[:graph.n_leaves] = [graph.data[i] for i in layout.leaves]
        self._adjoint = np.zeros(layout.size)
        n_leaves = graph.n_inputs + len(graph.params)
        self._param_index = slice(graph.n_inputs, n_leaves)   # the parameters' slots, in order
        self._leaf_grads = self._adjoint[:n_leaves]

    def _forward(self, values) -> None:
        for step in self._steps:
            step.forward(values)

    def forward_with(self, params, *inputs) -> float:
        """``forward`` with the parameters' values taken from ``params`` (one float per entry
        of ``self.params``, in that order) instead of their ``.data``.

        For a caller that keeps θ as one array for many steps (``fit``'s fast path) and takes
        ∂output/∂θ from :meth:`param_grads`: no Value is read or written per step. Only when
        a replay fails are the parameters' ``.data`` set to ``params``, so that ``fn`` runs
        through the engine on these numbers and its error is the one raised.
        """
        params = np.asarray(params, dtype=float)
        if params.shape != (len(self.params),):
            raise ValueError(f"forward_with: params needs one number per parameter "
                             f"({len(self.params)}), got shape {params.shape}")
        return self._replay(inputs, params)

    def param_grads(self, grad=1.0):
        """The reverse sweep of the last forward, as ``backward`` does it, but returning
        ∂output/∂θ × ``grad`` as a new array (``self.params`` order) instead of adding it into
        the parameters' ``.grad``; the inputs' gradients are in :meth:`input_grads`."""
        return self._sweep(grad, "param_grads").copy()

    def _sweep(self, grad, who: str):
        """v̄ of every slot from the output's down; returns the parameters' (a view)."""
        seed, adjoint = self._seed(grad, who), self._adjoint
        adjoint.fill(0.0)
        adjoint[self._root] = seed
        with np.errstate(all="ignore"):
            for step in reversed(self._steps):
                step.backward(adjoint)
        self._backward_done = True
        return adjoint[self._param_index]
