"""The op table: every operation's float math, local derivatives and notation, declared once.

A row (:class:`Op`) says about one operation what the slides say: its value, the local
gradient with respect to each operand, and how the slides write both (``ln {0}``, ``1 / {0}``,
``{g} / {0}``). Everything that reads the table (see :func:`register`) reads it from here;
this module knows floats and strings, not ``Value``.

At the edges the numbers are PyTorch's: relu'(0) = abs'(0) = 0, max(a, a) sends ½ to each
side, relu, abs, max and min keep NaN, and where only the derivative is undefined (√x at 0)
it is inf or nan. Where the value itself is undefined (ln 0, 1/0) or finite operands overflow
(1e200 × 1e200), an op raises an :class:`OpError` (the subclasses say which), except inside
:func:`ieee_arithmetic`; operands that are already inf or nan propagate, as in IEEE arithmetic.
"""
from __future__ import annotations

import inspect
import math
import re
import string
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

from .checks import shown

__all__ = ["Op", "OPS", "OpError", "DomainError", "DivisionByZero", "OpOverflow", "CALLS",
           "register", "on_register", "format_number", "format_operand", "ieee_arithmetic",
           "to_tex"]

INF = math.inf
NAN = math.nan


# ---------------------------------------------------------------- errors
class OpError(ArithmeticError):
    """An operation whose forward value does not exist for the given operand(s).

    Fields, so that nobody parses a message: ``op`` (the op's name, ``"ln"``), ``reason``
    (what is wrong, in words), ``operands`` (floats from the op table, the operand ``Value``s
    when the engine raises it) and ``where`` (optional context, such as which node of a tape
    replay). ``message`` is ``"op: reason"``; ``str()`` adds the operands and the context.
    """

    def __init__(self, op: str, reason: str, operands=(), where: str = ""):
        super().__init__(op, reason)
        self.op = op
        self.reason = reason
        self.operands = tuple(operands)
        self.where = where

    @property
    def message(self) -> str:
        return f"{self.op}: {self.reason}"

    def again(self, operands=None, where=None) -> "OpError":
        """The same error (same class, op and reason) with other operands or context."""
        return type(self)(self.op, self.reason,
                          self.operands if operands is None else operands,
                          self.where if where is None else where)

    def __str__(self) -> str:
        text = self.message
        if self.operands:
            text += f" [operands: {', '.join(repr(x) for x in self.operands)}]"
        if self.where:
            text += f" [{self.where}]"
        return text

    def __reduce__(self):
        return type(self), (self.op, self.reason, self.operands, self.where)


class DomainError(OpError, ValueError):
    """Operand outside the op's domain: ln of −1, sqrt of −1, (−8) ** (1/3)."""


class DivisionByZero(OpError, ZeroDivisionError):
    """Division by zero, including 0 raised to a negative power."""


class OpOverflow(OpError, OverflowError):
    """Finite operands whose value is too large for a float (exp(1000), 1e200 × 1e200)."""


def format_number(x: float) -> str:
    """A float the way a slide prints it: 3 not 3.0, 0.5, −1 with a true minus sign."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        text = str(int(x))
    else:
        text = f"{x:.6g}"
    return text.replace("-", "−")


def format_operand(x: float) -> str:
    """A number as an operand inside an expression: bracketed when negative, ``(−8) ** 0.5``."""
    text = format_number(x)
    return f"({text})" if text.startswith("−") else text


# ---------------------------------------------------------------- IEEE mode for derivative graphs
class _Mode(threading.local):
    ieee = False  # each thread starts strict: undefined values raise


_mode = _Mode()


@contextmanager
def ieee_arithmetic():
    """Inside this block every op gives IEEE's inf or nan where it would raise (1/0 = inf,
    ln 0 = −inf, 1e200 × 1e200 = inf), as PyTorch does. ``grad(..., create_graph=True)``
    builds its derivative graphs in it: d√x/dx = 1/(2√x) is +inf at 0 there, and its own
    derivative −inf, never an error. Per thread, nests, and restores what it found."""
    before = _mode.ieee
    _mode.ieee = True
    try:
        yield
    finally:
        _mode.ieee = before


def _undefined(error, op, reason, operands, ieee_result):
    """Raise ``error`` — or, inside :func:`ieee_arithmetic`, return IEEE's result instead."""
    if _mode.ieee:
        return ieee_result
    raise error(op, reason, operands)


