"""The op table: every operation's float math, local derivatives and notation, declared once.

Each entry says three things about one operation, as the slides do:

* ``forward(*xs) -> (value, ∂value/∂x0, ∂value/∂x1, ...)`` on plain floats — the primal value
  and the local gradient with respect to each operand, in operand order;
* ``notation``: how the trace writes the node (``"ln {0}"`` → ``ln v-1``);
* ``local``: how the slides write each local derivative (``"cos {0}"``), and ``adjoint``,
  how an upstream gradient ``{g}`` times that local derivative is written (``"{g} / {0}"``);
* ``derivative(operands, out, call)``: the same local derivatives as *expressions* of the
  operands and the output, written with arithmetic and ``call(name, *args)`` (another op of
  this table, by name). Handed floats it gives the numbers ``forward`` gives; handed graph
  nodes (``higher.py``) it builds the derivatives as graphs of their own, which is what
  gradients of gradients (``grad(..., create_graph=True)``, ``hessian``) differentiate.

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
           "format_number", "format_operand"]

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
    quotient = a / b
    return quotient, 1.0 / b, -quotient / b   # −a/b², without b² underflowing to 0


def _neg(a):
    return -a, -1.0


def format_operand(x: float) -> str:
    """A number as an operand inside an expression: bracketed when negative, ``(−8) ** 0.5``."""
    text = format_number(x)
    return f"({text})" if text.startswith("−") else text


def _pow(x, p):
    """x ** p and its two local gradients p·x^(p−1) and x^p·ln x (PyTorch's values at x ≤ 0)."""
    if x < 0.0 and not float(p).is_integer():
        raise DomainError(f"**: a negative base to a non-integer power is not a real number "
                          f"({format_operand(x)} ** {format_number(p)})")
    if x == 0.0 and p < 0.0:
        raise DivisionByZero(f"**: 0 raised to a negative power ({format_number(p)}) "
                             f"divides by zero")
    try:
        out = float(x ** p)
    except OverflowError:
        raise OpOverflow(f"**: {format_operand(x)} ** {format_number(p)} overflows "
                         f"a float") from None
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


# ---------------------------------------------------------------- the derivatives as expressions
# Every function takes (operands, out, call) and returns the local derivatives in operand
# order, built only from arithmetic on the operands / out and call("op name", *args), so it
# works the same on floats and on graph nodes. Branches look at the numbers (float(x)), as
# the float math above does; where a derivative is piecewise constant it is a plain number.

def _d_add(xs, out, call):
    return 1.0, 1.0


def _d_sub(xs, out, call):
    return 1.0, -1.0


def _d_mul(xs, out, call):
    a, b = xs
    return b, a


def _d_div(xs, out, call):
    b = xs[1]
    return 1.0 / b, -out / b   # −a/b² as −(a/b)/b, as the float math does


def _d_neg(xs, out, call):
    return (-1.0,)


def _d_pow(xs, out, call):
    """p·x^(p−1) and x^p·ln x, with the float math's values at x ≤ 0.

    p·x^(p−1) stays an expression at p = 0 (its value is 0 there, its slope in p is not).
    """
    x, p = xs
    if float(x) == 0.0 and float(p) < 1.0:  # 0^(negative): slope 0 at p = 0, else infinite
        d_base = 0.0 if float(p) == 0.0 else math.copysign(INF, float(p))
    else:
        d_base = p * x ** (p - 1.0)
    if float(x) > 0.0:
        d_exponent = out * call("ln", x)
    elif float(x) == 0.0 and float(p) >= 0.0:
        d_exponent = 0.0
    else:
        d_exponent = NAN
    return d_base, d_exponent


def _d_exp(xs, out, call):
    return (out,)


def _d_log(xs, out, call):
    return (1.0 / xs[0],)


def _d_sin(xs, out, call):
    return (call("cos", xs[0]),)


def _d_cos(xs, out, call):
    return (-call("sin", xs[0]),)


def _d_tanh(xs, out, call):
    return (1.0 - out * out,)


def _d_sigmoid(xs, out, call):
    return (out * (1.0 - out),)


def _d_relu(xs, out, call):
    return (1.0 if float(xs[0]) > 0.0 else 0.0,)


def _d_leaky_relu(xs, out, call):
    a, alpha = xs
    return (1.0, 0.0) if float(a) > 0.0 else (alpha, a)


def _d_softplus(xs, out, call):
    return (call("sigmoid", xs[0]),)


def _d_sqrt(xs, out, call):
    return (0.5 / out if float(out) > 0.0 else INF,)


def _d_abs(xs, out, call):
    a = float(xs[0])
    return (1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0,)


def _d_max(xs, out, call):
    a, b = float(xs[0]), float(xs[1])
    return (1.0, 0.0) if a > b else (0.0, 1.0) if a < b else (0.5, 0.5)


def _d_min(xs, out, call):
    a, b = float(xs[0]), float(xs[1])
    return (1.0, 0.0) if a < b else (0.0, 1.0) if a > b else (0.5, 0.5)


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
    ``derivative(operands, out, call)`` builds the local derivatives from operand objects with
    arithmetic and ``call(name, *args)`` only, so they can be differentiated again.
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
    derivative: Callable | None = None
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
    Op("+", "+", _add, "{0} + {1}", ("1", "1"), domain=(_ANY, _ANY), doc="addition",
       derivative=_d_add),
    Op("−", "−", _sub, "{0} − {1}", ("1", "−1"), domain=(_ANY, _ANY), doc="subtraction",
       derivative=_d_sub),
    Op("×", "×", _mul, "{0} × {1}", ("{1}", "{0}"), domain=(_ANY, _ANY), doc="multiplication",
       derivative=_d_mul),
    Op("/", "/", _div, "{0} / {1}", ("1 / {1}", "−{0} / {1}²"),
       adjoint=("{g} / {1}", "{g} × (−{0} / {1}²)"), domain=(_ANY, (0.5, 4.0)), doc="division",
       derivative=_d_div),
    Op("neg", "−", _neg, "−{0}", ("−1",), domain=(_ANY,), doc="negation", derivative=_d_neg),
    Op("**", "**", _pow, "{0}^{1}", ("{1} × {0}^({1} − 1)", "{out} × ln {0}"),
       domain=(_POSITIVE, (-2.5, 2.5)), doc="power (number or Value exponent)", derivative=_d_pow),
    Op("exp", "exp", _exp, "exp {0}", ("{out}",), call_names=("exp",), domain=(_ANY,),
       doc="exponential", derivative=_d_exp),
    Op("ln", "ln", _log, "ln {0}", ("1 / {0}",), adjoint=("{g} / {0}",),
       call_names=("ln", "log"), domain=(_POSITIVE,), doc="natural logarithm", derivative=_d_log),
    Op("sin", "sin", _sin, "sin {0}", ("cos {0}",), call_names=("sin",), domain=(_ANY,),
       doc="sine", derivative=_d_sin),
    Op("cos", "cos", _cos, "cos {0}", ("−sin {0}",), call_names=("cos",), domain=(_ANY,),
       doc="cosine", derivative=_d_cos),
    Op("tanh", "tanh", _tanh, "tanh {0}", ("1 − {out}²",), call_names=("tanh",),
       domain=(_ANY,), doc="hyperbolic tangent", derivative=_d_tanh),
    Op("sigmoid", "σ", _sigmoid, "σ({0})", ("{out} × (1 − {out})",), call_names=("sigmoid",),
       domain=(_ANY,), doc="logistic sigmoid 1 / (1 + e^−x)", derivative=_d_sigmoid),
    Op("relu", "ReLU", _relu, "relu {0}", ("1[{0} > 0]",), call_names=("relu",),
       domain=(_ANY,), kink=_kink_at_zero, doc="max(0, x)", derivative=_d_relu),
    Op("leaky_relu", "LReLU", _leaky_relu, "leaky_relu({0}, {1})",
       ("1[{0} > 0] + {1} × 1[{0} ≤ 0]", "{0} × 1[{0} ≤ 0]"), call_names=("leaky_relu",),
       domain=(_ANY, (0.0, 0.5)), kink=_kink_at_zero, doc="max(x, αx)", derivative=_d_leaky_relu),
    Op("softplus", "softplus", _softplus, "softplus {0}", ("σ({0})",),
       call_names=("softplus",), domain=(_ANY,), doc="ln(1 + e^x)", derivative=_d_softplus),
    Op("sqrt", "√", _sqrt, "√{0}", ("1 / (2 × {out})",), call_names=("sqrt",),
       domain=(_POSITIVE,), doc="square root", derivative=_d_sqrt),
    Op("abs", "abs", _abs, "|{0}|", ("sign {0}",), call_names=("abs",), domain=(_ANY,),
       kink=_kink_at_zero, doc="absolute value", derivative=_d_abs),
    Op("max", "max", _max, "max({0}, {1})", ("1[{0} > {1}]", "1[{1} > {0}]"),
       call_names=("max",), domain=(_ANY, _ANY), kink=_kink_at_equal,
       doc="larger of two: the gradient router", derivative=_d_max),
    Op("min", "min", _min, "min({0}, {1})", ("1[{0} < {1}]", "1[{1} < {0}]"),
       call_names=("min",), domain=(_ANY, _ANY), kink=_kink_at_equal, doc="smaller of two",
       derivative=_d_min),
]

OPS: dict[str, Op] = {op.name: op for op in _TABLE}
"""Every op by name; the name is what ``Value.op`` holds."""

CALLS: dict[str, Op] = {name: op for op in _TABLE for name in op.call_names}
"""Function names an expression may call (``ln`` and ``log`` are both the natural log)."""
