"""The fast tape's array program: index sets, the ops' numpy forms, and three kinds of step.

A fast replay (:mod:`tinygrad_edu.fast_tape`) keeps every node's value v and adjoint v̄ in two
flat float arrays, one slot per node, and runs a list of steps over them. Each step computes a
group of nodes with a few numpy calls, and in ``backward`` passes their v̄ on to their operands
as upstream × local, added into the operands' slots:

* :class:`OpStep` — one op over many nodes (relu of a whole layer): the op's numpy form, or,
  for an op without one (an op a user registered), the op table's own function per element;
* :class:`SumStep` — n-ary sums whose terms may be products a·b: gather × gather, then a
  segment sum (``np.bincount`` with weights adds each sum's terms in order, left to right,
  as the engine's chain of ``+`` does);
* :class:`GridStep` — n-ary sums of products that form a grid, sum (r, c) = Σⱼ R[r, j]·C[c, j]:
  a matrix product R @ Cᵀ forward, G @ C and Gᵀ @ R backward (G: the sums' adjoints). A layer
  of neurons over a batch of samples is such a grid.

All index arrays are made once, at recording: a replay only gathers, computes and scatters.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from .ops import OPS, OpError

__all__ = ["Slots", "OpStep", "SumStep", "GridStep", "array_form"]


class Slots:
    """A fixed list of slots: read them (``gather``) and add into them (``add``).

    Evenly spaced slots become a slice (a view, no copy: a layer's outputs, or one column of
    them); slots that repeat (a bias used by every sample) are added through ``np.bincount``
    over their distinct slots, faster than ``np.add.at``, so every contribution counts.
    """

    __slots__ = ("key", "shape", "targets", "inverse")

    def __init__(self, slots, shape=None):
        slots = np.asarray(slots, dtype=np.intp).ravel()
        self.shape = shape
        self.targets = self.inverse = None
        n = len(slots)
        step = int(slots[1] - slots[0]) if n > 1 else 1
        if n and step > 0 and bool((np.diff(slots) == step).all()):
            self.key = slice(int(slots[0]), int(slots[-1]) + 1, step)
            return
        self.key = slots
        targets, inverse = np.unique(slots, return_inverse=True)
        if len(targets) < n:
            self.targets, self.inverse = targets, inverse.ravel()

    def gather(self, buf):
        got = buf[self.key]
        return got if self.shape is None else got.reshape(self.shape)

    def add(self, buf, x) -> None:
        """buf[slots] += x, each repeated slot receiving all of its contributions."""
        if self.targets is None:
            buf[self.key] += x if np.ndim(x) < 2 else x.ravel()
        else:
            weights = np.broadcast_to(x, self.inverse.shape) if np.ndim(x) == 0 else x.ravel()
            buf[self.targets] += np.bincount(self.inverse, weights, len(self.targets))


# ---------------------------------------------------------------- the ops' numpy forms (Op.array)

_checked: dict = {}


def array_form(name: str, operands):
    """The op's numpy form, if it agrees with the op table on ``operands`` (lists of floats,
    one per operand: recorded values) to 1e-13 relative, NaN where the row gives NaN; else
    None, and the tape calls the row's own function per element."""
    row_form = OPS[name].array
    if row_form is None or _checked.get(name) is False:
        return None
    form = partial(row_form, np)
    try:
        with np.errstate(all="ignore"):
            got = [np.broadcast_to(np.asarray(r, dtype=float), (len(operands[0]),))
                   for r in form(*(np.array(x) for x in operands))]
        want = np.array([OPS[name].forward(*xs) for xs in zip(*operands)]).T
    except (OpError, ArithmeticError, ValueError, TypeError):
        return form if _checked.get(name) else None   # outside the domain: no evidence
    except Exception as err:                          # a bug in a registered form: say whose
        err.add_note(f"in op {name!r}'s numpy form (Op.array), which the fast tape was "
                     f"checking against the op's forward")
        raise
    agrees = len(got) == len(want) and all(
        np.allclose(g, w, rtol=1e-13, atol=0.0, equal_nan=True) for g, w in zip(got, want))
    _checked[name] = agrees
    return form if agrees else None


# ---------------------------------------------------------------- the steps
def _times(upstream, local):
    """upstream × local, skipping the product where the local is the plain number 1 (+, −)."""
    return upstream if type(local) is float and local == 1.0 else upstream * local


