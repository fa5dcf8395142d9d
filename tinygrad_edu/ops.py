"""The op table: every operation's float math, local derivatives and notation, declared once.

Each entry says three things about one operation, as the slides do:

* ``forward(*xs) -> (value, ∂value/∂x0, ∂value/∂x1, ...)`` on plain floats — the primal value
  and the local gradient with respect to each operand, in operand order;
* ``notation``: how the trace writes the node (``"ln {0}"`` → ``ln v-1``);
* ``local``: how the slides write each local derivative (``"cos {0}"``), and ``adjoint``,
  how an upstream gradient ``{g}`` times that local derivative is written (``"{g} / {0}"``).

The engine builds its operators from this table, the trace and the pictures read their
notation from it, the command line's whitelist is its ``call_names``, and the property tests
iterate over it. This module knows nothing about ``Value``: only floats and strings.

Subgradients follow PyTorch: relu'(0) = 0, abs'(0) = 0, max(a, a) sends ½ to each side.
Where the forward value is undefined the op raises an :class:`OpError` naming itself and the
operand; where only the derivative is undefined (sqrt at 0) it returns what PyTorch returns.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Op", "OPS", "OpError", "DomainError", "DivisionByZero", "OpOverflow", "CALLS",
           "format_number"]

INF = math.inf
NAN = math.nan


class OpError(ArithmeticError):
    """An operation whose forward value does not exist for the given operand(s)."""


class DomainError(OpError, ValueError):
    """Operand outside the op's domain: ln of 0, sqrt of −1, (−8) ** (1/3)."""


class DivisionByZero(OpError, ZeroDivisionError):
    """Division by zero, including 0 raised to a negative power."""


class OpOverflow(OpError, OverflowError):
    """The forward value is too large for a float (exp(1000), 1e200 ** 2)."""


