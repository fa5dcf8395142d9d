"""The safe expression parser: text such as ``ln(x1) + x1*x2 - sin(x2)`` → a ``Value`` graph.

The language is small on purpose: numbers, variable names, ``+ - * / **``, unary minus,
parentheses, and calls to the op table's functions (``ops.CALLS``; ``ln`` and ``log`` are both
the natural log). Every operator and call becomes one node of the op table, exactly as if the
expression had been written with ``Value`` in Python, so its trace matches the slides row
for row.

Nothing is ever ``eval``-ed. The text is scanned first (length, characters, bracket depth, so
that Python's parser never meets hostile nesting), then parsed by ``ast`` in ``"eval"`` mode,
and every node of the tree is checked against the op table as it is at that moment, so an op
added with ``ops.register`` parses at once. Numbers are not folded: ``9**9**9**9`` meets the
engine's float power, which reports the overflow. Anything outside the language raises
:class:`ExprError`, whose :meth:`~ExprError.render` underlines the offending part.

Use from Python::

    expression = parse("ln(x1) + x1*x2 - sin(x2)")
    expression.variables                      # ('x1', 'x2'), in order of first appearance
    y, inputs = expression.evaluate({"x1": 2, "x2": 5})
    y.backward(); inputs["x1"].grad           # 5.5
"""
from __future__ import annotations

import ast
import inspect
import math
import operator
import re
import warnings

from . import checks
from .engine import Constant, Value
from .ops import CALLS, OpError

__all__ = ["ExprError", "Expression", "parse", "evaluate", "parse_number", "parse_assignment",
           "parse_assignments", "function_names", "MAX_LENGTH", "MAX_NESTING"]

MAX_LENGTH = 2000
"""Longest expression accepted, in characters (bounds the parser's time and memory)."""

MAX_NESTING = 50
"""Deepest bracket nesting accepted, checked by a scan before Python's parser sees the text."""


def function_names() -> tuple:
    """The function names an expression may call: the op table's call names as they are now
    (an op added with ``ops.register`` is callable at once)."""
    return tuple(sorted(CALLS))


