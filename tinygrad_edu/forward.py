"""Forward mode: tangents pushed from the inputs to the output, and the forward tangent trace.

Reverse mode asks "how does the output change with each input?" in one backward sweep.
Forward mode asks "how does everything change when the inputs move in one direction ẋ?"
and answers in the same sweep that computes the values: every node gets a tangent

    v̇ = Σᵢ ∂v/∂parentᵢ · v̇_parentᵢ        (local gradient × the parent's tangent)

using the very local gradients the op table gave the node when it was made. One forward
sweep gives one directional derivative J·ẋ; with ẋ = e₁ that is ∂y/∂x1 (Baydin et al.'s
forward-mode table: ẋ1 = 1 at (2, 5) gives ẏ = 5.5, ẋ2 = 1 gives ẏ = 1.716, the same
numbers the reverse sweep gives as x̄1 and x̄2). Nothing here touches any node's ``.grad``.
"""
from __future__ import annotations

import numbers

from .checks import as_number, real, shown
from .engine import Value, is_recording
from .graph import evaluation_order
from .ops import OPS
from .table import ForwardRow, TraceTable, dot, format_value

__all__ = ["jvp", "propagate_tangents", "TangentTrace", "TangentRow", "dot", "as_numbers",
           "fresh_inputs"]


def propagate_tangents(outputs, seed: dict) -> dict:
    """Forward mode over a recorded graph: ``{node: v̇}`` for every node that moves.

    ``seed`` gives the tangent of some nodes, usually the inputs: ``{x1: 1.0, x2: 0.0}``.
    Every other node below ``outputs`` that depends on a seeded node gets
    v̇ = Σ local gradient × parent's tangent, parents in topological order; nodes that do not
    depend on any seeded node (constants, untouched inputs) are left out: their tangent is 0.
    """
    tangent = {}
    for node, value in seed.items():
        if not isinstance(node, Value):
            raise TypeError(f"seed keys must be Values, got {shown(node)}")
        tangent[node] = float(value)
    for node in evaluation_order(outputs):
        if node in seed:
            continue
        total, moves = 0.0, False
        for parent, local in zip(node.parents, node.local_grads):
            parent_dot = tangent.get(parent)
            if parent_dot is not None:
                total += local * parent_dot
                moves = True
        if moves:
            tangent[node] = total
    return tangent


def as_numbers(values, what: str, who: str) -> list:
    """A point or direction as floats: a number, a Value (its data) or a list of them."""
    if isinstance(values, (Value, numbers.Real)):
        values = [values]
    try:
        values = list(values)
    except TypeError:
        raise TypeError(f"{who}: {what} must be a list of numbers, got {shown(values)}") from None
    return [v.data if isinstance(v, Value) else real(v, f"{who}: {what}[{i}]")
            for i, v in enumerate(values)]


def fresh_inputs(xs, who: str) -> list:
    """Fresh input leaves x1, x2, … at the given point (a recorded graph is needed)."""
    if not is_recording():
        raise RuntimeError(f"{who} needs a recorded graph, but it was called inside no_grad()")
    return [Value(x, f"x{i}") for i, x in enumerate(as_numbers(xs, "xs", who), start=1)]


def _outputs(out, who: str):
    """``f``'s result as (list of outputs, was it a single one)."""
    if isinstance(out, (Value, numbers.Real)):
        return [out], True
    if isinstance(out, (list, tuple)) and all(isinstance(o, (Value, numbers.Real)) for o in out):
        return list(out), False
    raise TypeError(f"{who}: f must return a Value (or a list of Values), got {shown(out)}")


def jvp(f, xs, tangents):
    """Forward mode: ``(f(xs), J·tangents)`` — the value and the directional derivative.

    ``f`` takes n Values and returns a Value (or a list of Values); ``xs`` and ``tangents``
    are n numbers each (the point and the direction ẋ). With ``tangents = [1, 0, …]`` the
    derivative is ∂f/∂x1. One forward sweep, whatever n is; returns floats (lists of floats
    when f returns a list), like ``torch.func.jvp``.
    """
    inputs = fresh_inputs(xs, "jvp")
    direction = as_numbers(tangents, "tangents", "jvp")
    if len(direction) != len(inputs):
        raise ValueError(f"jvp: {len(inputs)} inputs but {len(direction)} tangents")
    outs, single = _outputs(f(*inputs), "jvp")
    tangent = propagate_tangents(outs, dict(zip(inputs, direction)))
    values = [float(o) for o in outs]
    dots = [tangent.get(o, 0.0) if isinstance(o, Value) else 0.0 for o in outs]
    return (values[0], dots[0]) if single else (values, dots)


