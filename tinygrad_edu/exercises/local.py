"""Local gradients: a learner's derivative (``check_local_gradient``) and a new op-table row
(``check_new_op``), each checked against the op table or central differences."""
from __future__ import annotations

import math
import random

from ..checks import as_number, short_repr
from ..engine import Value
from ..ops import CALLS, OPS, register
from ..trace import trace
from .report import RTOL, SIGN_MISTAKES, Failure, Report, is_blank, number_text, same_number

_OP_ALIASES = {"*": "×", "mul": "×", "-": "−", "sub": "−", "add": "+", "div": "/",
               "pow": "**", "σ": "sigmoid"}


def _op_row(op: str):
    name = _OP_ALIASES.get(op, op)
    row = OPS.get(name) or CALLS.get(name)
    if row is None:
        known = " ".join(sorted(set(OPS) | set(CALLS)))
        raise ValueError(f"check_local_gradient: unknown op {op!r}; known: {known}")
    return row


def check_local_gradient(op: str, fn, points=50, seed=0) -> Report:
    """Compare ``fn`` with the op table's local derivative(s) at ``points`` points.

    ``fn(x)`` gives d op(x)/dx for a unary op; ``fn(a, b)`` gives the pair (∂/∂a, ∂/∂b) for a
    binary one. Points are drawn from the op's domain, away from its kinks; the report names
    the first point that disagrees.
    """
    row = _op_row(op)
    name = getattr(fn, "__name__", "your function")
    title = f"check_local_gradient({op!r}, {name})"
    operands = ("x",) if row.arity == 1 else ("a", "b")
    node = row.write(*operands)
    quantities = [f"d({node})/dx"] if row.arity == 1 else \
        [f"∂({node})/∂{o}" for o in operands]
    if is_blank(fn):
        return Report(title, blank=f"write the local derivative of {node}")
    rng = random.Random(seed)
    report = Report(title, unit="points")
    wrong_sign = True
    for _ in range(points):
        xs = _sample(row, rng)
        expected = row.forward(*xs)[1:]
        try:
            given = fn(*xs)
        except NotImplementedError:
            return Report(title, blank=f"{name} still raises NotImplementedError")
        except Exception as err:
            report.checked += 1
            report.failures.append(Failure(_at(operands, xs), quantity=f"{name}(...)",
                                           got=f"raised {type(err).__name__}: {err}"))
            continue
        if is_blank(given):
            return Report(title, blank=f"{name} still returns {given!r}: write the derivative "
                                       f"of {node}")
        report.checked += 1
        numbers = _as_tuple(given, row.arity)
        if numbers is None:
            report.failures.append(Failure(
                _at(operands, xs), quantity="result",
                got=f"{short_repr(given)}, expected " + ("a number" if row.arity == 1 else
                                                         "a pair (∂/∂a, ∂/∂b)")))
            continue
        for q, e, g in zip(quantities, expected, numbers):
            if not math.isclose(g, e, rel_tol=RTOL, abs_tol=1e-12):
                wrong_sign &= same_number(g, -e)
                report.failures.append(Failure(_at(operands, xs), quantity=q, expected=e,
                                               got=g))
                break
    if report.failures and report.failures[0].expected is not None:
        first = report.failures[0]
        if wrong_sign:
            classic = SIGN_MISTAKES.get({"**": "** n"}.get(row.name, row.name), "")
            first.hint = "the sign is flipped at every wrong point" + \
                (f": {classic}" if classic else "")
        elif len(report.failures) < report.checked:
            first.hint = (f"right at {report.checked - len(report.failures)} of "
                          f"{report.checked} points: a case or a branch is wrong")
        else:
            first.hint = "wrong everywhere: differentiate again, step by step"
    report.summary = f"{report.checked} points agree with the op table" \
        if not report.failures else f"{row.doc} {node}"
    return report


def _sample(row, rng: random.Random) -> tuple:
    for _ in range(1000):
        xs = tuple(round(rng.uniform(lo, hi), 4) for lo, hi in row.domain)
        if row.kink is None or row.kink(*xs) > 1e-2:
            return xs
    raise RuntimeError(f"no point away from the kinks of {row.name}")  # pragma: no cover


def _at(names, xs) -> str:
    return "at " + ", ".join(f"{n} = {number_text(x)}" for n, x in zip(names, xs))


def _as_tuple(given, arity: int):
    if arity == 1:
        given = (given,)
    try:
        given = tuple(given)
    except TypeError:
        return None
    numbers = tuple(as_number(g) for g in given)  # checks' policy: a real number, True is 1
    return numbers if len(numbers) == arity and None not in numbers else None