def format_number(x: float) -> str:
    """A float the way a slide prints it: 3 not 3.0, 0.5, −1 with a true minus sign."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        text = str(int(x))
    else:
        text = f"{x:.6g}"
    return text.replace("-", "−")


# ---------------------------------------------------------------- the float math, one op each
# Every function returns (value, d value / d operand0, [d value / d operand1]).

def _add(a, b):
    return a + b, 1.0, 1.0


def _sub(a, b):
    return a - b, 1.0, -1.0


def _mul(a, b):
    return a * b, b, a


def _div(a, b):
    if b == 0.0:
        raise DivisionByZero(f"/: division by zero ({format_number(a)} / 0)")
    return a / b, 1.0 / b, -a / (b * b)


def _neg(a):
    return -a, -1.0


def _pow(x, p):
    """x ** p and its two local gradients p·x^(p−1) and x^p·ln x (PyTorch's values at x ≤ 0)."""
    if x < 0.0 and not float(p).is_integer():
        raise DomainError(f"**: a negative base to a non-integer power is not a real number "
                          f"({format_number(x)} ** {format_number(p)})")
    if x == 0.0 and p < 0.0:
        raise DivisionByZero(f"**: 0 raised to a negative power ({format_number(p)}) "
                             f"divides by zero")
    try:
        out = float(x ** p)
    except OverflowError:
        raise OpOverflow(f"**: {format_number(x)} ** {format_number(p)} overflows a float") from None
    if p == 0.0:
        d_base = 0.0
    else:
        try:
            d_base = p * x ** (p - 1.0)
        except ZeroDivisionError:          # 0 ** (negative) when 0 < p < 1: slope is infinite
            d_base = math.copysign(INF, p)
        except OverflowError:
            d_base = math.copysign(INF, p)
    if x > 0.0:
        d_exponent = out * math.log(x)
    elif x == 0.0:
        d_exponent = 0.0 if p >= 0.0 else NAN
    else:
        d_exponent = NAN                    # ln of a negative base: PyTorch gives nan
    return out, d_base, d_exponent


def _exp(a):
    try:
        out = math.exp(a)
    except OverflowError:
        raise OpOverflow(f"exp: exp({format_number(a)}) overflows a float "
                         f"(largest is exp(709.78))") from None
    return out, out


def _log(a):
    if not a > 0.0:
        raise DomainError(f"ln: the natural log needs a positive number, got {format_number(a)}")
    return math.log(a), 1.0 / a


def _finite_only(name, a):
    if math.isinf(a):
        raise DomainError(f"{name}: {name}({format_number(a)}) is undefined")


def _sin(a):
    _finite_only("sin", a)
    return math.sin(a), math.cos(a)


def _cos(a):
    _finite_only("cos", a)
    return math.cos(a), -math.sin(a)


def _tanh(a):
    t = math.tanh(a)
    return t, 1.0 - t * t


def _sigmoid(a):
    """σ(a) in the form that never overflows: e^a / (1 + e^a) for negative a."""
    if a >= 0.0:
        s = 1.0 / (1.0 + math.exp(-a))
    else:
        e = math.exp(a)
        s = e / (1.0 + e)
    return s, s * (1.0 - s)


def _relu(a):
    return (a, 1.0) if a > 0.0 else (0.0, 0.0)


def _leaky_relu(a, alpha):
    """max(a, α·a) for 0 ≤ α ≤ 1; the slope α is an operand, so it can also be learned."""
    if a > 0.0:
        return a, 1.0, 0.0
    return alpha * a, alpha, a


def _softplus(a):
    """ln(1 + e^a) as max(a, 0) + ln(1 + e^−|a|): no overflow for large a."""
    out = max(a, 0.0) + math.log1p(math.exp(-abs(a)))
    return out, _sigmoid(a)[0]


def _sqrt(a):
    if a < 0.0:
        raise DomainError(f"sqrt: the square root needs a non-negative number, "
                          f"got {format_number(a)}")
    r = math.sqrt(a)
    return r, (0.5 / r if r > 0.0 else INF)


def _abs(a):
    if a > 0.0:
        return a, 1.0
    if a < 0.0:
        return -a, -1.0
    return 0.0, 0.0


def _max(a, b):
    if a > b:
        return a, 1.0, 0.0
    if a < b:
        return b, 0.0, 1.0
    return a, 0.5, 0.5


def _min(a, b):
    if a < b:
        return a, 1.0, 0.0
    if a > b:
        return b, 0.0, 1.0
    return a, 0.5, 0.5


# ---------------------------------------------------------------- the table

def _kink_at_zero(a, *rest):
    return abs(a)


def _kink_at_equal(a, b):
    return abs(a - b)


@dataclass(frozen=True)
class Op:
    """One row of the op table.

    ``notation`` writes the node from its operands' names ({0}, {1}); ``local`` writes each
    local derivative ∂node/∂operand (``{out}`` is the node itself); ``adjoint`` writes the
    contribution upstream × local ({g} is the upstream adjoint v̄). ``domain`` is an interval
    per operand where the op is defined and smooth enough to check against finite differences,
    and ``kink`` (if any) gives the distance of a point from the op's non-differentiable set.
    """

    name: str
    symbol: str
    forward: Callable
    notation: str
    local: tuple
    adjoint: tuple = ()
    call_names: tuple = ()
    domain: tuple = ()
    kink: Callable | None = None
    doc: str = ""
    arity: int = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "arity", len(self.local))
        if not self.adjoint:
            object.__setattr__(self, "adjoint", tuple(_upstream_times(d) for d in self.local))

    def write(self, *names: str) -> str:
        """The node in slide notation, e.g. ``Op.write("v4", "v3") == "v4 − v3"``."""
        return self.notation.format(*names)

    def write_local(self, i: int, names, out: str) -> str:
        """The local derivative ∂node/∂operand_i in slide notation, e.g. ``cos v0``."""
        return self.local[i].format(*names, out=out)

    def write_adjoint(self, i: int, upstream: str, names, out: str) -> str:
        """Upstream × local as the slides write it, e.g. ``v̄3 × cos v0`` or ``v̄1 / v-1``."""
        return self.adjoint[i].format(*names, g=upstream, out=out)


def _upstream_times(local: str) -> str:
    needs_parens = local.startswith("−") or any(s in local for s in (" + ", " − ", " × ", " / "))
    return "{g} × " + (f"({local})" if needs_parens else local)