def _overflowed(op, result, *xs):
    """``result`` is ±inf or nan: an OpOverflow if every operand was finite (else it only
    carried an inf or nan along, as IEEE arithmetic does); the result itself otherwise."""
    if all(x - x == 0.0 for x in xs) and not _mode.ieee:
        shown = OPS[op].write(*map(format_operand, xs)) if op in OPS else op
        raise OpOverflow(op, f"{shown} overflows a float (|x| > 1.8e308)", xs)
    return result


# ---------------------------------------------------------------- the float math, one op each
# Every function returns (value, d value / d operand0[, d value / d operand1]).
# `if out - out:` is true exactly when out is ±inf or nan: one subtraction. +, − and × repeat
# that check inline on purpose, for speed: they are most of a network's ops, and a shared
# helper would add a call, about 40 ns to a node of about 320 (measured: 318 → 358 ns for
# `x + y`), more than the engine's 5 % budget. They also run on whole numpy arrays (the tape),
# where the truth of an array is a ValueError and numpy's errstate reports overflow: the try.

def _add(a, b):
    out = a + b
    try:
        if out - out:
            _overflowed("+", out, a, b)
    except ValueError:
        pass
    return out, 1.0, 1.0


def _sub(a, b):
    out = a - b
    try:
        if out - out:
            _overflowed("−", out, a, b)
    except ValueError:
        pass
    return out, 1.0, -1.0


def _mul(a, b):
    out = a * b
    try:
        if out - out:
            _overflowed("×", out, a, b)
    except ValueError:
        pass
    return out, b, a


def _div(a, b):
    if b == 0.0:
        slope = math.copysign(INF, b)                # IEEE: 1/±0 = ±inf, 0/0 = nan
        quotient = a * slope if a != 0.0 else NAN
        return _undefined(DivisionByZero, "/", f"division by zero ({format_number(a)} / 0)",
                          (a, b), (quotient, slope, -quotient * slope))
    quotient = a / b
    if quotient - quotient:
        _overflowed("/", quotient, a, b)
    return quotient, 1.0 / b, -quotient / b   # −a/b², without b² underflowing to 0


def _neg(a):
    return -a, -1.0


def _pow(x, p):
    """x ** p and its two local gradients p·x^(p−1) and x^p·ln x (PyTorch's values at x ≤ 0)."""
    if -INF < x < 0.0 and math.isfinite(p) and not float(p).is_integer():
        return _undefined(DomainError, "**", f"a negative base to a non-integer power is not "
                          f"a real number ({format_operand(x)} ** {format_number(p)})", (x, p),
                          (NAN, NAN, NAN))
    if x == 0.0 and p < 0.0:
        return _undefined(DivisionByZero, "**", f"0 raised to a negative power "
                          f"({format_number(p)}) divides by zero", (x, p),
                          (INF, -INF, NAN))
    try:
        out = float(x ** p)
    except OverflowError:
        out = _overflowed("**", INF if x > 0.0 or float(p) % 2.0 == 0.0 else -INF, x, p)
    if p == 0.0:
        d_base = 0.0
    else:
        try:
            d_base = p * x ** (p - 1.0)
        except (ZeroDivisionError, OverflowError):  # 0 ** (negative) when 0 < p < 1: infinite
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
        out = _overflowed("exp", INF, a)
    return out, out


def _log(a):
    if a <= 0.0:
        return _undefined(DomainError, "ln", f"the natural log needs a positive number, "
                          f"got {format_number(a)}", (a,),
                          (-INF if a == 0.0 else NAN, 1.0 / a if a else INF))
    return math.log(a), 1.0 / a


def _periodic(name, fn, slope, a):
    if math.isinf(a):
        return _undefined(DomainError, name, f"{name}({format_number(a)}) is undefined", (a,),
                          (NAN, NAN))
    return fn(a), slope(a)


def _sin(a):
    return _periodic("sin", math.sin, math.cos, a)


def _cos(a):
    return _periodic("cos", math.cos, lambda a: -math.sin(a), a)


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
    return (0.0, 0.0) if a <= 0.0 else (a, 1.0)      # nan stays nan, slope 1 as in PyTorch


