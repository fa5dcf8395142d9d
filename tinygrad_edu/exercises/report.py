"""What a checker found, told the way a learner reads it: :class:`Report` and :class:`Failure`,
and the few helpers every checker shares (number formatting, blanks, the classic sign
mistakes).
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

RTOL = 1e-9
"""Relative tolerance of every comparison with the reference engine."""


@dataclass
class Failure:
    """One thing that disagreed with the reference, told the way a learner reads it."""

    case: str                       # which run: "the slide expression", "random case 17"
    expression: str = ""            # the expression, shared parts named (q1 = a × b; …)
    inputs: str = ""                # "a = 1.5, b = −0.25"
    quantity: str = ""              # "value", "∂y/∂a", "row 6: v̄0 = v̄3 × cos v0"
    expected: float | None = None
    got: object = None
    smallest: Failure | None = None  # the smallest failing sub-expression, if smaller
    hint: str = ""

    def lines(self, indent: str = "  ") -> list:
        out = []
        if self.expression:
            out.append(f"{indent}expression: {self.expression}")
        if self.inputs:
            out.append(f"{indent}inputs:     {self.inputs}")
        if self.quantity:
            if self.expected is None:
                out.append(f"{indent}{self.quantity}: {self.got}")
            else:
                out.append(f"{indent}{self.quantity}: expected {number_text(self.expected)}, "
                           f"got {show(self.got)}")
        if self.smallest is not None:
            out.append(f"{indent}smallest failing sub-expression (each of its parts passes):")
            out += self.smallest.lines(indent + "  ")
        if self.hint:
            out.append(f"{indent}hint: {self.hint}")
        return out


@dataclass
class Report:
    """What a checker found. Truthy only when every check passed.

    ``failures`` lists what disagreed (the first is shown in full), ``warnings`` what passed
    but will bite later, ``checked`` how many cases or points or rows were compared, and
    ``blank`` (non-empty) says the exercise is not done yet.
    """

    title: str
    failures: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    checked: int = 0
    blank: str = ""
    summary: str = ""
    unit: str = "checks"

    def __bool__(self) -> bool:
        return not self.failures and not self.blank and self.checked > 0

    @property
    def done(self) -> bool:
        """False while the exercise is still blank."""
        return not self.blank

    def __str__(self) -> str:
        if self.blank:
            return f"not done yet: {self.blank}"
        if not self.failures:
            lines = [f"✓ {self.title}: {self.summary or f'all {self.checked} checks passed'}"]
        else:
            n = len(self.failures)
            first = self.failures[0]
            lines = [f"✗ {self.title}: {n} of {self.checked} {self.unit} failed"
                     + (f" ({self.summary})" if self.summary else ""),
                     f"first failure: {first.case}"]
            lines += first.lines()
            if n > 1:
                lines.append(f"(and {n - 1} more: "
                             + ", ".join(f.case for f in self.failures[1:4])
                             + (", …)" if n > 4 else ")"))
        lines += [f"⚠ {w}" for w in self.warnings]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        color = "#999" if self.blank else "#c33" if self.failures else \
            "#d90" if self.warnings else "#393"
        return (f"<div style='border-left:4px solid {color};padding:2px 8px'>"
                f"<pre style='margin:0;white-space:pre-wrap'>{html.escape(str(self))}</pre></div>")


def number_text(x) -> str:
    """A number with 10 significant digits and a true minus sign, as the reports print it."""
    return f"{x:.10g}".replace("-", "−")


def show(x) -> str:
    """A number as :func:`number_text`, anything else as its repr (what a learner gave)."""
    return number_text(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else repr(x)


def is_blank(x) -> bool:
    """An answer not written yet: ``...`` or ``None`` (what a function with no body returns)."""
    return x is Ellipsis or x is None


def same_number(a: float, b: float) -> bool:
    """Equal to 6 digits: good enough to recognise a symptom (a flipped sign, a factor of 2)."""
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)


SIGN_MISTAKES = {   # op kind → the classic sign mistake in its local derivative
    "−": "∂(a − b)/∂b is −1, not +1",
    "/": "∂(a / b)/∂b is −a/b² (upstream × −a/b²), not +a/b²",
    "sin": "d sin x/dx is cos x, not −cos x",
    "cos": "d cos x/dx is −sin x, not sin x",
    "neg": "d(−a)/da is −1",
    "** n": "d(xⁿ)/dx is n·xⁿ⁻¹",
    "** v": "∂(a^b)/∂b is a^b·ln a",
}
