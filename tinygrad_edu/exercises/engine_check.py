"""``check_engine``: a learner's micrograd-style class against tinygrad_edu, case by case."""
from __future__ import annotations

import random

from ..engine import Value
from .programs import (
    ALIASES,
    KINDS,
    Broke,
    Program,
    Step,
    apply_step,
    build,
    close,
    compare,
    random_program,
    reference,
    write_step,
)
from .report import SIGN_MISTAKES, Failure, Report, is_blank, number_text, same_number

CHAIN_LENGTH = 5000


def check_engine(value_class, ops=None, cases=200, seed=0, iterative=False) -> Report:
    """Run a micrograd-style class against tinygrad_edu and explain the first mismatch.

    ``value_class(x)`` must build a node from a float, with ``.data``, ``.grad``, operators and
    ``.backward()``. The ops it supports are found by trying them (``+ − × / **`` with a number
    and with a Value exponent, unary ``−``, ``exp log sin cos tanh relu sigmoid max``); ``ops``
    restricts the check to some of them. A recursive backward that fails on the 5,000-node
    chain is a warning, and a failure with ``iterative=True``.
    """
    title = f"check_engine({getattr(value_class, '__name__', value_class)!s})"
    if is_blank(value_class):
        return Report(title, blank="write your Value class, then check it")
    supported, refused = _supported(value_class)
    if ops is not None:
        wanted = _resolve(ops)
        missing = [k for k in wanted if k not in supported]
        supported = [k for k in supported if k in wanted]
        if missing:
            fails = [Failure(f"op {KINDS[k].label}", quantity="trying it",
                             got=refused.get(k, "not supported"),
                             hint="ops=... names an op your class does not support")
                     for k in missing]
            return Report(title, fails, checked=len(wanted))
    if not supported:
        return Report(title, [Failure("trying the ops", quantity="result",
                                      got="no op worked on two instances (1.3 and 0.7)",
                                      hint="each op must return a new instance of your class")],
                      checked=1)
    summary = "ops: " + " ".join(KINDS[k].label for k in supported)
    report = Report(title, summary=summary, unit="cases")
    runs = _fixed_cases(supported)
    rng = random.Random(seed)
    runs += [(f"random case {i + 1}", random_program(rng, supported)) for i in range(cases)]
    for case, prog in runs:
        if prog is None:
            continue
        report.checked += 1
        failure = _check_one(value_class, case, prog, iterative, report)
        if failure is not None:
            report.failures.append(failure)
    if not report.failures:
        skipped = [k for k in KINDS if k not in supported]
        report.summary = (f"all {report.checked} cases agree with tinygrad_edu ({summary}"
                          + (f"; not tried: {' '.join(KINDS[k].label for k in skipped)}"
                             if skipped else "") + ")")
    return report


def _supported(cls):
    """The op kinds ``cls`` handles (trying each on fresh 1.3 and 0.7), and why others fail."""
    refused = {}
    for kind, spec in KINDS.items():
        step = Step(kind, (0, 1)[:spec.arity], 2.0 if kind == "** n" else None)
        try:
            a, b = cls(1.3), cls(0.7)
            out = apply_step(step, (a, b)[:spec.arity])
            float(out.data)
            out.backward
        except Exception as err:
            refused[kind] = f"{type(err).__name__}: {err}"
    return [kind for kind in KINDS if kind not in refused], refused


def _resolve(ops) -> list:
    kinds = []
    for name in ([ops] if isinstance(ops, str) else ops):
        found = ALIASES.get(name, name)
        for kind in (found if isinstance(found, tuple) else (found,)):
            if kind not in KINDS:
                known = " ".join(spec.label for spec in KINDS.values())
                raise ValueError(f"check_engine: unknown op {name!r}; known: {known}")
            kinds.append(kind)
    return kinds


def _fixed_cases(supported) -> list:
    have = set(supported).__contains__
    runs = []
    if all(map(have, ("ln", "sin", "+", "×", "−"))):
        runs.append(("the slide expression ln(x1) + x1·x2 − sin(x2)",
                     Program(("x1", "x2"), (2.0, 5.0),
                              (Step("ln", (0,)), Step("×", (0, 1)), Step("sin", (1,)),
                               Step("+", (2, 3)), Step("−", (5, 4))))))
    if have("+") and have("×"):
        runs.append(("a node used twice: a × a + a",
                     Program(("a",), (-1.5,), (Step("×", (0, 0)), Step("+", (1, 0))))))
        runs.append(("a node used three times: q × q + q with q = a + b",
                     Program(("a", "b"), (0.5, -2.0),
                              (Step("+", (0, 1)), Step("×", (2, 2)), Step("+", (3, 2))))))
    if have("+"):
        steps = [Step("+", (0, 1))] + [Step("+", (k + 1, 1)) for k in range(1, CHAIN_LENGTH)]
        runs.append((f"a chain of {CHAIN_LENGTH:,} nodes: a + b + b + …",
                     Program(("a", "b"), (0.25, 0.5), tuple(steps))))
    return runs