def _leaky_relu(a, alpha):
    """max(a, α·a) for 0 ≤ α ≤ 1; the slope α is an operand, so it can also be learned."""
    if a > 0.0:
        return a, 1.0, 0.0
    out = alpha * a
    if out - out:
        out = _overflowed("leaky_relu", out, a, alpha)
    return out, alpha, a


def _softplus(a):
    """ln(1 + e^a) as max(a, 0) + ln(1 + e^−|a|): no overflow for large a."""
    out = max(a, 0.0) + math.log1p(math.exp(-abs(a)))
    return out, _sigmoid(a)[0]


def _sqrt(a):
    if a < 0.0:
        return _undefined(DomainError, "sqrt", f"the square root needs a non-negative "
                          f"number, got {format_number(a)}", (a,), (NAN, NAN))
    r = math.sqrt(a)
    return r, (0.5 / r if r > 0.0 else INF if r == 0.0 else r)


def _sign(a):
    """abs'(a): 1, −1, or 0 at 0 and at nan, as PyTorch gives it."""
    return 1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0


def _abs(a):
    return abs(a), _sign(a)


def _router(a, b):
    """max's local gradients: the larger side gets 1, a tie ½ each, a nan 1 each (PyTorch)."""
    if a > b:
        return 1.0, 0.0
    if a < b:
        return 0.0, 1.0
    return (0.5, 0.5) if a == b else (1.0, 1.0)


def _max(a, b):
    return (a if a >= b else b if a < b else a + b), *_router(a, b)   # a + b: a nan, as PyTorch


def _min(a, b):
    return (a if a <= b else b if a > b else a + b), *_router(b, a)


def _d_pow(xs, out, call):
    """p·x^(p−1) and x^p·ln x, with PyTorch's values (and their derivatives) at x ≤ 0.

    p·x^(p−1) stays an expression at p = 0 for a finite x ≠ 0 (its value is 0 there, its slope
    in p, 1/x, is not); at any other x PyTorch masks it to a plain 0, and so does this. x^p·ln x
    is a plain 0 at x = 0, p ≥ 0 (masked likewise), and nan for a negative base, with nan
    derivatives.
    """
    x, p = xs
    at_zero = float(x) == 0.0
    masked = float(p) == 0.0 and not (math.isfinite(float(x)) and not at_zero)
    d_base = 0.0 if masked else p * x ** (p - 1.0)
    d_exponent = 0.0 if at_zero and float(p) >= 0.0 else out * call("ln", x)
    return d_base, d_exponent


def _kink_at_zero(a, *rest):
    return abs(a)


def _kink_at_equal(a, b):
    return abs(a - b)


