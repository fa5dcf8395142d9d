"""Checking reverse mode against finite differences.

The slope of ``f`` along input ``i`` can be estimated without any chain rule, from two
evaluations of ``f`` alone — the central difference::

    ∂f/∂x_i  ≈  (f(x + h·e_i) − f(x − h·e_i)) / 2h        (h = eps, e_i = the i-th unit step),

whose error shrinks like h² (a one-sided difference only like h). ``gradcheck`` compares this
estimate with the reverse-mode gradient x̄_i that ``backward`` computes (upstream gradient ×
local gradient, summed over paths). They agree when::

    |x̄_i − numeric_i|  ≤  atol + rtol · |numeric_i|

— PyTorch's double-precision defaults ``eps=1e-6, atol=1e-5, rtol=1e-3``. A mismatch means a
local gradient is wrong somewhere, or the point sits on a kink (relu at 0, max at a tie),
where the two sides of the difference see different slopes.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

from .checks import nonnegative, positive, real, shown
from .engine import Value, is_recording, no_grad, reverse_topological_order
from .ops import OpError

__all__ = ["numerical_grad", "gradcheck", "GradcheckResult", "InputCheck"]


def numerical_grad(f, xs, eps=1e-6) -> list:
    """Central differences of ``f`` at ``xs``: ``(f(x + h·e_i) − f(x − h·e_i)) / 2h`` per input.

    ``f`` takes ``len(xs)`` Values and returns a Value; ``xs`` is a list of numbers. ``f`` is
    only evaluated (under ``no_grad``), never differentiated, so no ``.grad`` changes.
    """
    xs = _points(xs)
    eps = positive(eps, "numerical_grad: eps")
    labels = _labels(f, len(xs))
    grads = []
    for i in range(len(xs)):
        above = _evaluate(f, xs, labels, i, +eps)
        below = _evaluate(f, xs, labels, i, -eps)
        grads.append((above - below) / (2.0 * eps))
    return grads


@dataclass(frozen=True)
class InputCheck:
    """One input's verdict: the reverse-mode x̄_i next to its central-difference estimate."""

    index: int
    label: str
    x: float
    reverse_mode: float
    numeric: float
    error: float  # |reverse_mode − numeric|
    tolerance: float  # atol + rtol · |numeric|

    @property
    def ok(self) -> bool:
        return self.error <= self.tolerance  # False when either side is nan

    @property
    def badness(self) -> float:
        """How far outside its tolerance (error / tolerance); nan counts as the worst."""
        if math.isnan(self.error):
            return math.inf
        if self.tolerance > 0:
            return self.error / self.tolerance
        return math.inf if self.error > 0 else 0.0

    def __str__(self) -> str:
        return (f"input {self.index} ({self.label} = {self.x:g}): reverse mode "
                f"{self.reverse_mode:.6g}, numeric {self.numeric:.6g}, error {self.error:.3g}")


class GradcheckResult:
    """The outcome of ``gradcheck``: truthy when every input matches.

    ``inputs`` lists an :class:`InputCheck` per input; ``worst`` is the one furthest outside
    (or closest to the edge of) its tolerance, and ``index``, ``label``, ``reverse_mode``,
    ``numeric`` and ``error`` repeat its numbers (None when there are no inputs).
    """

    def __init__(self, inputs, value):
        self.inputs = list(inputs)
        self.value = value
        self.ok = all(check.ok for check in self.inputs)
        self.worst = max(self.inputs, key=lambda c: c.badness, default=None)
        self.failures = [check for check in self.inputs if not check.ok]
        for field in ("index", "label", "reverse_mode", "numeric", "error"):  # the worst's
            setattr(self, field, getattr(self.worst, field, None))

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        verdict = "passed" if self.ok else f"FAILED on {len(self.failures)} of {len(self.inputs)}"
        worst = f"; worst {self.worst}" if self.worst else ""
        return f"<gradcheck {verdict}{worst}>"

    def __str__(self) -> str:
        head = "gradcheck passed" if self.ok else "gradcheck FAILED"
        lines = [f"{head}: {len(self.inputs)} inputs, f = {self.value:.6g}"]
        if self.worst:
            lines.append(f"worst: {self.worst}")
        rows = [("input", "x", "reverse mode", "numeric", "error", "")]
        rows += [(f"{c.index} {c.label}", f"{c.x:g}", f"{c.reverse_mode:.6g}", f"{c.numeric:.6g}",
                  f"{c.error:.3g}", "ok" if c.ok else "MISMATCH") for c in self.inputs]
        widths = [max(len(row[k]) for row in rows) for k in range(6)]
        for row in rows:
            lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        return "\n".join(lines)


