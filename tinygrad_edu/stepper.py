"""Backprop you can watch: the trace table as a sequence of steps, one per row.

Every row of the adjoint trace is the slide's picture of the chain rule: the node being
computed (v̄0) receives the adjoint of a node above it (the upstream gradient v̄3) times the
local gradient on the edge between them (∂v3/∂v0 = cos v0)::

    v̄0 = v̄3 × cos v0 = −1.000 × 0.284 = −0.284

:func:`steps` turns a trace's rows into :class:`Step` objects that name exactly that. The
pictures (``draw_dot(y, step=k)``, the GIF), the notebook widget and the playground all read
these steps and never work the rows out again. Nothing here changes ``.grad``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .checks import one_of, real
from .engine import Value
from .ops import OPS
from .table import operand_text
from .trace import MODES, trace

__all__ = ["Step", "Term", "Walk", "steps", "local_text", "MODES"]


@dataclass(frozen=True)
class Term:
    """One upstream × local product that a step adds in, on one edge of the graph.

    The edge runs from ``parent`` into operand ``operand`` of ``consumer`` (data-flow
    direction). ``source`` is the node whose derivative travels along it: the consumer in
    reverse mode (its adjoint v̄ passes down), the parent in forward mode (its tangent v̇
    passes up). ``local`` is ∂consumer/∂parent, ``local_text`` the same as the slides write
    it (``cos v0``), ``source_value`` the travelling v̄ or v̇.
    """

    source: Value
    parent: Value
    consumer: Value
    operand: int
    local: float
    local_text: str
    source_value: float

    @property
    def value(self) -> float:
        """upstream × local: what this term adds to the step's node."""
        return self.source_value * self.local


@dataclass(frozen=True)
class Step:
    """One row of a trace, tied to the graph.

    ``name``, ``expr`` and ``value`` are the row as the table prints it (``v̄0``,
    ``v̄3 × cos v0``, the value after the step). ``node`` is the node being computed;
    ``kind`` is "seed" (the output's ȳ = 1, or an input's ẋ), "step" (an upstream × local
    product), or "result" (the last rows, x̄1 = v̄-1 or ẏ = v̇5, which only rename).
    ``terms`` are the products the row adds: one in reverse mode, one per operand that is
    not a plain number in forward mode. ``known`` maps each node to its adjoint (reverse)
    or tangent (forward) as it stands after this step.
    """

    index: int
    mode: str
    kind: str
    name: str
    expr: str
    value: float
    node: Value
    terms: tuple = ()
    walk: Walk | None = field(default=None, repr=False, compare=False)

    @property
    def upstream(self) -> Value | None:
        """Reverse mode: the node whose adjoint is passed down (None for seed and result rows)."""
        return self.terms[0].source if self.mode == "reverse" and self.terms else None

    @property
    def sources(self) -> tuple:
        """The nodes whose v̄ (reverse) or v̇ (forward) this step multiplies."""
        return tuple(t.source for t in self.terms)

    @property
    def known(self) -> dict:
        """{node: adjoint or tangent} after this step (built on demand: steps stay small)."""
        return {step.node: step.value for step in self.walk[:self.index + 1]}


class Walk(list):
    """All the steps of one trace, in order, and the trace's names for the graph's nodes.

    ``table`` is the trace the steps come from (it prints the same rows); ``names`` maps
    each node to its trace name (``v-1``, ``v5``; plain numbers have none), ``input_names``
    each input to its own (``x1``); ``output`` is the traced Value and ``output_name`` its
    name (``y``); ``mode`` is "reverse" or "forward".
    """

    def __init__(self, mode: str, table):
        super().__init__()
        self.mode = mode
        self.table = table
        self.output = table.output
        self.names = table.names
        self.input_names = table.input_names
        self.output_name = table.output_name

    def add(self, **fields) -> None:
        self.append(Step(index=len(self), mode=self.mode, walk=self, **fields))


def steps(y: Value, mode: str = "reverse", seed=None) -> Walk:
    """The rows of ``trace(y)`` (or of the forward tangent trace) as :class:`Step` objects.

    Reverse mode: one step per adjoint row, in execution order; ``seed`` is ȳ (default 1).
    Forward mode: one step per tangent row; ``seed`` gives the inputs' tangents as
    ``trace(y, mode="forward", seed=...)`` takes them, and defaults to ẋ1 = 1 (all other
    inputs 0), so the last row is ∂y/∂x1.
    """
    if not isinstance(y, Value):
        raise TypeError(f"steps() needs a Value, got {type(y).__name__}")
    if one_of(mode, MODES, "steps: mode") == "reverse":
        return _reverse_steps(y, 1.0 if seed is None else seed)
    return _forward_steps(y, seed)


def local_text(consumer: Value, operand: int, names: dict) -> str:
    """∂consumer/∂operand as the slides write it (``cos v0``), from the op table's notation."""
    operands = [operand_text(p, names) for p in consumer.parents]
    return OPS[consumer.op].write_local(operand, operands, names[consumer])


def _reverse_steps(y: Value, seed) -> list:
    t = trace(y, seed=real(seed, "steps: the reverse seed ȳ"))
    walk = Walk("reverse", t)
    for index, row in enumerate(t.adjoint):
        up, i = row.upstream, row.operand
        if up is None:
            kind, terms = ("seed" if index == 0 else "result"), ()
        else:
            kind, terms = "step", (Term(up, row.node, up, i, up.local_grads[i],
                                        local_text(up, i, t.names), t.adjoints[up]),)
        walk.add(kind=kind, name=row.target, expr=row.expr, value=row.value, node=row.node,
                 terms=terms)
    return walk


def _forward_steps(y: Value, seed) -> list:
    t = trace(y, mode="forward", seed={} if seed is None else seed)
    if seed is None:
        t = trace(y, mode="forward", seed={t.inputs[0]: 1.0}) if t.inputs else t
    names = t.names
    walk = Walk("forward", t)
    last = len(t.tangent) - 1
    for index, row in enumerate(t.tangent):
        node = row.node
        if index == last:
            kind, terms = "result", ()
        elif node in t.seed:
            kind, terms = "seed", ()
        else:
            kind = "step"
            terms = tuple(Term(p, p, node, i, local, local_text(node, i, names),
                               t.tangents[p])
                          for i, (p, local) in enumerate(zip(node.parents, node.local_grads))
                          if p in names)
        walk.add(kind=kind, name=row.name, expr=row.expr, value=row.value, node=node,
                 terms=terms)
    return walk