# ---------------------------------------------------------------- the row
@dataclass(frozen=True)
class Op:
    """One row of the op table.

    ``forward(*xs)`` gives ``(value, ∂value/∂x0[, ∂value/∂x1])`` on plain floats. ``notation``
    writes the node from its operands' names ({0}, {1}); ``latex`` is the same in LaTeX
    (derived from ``notation`` unless given); ``local`` writes each local derivative
    ∂node/∂operand (``{out}`` is the node itself); ``adjoint`` writes upstream × local ({g} is
    the upstream adjoint v̄). ``domain`` is an interval per operand where the op is defined and
    smooth enough to check against finite differences, and ``kink`` (if any) gives the
    distance of a point from the op's non-differentiable set. ``derivative(operands, out,
    call)`` builds the local derivatives with arithmetic and ``call(name, *args)`` only, so
    that they can be differentiated again (handed floats, they give ``forward``'s numbers); a
    plain number only where the derivative is piecewise constant (relu's 0 or 1), so that d/dx
    of 1/(2√x) at 0 is −inf, not 0.

    How ``Value`` offers it: ``method`` is the method's name (``x.tanh()``; None for an op
    that is only an operator), ``operator`` the Python operator's special-method stem
    (``"add"`` → ``x + y`` and ``2 + x``; ``"abs"`` → ``abs(x)``). A binary method's second
    operand is called ``keyword`` and defaults to ``default`` if that is not None: leaky_relu's
    slope α = 0.01 lives there and nowhere else.

    ``array(np, *arrays)`` is the same row on whole numpy arrays, for the fast tape:
    ``(values, ∂/∂operand0[, ∂/∂operand1])``, NaN where ``forward`` gives NaN; a local that is
    the same for every node may be a plain float. ``np`` is handed in, so this module needs no
    numpy. None (``**``, or an op a user registers without one): the tape runs ``forward`` per
    element.
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
    method: str | None = None
    operator: str | None = None
    latex: str = ""
    default: float | None = None
    keyword: str = "other"
    array: Callable | None = None

    def __post_init__(self):
        if not self.adjoint:
            object.__setattr__(self, "adjoint", tuple(_upstream_times(d) for d in self.local))
        if not self.latex:
            object.__setattr__(self, "latex", to_tex(self.notation, upright=True))

    @property
    def arity(self) -> int:
        """How many operands: one local derivative per operand."""
        return len(self.local)

    def write(self, *names: str) -> str:
        """The node in slide notation, e.g. ``Op.write("v4", "v3") == "v4 − v3"``."""
        return self.notation.format(*names)

    def write_latex(self, *names: str) -> str:
        """The node in LaTeX, from operand names already in LaTeX (``v_{-1}``)."""
        return self.latex.format(*names)

    def write_local(self, i: int, names, out: str) -> str:
        """The local derivative ∂node/∂operand_i in slide notation, e.g. ``cos v0``."""
        return self.local[i].format(*names, out=out)

    def write_adjoint(self, i: int, upstream: str, names, out: str) -> str:
        """Upstream × local as the slides write it, e.g. ``v̄3 × cos v0`` or ``v̄1 / v-1``."""
        return self.adjoint[i].format(*names, g=upstream, out=out)


def _upstream_times(local: str) -> str:
    needs_parens = local.startswith("−") or any(s in local for s in (" + ", " − ", " × ", " / "))
    return "{g} × " + (f"({local})" if needs_parens else local)


_TEX_SYMBOLS = (("×", r"\times "), ("−", "-"), ("σ", r"\sigma"), ("²", "^2"), ("√", r"\sqrt"),
                ("≤", r"\le"), ("≥", r"\ge"))
_TEX_NAMES = {"exp", "ln", "log", "sin", "cos", "tan", "tanh", "max", "min"}  # LaTeX's \sin …


def to_tex(text: str, upright: bool = False) -> str:
    """Slide notation in LaTeX: the symbols as commands (``×`` → ``\\times``), a word LaTeX
    knows as its command (``sin`` → ``\\sin``), and with ``upright`` any other word upright
    (``atan {0}`` → ``\\operatorname{{atan}} {0}``, for an op's format string)."""
    def word(match):
        text = match.group()
        if text in _TEX_NAMES:
            return "\\" + text
        return r"\operatorname{{" + text.replace("_", r"\_") + "}}" if upright else text

    text = re.sub(r"\b[A-Za-z_]\w+", word, text)  # a name: ln, leaky_relu, atan2, x_1
    for plain, tex in _TEX_SYMBOLS:
        text = text.replace(plain, tex)
    return text


# The rows' numpy forms (Op.array, for the fast tape): each row's forward, on whole arrays.
def _sigmoid_array(np, a, e=None):
    """σ(a) as ``_sigmoid`` computes it, from e = e^−|a|: 1/(1 + e) for a ≥ 0, else e/(1 + e)."""
    e = np.exp(-np.abs(a)) if e is None else e
    s = np.where(a >= 0.0, 1.0, e) / (1.0 + e)
    return s, s * (1.0 - s)


def _softplus_array(np, a):
    e = np.exp(-np.abs(a))                          # max(a, 0) + ln(1 + e^−|a|), and σ(a)
    return np.maximum(a, 0.0) + np.log1p(e), _sigmoid_array(np, a, e)[0]


def _relu_array(np, a):
    off = a <= 0.0                                  # nan: not off, so nan and slope 1
    return np.where(off, 0.0, a), 1.0 - off


def _leaky_relu_array(np, a, alpha):
    on = a > 0.0
    return np.where(on, a, alpha * a), np.where(on, 1.0, alpha), np.where(on, 0.0, a)


def _sqrt_array(np, a):
    r = np.sqrt(a)
    with np.errstate(divide="ignore"):              # √ at 0: slope inf, as the row says
        return r, 0.5 / r


def _quotient_array(np, a, b):
    q = a / b
    return q, 1.0 / b, -q / b


def _extreme_array(np, a, b, larger: bool):
    """max (or min) and its router: 1 to the chosen side, ½ each on a tie, 1 each at nan."""
    greater, less, tie = a > b, a < b, a == b
    nan, half = ~(greater | less | tie), 0.5 * tie
    first, second = (greater, less) if larger else (less, greater)
    return (np.maximum(a, b) if larger else np.minimum(a, b),
            first + half + nan, second + half + nan)


_ANY = (-4.0, 4.0)
_POSITIVE = (0.05, 6.0)

# Each row's `derivative` is a lambda (operands, out, call) -> the local derivatives: a short
# expression that reads like the `local` column beside it.
_TABLE = [
    Op("+", "+", _add, "{0} + {1}", ("1", "1"), domain=(_ANY, _ANY), doc="addition",
       derivative=lambda xs, out, call: (1.0, 1.0), operator="add",
       array=lambda np, a, b: (a + b, 1.0, 1.0)),
    Op("−", "−", _sub, "{0} − {1}", ("1", "−1"), domain=(_ANY, _ANY), doc="subtraction",
       derivative=lambda xs, out, call: (1.0, -1.0), operator="sub",
       array=lambda np, a, b: (a - b, 1.0, -1.0)),
    Op("×", "×", _mul, "{0} × {1}", ("{1}", "{0}"), domain=(_ANY, _ANY), doc="multiplication",
       derivative=lambda xs, out, call: (xs[1], xs[0]), operator="mul",
       latex=r"{0} \times {1}",
       array=lambda np, a, b: (a * b, b, a)),
    Op("/", "/", _div, "{0} / {1}", ("1 / {1}", "−{0} / {1}²"),
       adjoint=("{g} / {1}", "{g} × (−{0} / {1}²)"), domain=(_ANY, (0.5, 4.0)), doc="division",
       derivative=lambda xs, out, call: (1.0 / xs[1], -out / xs[1]),  # −a/b² as −(a/b)/b
       operator="truediv", latex=r"\frac{{{0}}}{{{1}}}",
       array=_quotient_array),
    Op("neg", "−", _neg, "−{0}", ("−1",), domain=(_ANY,), doc="negation",
       derivative=lambda xs, out, call: (-1.0,), operator="neg",
       array=lambda np, a: (-a, -1.0)),
    Op("**", "**", _pow, "{0}^{1}", ("{1} × {0}^({1} − 1)", "{out} × ln {0}"),
       domain=(_POSITIVE, (-2.5, 2.5)), doc="power (number or Value exponent)", derivative=_d_pow,
       operator="pow", latex="{0}^{{{1}}}"),
    Op("exp", "exp", _exp, "exp {0}", ("{out}",), call_names=("exp",), domain=(_ANY,),
       doc="exponential", derivative=lambda xs, out, call: (out,), method="exp",
       array=lambda np, a: (np.exp(a),) * 2),
    Op("ln", "ln", _log, "ln {0}", ("1 / {0}",), adjoint=("{g} / {0}",),
       call_names=("ln", "log"), domain=(_POSITIVE,), doc="natural logarithm",
       derivative=lambda xs, out, call: (1.0 / xs[0],), method="log",
       array=lambda np, a: (np.log(a), 1.0 / a)),
    Op("sin", "sin", _sin, "sin {0}", ("cos {0}",), call_names=("sin",), domain=(_ANY,),
       doc="sine", derivative=lambda xs, out, call: (call("cos", xs[0]),), method="sin",
       array=lambda np, a: (np.sin(a), np.cos(a))),
    Op("cos", "cos", _cos, "cos {0}", ("−sin {0}",), call_names=("cos",), domain=(_ANY,),
       doc="cosine", derivative=lambda xs, out, call: (-call("sin", xs[0]),), method="cos",
       array=lambda np, a: (np.cos(a), -np.sin(a))),
    Op("tanh", "tanh", _tanh, "tanh {0}", ("1 − {out}²",), call_names=("tanh",),
       domain=(_ANY,), doc="hyperbolic tangent",
       derivative=lambda xs, out, call: (1.0 - out * out,), method="tanh",
       array=lambda np, a: (lambda t: (t, 1.0 - t * t))(np.tanh(a))),
    Op("sigmoid", "σ", _sigmoid, "σ({0})", ("{out} × (1 − {out})",), call_names=("sigmoid",),
       domain=(_ANY,), doc="logistic sigmoid 1 / (1 + e^−x)",
       derivative=lambda xs, out, call: (out * (1.0 - out),), method="sigmoid",
       array=_sigmoid_array),
    Op("relu", "ReLU", _relu, "relu {0}", ("1[{0} > 0]",), call_names=("relu",),
       domain=(_ANY,), kink=_kink_at_zero, doc="max(0, x)",
       derivative=lambda xs, out, call: (0.0 if float(xs[0]) <= 0.0 else 1.0,), method="relu",
       array=_relu_array),
    Op("leaky_relu", "LReLU", _leaky_relu, "leaky_relu({0}, {1})",
       ("1[{0} > 0] + {1} × 1[{0} ≤ 0]", "{0} × 1[{0} ≤ 0]"), call_names=("leaky_relu",),
       domain=(_ANY, (0.0, 0.5)), kink=_kink_at_zero, doc="max(x, αx)",
       derivative=lambda xs, out, call: (1.0, 0.0) if float(xs[0]) > 0.0 else (xs[1], xs[0]),
       method="leaky_relu", default=0.01, keyword="alpha",
       array=_leaky_relu_array),
    Op("softplus", "softplus", _softplus, "softplus {0}", ("σ({0})",),
       call_names=("softplus",), domain=(_ANY,), doc="ln(1 + e^x)",
       derivative=lambda xs, out, call: (call("sigmoid", xs[0]),), method="softplus",
       array=_softplus_array),
    Op("sqrt", "√", _sqrt, "√{0}", ("1 / (2 × {out})",), call_names=("sqrt",),
       domain=(_POSITIVE,), doc="square root", derivative=lambda xs, out, call: (0.5 / out,),
       method="sqrt", latex=r"\sqrt{{{0}}}",
       array=_sqrt_array),
    Op("abs", "abs", _abs, "|{0}|", ("sign {0}",), call_names=("abs",), domain=(_ANY,),
       kink=_kink_at_zero, doc="absolute value",
       derivative=lambda xs, out, call: (_sign(float(xs[0])),), method="abs", operator="abs",
       latex=r"\lvert {0} \rvert",
       array=lambda np, a: (np.abs(a), (a > 0.0) * 1.0 - (a < 0.0))),
    Op("max", "max", _max, "max({0}, {1})", ("1[{0} > {1}]", "1[{1} > {0}]"),
       call_names=("max",), domain=(_ANY, _ANY), kink=_kink_at_equal,
       doc="larger of two: the gradient router", method="max",
       derivative=lambda xs, out, call: _router(float(xs[0]), float(xs[1])),
       array=lambda np, a, b: _extreme_array(np, a, b, larger=True)),
    Op("min", "min", _min, "min({0}, {1})", ("1[{0} < {1}]", "1[{1} < {0}]"),
       call_names=("min",), domain=(_ANY, _ANY), kink=_kink_at_equal, doc="smaller of two",
       method="min", derivative=lambda xs, out, call: _router(float(xs[1]), float(xs[0])),
       array=lambda np, a, b: _extreme_array(np, a, b, larger=False)),
]

OPS: dict[str, Op] = {op.name: op for op in _TABLE}
"""Every op by name; the name is what ``Value.op`` holds."""

CALLS: dict[str, Op] = {name: op for op in _TABLE for name in op.call_names}
"""Function names an expression may call (``ln`` and ``log`` are both the natural log)."""


# ---------------------------------------------------------------- adding a row at run time
_listeners: list = []


def on_register(listener: Callable) -> None:
    """Call ``listener(op)`` for every op :func:`register` adds from now on.

    The engine binds each new op's ``Value`` method this way (this module cannot import the
    engine: imports only go down). A listener checks before it changes anything, and raises
    to refuse the op; ``register`` has then added nothing.
    """
    _listeners.append(listener)


def register(op: Op) -> Op:
    """Add ``op`` to the table: from then on it works everywhere the table is read.

    ``Value`` gets its method (``x.tan()``), the trace and the pictures its notation, the
    expression parser its ``call_names``, ``grad(create_graph=True)`` its ``derivative``, the
    tape and forward mode its ``forward``, and the property tests iterate over it. Refused
    with a ``ValueError`` naming the field: a name, call name or method already taken, or
    fields that disagree about how many operands the op has. Returns ``op``.
    """
    if not isinstance(op, Op):
        raise TypeError(f"register needs an Op, got {shown(op)}")
    _validate(op)
    for listener in _listeners:
        listener(op)
    OPS[op.name] = op
    for name in op.call_names:
        CALLS[name] = op
    return op


def _validate(op: Op) -> None:
    """Every reason to refuse ``op``, checked before anything is added."""
    def refuse(field, why):
        raise ValueError(f"register({op.name!r}): {field}: {why}")

    if not isinstance(op.name, str) or not op.name:
        refuse("name", "must be a non-empty string")
    if op.name in OPS:
        refuse("name", f"an op named {op.name!r} exists already ({OPS[op.name].doc})")
    n = op.arity
    if n not in (1, 2):
        refuse("local", f"one local derivative per operand; an op takes 1 or 2 operands, "
                        f"got {n}")
    for name in op.call_names:
        if not name.isidentifier():
            refuse("call_names", f"{name!r} is not a name an expression can call")
        if name in CALLS:
            refuse("call_names", f"{name!r} already calls op {CALLS[name].name!r}")
    for other in OPS.values():
        if op.method is not None and op.method == other.method:
            refuse("method", f"Value.{op.method} is op {other.name!r} already")
        if op.operator is not None and op.operator == other.operator:
            refuse("operator", f"the operator {op.operator!r} is op {other.name!r} already")
    if op.method is not None and not (op.method.isidentifier() and not op.method.startswith("_")):
        refuse("method", f"{op.method!r} is not a public method name")
    if op.operator is not None and not op.operator.isidentifier():
        refuse("operator", f"the special-method stem, e.g. 'add' for +, got {op.operator!r}")
    if op.method is None and op.operator is None:
        refuse("method", "a Value method name (or an operator) is how users apply the op")
    if op.default is not None and n != 2:
        refuse("default", "only a second operand can have a default")
    if not (isinstance(op.keyword, str) and op.keyword.isidentifier() and op.keyword != "self"):
        refuse("keyword", f"the second operand's name must be an identifier other than "
                          f"'self', got {op.keyword!r}")
    if not callable(op.derivative):
        refuse("derivative", "needed for grad(create_graph=True) and hessian")
    if op.array is not None and not callable(op.array):
        refuse("array", f"a function array(np, *arrays), or None, got {shown(op.array)}")
    if len(op.domain) != n or not all(len(d) == 2 and d[0] < d[1] for d in op.domain):
        refuse("domain", f"one interval (low, high) per operand: {n}, got {op.domain!r}")
    _check_placeholders(op, refuse)
    _check_forward(op, refuse)


def _placeholders(template: str) -> set:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def _check_placeholders(op, refuse):
    n, operands = op.arity, {str(i) for i in range(op.arity)}
    if _placeholders(op.notation) != operands:
        refuse("notation", f"must use exactly {{0}}..{{{n - 1}}} for {n} operand(s), "
                           f"got {op.notation!r}")
    if not _placeholders(op.latex) <= operands:
        refuse("latex", f"uses operands beyond {{{n - 1}}}: {op.latex!r}")
    if len(op.adjoint) != n:
        refuse("adjoint", f"one entry per operand: {n}, got {len(op.adjoint)}")
    for field, templates, extra in (("local", op.local, {"out"}),
                                    ("adjoint", op.adjoint, {"out", "g"})):
        for template in templates:
            if not _placeholders(template) <= operands | extra:
                refuse(field, f"{template!r} uses a placeholder other than "
                              f"{sorted(operands | extra)}")


def _check_forward(op, refuse):
    """forward takes n operands and returns n + 1 numbers; derivative returns n."""
    try:
        inspect.signature(op.forward).bind(*range(op.arity))
    except TypeError:
        refuse("forward", f"must take {op.arity} operand(s)")
    except ValueError:  # a builtin without a signature: the trial call below decides
        pass
    point = [(lo + hi) / 2 for lo, hi in op.domain]
    try:
        result = op.forward(*point)
    except Exception as err:  # noqa: BLE001 - any failure here is the row's fault
        refuse("forward", f"fails at the middle of its domain {point}: {err!r}")
    if not isinstance(result, tuple) or len(result) != op.arity + 1:
        refuse("forward", f"must return (value, one local gradient per operand): "
                          f"{op.arity + 1} numbers, got {shown(result, 60)}")
    derivatives = op.derivative(point, result[0], lambda name, *xs: OPS[name].forward(*xs)[0])
    if len(derivatives) != op.arity:
        refuse("derivative", f"must return {op.arity} expression(s), got {len(derivatives)}")
