"""Gradients as values: ``grad`` (like ``torch.autograd.grad``), gradients of gradients,
``hessian`` and ``hvp``.

``backward`` leaves ∂y/∂x in each leaf's ``.grad`` as a plain number — the end of the line.
``grad(y, xs)`` runs the same reverse sweep, v̄_parent += v̄_node × ∂node/∂parent, but keeps
the adjoints in a dictionary of its own (no ``.grad`` is read or written). With
``create_graph=True`` the sweep is itself recorded: every local derivative is rebuilt from the
op table's ``derivative`` expressions (``cos v`` for sin, ``1 / v`` for ln, …) and every
"upstream × local" is a × node, so the gradients are ``Value`` objects with graphs of their own,
which can be differentiated again: d²/dx² sin x = −sin x, Hessians, Newton's method.

Only the part of the graph between the xs and y is walked; every walk is iterative.
"""
from __future__ import annotations

import contextlib

from .checks import as_number, real, shown
from .engine import Constant, Value, is_recording
from .forward import as_numbers, fresh_inputs, propagate_tangents
from .graph import evaluation_order
from .ops import OPS, ieee_arithmetic

__all__ = ["grad", "hessian", "hvp", "apply_op"]


def apply_op(name: str, *args):
    """Apply the op-table row ``name`` to its operands: floats in, a float out (the op's
    ``forward`` value); any ``Value`` among them, a recorded node out (numbers become
    constants), made by the op's ``Value`` method or operator. This is the ``call`` the op
    table's ``derivative`` expressions use."""
    op = OPS[name]
    if not any(isinstance(a, Value) for a in args):
        return op.forward(*(float(a) for a in args))[0]
    args = [a if isinstance(a, Value) else Constant(float(a)) for a in args]
    return getattr(Value, op.method or f"__{op.operator}__")(*args)


def _times(local, upstream):
    """local × upstream, without building nodes for × 1, × 0 or × −1."""
    if not isinstance(local, Value) and local in (1.0, 0.0, -1.0):
        return upstream if local == 1.0 else -upstream if local == -1.0 else 0.0
    if not isinstance(upstream, Value) and upstream in (1.0, 0.0):
        return local if upstream == 1.0 else 0.0
    return local * upstream


def _plus(total, term):
    """total + term, without building a node for + 0."""
    if total is None or (not isinstance(total, Value) and total == 0.0):
        return term
    if not isinstance(term, Value) and term == 0.0:
        return total
    return total + term


def grad(y, xs, create_graph: bool = False, grad_output=1.0):
    """∂y/∂x for each x in ``xs``, by a reverse sweep that never touches ``.grad``.

    ``xs`` is a Value or a list of Values (inputs, parameters, or interior nodes); the result
    is one gradient or a list in the same order. An x that y does not depend on gets 0.
    ``grad_output`` is the seed ȳ (a number, or a Value when ``create_graph=True``).

    ``create_graph=False``: floats, the same numbers ``backward`` would leave in ``.grad``.
    ``create_graph=True``: ``Value``s whose graphs compute the gradients from the inputs, so
    ``grad(grad(y, x, create_graph=True), x)`` is the second derivative.
    """
    single = isinstance(xs, Value)
    targets = [xs] if single else list(xs) if isinstance(xs, (list, tuple)) else None
    if targets is None:
        raise TypeError(f"grad: xs must be a Value or a list of Values, got {shown(xs)}")
    for i, x in enumerate(targets):
        if not isinstance(x, Value):
            raise TypeError(f"grad: xs[{i}] must be a Value, got {shown(x)}")
    if not isinstance(y, Value):
        raise TypeError(f"grad: y must be a Value, got {shown(y)}")
    if create_graph and not is_recording():
        raise RuntimeError("grad(..., create_graph=True) records a graph, but it was called "
                           "inside no_grad()")
    if not isinstance(grad_output, Value):
        grad_output = real(grad_output, "grad: grad_output")  # one seed ȳ, not a list
    elif not create_graph:
        grad_output = grad_output.data

    # the nodes on a path from some x up to y: only their adjoints matter
    order = evaluation_order(y)
    wanted = set(targets)
    on_path = set()
    for node in order:
        if node in wanted or any(p in on_path for p in node.parents):
            on_path.add(node)

    adjoint = {y: grad_output}
    # derivative graphs are built in IEEE arithmetic, as PyTorch's are: where a derivative
    # does not exist (1/(2√x) at 0) it is inf or nan, with a graph behind it, never an error
    with ieee_arithmetic() if create_graph else contextlib.nullcontext():
        _sweep(order, on_path, adjoint, create_graph)
    results = [adjoint.get(x, 0.0) for x in targets]  # floats, unless create_graph
    if create_graph:
        results = [g if isinstance(g, Value) else Constant(float(g)) for g in results]
    return results[0] if single else results


def _sweep(order, on_path, adjoint, create_graph):
    """The reverse sweep: v̄_parent += v̄_node × ∂node/∂parent, from y down, into ``adjoint``."""
    for node in reversed(order):
        upstream = adjoint.get(node)
        if upstream is None or not node.parents or node not in on_path:
            continue
        parents = node.parents
        if create_graph:
            for parent, local in zip(parents, _local_derivatives(node, parents)):
                if parent in on_path:
                    adjoint[parent] = _plus(adjoint.get(parent), _times(local, upstream))
        else:
            for parent, local in zip(parents, node.local_grads):
                if parent in on_path:
                    adjoint[parent] = adjoint.get(parent, 0.0) + local * upstream


def _local_derivatives(node: Value, parents: tuple):
    op = OPS[node.op]
    if op.derivative is None:
        raise NotImplementedError(f"grad(create_graph=True): op {op.name!r} has no derivative "
                                  f"expression in the op table (ops.py)")
    return op.derivative(parents, node, apply_op)


def _scalar_output(f, inputs, who: str) -> Value:
    out = f(*inputs)
    if as_number(out) is not None:  # a constant f (True is 1, as everywhere)
        return Constant(as_number(out))
    if not isinstance(out, Value):
        raise TypeError(f"{who}: f must return a single Value, got {shown(out)}")
    return out


def hessian(f, xs) -> list:
    """The n×n matrix of second derivatives ∂²f/∂xi∂xj at the point ``xs`` (n numbers).

    Reverse over reverse: one ``grad(..., create_graph=True)`` gives ∇f as n Values, then
    one more reverse sweep per component gives a row. ``f`` takes n Values and returns one.
    """
    inputs = fresh_inputs(xs, "hessian")
    y = _scalar_output(f, inputs, "hessian")
    gradient = grad(y, inputs, create_graph=True)
    return [grad(g, inputs) for g in gradient]


def hvp(f, xs, v):
    """``(f(xs), H·v)``: the value and the Hessian-vector product, without forming H.

    Forward over reverse: ∇f is built as a graph (``create_graph=True``), then one forward
    tangent sweep along ``v`` gives d/dε ∇f(xs + ε·v) = H·v — one pass whatever n is.
    """
    inputs = fresh_inputs(xs, "hvp")
    direction = as_numbers(v, "v", "hvp")
    if len(direction) != len(inputs):
        raise ValueError(f"hvp: {len(inputs)} inputs but v has {len(direction)} entries")
    y = _scalar_output(f, inputs, "hvp")
    gradient = grad(y, inputs, create_graph=True)
    tangent = propagate_tangents(gradient, dict(zip(inputs, direction)))
    return y.data, [tangent.get(g, 0.0) for g in gradient]