def _check_one(cls, case: str, prog: Program, iterative: bool, report: Report):
    try:
        mismatch = compare(cls, prog)
    except RecursionError:
        message = (f"your backward is recursive: it fails past about 1,000 nodes (on {case} it "
                   f"raised RecursionError). Walk the graph with an explicit stack instead")
        if iterative:
            return Failure(case, quantity="backward()", got="RecursionError", hint=message)
        report.warnings.append(message + "; check_engine(..., iterative=True) makes this a "
                               "failure")
        return None
    except Broke as broke:
        return Failure(case, _short_text(prog), prog.input_text(), broke.where,
                       got=broke.detail, hint=broke.hint)
    if mismatch is None:
        return None
    failure = Failure(case, _short_text(prog), prog.input_text(), *mismatch)
    sub, (q, e, g) = _shrink(cls, prog) or (prog, mismatch)
    if sub.size < prog.size:
        failure.smallest = Failure("", sub.text(), sub.input_text(), q, e, g)
    failure.hint = _hint(cls, sub, q, e, g)
    return failure


def _short_text(prog: Program) -> str:
    if prog.size > 40:
        return f"{prog.size} nodes (see the smallest failing sub-expression)"
    return prog.text()


def _shrink(cls, prog: Program, tries: int = 300):
    """The first sub-expression, in program order, that fails: all of its parts pass."""
    for i in range(len(prog.leaves), min(prog.size, len(prog.leaves) + tries)):
        sub = prog.sub(i)
        try:
            mismatch = compare(cls, sub)
        except (Broke, RecursionError):
            continue
        if mismatch is not None:
            return sub, mismatch
    return None


# ---------------------------------------------------------------- hints: symptom → mistake
def _hint(cls, prog: Program, quantity: str, expected: float, got: float) -> str:
    top = prog.steps[-1]               # every case has steps
    if quantity == "value":
        return (f"the forward value is wrong: check what {KINDS[top.kind].label} computes "
                f"(tinygrad_edu gives {number_text(expected)})")
    local = _isolate(cls, prog)
    if local is not None:
        what, at, e, g = local
        text = (f"the local derivative {what} is wrong: {at} it is {number_text(e)}, "
                f"yours gives {number_text(g)}")
        if same_number(g, -e) and top.kind in SIGN_MISTAKES:
            text += f" — the sign is flipped: {SIGN_MISTAKES[top.kind]}"
        return text
    if got == 0.0 and expected != 0.0:
        return ("no gradient reached this input: does every op record its operands as parents "
                "and give each a backward step, and does backward() start from ȳ = 1?")
    if same_number(got, -expected):
        culprit = [s.kind for s in prog.steps if s.kind in SIGN_MISTAKES]
        classic = "; ".join(dict.fromkeys(SIGN_MISTAKES[k] for k in culprit))
        return ("the sign is flipped: a local derivative has the wrong sign"
                + (f" ({classic})" if classic else ""))
    ratio = got / expected if expected != 0.0 else 0.0
    if ratio >= 1.5 and same_number(ratio, round(ratio)):
        return (f"the gradient is {round(ratio)}× too large: backward runs a node's step more "
                "than once (the topological sort needs a visited set)")
    if any(count > 1 for count in prog.uses()) and _unshared_agrees(cls, prog):
        return ("a node used more than once gets only part of its gradient: its adjoint must "
                "be the sum over every use (copy gate: gradient adder) — `=` where `+=` "
                "belongs, or backward passed a node's gradient on before all of it had "
                "arrived (visit nodes in reverse topological order)")
    ops = " ".join(dict.fromkeys(KINDS[s.kind].label for s in prog.steps))
    return (f"a local derivative is wrong (ops here: {ops}): check each one with "
            f"check_local_gradient(...)")


def _isolate(cls, prog: Program):
    """The last op alone, on fresh inputs holding its operands' values: is a local derivative
    wrong? Returns (which derivative, where, expected, got) or None.

    All parts of a smallest failing sub-expression pass, so its last op is the suspect.
    """
    step = prog.steps[-1]
    nodes = build(Value, prog)
    xs = [nodes[a].data for a in step.args]
    names = ("a", "b")[:len(xs)]
    single = Program(names, tuple(xs), (Step(step.kind, tuple(range(len(xs))), step.power),))
    try:
        mismatch = compare(cls, single)
    except (Broke, RecursionError):
        return None
    if mismatch is None or mismatch[0] == "value":
        return None
    q, e, g = mismatch
    node = write_step(single.steps[0], list(names), [9, 9])[0]
    wrt = {f"∂y/∂{name}": name for name in names}[q]        # compare's quantity, looked up
    what = f"d({node})/da" if len(xs) == 1 else f"∂({node})/∂{wrt}"
    return what, "at " + single.input_text(), e, g


def _unshared_agrees(cls, prog: Program) -> bool:
    """Does ``cls`` get it right when every use of a node is a fresh copy (a tree)?

    If so, the engine's local derivatives are right and only the summing over uses is wrong.
    A node needs one copy per path from it to the output; trees of 2,000 nodes or more are
    not tried.
    """
    n, out = len(prog.leaves), prog.size - 1
    paths = [0] * prog.size
    paths[out] = 1
    for i in reversed(range(n, prog.size)):
        for a in prog.step(i).args:
            paths[a] += paths[i]
    if sum(paths) >= 2000:
        return False
    copies = []                      # copies[i]: the unused copies of node i
    try:
        for i, v in enumerate(prog.leaves):
            copies.append([cls(v) for _ in range(paths[i])])
        leaves = [list(c) for c in copies]
        for i, step in enumerate(prog.steps, start=n):
            copies.append([apply_step(step, [copies[a].pop() for a in step.args])
                           for _ in range(paths[i])])
        copies[out][0].backward()
        grads = [sum(float(c.grad) for c in leaf) for leaf in leaves]
    except Exception:
        return False
    _, expected, _, scales = reference(prog)
    return all(close(g, e, s) for g, e, s in zip(grads, expected, scales))