def check_new_op(op, points: int = 20, seed: int = 0) -> Report:
    """Check a new op-table row, then add it with ``ops.register`` so ``Value`` has it.

    Before registering: at ``points`` points of ``op.domain`` (away from kinks) each local
    gradient from ``op.forward`` must match the central difference of its value, and the
    ``derivative`` expressions must give the same numbers. A row that fails is not
    registered. Once registered, ``Value(x).<method>()`` must give the same value and, through
    ``backward``, the same local gradient.
    """
    name = getattr(op, "name", "?")
    title = f"check_new_op({name!r})"
    if is_blank(op):
        return Report(title, blank="build the Op row")
    try:
        middle = [(lo + hi) / 2 for lo, hi in op.domain]
        trial = op.forward(*middle)
    except NotImplementedError:
        trial = None
    except Exception as err:
        return Report(title, [Failure("the middle of the domain", quantity="forward",
                                      got=f"raised {type(err).__name__}: {err}")], checked=1)
    if is_blank(trial) or (isinstance(trial, tuple) and any(map(is_blank, trial))):
        return Report(title, blank=f"{getattr(op.forward, '__name__', 'forward')} still "
                                   f"returns {trial!r}")
    report = Report(title, unit="points")
    names = ("x",) if op.arity == 1 else ("a", "b")
    rng = random.Random(seed)
    for _ in range(points):
        xs = _sample(op, rng)
        report.checked += 1
        failure = _check_row_at(op, xs, names)
        if failure is not None:
            report.failures.append(failure)
    if report.failures:
        first = report.failures[0]
        flipped = first.expected is not None and same_number(first.got, -first.expected)
        extra = first.hint or ("the sign is flipped" if flipped else "")
        first.hint = "not registered until the row is right" + (f"; {extra}" if extra else "")
        return report
    if op.name in OPS and not _same_row(OPS[op.name], op):
        report.failures.append(Failure(
            "registering", quantity="name", got=f"an op named {op.name!r} is in the table "
            "already", hint="restart the kernel to register a changed row under the same name"))
        return report
    if op.name not in OPS:
        try:
            register(op)
        except (TypeError, ValueError) as err:
            report.failures.append(Failure("registering", quantity="register", got=str(err)))
            return report
    report.failures += _check_registered(op, names, rng)
    if not report.failures:
        operands = [Value(m, label=n) for m, n in zip(middle, names)]
        written = (trace(getattr(operands[0], op.method)(*operands[1:])).forward[-2].expr
                   if op.method else op.name)
        report.summary = (f"{report.checked} points agree with central differences; "
                          f"registered: Value.{op.method}, written '{written}' in traces")
    return report


def _check_row_at(op, xs, names):
    value, *local = op.forward(*xs)
    where = _at(names, xs)
    for i in range(op.arity):
        h = 1e-6 * max(1.0, abs(xs[i]))
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        slope = (op.forward(*up)[0] - op.forward(*down)[0]) / (2 * h)
        if not math.isclose(local[i], slope, rel_tol=1e-5, abs_tol=1e-7):
            return Failure(where, quantity=f"local gradient ∂/∂{names[i]} (central difference)",
                           expected=slope, got=local[i])
    if op.derivative is not None:
        exprs = op.derivative(list(xs), value, lambda n, *a: OPS[n].forward(*a)[0])
        for i, (e, g) in enumerate(zip(local, exprs)):
            if not math.isclose(float(g), e, rel_tol=1e-9, abs_tol=1e-12):
                return Failure(where, quantity=f"derivative expression ∂/∂{names[i]}",
                               expected=e, got=float(g),
                               hint="derivative(...) must give the same numbers as forward")
    return None


def _same_row(old, new) -> bool:
    """The row registered earlier under this name computes what ``new`` computes (a notebook
    cell run twice builds a second, equal row)."""
    if old is new:
        return True
    if (old.arity, old.method, old.notation) != (new.arity, new.method, new.notation):
        return False
    rng = random.Random(1)
    return all(old.forward(*xs) == new.forward(*xs) for xs in (_sample(new, rng)
                                                              for _ in range(5)))


def _check_registered(op, names, rng) -> list:
    """``Value.<method>`` gives the row's value and, through ``backward``, its local gradients."""
    if op.method is None:
        return []
    failures = []
    for _ in range(5):
        xs = _sample(op, rng)
        nodes = [Value(x) for x in xs]
        out = getattr(nodes[0], op.method)(*nodes[1:])
        out.backward()
        value, *local = op.forward(*xs)
        wrong = [i for i, node in enumerate(nodes)
                 if not math.isclose(node.grad, local[i], rel_tol=1e-12)]
        if out.data != value or wrong:
            i = wrong[0] if wrong else 0
            failures.append(Failure(_at(names, xs), quantity=f"Value.{op.method}",
                                    expected=local[i], got=nodes[i].grad))
    return failures