# ---------------------------------------------------------------- the forward tangent trace
class TangentRow(ForwardRow):
    """One line of the forward tangent trace: ``name = expr = value`` (e.g. v̇1 = v̇-1 / v-1)."""


def _tangent_expr(node: Value, names: dict, operands: list) -> str:
    """v̇ of a node in slide notation: Σ (parent's v̇ × local), written as the adjoint is.

    Local gradient 1 gives ``v̇a``, −1 gives ``− v̇a`` (so ``v̇4 − v̇3``, not ``v̇4 × 1 + …``);
    constant operands have no tangent and no term.
    """
    op = OPS[node.op]
    text = ""
    for i, parent in enumerate(node.parents):
        if parent not in names:
            continue
        upstream = dot(names[parent])
        local = op.local[i]
        if local == "1":
            sign, term = "+", upstream
        elif local == "−1":
            sign, term = "−", upstream
        else:
            sign, term = "+", op.write_adjoint(i, upstream, operands, names[node])
        if not text:
            text = term if sign == "+" else f"−{term}"
        else:
            text += f" {sign} {term}"
    return text or "0"


class TangentTrace(TraceTable):
    """The forward primal trace and the forward tangent trace of the graph below ``output``.

    Numbered exactly as :func:`trace` numbers the reverse trace. ``seed`` gives each input's
    tangent ẋ (inputs left out get 0): keys are the input Values, or their names
    ("x1", a label, or "v-1"). A plain number is accepted when there is a single input.
    """

    second_title = "Forward tangent trace"

    def __init__(self, output: Value, seed):
        super().__init__(output, "trace(mode='forward')")
        self.seed = self._resolve(seed)
        self.tangent, self.tangents = self._tangent_rows()
        self.second = self.tangent

    def _resolve(self, seed) -> dict:
        by_name = {name: node for node in self.inputs
                   for name in (self.names[node], self.input_names[node])}
        listed = ", ".join(f"{self.input_names[n]} ({self.names[n]})" for n in self.inputs)
        if as_number(seed) is not None:         # checks' policy: True is 1, a Decimal a number
            if len(self.inputs) != 1:
                raise TypeError(f"trace(mode='forward'): a number seeds the only input, but "
                                f"this graph has {len(self.inputs)} inputs ({listed}); give "
                                f"seed={{input: tangent}}, e.g. seed={{x1: 1}}")
            seed = {self.inputs[0]: seed}
        if not hasattr(seed, "items"):
            raise TypeError(f"trace(mode='forward') needs seed={{input: tangent}}, got "
                            f"{shown(seed)}")
        resolved = {node: 0.0 for node in self.inputs}
        for key, value in seed.items():
            node = key if isinstance(key, Value) else by_name.get(key) \
                if isinstance(key, str) else None
            if node not in resolved:
                written = key if isinstance(key, str) else repr(key)
                raise ValueError(f"trace(mode='forward'): seed key {written} is not an input of "
                                 f"this graph; its inputs are {listed}")
            resolved[node] = real(value, f"trace(mode='forward'): the tangent of "
                                         f"{self.input_names[node]}")
        return resolved

    def _tangent_rows(self):
        names = self.names
        tangent, rows = propagate_tangents(self.output, self.seed), []
        for node in self.numbering.order:  # inputs, then by depth: a topological order
            if node in self.seed:
                expr = dot(self.input_names[node])
            else:
                expr = _tangent_expr(node, names, self.operands(node))
            value = tangent.setdefault(node, 0.0)  # made from constants alone: it does not move
            rows.append(TangentRow(dot(names[node]), expr, value, node))
        out = self.output
        tangent.setdefault(out, 0.0)  # a constant output does not move
        left = dot(names[out]) if out in names else "0"
        rows.append(TangentRow(dot(self.output_name), left, tangent[out], out))
        return rows, tangent

    @property
    def derivative(self) -> float:
        """ẏ: the directional derivative of the output along the seed."""
        return self.tangents[self.output]

    def __repr__(self) -> str:
        return f"<TangentTrace of {self.output_name} = {format_value(self.value)}: " \
               f"{dot(self.output_name)} = {format_value(self.derivative)}, " \
               f"{len(self.tangent)} tangent rows>"

    def to_dict(self) -> dict:
        return super().to_dict("tangent", lambda n: {"tangent": self.seed[n]}) | \
            {"derivative": self.derivative}