class OpStep:
    """One op over a group of nodes, v = op(operands), locals kept for backward."""

    __slots__ = ("name", "form", "run", "out", "a", "b", "locals")

    def __init__(self, name, form, out: slice, operands):
        self.name, self.form, self.out = name, form, out
        self.run = form if form is not None else self._per_element
        self.a, self.b = operands[0], operands[1] if len(operands) > 1 else None
        self.locals = ()

    def forward(self, values) -> None:
        if self.b is None:     # two plain calls: unpacking a generator cost 6–8 % of an epoch
            result = self.run(values[self.a.key])
        else:
            result = self.run(values[self.a.key], values[self.b.key])
        values[self.out] = result[0]
        self.locals = result

    def _per_element(self, *args):
        """The op table's own function, one node at a time (an op with no numpy form)."""
        fn = OPS[self.name].forward
        return [np.array(column) for column in
                zip(*(fn(*xs) for xs in zip(*(a.tolist() for a in args))))]

    def backward(self, adjoint) -> None:
        upstream = adjoint[self.out]
        self.a.add(adjoint, _times(upstream, self.locals[1]))
        if self.b is not None:
            self.b.add(adjoint, _times(upstream, self.locals[2]))


class SumStep:
    """n-ary sums of plain terms and products a·b: terms laid out sum by sum, in the engine's
    order, then one segment sum. Backward: each term gets its sum's v̄ (× the other factor)."""

    __slots__ = ("out", "segment", "n_sums", "terms", "left", "right", "at_products",
                 "plain", "at_plain", "factors")

    def __init__(self, out: slice, segment, left, right, at_products, plain, at_plain):
        self.out, self.segment = out, np.asarray(segment, dtype=np.intp)
        self.n_sums = out.stop - out.start
        self.terms = np.zeros(len(self.segment))
        self.left, self.right, self.plain = left, right, plain
        self.at_products = np.asarray(at_products, dtype=np.intp)
        self.at_plain = np.asarray(at_plain, dtype=np.intp)
        self.factors = None

    def forward(self, values) -> None:
        terms = self.terms
        if self.left is not None:
            a, b = self.left.gather(values), self.right.gather(values)
            self.factors = (a, b)
            terms[self.at_products] = a * b
        if self.plain is not None:
            terms[self.at_plain] = self.plain.gather(values)
        out = values[self.out] = np.bincount(self.segment, terms, self.n_sums)
        out.sum() * 0.0        # bincount checks nothing: an inf here is 'invalid' in strict mode

    def backward(self, adjoint) -> None:
        upstream = adjoint[self.out][self.segment]
        if self.left is not None:
            a, b = self.factors
            g = upstream[self.at_products]
            self.left.add(adjoint, g * b)
            self.right.add(adjoint, g * a)
        if self.plain is not None:
            self.plain.add(adjoint, upstream[self.at_plain])


class GridStep:
    """Sums (r, c) = Σⱼ R[r, j]·C[c, j] + plain terms, laid out row by row: v = R @ Cᵀ + ….

    ``plain`` is None, or the slots of the plain terms with ``segment`` None when there is
    one per column (a neuron's b, the same for every sample: backward adds Σ_r G[r, c] to
    it), else the sum (as a flat index r·columns + c) each plain term belongs to.
    """

    __slots__ = ("out", "shape", "rows", "cols", "plain", "segment", "factors")

    def __init__(self, out: slice, shape, rows: Slots, cols: Slots, plain, segment):
        self.out, self.shape, self.rows, self.cols = out, shape, rows, cols
        self.plain = plain
        self.segment = None if segment is None else np.asarray(segment, dtype=np.intp)
        self.factors = None

    def forward(self, values) -> None:
        r, c = self.rows.gather(values), self.cols.gather(values)
        self.factors = (r, c)
        out = values[self.out].reshape(self.shape)
        np.matmul(r, c.T, out=out)
        if self.plain is None:
            return
        if self.segment is None:
            out += self.plain.gather(values)
        else:
            plain = np.bincount(self.segment, self.plain.gather(values), out.size)
            plain.sum() * 0.0                       # as in SumStep: an inf is 'invalid'
            out += plain.reshape(self.shape)

    def backward(self, adjoint) -> None:
        r, c = self.factors
        g = adjoint[self.out].reshape(self.shape)
        self.rows.add(adjoint, g @ c)
        self.cols.add(adjoint, g.T @ r)
        if self.plain is not None:
            self.plain.add(adjoint, g.sum(axis=0) if self.segment is None
                           else g.ravel()[self.segment])
