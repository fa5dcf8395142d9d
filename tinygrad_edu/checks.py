"""Checking what callers pass in: one module, one policy, messages that say what was wrong.

Every public function that takes a number checks it here, so the same input gets the same
answer everywhere, from ``Value(...)`` to ``gradcheck(eps=...)`` to ``fit(min_delta=...)``:

* **a real number** is anything registered as ``numbers.Real`` (int, float, ``Fraction``, a
  numpy scalar) or a ``Decimal``, stored as a float;
* **booleans are numbers**, 1 and 0, as in Python's own arithmetic (``True + True == 2``);
* anything else (a string, ``None``, a list, a complex number, a ``Value``) is a ``TypeError``
  naming its type; an integer too large for a float is an ``OverflowError``; a number outside
  what is allowed (nan, inf, a negative step) is a ``ValueError``.

Each helper takes ``what``, the name of the thing checked as the caller wants it shown
(``"gradcheck: eps"``), and returns the checked number.
"""
from __future__ import annotations

import math
import numbers
from decimal import Decimal

__all__ = ["as_number", "real", "finite", "positive", "nonnegative", "in_range", "probability",
           "whole", "one_of", "flag", "instances", "shown", "short_repr", "integer_size",
           "too_deep"]


def shown(x, width: int = 40) -> str:
    """``x`` for a message: its type and its repr cut to ``width`` characters."""
    return f"{type(x).__name__} {short_repr(x, width)}"


def short_repr(x, width: int = 40) -> str:
    """``repr(x)`` cut to ``width`` characters; an integer longer than that is named by its
    size (``integer_size``), and a fraction or list holding one that Python refuses to write
    (over 4,300 digits, ``sys.set_int_max_str_digits``) is said to be too long."""
    try:
        text = repr(x)
    except ValueError:
        text = None
    if isinstance(x, int) and (text is None or len(text) > width):
        return integer_size(x)
    if text is None:
        return "<too long to print>"
    return text if len(text) <= width else text[:width - 3] + "..."


def integer_size(n: int) -> str:
    """``"a 401-digit integer"``: an integer too long to show, by its number of digits."""
    size = abs(n)
    digits = int(math.log10(size)) + 1 if size else 1     # log10 may round near 10^k:
    if size >= 10 ** digits:
        digits += 1
    elif digits > 1 and size < 10 ** (digits - 1):
        digits -= 1
    return f"a {digits:,}-digit integer"


def as_number(x):
    """``x`` as a float if it is a real number (fast for float and int), else None.

    An integer too large for a float raises ``OverflowError`` saying so.
    """
    kind = type(x)
    if kind is float:
        return x
    if kind is int or isinstance(x, (numbers.Real, Decimal)):
        try:
            return float(x)
        except OverflowError:
            size = integer_size(x) if isinstance(x, int) else short_repr(x)
            raise OverflowError(f"{size} is too large for a float") from None
    return None


def real(x, what: str = "value") -> float:
    """``x`` as a float, or a ``TypeError`` naming what was given instead of a real number
    (an ``OverflowError`` naming ``what`` for an integer too large for a float)."""
    try:
        number = as_number(x)
    except OverflowError as err:
        raise OverflowError(f"{what}: {err}") from None
    if number is None:
        raise TypeError(f"{what} needs a real number (int or float), got {shown(x)}")
    return number


def finite(x, what: str = "value") -> float:
    """A real number that is neither inf nor nan."""
    number = real(x, what)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {number!r}")
    return number


def in_range(x, what: str, low=None, high=None, *, low_open=False, high_open=False) -> float:
    """A finite number in the interval from ``low`` to ``high`` (None: unbounded); the
    ``*_open`` flags exclude an end."""
    number = finite(x, what)
    too_low = low is not None and (number < low or low_open and number == low)
    if too_low or high is not None and (number > high or high_open and number == high):
        bounds = [f"{'>' if low_open else '≥'} {low:g}"] if low is not None else []
        bounds += [f"{'<' if high_open else '≤'} {high:g}"] if high is not None else []
        raise ValueError(f"{what} must be {' and '.join(bounds)}, got {number!r}")
    return number


def positive(x, what: str = "value") -> float:
    """A finite number > 0 (a step size, a learning rate)."""
    return in_range(x, what, 0.0, low_open=True)


def nonnegative(x, what: str = "value") -> float:
    """A finite number ≥ 0 (a tolerance, a penalty weight)."""
    return in_range(x, what, 0.0)


def probability(x, what: str = "probability") -> float:
    """A number in [0, 1]."""
    return in_range(x, what, 0.0, 1.0)


def whole(x, what: str = "count", low=None, high=None) -> int:
    """A whole number (an int, a bool, or a float such as 3.0) from ``low`` to ``high`` (None:
    unbounded), as an int. With a ``high``, an integer too large for a float is out of range."""
    bounds = ("" if low is None and high is None else f" ≥ {low}" if high is None
              else f" ≤ {high}" if low is None else f" from {low} to {high}")
    if isinstance(x, numbers.Integral) and high is not None:
        n = int(x)
    else:
        try:
            number = real(x, what)
        except TypeError:
            raise TypeError(f"{what} needs a whole number (an int), got {shown(x)}") from None
        if not (math.isfinite(number) and number.is_integer()):
            raise ValueError(f"{what} must be a whole number{bounds}, got {short_repr(x)}")
        n = int(x) if isinstance(x, int) else int(number)
    if (low is not None and n < low) or (high is not None and n > high):
        raise ValueError(f"{what} must be a whole number{bounds}, got {short_repr(x)}")
    return n


def one_of(x, choices, what: str) -> str:
    """``x`` if it is one of the names ``choices`` (a menu: data sets, optimizers...)."""
    if isinstance(x, str) and x in choices:
        return x
    raise ValueError(f"{what} must be one of {', '.join(choices)}, got {short_repr(x)}")


def flag(x, what: str) -> bool:
    """A yes/no setting: ``True`` or ``False`` only. Read by its truth, ``"no"`` would mean yes
    and ``None`` no, the opposite of what was perhaps meant; so anything else is refused."""
    if isinstance(x, bool):
        return x
    raise TypeError(f"{what} must be True or False, got {shown(x)}")


def instances(x, kind: type, who: str, expected: str, item: str) -> list:
    """``x`` as a list of ``kind`` objects: one alone is a list of one, else any iterable.

    A ``TypeError`` names what came instead: the whole (``"{who}: {expected}, got int"``) or
    the first item that is not one (``"{who}: {item} 2 is a str, not a Value"``).
    """
    if isinstance(x, kind):
        return [x]
    try:
        items = list(x)
    except TypeError:
        raise TypeError(f"{who}: {expected}, got {type(x).__name__}") from None
    for i, one in enumerate(items):
        if not isinstance(one, kind):
            raise TypeError(f"{who}: {item} {i} is a {type(one).__name__}, "
                            f"not a {kind.__name__}")
    return items


def too_deep(document, limit: int) -> bool:
    """True if the lists and dicts of a parsed JSON ``document`` nest more than ``limit``
    levels (the outermost is level 1). An iterative walk: no recursion, however deep."""
    stack = [(document, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            if level > limit:
                return True
            stack.extend((child, level + 1) for child in
                         (item.values() if isinstance(item, dict) else item))
    return False
