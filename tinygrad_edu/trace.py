"""Evaluation-trace tables: the forward primal trace and the reverse adjoint trace.

Numbering follows Baydin et al.'s tables used in the slides: the n inputs are
``v-(n-1) … v0`` in order of first use, intermediate nodes ``v1 … vN`` by depth (longest path
from an input), ties in the order the expression computes them. Constants are written as
numbers; a graph made of constants only has no inputs and no gradients. ``trace(y)``
computes the adjoints it shows by itself: it never touches ``.grad``.
"""
from __future__ import annotations

from dataclasses import dataclass

from .checks import one_of, real
from .engine import Value
from .forward import TangentTrace
from .graph import number_nodes
from .ops import OPS, format_number
from .table import ForwardRow, TraceTable, bar, format_value, operand_text

__all__ = ["trace", "Trace", "ForwardRow", "AdjointRow", "number_nodes", "bar", "format_value",
           "operand_text", "MODES"]

MODES = ("reverse", "forward")
"""The two ways through a graph: reverse (adjoints v̄) and forward (tangents v̇)."""


@dataclass(frozen=True)
class AdjointRow:
    """One step of the reverse adjoint trace: ``target = expr = value`` (value after the step).

    ``node`` is the node whose adjoint v̄ the step updates. For a step "upstream × local",
    ``upstream`` is the node whose adjoint is passed down and ``operand`` which of its
    operands ``node`` is (0 or 1); the first and the last rows (ȳ, the inputs' x̄) have none.
    """

    target: str
    expr: str
    value: float
    node: Value | None = None
    upstream: Value | None = None
    operand: int | None = None


class Trace(TraceTable):
    """The forward primal trace and reverse adjoint trace of the graph below ``output``."""

    second_title = "Reverse adjoint trace"

    def __init__(self, output: Value, seed: float = 1.0):
        super().__init__(output)
        self.adjoint, self.adjoints = self._adjoint_rows(real(seed, "trace: the seed ȳ"))
        self.second = self.adjoint

    @property
    def gradients(self) -> dict:
        """Input name → ∂output/∂input, as computed by this trace."""
        return {self.input_names[n]: self.adjoints.get(n, 0.0) for n in self.inputs}

    def _adjoint_rows(self, seed):
        names, output = self.names, self.output
        adjoint = {output: seed}
        if output in names:
            rows = [AdjointRow(bar(names[output]), bar(self.output_name), seed, output)]
        else:  # a constant: ȳ is the seed, and nothing is below it
            rows = [AdjointRow(bar(self.output_name), format_number(seed), seed, output)]
        for node in reversed(self.numbering.operations):
            upstream = adjoint.get(node, 0.0)
            op = OPS[node.op]
            operands = self.operands(node)
            for i, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
                if parent not in names:
                    continue  # a constant: no adjoint to keep
                term = op.write_adjoint(i, bar(names[node]), operands, names[node])
                target = bar(names[parent])
                if parent in adjoint:
                    adjoint[parent] += local * upstream
                    term = f"{target} + {term}"
                else:
                    adjoint[parent] = local * upstream
                rows.append(AdjointRow(target, term, adjoint[parent], parent, node, i))
        for node in self.inputs:
            rows.append(AdjointRow(bar(self.input_names[node]), bar(names[node]),
                                   adjoint.get(node, 0.0), node))
        return rows, adjoint

    def __repr__(self) -> str:
        return f"<Trace of {self.output_name} = {format_value(self.value)}: " \
               f"{len(self.forward)} forward rows, {len(self.adjoint)} adjoint rows>"

    def to_dict(self) -> dict:
        return super().to_dict("adjoint") | {"gradients": self.gradients}


def trace(y: Value, seed=1.0, mode: str = "reverse"):
    """The forward primal trace and reverse adjoint trace of ``y`` (slides' numbering).

    ``mode="forward"`` gives the forward tangent trace instead, with ``seed`` the inputs'
    tangents: ``trace(y, mode="forward", seed={x1: 1})`` (see ``forward.TangentTrace``).
    """
    if one_of(mode, MODES, "trace: mode") == "forward":
        return TangentTrace(y, seed)
    return Trace(y, seed)
