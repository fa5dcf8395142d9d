"""What the evaluation-trace tables share: the primal rows, the names, and how they print.

Baydin et al.'s tables, as the slides show them, always come in pairs: the forward primal
trace (``v-1 = x1``, ``v1 = ln v-1`` …) beside a second table — the reverse adjoint trace
(``trace.Trace``: v̄ from the output down) or the forward tangent trace
(``forward.TangentTrace``: v̇ from the inputs up). :class:`TraceTable` numbers the graph,
writes the primal rows, and prints any such pair as text, Markdown, LaTeX, HTML or a dict;
a subclass only says how its second table's rows are computed.
"""
from __future__ import annotations

import html
import math
import re
import unicodedata
from dataclasses import dataclass, fields

from .engine import Value
from .graph import number_nodes
from .ops import OPS, format_operand, to_tex

__all__ = ["TraceTable", "ForwardRow", "operand_text", "format_value", "bar", "dot", "latex"]

BAR = "\u0304"  # combining macron: v̄ is "v" + BAR (an adjoint)
DOT = "\u0307"  # combining dot above: v̇ is "v" + DOT (a tangent)


def bar(name: str) -> str:
    """The adjoint's name: ``v5`` → ``v̄5``, ``x1`` → ``x̄1``, ``y`` → ``ȳ``."""
    return name[:1] + BAR + name[1:] if name else name


def dot(name: str) -> str:
    """The tangent's name: ``v5`` → ``v̇5``, ``x1`` → ``ẋ1``, ``y`` → ``ẏ``."""
    return name[:1] + DOT + name[1:] if name else name


def operand_text(node: Value, names) -> str:
    """An operand inside another node's expression: its name (``v-1``), or, for a constant,
    the number — bracketed when negative, so ``v0 × (−1)`` never reads as ``v0 × −1``."""
    name = names.get(node)
    return name if name is not None else format_operand(node.data)


def format_value(x: float, latex: bool = False) -> str:
    """Three decimals as on the slides; scientific notation for very small or large values.

    A negative zero (−1 × 0, a relu's gradient times −1) is written 0.000: a slide has no −0.
    """
    if x == 0:
        x = 0.0
    text = f"{x:.3f}" if not math.isfinite(x) or x == 0 or 1e-3 <= abs(x) < 1e9 else f"{x:.3e}"
    return text if latex else text.replace("-", "−")


@dataclass(frozen=True)
class ForwardRow:
    """One line of the forward primal trace: ``name = expr = value``."""

    name: str
    expr: str
    value: float
    node: Value | None = None