class ExprError(ValueError):
    """An expression, a variable value or an assignment that is refused.

    ``message`` says what is wrong in one line; ``text`` is the text it refers to and
    ``col``/``length`` the 0-based column and width of the offending part (``col`` is None
    when the problem has no place in the text, e.g. a value given for an unused variable).
    ``kind`` is one of "syntax" (not in the language), "limit" (too long or too deep),
    "name" (a missing or unknown variable), "value" (a bad number) or "math" (the value
    does not exist: ln of 0, division by zero, overflow).
    """

    def __init__(self, message: str, text: str = "", col: int | None = None, length: int = 1,
                 kind: str = "syntax"):
        self.message = message
        self.text = text
        self.col = None if col is None else max(0, min(col, len(text)))
        self.length = max(1, length)
        self.kind = kind
        where = "" if self.col is None else f" (column {self.col + 1})"
        super().__init__(message + where)

    def render(self, width: int = 80) -> str:
        """The text with a caret line under the offending part, the message after the carets::

            ln(0) + x
            ^^^^^ ln: the natural log needs a positive number, got 0

        Text longer than ``width`` is cut to a window around the offending part (marked …).
        Without a position, just the message.
        """
        if self.col is None:
            return self.message
        shown = "".join(c if c.isprintable() else " " for c in self.text)
        col, length = self.col, min(self.length, max(1, len(shown) - self.col))
        if len(shown) > width:
            start = max(0, min(col - width // 3, len(shown) - width))
            end = start + width
            prefix = "…" if start > 0 else ""
            shown = prefix + shown[start:end] + ("…" if end < len(shown) else "")
            col = col - start + len(prefix)
            length = max(1, min(length, end - self.col))
        return f"{shown}\n{' ' * col}{'^' * length} {self.message}"


# ---------------------------------------------------------------- numbers and assignments
def _check_finite(x: float, text: str, col: int, length: int) -> float:
    if math.isnan(x):
        raise ExprError("nan is not a number a trace can use: give a finite number",
                        text, col, length, "value")
    if math.isinf(x):
        raise ExprError("the number is too large for a float (give a finite number, "
                        "|x| < 1.8e308)", text, col, length, "value")
    return x


def parse_number(text: str, where: str | None = None, col: int = 0) -> float:
    """A finite float from text in Python's float syntax (``2``, ``-3``, ``1e-3``, ``.5``).

    ``nan`` and ``inf`` are refused: a trace or a finite-difference check through them says
    nothing. ``where`` is the full text the number sits in (for the caret), at ``col``.
    """
    where = text if where is None else where
    stripped = text.strip()
    span = (col + len(text) - len(text.lstrip()), max(1, len(stripped)))
    if not stripped:
        raise ExprError("a number is missing", where, col, 1, "value")
    try:
        value = float(stripped)
    except ValueError:
        raise ExprError(f"{stripped!r} is not a number", where, *span, "value") from None
    return _check_finite(value, where, *span)


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def _check_variable_name(name: str, text: str, col: int) -> None:
    if name.startswith("_"):
        raise ExprError("names starting with _ are not allowed", text, col, len(name))
    if name in CALLS:
        raise ExprError(f"{name} is a function, not a variable: call it as {name}(...)",
                        text, col, len(name), "name")
    if not _NAME.match(name):
        raise ExprError(f"{name!r} is not a variable name (letters, digits and _, "
                        f"starting with a letter)", text, col, max(1, len(name)), "name")


def parse_assignment(text: str) -> tuple:
    """``"x1=2"`` → ``("x1", 2.0)``: a variable name, ``=``, a finite number."""
    if not isinstance(text, str):
        raise TypeError(f"parse_assignment needs a str, got {type(text).__name__}")
    name, eq, number = text.partition("=")
    if not eq:
        raise ExprError(f"expected NAME=NUMBER (like x1=2), got {text!r}", text, 0,
                        len(text), "value")
    stripped = name.strip()
    lead = len(name) - len(name.lstrip())
    if not stripped:
        raise ExprError("the variable name before = is missing", text, 0, 1, "name")
    _check_variable_name(stripped, text, lead)
    return stripped, parse_number(number, text, len(name) + 1)


def parse_assignments(items) -> dict:
    """``["x1=2", "x2=5"]`` → ``{"x1": 2.0, "x2": 5.0}``; a name given twice is refused."""
    values = {}
    for item in items:
        name, value = parse_assignment(item)
        if name in values:
            raise ExprError(f"{name} is given a value twice", item, 0, len(name), "name")
        values[name] = value
    return values


# ---------------------------------------------------------------- the scan before parsing
_LOOKALIKES = {
    "×": "*", "·": "*", "⋅": "*", "∗": "*", "−": "-", "–": "-", "—": "-", "÷": "/", "∕": "/",
    "²": "**2", "³": "**3", "√": "sqrt(...)", "（": "(", "）": ")",
}
_OPENING, _CLOSING = "([{", ")]}"


def _scan(text: str) -> None:
    """Cheap checks before Python's parser: length, one line of plain ASCII, bracket depth."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is too long ({len(text):,} characters; the limit is "
                        f"{MAX_LENGTH:,})", text, MAX_LENGTH, 1, "limit")
    if not text.strip():
        raise ExprError("the expression is empty", text, 0, 1)
    depth = 0
    for i, ch in enumerate(text):
        if ch in _OPENING:
            depth += 1
            if depth > MAX_NESTING:
                raise ExprError(f"brackets are nested too deeply (more than {MAX_NESTING} "
                                f"levels)", text, i, 1, "limit")
        elif ch in _CLOSING:
            depth -= 1
        elif " " <= ch <= "~" or ch == "\t":
            continue
        elif ch in "\n\r\v\f\x85\u2028\u2029":
            raise ExprError("the expression must be on one line", text, i, 1)
        elif ch in _LOOKALIKES:
            raise ExprError(f"unexpected character {ch!r}: write {_LOOKALIKES[ch]}",
                            text, i, 1)
        elif ch.isalpha():
            raise ExprError(f"unexpected character {ch!r}: names use the letters A-Z, a-z, "
                            f"digits and _", text, i, 1)
        else:
            raise ExprError(f"unexpected character {ch!r} (U+{ord(ch):04X})", text, i, 1)


# ---------------------------------------------------------------- the whitelist
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv, ast.Pow: operator.pow}
"""Python's syntax → Python's operator. ``Value`` binds each operator (``__add__``) from its
op-table row, so applying ``operator.add`` to Values applies that row."""

_REFUSED_BINARY = {
    ast.BitXor: "^ is not a power here: use ** for powers, as in x**2",
    ast.FloorDiv: "// (floor division) is not supported: use /",
    ast.Mod: "% (remainder) is not supported",
    ast.MatMult: "@ (matrix product) is not supported: the values are scalars",
    ast.LShift: "<< is not supported", ast.RShift: ">> is not supported",
    ast.BitAnd: "& is not supported", ast.BitOr: "| is not supported",
}

_REFUSED_NODES = {
    ast.Attribute: "attribute access (.name) is not allowed",
    ast.Subscript: "subscripts ([...]) are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.Compare: "comparisons are not supported",
    ast.BoolOp: "and / or are not supported",
    ast.IfExp: "conditional expressions (... if ... else ...) are not supported",
    ast.List: "lists are not allowed", ast.Set: "sets are not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Tuple: "a comma makes a tuple: give a single expression (commas only separate "
               "the arguments of a function, as in max(a, b))",
    ast.ListComp: "comprehensions are not allowed", ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.JoinedStr: "strings are not allowed", ast.FormattedValue: "strings are not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.Await: "await is not allowed", ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}

# Steps of a compiled expression, in postfix order (a tiny stack machine):
# (_VAR, name, span), (_NUM, number, span), (_APPLY, function, operand count, span).
_VAR, _NUM, _APPLY = "var", "num", "apply"


class _Compiler:
    """Checks the tree against the whitelist and flattens it into postfix steps, iteratively
    (no recursion: a long chain such as ``-----x`` or ``1+1+...+1`` is no problem)."""

    def __init__(self, text: str, offset: int):
        self.text = text
        self.offset = offset  # columns in the tree are relative to the text after its indent

    def span(self, node) -> tuple:
        start = node.col_offset + self.offset
        end = (node.end_col_offset or node.col_offset + 1) + self.offset
        return start, max(1, end - start)

    def refuse(self, message: str, node=None, span=None, kind: str = "syntax"):
        col, length = span if span is not None else self.span(node)
        raise ExprError(message, self.text, col, length, kind)

    def operator_span(self, node) -> tuple:
        """Where the operator token of a BinOp is: between its operands, past any brackets."""
        i = node.left.end_col_offset + self.offset
        end = node.right.col_offset + self.offset
        while i < end and self.text[i] in " \t)":
            i += 1
        j = i
        while j < end and self.text[j] in "+-*/%@<>&|^":
            j += 1
        return (i, j - i) if j > i else self.span(node)

    def after_value_span(self, node, opener: str) -> tuple:
        """From the ``.`` or ``[`` after ``node.value`` to the end of ``node``."""
        start, length = self.span(node)
        i = node.value.end_col_offset + self.offset
        found = self.text.find(opener, i, start + length)
        return (found, start + length - found) if found >= 0 else (start, length)

    def compile(self, tree: ast.Expression) -> list:
        steps, stack = [], [tree.body]
        while stack:
            item = stack.pop()
            if isinstance(item, tuple):  # a node's step, pushed beneath its operands
                steps.append(item)
                continue
            operands, step = self.check(item)
            if step is not None:
                stack.append(step)
            stack.extend(reversed(operands))
        return steps

    def check(self, node) -> tuple:
        """Refuse anything outside the language; else (the operands to compile first, the
        node's own step — None for ``+x``, which is ``x`` itself)."""
        kind, span = type(node), self.span(node)
        if kind is ast.Constant:
            return [], (_NUM, self.number(node), span)
        if kind is ast.Name:
            _check_variable_name(node.id, self.text, span[0])
            return [], (_VAR, node.id, span)
        if kind is ast.BinOp:
            op = type(node.op)
            if op not in _OPERATORS:
                message = _REFUSED_BINARY.get(op, f"the operator {op.__name__} is not supported")
                self.refuse(message, span=self.operator_span(node))
            return [node.left, node.right], (_APPLY, _OPERATORS[op], 2, self.operator_span(node))
        if kind is ast.UnaryOp:
            op = type(node.op)
            if op is ast.UAdd:
                return [node.operand], None
            if op is not ast.USub:
                self.refuse("not is not supported" if op is ast.Not else "~ is not supported",
                            node)
            operand = node.operand
            if isinstance(operand, ast.Constant) and type(operand.value) in (int, float):
                return [], (_NUM, -self.number(operand), span)  # -3 is the number −3, not neg(3)
            return [node.operand], (_APPLY, operator.neg, 1, span)
        if kind is ast.Call:
            return self.check_call(node)
        message = _REFUSED_NODES.get(kind, f"{kind.__name__} is not allowed in an expression")
        if kind in (ast.Attribute, ast.Subscript):
            span = self.after_value_span(node, "." if kind is ast.Attribute else "[")
        self.refuse(message, span=span)

    def check_call(self, node) -> tuple:
        func = node.func
        if type(func) in _REFUSED_NODES:
            self.check(func)  # refuses it: x.f(), (lambda: 1)(), f[0]() say what they are
        if not isinstance(func, ast.Name):
            self.refuse(f"only the functions {', '.join(function_names())} can be called, by name",
                        func)
        if func.id.startswith("_"):
            self.refuse("names starting with _ are not allowed", func)
        op = CALLS.get(func.id)
        if op is None or op.method is None:
            self.refuse(f"unknown function {func.id}; the functions are "
                        f"{', '.join(function_names())}", func, kind="name")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.refuse("* unpacking is not allowed", arg)
        if node.keywords:
            self.refuse(f"{func.id}() takes its arguments by position, without name=",
                        node.keywords[0])
        most = op.arity
        least = most - (op.default is not None)  # leaky_relu(x) takes its α from the row
        if not least <= len(node.args) <= most:
            takes = (f"{least} argument" + ("s" if least != 1 else "") if least == most
                     else f"{least} or {most} arguments")
            self.refuse(f"{func.id}() takes {takes}, got {len(node.args)}", node)

        def apply(first, *rest):  # x.tanh(), x.max(y): the op's method on its first operand
            return getattr(first, op.method)(*rest)  # (numbers are Constant Values: one exists)
        return node.args, (_APPLY, apply, len(node.args), self.span(node))

    def number(self, node) -> float:
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            self.refuse(f"{value!r} is not a number", node)
        if isinstance(value, complex):
            self.refuse("complex numbers are not supported", node)
        if isinstance(value, (str, bytes)):
            self.refuse("strings are not allowed", node)
        try:
            number = float(value)
        except OverflowError:
            self.refuse("the number is too large for a float (|x| < 1.8e308)", node,
                        kind="value")
        return _check_finite(number, self.text, *self.span(node))


def _syntax_error(err: SyntaxError, text: str, offset: int) -> ExprError:
    """Python's SyntaxError as an ExprError at the same place, with hints for common slips."""
    message = (err.msg or "invalid syntax").rstrip(".")
    if err.offset is None or err.offset < 1 or (err.lineno or 1) > 1:
        col = len(text)
    else:
        col = offset + err.offset - 1
    end = err.end_offset
    length = (offset + end - 1 - col) if end and (err.end_lineno or 1) == 1 else 1
    if message.startswith("invalid syntax") and col >= len(text.rstrip()):
        message = "the expression ends too early"
    elif message == "invalid decimal literal" and text[col:col + 1].isdigit():
        message = "a number runs into a name: write 2*x for a product"
    elif message.startswith("invalid syntax. Perhaps you forgot a comma"):
        message = "invalid syntax: two terms without an operator between them"
    if col >= len(text):
        col, length = len(text), 1
    return ExprError(message, text, col, max(1, length))


# ---------------------------------------------------------------- the expression
class Expression:
    """A checked expression: ``variables`` in order of first appearance, ``evaluate(values)``.

    Build one with :func:`parse`. Evaluating it builds a fresh ``Value`` graph each time —
    one node per operator or call, numbers as ``Constant`` leaves, each variable one input
    leaf labelled with its name (used wherever it appears: the copy gate).
    """

    def __init__(self, text: str, steps: list):
        self.text = text
        self._steps = steps
        seen = {}
        for step in steps:
            if step[0] == _VAR and step[1] not in seen:
                seen[step[1]] = step[2][0]
        self.variables = tuple(sorted(seen, key=seen.get))
        self._first_use = seen

    @property
    def operations(self) -> int:
        """How many nodes an evaluation creates besides inputs and constants."""
        return sum(1 for step in self._steps if step[0] == _APPLY)

    def __repr__(self) -> str:
        return f"Expression({self.text!r}, variables={self.variables})"

    def __str__(self) -> str:
        return self.text

    def _inputs(self, values) -> dict:
        if values is None:
            values = {}
        if not hasattr(values, "items"):
            raise TypeError(f"values must be a mapping name → number, got "
                            f"{type(values).__name__}")
        missing = [name for name in self.variables if name not in values]
        extra = [name for name in values if name not in self._first_use]
        if missing:
            name = missing[0]
            others = f" (also {', '.join(missing[1:])})" if len(missing) > 1 else ""
            unused = (f"; a value is given for {', '.join(map(str, extra))}, which the "
                      f"expression does not use" if extra else "")
            raise ExprError(f"no value given for {name}{others}{unused}", self.text,
                            self._first_use[name], len(name), "name")
        if extra:
            uses = ", ".join(self.variables) if self.variables else "none"
            raise ExprError(f"a value is given for {', '.join(map(str, extra))}, which the "
                            f"expression does not use (its variables: {uses})", kind="name")
        inputs = {}
        for name in self.variables:
            value = values[name]
            if isinstance(value, Value):
                inputs[name] = value
                continue
            try:  # the package's one policy: a real number (True is 1), finite
                number = checks.finite(value, f"the value of {name}")
            except (TypeError, ValueError, OverflowError) as err:
                raise ExprError(str(err), kind="value") from None
            inputs[name] = Value(number, label=name)
        return inputs

    def evaluate(self, values=None) -> tuple:
        """``(output, inputs)``: the output ``Value`` and ``{name: input Value}``.

        ``values`` maps every variable to a finite number (or to a ``Value`` of your own);
        a missing or extra name, a non-number, or a value that does not exist on the way
        (ln of 0, division by zero, overflow) raises :class:`ExprError` pointing at the part
        of the text where it happened. Nothing is recorded for a failed evaluation.
        """
        inputs = self._inputs(values)
        stack = []
        for step in self._steps:
            kind = step[0]
            if kind == _VAR:
                stack.append(inputs[step[1]])
            elif kind == _NUM:
                stack.append(Constant(step[1]))
            else:
                _, apply, count, (col, length) = step
                args = stack[-count:]
                del stack[-count:]
                try:
                    stack.append(apply(*args))
                except OpError as err:  # the op's own words, without the operand Values
                    raise ExprError(err.message, self.text, col, length, "math") from None
        return stack[0], inputs

    def as_function(self):
        """A function ``f(*inputs) → output`` taking the variables in order, by position —
        the form ``gradcheck`` and ``numerical_grad`` want. Its signature names them."""
        variables = self.variables

        def f(*args):
            if len(args) != len(variables):
                raise TypeError(f"{self.text!r} takes {len(variables)} inputs "
                                f"({', '.join(variables)}), got {len(args)}")
            return self.evaluate(dict(zip(variables, args)))[0]

        f.__signature__ = inspect.Signature(
            [inspect.Parameter(name, inspect.Parameter.POSITIONAL_ONLY) for name in variables])
        f.__name__ = "expression"
        return f


def parse(text: str) -> Expression:
    """Check ``text`` and return an :class:`Expression`, or raise :class:`ExprError`."""
    if not isinstance(text, str):
        raise TypeError(f"parse needs a str, got {type(text).__name__}")
    _scan(text)  # one line of printable ASCII, short: Python's parser can only find bad syntax
    stripped = text.lstrip(" \t")
    offset = len(text) - len(stripped)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(stripped, mode="eval")
    except SyntaxError as err:
        raise _syntax_error(err, text, offset) from None
    except (RecursionError, MemoryError):
        raise ExprError("the expression is too deeply nested to parse", text, 0, len(text),
                        "limit") from None
    return Expression(text, _Compiler(text, offset).compile(tree))


def evaluate(text: str, values=None) -> tuple:
    """``parse(text).evaluate(values)`` in one call: ``(output, {name: input Value})``."""
    return parse(text).evaluate(values)
