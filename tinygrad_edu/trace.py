"""Evaluation-trace tables: the forward primal trace and the reverse adjoint trace.

Numbering follows Baydin et al.'s tables used in the slides: the n inputs are
``v-(n-1) … v0`` in order of first use, intermediate nodes ``v1 … vN`` by depth (longest path
from an input), ties in the order the expression computes them. Constants are written as
numbers. ``trace(y)`` computes the adjoints it shows by itself: it never touches ``.grad``.
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from .engine import Constant, Value
from .ops import OPS, format_number

__all__ = ["trace", "Trace", "ForwardRow", "AdjointRow", "number_nodes", "evaluation_order"]

BAR = "\u0304"  # combining macron: v̄ is "v" + BAR


def evaluation_order(root: Value, keep=None) -> list:
    """Every node below ``root`` in the order a left-to-right evaluation completes them.

    A depth-first walk in operand order, iterative; each node comes after its parents.
    For an expression written in one go this is the order Python created the nodes in.
    With ``keep`` (a set), the walk only enters nodes in it (a picture's visible part).
    """
    order, seen = [], {root}
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


def number_nodes(root: Value) -> dict:
    """Trace names for the graph below ``root``: ``{node: "v-1", ...}`` (constants get none).

    Inputs are ``v-(n-1) … v0`` in order of first use; the rest ``v1 … vN`` by depth, ties
    by evaluation order. The same numbering is used by ``trace`` and by ``draw_dot``.
    """
    order = evaluation_order(root)
    depth = {}
    for node in order:
        parents = node.parents
        depth[node] = 1 + max(depth[p] for p in parents) if parents else 0
    inputs = [n for n in order if not n.parents and (n is root or type(n) is not Constant)]
    inner = [n for n in order if n.parents]
    position = {node: i for i, node in enumerate(order)}
    inner.sort(key=lambda n: (depth[n], position[n]))
    names = {}
    for i, node in enumerate(inputs):
        names[node] = f"v{i - len(inputs) + 1}"
    for i, node in enumerate(inner, start=1):
        names[node] = f"v{i}"
    return names


@dataclass(frozen=True)
class ForwardRow:
    """One line of the forward primal trace: ``name = expr = value``."""

    name: str
    expr: str
    value: float
    node: Value | None = None


@dataclass(frozen=True)
class AdjointRow:
    """One step of the reverse adjoint trace: ``target = expr = value`` (value after the step)."""

    target: str
    expr: str
    value: float
    node: Value | None = None
    upstream: Value | None = None


def _free_name(candidates, taken) -> str:
    """The first of ``candidates`` that no input is called (``y``, unless an input is ``y``)."""
    for name in candidates:
        if name not in taken:
            return name
    return "output"


def bar(name: str) -> str:
    """The adjoint's name: ``v5`` → ``v̄5``, ``x1`` → ``x̄1``, ``y`` → ``ȳ``."""
    return name[:1] + BAR + name[1:] if name else name


def _operand_text(node: Value, names: dict) -> str:
    if node in names:
        return names[node]
    text = format_number(node.data)
    return f"({text})" if text.startswith("−") else text


class Trace:
    """The forward primal trace and reverse adjoint trace of the graph below ``output``."""

    def __init__(self, output: Value, seed: float = 1.0):
        if not isinstance(output, Value):
            raise TypeError(f"trace() needs a Value, got {type(output).__name__}")
        self.output = output
        self.names = number_nodes(output)
        order = sorted(self.names, key=lambda n: int(self.names[n][1:]))
        self.inputs = [n for n in order if int(self.names[n][1:]) <= 0]
        self.input_names = {node: node.label or f"x{i}" for i, node in
                            enumerate(self.inputs, start=1)}
        self.output_name = output.label or _free_name(("y", "f", "out"),
                                                      set(self.input_names.values()))
        self.forward = self._forward_rows(order)
        self.adjoint, self.adjoints = self._adjoint_rows(order, float(seed))

    @property
    def value(self) -> float:
        return self.output.data

    @property
    def gradients(self) -> dict:
        """Input name → ∂output/∂input, as computed by this trace."""
        return {self.input_names[n]: self.adjoints.get(n, 0.0) for n in self.inputs}

    def _forward_rows(self, order):
        rows = []
        for node in order:
            name = self.names[node]
            if node in self.input_names:
                expr = self.input_names[node]
            else:
                operands = [_operand_text(p, self.names) for p in node.parents]
                expr = OPS[node.op].write(*operands)
            rows.append(ForwardRow(name, expr, node.data, node))
        rows.append(ForwardRow(self.output_name, self.names[self.output], self.output.data,
                               self.output))
        return rows

    def _adjoint_rows(self, order, seed):
        names = self.names
        adjoint = {self.output: seed}
        rows = [AdjointRow(bar(names[self.output]), bar(self.output_name), seed, self.output)]
        for node in reversed(order):
            if node in self.input_names:
                continue
            upstream = adjoint.get(node, 0.0)
            op = OPS[node.op]
            operands = [_operand_text(p, names) for p in node.parents]
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
                rows.append(AdjointRow(target, term, adjoint[parent], parent, node))
        for node in self.inputs:
            rows.append(AdjointRow(bar(self.input_names[node]), bar(names[node]),
                                   adjoint.get(node, 0.0), node))
        return rows, adjoint

    # ------------------------------------------------------------------ presentation
    def tables(self):
        """(title, rows) pairs as plain ``(left, expr, value)`` triples."""
        return [("Forward primal trace", [(r.name, r.expr, r.value) for r in self.forward]),
                ("Reverse adjoint trace", [(r.target, r.expr, r.value) for r in self.adjoint])]

    def __str__(self) -> str:
        lines = []
        for title, rows in self.tables():
            lines.append(title)
            left_w = max(_width(a) for a, _, _ in rows)
            expr_w = max(_width(b) for _, b, _ in rows)
            for left, expr, value in rows:
                lines.append(f"  {_pad(left, left_w)} = {_pad(expr, expr_w)} = "
                             f"{format_value(value)}")
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def __repr__(self) -> str:
        return f"<Trace of {self.output_name} = {format_value(self.value)}: " \
               f"{len(self.forward)} forward rows, {len(self.adjoint)} adjoint rows>"

    def to_markdown(self) -> str:
        parts = []
        for title, rows in self.tables():
            parts.append(f"**{title}**\n\n| | expression | value |\n|---|---|---:|")
            parts += [f"| {a} | {b} | {format_value(v)} |" for a, b, v in rows]
            parts.append("")
        return "\n".join(parts)

    def to_latex(self) -> str:
        parts = []
        for title, rows in self.tables():
            parts.append(f"% {title}\n\\begin{{array}}{{lll}}")
            for a, b, v in rows:
                parts.append(f"{_latex(a)} & = {_latex(b)} & = {format_value(v, latex=True)} \\\\")
            parts.append("\\end{array}")
        return "\n".join(parts) + "\n"

    def to_dict(self) -> dict:
        return {
            "output": {"name": self.output_name, "value": self.value},
            "inputs": [{"name": self.names[n], "label": self.input_names[n], "value": n.data}
                       for n in self.inputs],
            "forward": [{"name": r.name, "expr": r.expr, "value": r.value} for r in self.forward],
            "adjoint": [{"target": r.target, "expr": r.expr, "value": r.value}
                        for r in self.adjoint],
            "gradients": self.gradients,
        }

    def _repr_html_(self) -> str:
        parts = []
        for title, rows in self.tables():
            parts.append(f"<table><caption>{html.escape(title)}</caption>")
            parts += [f"<tr><td>{html.escape(a)}</td><td>=</td><td>{html.escape(b)}</td>"
                      f"<td>=</td><td style='text-align:right'>{format_value(v)}</td></tr>"
                      for a, b, v in rows]
            parts.append("</table>")
        return "<div style='display:flex;gap:2em'>" + "".join(parts) + "</div>"


def trace(y: Value, seed=1.0, mode: str = "reverse"):
    """The forward primal trace and reverse adjoint trace of ``y`` (slides' numbering).

    ``mode="forward"`` gives the forward tangent trace instead, with ``seed`` the inputs'
    tangents: ``trace(y, mode="forward", seed={x1: 1})`` (see ``forward.TangentTrace``).
    """
    if mode == "forward":
        from .forward import TangentTrace  # forward.py builds on this module
        return TangentTrace(y, seed)
    if mode != "reverse":
        raise ValueError(f"trace: mode must be 'reverse' or 'forward', got {mode!r}")
    return Trace(y, seed)


def format_value(x: float, latex: bool = False) -> str:
    """Three decimals as on the slides; scientific notation for very small or large values."""
    if x != x or x in (float("inf"), float("-inf")) or x == 0 or 1e-3 <= abs(x) < 1e9:
        text = f"{x:.3f}"
    else:
        text = f"{x:.3e}"
    return text if latex else text.replace("-", "−")


def _width(text: str) -> int:
    return sum(1 for c in text if not unicodedata.combining(c))


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


_LATEX_WORDS = {"ln": r"\ln", "sin": r"\sin", "cos": r"\cos", "tanh": r"\tanh",
                "exp": r"\exp", "max": r"\max", "min": r"\min"}


def _latex(text: str) -> str:
    """Slide notation to LaTeX: ``v̄-1 × cos v0`` → ``\\bar{v}_{-1} \\times \\cos v_{0}``."""
    text = re.sub(r"([A-Za-z])" + BAR + r"(-?\d*)",
                  lambda m: rf"\bar{{{m.group(1)}}}" + (f"_{{{m.group(2)}}}" if m.group(2) else ""),
                  text)
    text = re.sub(r"\bv(-?\d+)", r"v_{\1}", text)
    text = re.sub(r"\b(ln|sin|cos|tanh|exp|max|min)\b", lambda m: _LATEX_WORDS[m.group(1)], text)
    for plain, tex in (("×", r"\times"), ("−", "-"), ("σ", r"\sigma"), ("√", r"\sqrt"),
                       ("²", "^2"), ("≤", r"\le"), ("≥", r"\ge")):
        text = text.replace(plain, f" {tex} " if plain == "×" else tex)
    return re.sub(r" +", " ", text).strip()