_ANY = (-4.0, 4.0)
_POSITIVE = (0.05, 6.0)

_TABLE = [
    Op("+", "+", _add, "{0} + {1}", ("1", "1"), domain=(_ANY, _ANY), doc="addition"),
    Op("−", "−", _sub, "{0} − {1}", ("1", "−1"), domain=(_ANY, _ANY), doc="subtraction"),
    Op("×", "×", _mul, "{0} × {1}", ("{1}", "{0}"), domain=(_ANY, _ANY), doc="multiplication"),
    Op("/", "/", _div, "{0} / {1}", ("1 / {1}", "−{0} / {1}²"),
       adjoint=("{g} / {1}", "{g} × (−{0} / {1}²)"), domain=(_ANY, (0.5, 4.0)), doc="division"),
    Op("neg", "−", _neg, "−{0}", ("−1",), domain=(_ANY,), doc="negation"),
    Op("**", "**", _pow, "{0}^{1}", ("{1} × {0}^({1} − 1)", "{out} × ln {0}"),
       domain=(_POSITIVE, (-2.5, 2.5)), doc="power (number or Value exponent)"),
    Op("exp", "exp", _exp, "exp {0}", ("{out}",), call_names=("exp",), domain=(_ANY,),
       doc="exponential"),
    Op("ln", "ln", _log, "ln {0}", ("1 / {0}",), adjoint=("{g} / {0}",),
       call_names=("ln", "log"), domain=(_POSITIVE,), doc="natural logarithm"),
    Op("sin", "sin", _sin, "sin {0}", ("cos {0}",), call_names=("sin",), domain=(_ANY,),
       doc="sine"),
    Op("cos", "cos", _cos, "cos {0}", ("−sin {0}",), call_names=("cos",), domain=(_ANY,),
       doc="cosine"),
    Op("tanh", "tanh", _tanh, "tanh {0}", ("1 − {out}²",), call_names=("tanh",),
       domain=(_ANY,), doc="hyperbolic tangent"),
    Op("sigmoid", "σ", _sigmoid, "σ({0})", ("{out} × (1 − {out})",), call_names=("sigmoid",),
       domain=(_ANY,), doc="logistic sigmoid 1 / (1 + e^−x)"),
    Op("relu", "ReLU", _relu, "relu {0}", ("1[{0} > 0]",), call_names=("relu",),
       domain=(_ANY,), kink=_kink_at_zero, doc="max(0, x)"),
    Op("leaky_relu", "LReLU", _leaky_relu, "leaky_relu({0}, {1})",
       ("1[{0} > 0] + {1} × 1[{0} ≤ 0]", "{0} × 1[{0} ≤ 0]"), call_names=("leaky_relu",),
       domain=(_ANY, (0.0, 0.5)), kink=_kink_at_zero, doc="max(x, αx)"),
    Op("softplus", "softplus", _softplus, "softplus {0}", ("σ({0})",),
       call_names=("softplus",), domain=(_ANY,), doc="ln(1 + e^x)"),
    Op("sqrt", "√", _sqrt, "√{0}", ("1 / (2 × {out})",), call_names=("sqrt",),
       domain=(_POSITIVE,), doc="square root"),
    Op("abs", "abs", _abs, "|{0}|", ("sign {0}",), call_names=("abs",), domain=(_ANY,),
       kink=_kink_at_zero, doc="absolute value"),
    Op("max", "max", _max, "max({0}, {1})", ("1[{0} > {1}]", "1[{1} > {0}]"),
       call_names=("max",), domain=(_ANY, _ANY), kink=_kink_at_equal,
       doc="larger of two: the gradient router"),
    Op("min", "min", _min, "min({0}, {1})", ("1[{0} < {1}]", "1[{1} < {0}]"),
       call_names=("min",), domain=(_ANY, _ANY), kink=_kink_at_equal, doc="smaller of two"),
]

OPS: dict[str, Op] = {op.name: op for op in _TABLE}
"""Every op by name; the name is what ``Value.op`` holds."""

CALLS: dict[str, Op] = {name: op for op in _TABLE for name in op.call_names}
"""Function names an expression may call (``ln`` and ``log`` are both the natural log)."""