class TraceTable:
    """The forward primal trace of the graph below ``output``, and a second table beside it.

    Subclasses set ``second_title`` and fill ``self.second`` with rows whose first three
    fields are (left side, expression, value).
    """

    second_title = ""

    def __init__(self, output: Value, who: str = "trace()"):
        if not isinstance(output, Value):
            raise TypeError(f"{who} needs a Value, got {type(output).__name__}")
        self.output = output
        self.numbering = number_nodes(output)
        self.names = self.numbering
        """``{node: "v-1", …}``: the slides' name of each numbered node."""
        self.inputs = self.numbering.inputs
        self.input_names = _input_names(self.inputs)
        taken = set(self.input_names.values())  # y, unless an input is called y
        self.output_name = output.label or next(
            (name for name in ("y", "f", "out") if name not in taken), "output")
        self.forward = self._forward_rows()
        self.second = []

    @property
    def value(self) -> float:
        return self.output.data

    def operands(self, node: Value) -> list:
        """The operands of ``node`` as its expression writes them (names or numbers)."""
        return [operand_text(p, self.names) for p in node.parents]

    def _forward_rows(self):
        rows = []
        for node in self.numbering.order:
            if node in self.input_names:
                expr = self.input_names[node]
            else:
                expr = OPS[node.op].write(*self.operands(node))
            rows.append(ForwardRow(self.names[node], expr, node.data, node))
        rows.append(ForwardRow(self.output_name, operand_text(self.output, self.names),
                               self.output.data, self.output))
        return rows

    # ------------------------------------------------------------------ presentation
    def tables(self):
        """(title, rows) pairs as plain ``(left, expr, value)`` triples."""
        return [(title, [_cells(r) for r in rows]) for title, rows in
                (("Forward primal trace", self.forward), (self.second_title, self.second))]

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

    def to_markdown(self) -> str:
        parts = []
        for title, rows in self.tables():
            parts.append(f"**{title}**\n\n| | expression | value |\n|---|---|---:|")
            parts += [f"| {a} | {b} | {format_value(v)} |" for a, b, v in rows]
            parts.append("")
        return "\n".join(parts)

    def to_latex(self) -> str:
        letter = self.numbering.letter
        parts = []
        for title, rows in (("Forward primal trace", self.forward),
                            (self.second_title, self.second)):
            parts.append(f"% {title}\n\\begin{{array}}{{lll}}")
            for row in rows:
                left, expr, value = _cells(row)
                parts.append(f"{latex(left, letter)} & = {self._latex_expr(row, expr)} & = "
                             f"{format_value(value, latex=True)} \\\\")
            parts.append("\\end{array}")
        return "\n".join(parts) + "\n"

    def _latex_expr(self, row, expr: str) -> str:
        """A primal row in the op row's own LaTeX (``\\ln v_{-1}``, ``\\frac{a}{b}``), any
        other expression rewritten from slide notation."""
        letter, node = self.numbering.letter, row.node
        if type(row) is ForwardRow and node.parents and self.names.get(node) == row.name:
            return OPS[node.op].write_latex(*(latex(o, letter) for o in self.operands(node)))
        return latex(expr, letter)

    def _repr_html_(self) -> str:
        parts = []
        for title, rows in self.tables():
            parts.append(f"<table><caption>{html.escape(title)}</caption>")
            parts += [f"<tr><td>{html.escape(a)}</td><td>=</td><td>{html.escape(b)}</td>"
                      f"<td>=</td><td style='text-align:right'>{format_value(v)}</td></tr>"
                      for a, b, v in rows]
            parts.append("</table>")
        return "<div style='display:flex;gap:2em'>" + "".join(parts) + "</div>"

    def to_dict(self, second_key: str, input_extra=None) -> dict:
        """JSON-ready: output, inputs (plus ``input_extra(node)``), both tables' rows."""
        return {
            "output": {"name": self.output_name, "value": self.value},
            "inputs": [{"name": self.names[n], "label": self.input_names[n], "value": n.data,
                        **(input_extra(n) if input_extra else {})} for n in self.inputs],
            "forward": [_row_dict(r) for r in self.forward],
            second_key: [_row_dict(r) for r in self.second],
        }


def _cells(row) -> tuple:
    return tuple(getattr(row, f.name) for f in fields(row)[:3])


def _row_dict(row) -> dict:
    return {f.name: getattr(row, f.name) for f in fields(row)[:3]}


def _input_names(inputs) -> dict:
    """Each input's label, or x1, x2, … by position for the unlabelled (skipping taken ones)."""
    taken = {node.label for node in inputs if node.label}
    names = {}
    for i, node in enumerate(inputs, start=1):
        name = node.label or f"x{i}"
        while name in taken and not node.label:
            name += "′"
        names[node] = name
        taken.add(name)
    return names


def _width(text: str) -> int:
    return sum(1 for c in text if not unicodedata.combining(c))


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


_ACCENTS = {BAR: "bar", DOT: "dot"}


def latex(text: str, letter: str = "v") -> str:
    """Slide notation to LaTeX: ``v̄-1 × cos v0`` → ``\\bar{v}_{-1} \\times \\cos v_{0}``."""
    text = re.sub(r"([A-Za-z])([" + BAR + DOT + r"])(-?\d*)",
                  lambda m: rf"\{_ACCENTS[m.group(2)]}{{{m.group(1)}}}"
                  + (f"_{{{m.group(3)}}}" if m.group(3) else ""), text)
    text = re.sub(rf"\b{letter}(-?\d+)", rf"{letter}_{{\1}}", text)
    return re.sub(r" +", " ", to_tex(text)).strip()
