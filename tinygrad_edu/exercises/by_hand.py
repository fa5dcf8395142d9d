"""Numbers worked out by hand: a trace's rows, gradients, and any other answer, compared with
what the engine computes.
"""
from __future__ import annotations

from ..checks import as_number
from ..engine import Value
from ..trace import trace
from .report import RTOL, Failure, Report, is_blank, number_text


def check_forward_trace(y: Value, values, decimals: int = 3) -> Report:
    """Compare hand-filled numbers, one per row of ``trace(y).forward``, with the trace.

    A number is right when it agrees to ``decimals`` decimals, as the slides print them.
    The report names the first wrong row. ``.grad`` is never touched.
    """
    rows = trace(y).forward
    return _check_rows("check_forward_trace", [(f"{r.name} = {r.expr}", r.value) for r in rows],
                       values, decimals, names=[r.name for r in rows])


def check_adjoint_trace(y: Value, values, decimals: int = 3) -> Report:
    """Compare hand-filled numbers, one per row of ``trace(y).adjoint``, with the trace.

    Rows come in execution order, the way backward runs: a node's second contribution is its
    own row (``v̄0 = v̄0 + v̄2 × v-1``). The report names the first wrong row. ``.grad`` is
    never touched.
    """
    rows = trace(y).adjoint
    before, previous = [], {}
    for r in rows:                      # each row's adjoint before this step, if it had one
        before.append(previous.get(r.target))
        previous[r.target] = r.value
    return _check_rows("check_adjoint_trace", [(f"{r.target} = {r.expr}", r.value) for r in rows],
                       values, decimals, adjoint=before, names=[r.target for r in rows])


def _check_rows(title, rows, values, decimals, adjoint=None, names=None) -> Report:
    """``rows``: (text, expected) pairs; ``names``: a trace's row names, for the hint to
    recompute one (None for answers that are not a trace's rows)."""
    if is_blank(values):
        return Report(title, blank=f"fill in the {len(rows)} values, one per row")
    values = list(values)
    blanks = [i for i, v in enumerate(values) if is_blank(v)]
    if blanks:
        i = blanks[0]
        if len(values) == 1:
            return Report(title, blank=f"{rows[0][0]} is still blank")
        where = f"row {i + 1} ({rows[i][0]})" if i < len(rows) else f"row {i + 1}"
        return Report(title, blank=f"{len(blanks)} of {len(values)} values still blank, "
                                   f"first {where}")
    report = Report(title, checked=len(rows), unit="rows")
    if len(values) != len(rows):
        report.failures.append(Failure("the number of rows", quantity="rows",
                                       expected=len(rows), got=len(values),
                                       hint="one value per row, in the table's order"))
        return report
    tolerance = 0.5 * 10.0 ** -decimals * 1.001
    for i, ((text, expected), given) in enumerate(zip(rows, values)):
        given = as_number(given)  # checks' policy: a real number, True is 1
        if given is None:
            report.failures.append(Failure(f"row {i + 1}", quantity=text, got=repr(values[i])))
            continue
        if abs(given - expected) <= tolerance + RTOL * abs(expected):
            continue
        failure = Failure(f"row {i + 1}", quantity=text, expected=expected, got=given)
        failure.hint = _row_hint(names[i] if names else None, expected, given,
                                 adjoint[i] if adjoint else None, tolerance)
        report.failures.append(failure)
    if not report.failures:
        report.summary = (f"all {len(rows)} rows right" if len(rows) > 1 else "right") + \
            f" to {decimals} decimals"
    return report


def _row_hint(name, expected, given, before, tolerance) -> str:
    if abs(given + expected) <= tolerance and expected != 0:
        return "the sign is flipped: check the sign of this row's local derivative"
    if before is not None:
        if abs(given - (expected - before)) <= tolerance:
            return ("this row adds a second path's contribution to an adjoint that already has "
                    f"one: add the earlier value ({number_text(round(before, 6))})")
        if abs(given - before) <= tolerance:
            return "you kept the earlier value: add this path's contribution to it"
    if name is None:
        return ""
    return f"recompute {name} from the rows above it (upstream × local)"


def check_gradients(y: Value, given: dict, decimals: int = 3) -> Report:
    """Compare hand-computed gradients ``{label: ∂y/∂input}`` with the engine's.

    The engine's values come from ``trace(y)`` (so ``.grad`` is never touched); inputs are
    named by their labels. A number is right when it agrees to ``decimals`` decimals.
    """
    title = "check_gradients"
    if is_blank(given):
        return Report(title, blank="fill in the gradients")
    expected = trace(y).gradients
    unknown = [name for name in given if name not in expected]
    if unknown:
        raise ValueError(f"check_gradients: no input labelled {unknown[0]!r}; the inputs are "
                         + ", ".join(expected))
    rows = [(f"∂{y.label or 'y'}/∂{name}", expected[name]) for name in given]
    return _check_rows(title, rows, list(given.values()), decimals)


def check_answer(given, expected, decimals: int = 3, name: str = "answer") -> Report:
    """Compare a hand-computed answer with the expected one, to ``decimals`` decimals.

    ``given`` is a number, a list of numbers, or a function; for a function, ``expected`` maps
    argument tuples to results (``{(0.5,): 1.0}``), and a result may be a ``Value``.
    """
    if callable(given) and name == "answer":
        name = getattr(given, "__name__", name)
    title = f"check_answer({name})"
    if is_blank(given):
        return Report(title, blank=f"write your {name}")
    if callable(given):
        function, rows, values = getattr(given, "__name__", name), [], []
        for args, result in expected.items():
            args = args if isinstance(args, tuple) else (args,)
            try:
                got = given(*args)
            except NotImplementedError:
                got = None
            if is_blank(got):
                return Report(title, blank=f"{function} still returns {got!r}")
            rows.append((f"{function}({', '.join(map(number_text, args))})", result))
            values.append(float(got.data) if isinstance(got, Value) else got)
        return _check_rows(title, rows, values, decimals)
    if isinstance(expected, (list, tuple)):
        if not isinstance(given, (list, tuple)):
            return Report(title, [Failure(name, quantity="type", got=repr(given),
                                          hint=f"a list of {len(expected)} numbers")], checked=1)
        rows = [(f"{name}[{i}]", e) for i, e in enumerate(expected)]
        return _check_rows(title, rows, list(given), decimals)
    return _check_rows(title, [(name, expected)], [given], decimals)