def gradcheck(f, xs, eps=1e-6, atol=1e-5, rtol=1e-3) -> GradcheckResult:
    """Compare reverse mode with central differences for every input of ``f`` at ``xs``.

    Reverse mode runs ``backward`` on a graph built from fresh input Values; the ``.grad`` of
    any other node ``f`` uses (a parameter it closes over, say) is put back afterwards.
    """
    if not is_recording():
        raise RuntimeError("gradcheck needs to record a graph: call it outside `with no_grad():`")
    xs = _points(xs)
    positive(eps, "gradcheck: eps")
    atol = nonnegative(atol, "gradcheck: atol")
    rtol = nonnegative(rtol, "gradcheck: rtol")
    labels = _labels(f, len(xs))
    leaves = [Value(x, label) for x, label in zip(xs, labels)]
    y = _checked_output(f(*leaves), f"f({', '.join(map(repr, xs))})")
    saved = [(node, node.grad) for node in reverse_topological_order(y)]
    try:
        y.backward()
        analytic = [leaf.grad for leaf in leaves]
    finally:
        for node, grad in saved:
            node.grad = grad
    numeric = numerical_grad(f, xs, eps)
    checks = [InputCheck(i, labels[i], xs[i], a, n, abs(a - n), atol + rtol * abs(n))
              for i, (a, n) in enumerate(zip(analytic, numeric))]
    return GradcheckResult(checks, y.data)


# ---------------------------------------------------------------- helpers
def _points(xs) -> list:
    """``xs`` as a list of floats, or a TypeError saying what is wrong."""
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__iter__"):
        raise TypeError(f"xs must be a list of numbers, got {shown(xs)}")
    points = []
    for i, x in enumerate(xs):
        if isinstance(x, Value):
            raise TypeError(f"xs[{i}] is a Value; pass plain numbers (e.g. {x.data!r}): "
                            f"gradcheck makes its own input Values")
        points.append(real(x, f"xs[{i}]"))
    return points


def _labels(f, n) -> list:
    """Names for the inputs: f's own parameter names if it has them, else x1 … xn."""
    try:
        params = [p.name for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"x{i + 1}" for i in range(n)]


def _checked_output(y, where) -> Value:
    if not isinstance(y, Value):
        raise TypeError(f"f must return a Value, but {where} returned {shown(y)} (use Value "
                        f"methods such as x.sin(), not math.sin)")
    return y


def _evaluate(f, xs, labels, i, shift) -> float:
    """f at xs with input i moved by ``shift``, as a float; a clear error if f fails there."""
    moved = list(xs)
    moved[i] += shift
    sign = "+" if shift > 0 else "−"
    where = f"{labels[i]} {sign} eps = {moved[i]!r} (input {i}, {labels[i]} = {xs[i]!r}, " \
            f"eps = {abs(shift)!r})"
    try:
        with no_grad():
            y = f(*(Value(x, label) for x, label in zip(moved, labels)))
    except (ArithmeticError, ValueError) as err:
        advice = (f"central differences need f at {where}, but f fails there. Choose a point "
                  f"further from the edge of f's domain, or a smaller eps")
        if isinstance(err, OpError):   # the op's own error, with where it happened
            raise err.again(where=advice) from err
        try:
            error = type(err)(f"{advice}: {err}")
        except Exception:
            error = ValueError(f"{advice}: {err}")
        raise error from err
    return _checked_output(y, f"f at {where}").data
