"""Checked exercises: a learner's engine, local gradients and hand-filled traces, compared with
tinygrad_edu (the reference) and explained in the slides' words.

Four checkers, each returning a :class:`Report` that is truthy only when everything passed:

* ``check_engine(MyValue)`` runs a micrograd-style class on the slide expression, on nodes used
  more than once, on a 5,000-node chain and on random expression graphs with shared parts, and
  compares the output value and every input's gradient with tinygrad_edu (rtol 1e-9). When a
  case fails it shrinks it to the smallest failing sub-expression and names the classic
  mistake behind the symptom — ``=`` where ``+=`` belongs (the copy gate is a gradient
  *adder*), a flipped sign in a local derivative, a recursive backward.
* ``check_local_gradient("sin", fn)`` compares ``fn`` with the op table's local derivative.
* ``check_adjoint_trace(y, values)`` / ``check_forward_trace(y, values)`` compare numbers
  filled in by hand, one per row of ``trace(y)``, and name the first wrong row.
* ``check_gradients(y, {"w": …})`` compares hand-computed ∂y/∂input with the engine's, and
  ``check_answer(given, expected)`` any other number, list or function of the exercises.

A checker given a blank exercise (``...`` or ``None``, or a function that returns ``...`` or
raises ``NotImplementedError``) reports "not done yet: …" instead of raising, so a notebook of
blank exercises runs top to bottom.
"""
from __future__ import annotations

import html
import math
import numbers
import random
from dataclasses import dataclass, field

from .engine import Value, reverse_topological_order
from .ops import CALLS, OPS
from .trace import trace

__all__ = ["check_engine", "check_local_gradient", "check_adjoint_trace",
           "check_forward_trace", "check_gradients", "check_answer", "check_new_op", "Report",
           "Failure"]

RTOL = 1e-9
CHAIN_LENGTH = 5000


# ================================================================ the report
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
                out.append(f"{indent}{self.quantity}: expected {_num(self.expected)}, "
                           f"got {_show(self.got)}")
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


def _num(x) -> str:
    return f"{x:.10g}".replace("-", "−")


def _show(x) -> str:
    return _num(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else repr(x)


def _is_blank(x) -> bool:
    return x is Ellipsis or x is None


# ================================================================ programs: graphs as data
# A case is a small program: leaves first, then steps, each applying one op to earlier nodes.
# The same program runs on the learner's class and on tinygrad_edu.Value; a sub-expression is
# the program restricted to what one node depends on.

@dataclass(frozen=True)
class _Kind:
    arity: int
    apply: object           # (operands..., power) -> result, on any Value-like class
    table: str              # its op-table row (for the float math and the notation)
    label: str              # how reports and ops=... name it


_KINDS = {
    "+": _Kind(2, lambda a, b, p: a + b, "+", "+"),
    "−": _Kind(2, lambda a, b, p: a - b, "−", "−"),
    "×": _Kind(2, lambda a, b, p: a * b, "×", "×"),
    "/": _Kind(2, lambda a, b, p: a / b, "/", "/"),
    "** n": _Kind(1, lambda a, p: a ** p, "**", "** number"),
    "** v": _Kind(2, lambda a, b, p: a ** b, "**", "** Value"),
    "neg": _Kind(1, lambda a, p: -a, "neg", "unary −"),
    "exp": _Kind(1, lambda a, p: a.exp(), "exp", "exp"),
    "ln": _Kind(1, lambda a, p: a.log(), "ln", "log"),
    "sin": _Kind(1, lambda a, p: a.sin(), "sin", "sin"),
    "cos": _Kind(1, lambda a, p: a.cos(), "cos", "cos"),
    "tanh": _Kind(1, lambda a, p: a.tanh(), "tanh", "tanh"),
    "relu": _Kind(1, lambda a, p: a.relu(), "relu", "relu"),
    "sigmoid": _Kind(1, lambda a, p: a.sigmoid(), "sigmoid", "sigmoid"),
    "max": _Kind(2, lambda a, b, p: a.max(b), "max", "max"),
}

_ALIASES = {"add": "+", "-": "−", "sub": "−", "*": "×", "mul": "×", "div": "/",
            "**": ("** n", "** v"), "pow": ("** n", "** v"), "** number": "** n",
            "** Value": "** v", "unary −": "neg", "unary -": "neg", "log": "ln"}

_PRECEDENCE = {"+": 1, "−": 1, "×": 2, "/": 2, "neg": 3, "** n": 4, "** v": 4}


@dataclass(frozen=True)
class _Step:
    kind: str
    args: tuple
    power: float | None = None


@dataclass(frozen=True)
class _Program:
    names: tuple            # the leaves' names
    leaves: tuple           # the leaves' values
    steps: tuple            # node len(leaves) + k is steps[k]; the output is the last node

    @property
    def size(self) -> int:
        return len(self.leaves) + len(self.steps)

    def step(self, i: int) -> _Step | None:
        return None if i < len(self.leaves) else self.steps[i - len(self.leaves)]

    def below(self, i: int) -> list:
        """The nodes node ``i`` depends on (itself included), in program order."""
        seen, stack = {i}, [i]
        while stack:
            step = self.step(stack.pop())
            for j in step.args if step else ():
                if j not in seen:
                    seen.add(j)
                    stack.append(j)
        return sorted(seen)

    def sub(self, i: int) -> _Program:
        """The sub-expression computed at node ``i``, as a program of its own."""
        kept = self.below(i)
        index = {old: new for new, old in enumerate(kept)}
        n = len(self.leaves)
        leaf_ids = [j for j in kept if j < n]
        steps = [self.steps[j - n] for j in kept if j >= n]
        return _Program(tuple(self.names[j] for j in leaf_ids),
                        tuple(self.leaves[j] for j in leaf_ids),
                        tuple(_Step(s.kind, tuple(index[a] for a in s.args), s.power)
                              for s in steps))

    def uses(self) -> list:
        counts = [0] * self.size
        for s in self.steps:
            for a in s.args:
                counts[a] += 1
        return counts

    def text(self) -> str:
        """The expression in slide notation; a part used more than once is named qk."""
        counts = self.uses()
        out = self.size - 1
        shown, prec, lets = {}, {}, []
        for i in range(self.size):
            step = self.step(i)
            if step is None:
                shown[i], prec[i] = self.names[i], 9
                continue
            shown[i], prec[i] = _write(step, [shown[a] for a in step.args],
                                       [prec[a] for a in step.args])
            if counts[i] > 1 and i != out:
                lets.append(f"q{len(lets) + 1} = {shown[i]}")
                shown[i], prec[i] = f"q{len(lets)}", 9
        if not lets:
            return shown[out]
        return "; ".join(lets + [f"y = {shown[out]}"])

    def input_text(self) -> str:
        return ", ".join(f"{name} = {_num(v)}" for name, v in zip(self.names, self.leaves))


def _write(step: _Step, texts: list, precs: list):
    """One step in slide notation, with brackets only where precedence needs them."""
    kind = step.kind
    mine = _PRECEDENCE.get(kind, 9)
    if kind in ("** n", "** v"):
        base = texts[0] if precs[0] > mine else f"({texts[0]})"
        exponent = _num(step.power) if kind == "** n" else texts[1]
        if kind == "** v" and precs[1] < 9:
            exponent = f"({exponent})"
        return f"{base}^{exponent}", mine
    if kind == "neg":
        return "−" + (texts[0] if precs[0] > mine else f"({texts[0]})"), mine
    if kind in ("+", "−", "×", "/"):
        left = texts[0] if precs[0] >= mine else f"({texts[0]})"
        right = texts[1] if precs[1] > mine else f"({texts[1]})"  # a − (b − c), a × (b / c)
        return f"{left} {kind} {right}", mine
    return OPS[_KINDS[kind].table].write(*texts), 9


# ---------------------------------------------------------------- running a program
class _Broke(Exception):
    """The learner's class raised, or gave something that is not a number."""

    def __init__(self, where: str, error: BaseException | None = None, detail: str = ""):
        self.where, self.error = where, error
        self.detail = detail or f"{type(error).__name__}: {error}"
        super().__init__(f"{where}: {self.detail}")


def _apply(step: _Step, operands):
    return _KINDS[step.kind].apply(*operands, step.power)


def _number(x, what: str) -> float:
    if isinstance(x, numbers.Real):
        return float(x)
    raise _Broke(what, detail=f"{what} is {type(x).__name__} {x!r:.40}, not a number")


def _run(cls, prog: _Program):
    """(output value, [gradient of each leaf]) of ``prog`` built from ``cls`` and backward()."""
    nodes = []
    for v in prog.leaves:
        try:
            nodes.append(cls(v))
        except Exception as err:
            raise _Broke(f"{cls.__name__}({_num(v)})", err) from None
    for k, step in enumerate(prog.steps):
        try:
            nodes.append(_apply(step, [nodes[a] for a in step.args]))
        except Exception as err:
            what = _write(step, [f"v{a}" for a in step.args], [9] * len(step.args))[0]
            raise _Broke(f"computing {what}", err) from None
    y = nodes[-1]
    try:
        y.backward()
    except RecursionError:
        raise
    except Exception as err:
        raise _Broke("backward()", err) from None
    value = _number(getattr(y, "data", None), "the output's .data")
    grads = [_number(getattr(leaf, "grad", None), f"the .grad of {name}")
             for leaf, name in zip(nodes, prog.names)]
    return value, grads


def _reference(prog: _Program):
    """tinygrad_edu's value and leaf gradients, and the scale of each for the tolerance.

    The scale of a gradient is Σ |upstream| × |local| over all paths: rounding error grows
    with it when paths cancel, so it sets the absolute part of the tolerance.
    """
    nodes = [Value(v) for v in prog.leaves]
    for step in prog.steps:
        nodes.append(_apply(step, [nodes[a] for a in step.args]))
    y = nodes[-1]
    y.backward()
    size = {y: 1.0}
    for node in reverse_topological_order(y):
        upstream = size.get(node, 0.0)
        for parent, local in zip(node.parents, node.local_grads):
            size[parent] = size.get(parent, 0.0) + abs(local) * upstream
    scale_value = max([1.0] + [abs(n.data) for n in nodes])
    return (y.data, [leaf.grad for leaf in nodes[:len(prog.leaves)]],
            scale_value, [max(1.0, size.get(leaf, 0.0)) for leaf in nodes[:len(prog.leaves)]])


def _close(got: float, expected: float, scale: float) -> bool:
    return math.isclose(got, expected, rel_tol=RTOL, abs_tol=RTOL * scale) or \
        (math.isnan(got) and math.isnan(expected))


def _compare(cls, prog: _Program):
    """None if ``cls`` agrees with the reference on ``prog``, else (quantity, expected, got)."""
    value, grads, scale_value, scales = _reference(prog)
    got_value, got_grads = _run(cls, prog)
    if not _close(got_value, value, scale_value):
        return "value", value, got_value
    for name, e, g, s in zip(prog.names, grads, got_grads, scales):
        if not _close(g, e, s):
            return f"∂y/∂{name}", e, g
    return None


# ================================================================ check_engine
def check_engine(value_class, ops=None, cases=200, seed=0, iterative=False) -> Report:
    """Run a micrograd-style class against tinygrad_edu and explain the first mismatch.

    ``value_class(x)`` must build a node from a float, with ``.data``, ``.grad``, operators and
    ``.backward()``. The ops it supports are found by trying them (``+ − × / **`` with a number
    and with a Value exponent, unary ``−``, ``exp log sin cos tanh relu sigmoid max``); ``ops``
    restricts the check to some of them. A recursive backward that fails on the 5,000-node
    chain is a warning, and a failure with ``iterative=True``.
    """
    title = f"check_engine({getattr(value_class, '__name__', value_class)!s})"
    if _is_blank(value_class):
        return Report(title, blank="write your Value class, then check it")
    supported, refused = _supported(value_class)
    if ops is not None:
        wanted = _resolve(ops)
        missing = [k for k in wanted if k not in supported]
        supported = [k for k in supported if k in wanted]
        if missing:
            fails = [Failure(f"op {_KINDS[k].label}", quantity="trying it",
                             got=refused.get(k, "not supported"),
                             hint="ops=... names an op your class does not support")
                     for k in missing]
            return Report(title, fails, checked=len(wanted))
    if not supported:
        return Report(title, [Failure("trying the ops", quantity="result",
                                      got="no op worked on two instances (1.3 and 0.7)",
                                      hint="each op must return a new instance of your class")],
                      checked=1)
    summary = "ops: " + " ".join(_KINDS[k].label for k in supported)
    report = Report(title, summary=summary, unit="cases")
    runs = _fixed_cases(supported)
    rng = random.Random(seed)
    runs += [(f"random case {i + 1}", _random_program(rng, supported)) for i in range(cases)]
    for case, prog in runs:
        if prog is None:
            continue
        report.checked += 1
        failure = _check_one(value_class, case, prog, iterative, report)
        if failure is not None:
            report.failures.append(failure)
    if not report.failures:
        skipped = [k for k in _KINDS if k not in supported]
        report.summary = (f"all {report.checked} cases agree with tinygrad_edu ({summary}"
                          + (f"; not tried: {' '.join(_KINDS[k].label for k in skipped)}"
                             if skipped else "") + ")")
    return report


def _supported(cls):
    """The op kinds ``cls`` handles (trying each on fresh 1.3 and 0.7), and why others fail."""
    ok, refused = [], {}
    for kind, spec in _KINDS.items():
        step = _Step(kind, (0, 1)[:spec.arity], 2.0 if kind == "** n" else None)
        try:
            a, b = cls(1.3), cls(0.7)
            out = _apply(step, (a, b)[:spec.arity])
            float(out.data)
            out.backward
        except Exception as err:
            refused[kind] = f"{type(err).__name__}: {err}"
            continue
        ok.append(kind)
    return ok, refused


def _resolve(ops) -> list:
    kinds = []
    for name in ([ops] if isinstance(ops, str) else ops):
        found = _ALIASES.get(name, name)
        for kind in (found if isinstance(found, tuple) else (found,)):
            if kind not in _KINDS:
                known = " ".join(spec.label for spec in _KINDS.values())
                raise ValueError(f"check_engine: unknown op {name!r}; known: {known}")
            kinds.append(kind)
    return kinds


def _fixed_cases(supported) -> list:
    have = set(supported).__contains__
    runs = []
    if all(map(have, ("ln", "sin", "+", "×", "−"))):
        runs.append(("the slide expression ln(x1) + x1·x2 − sin(x2)",
                     _Program(("x1", "x2"), (2.0, 5.0),
                              (_Step("ln", (0,)), _Step("×", (0, 1)), _Step("sin", (1,)),
                               _Step("+", (2, 3)), _Step("−", (5, 4))))))
    if have("+") and have("×"):
        runs.append(("a node used twice: a × a + a",
                     _Program(("a",), (-1.5,), (_Step("×", (0, 0)), _Step("+", (1, 0))))))
        runs.append(("a node used three times: q × q + q with q = a + b",
                     _Program(("a", "b"), (0.5, -2.0),
                              (_Step("+", (0, 1)), _Step("×", (2, 2)), _Step("+", (3, 2))))))
    if have("+"):
        steps = [_Step("+", (0, 1))] + [_Step("+", (k + 1, 1)) for k in range(1, CHAIN_LENGTH)]
        runs.append((f"a chain of {CHAIN_LENGTH:,} nodes: a + b + b + …",
                     _Program(("a", "b"), (0.25, 0.5), tuple(steps))))
    return runs


def _check_one(cls, case: str, prog: _Program, iterative: bool, report: Report):
    try:
        mismatch = _compare(cls, prog)
    except RecursionError:
        message = (f"your backward is recursive: it fails past about 1,000 nodes (on {case} it "
                   f"raised RecursionError). Walk the graph with an explicit stack instead")
        if iterative:
            return Failure(case, quantity="backward()", got="RecursionError", hint=message)
        report.warnings.append(message + "; check_engine(..., iterative=True) makes this a "
                               "failure")
        return None
    except _Broke as broke:
        return Failure(case, _short_text(prog), prog.input_text(), broke.where,
                       got=broke.detail, hint=_hint_broke(broke))
    if mismatch is None:
        return None
    quantity, expected, got = mismatch
    failure = Failure(case, _short_text(prog), prog.input_text(), quantity, expected, got)
    smallest = _shrink(cls, prog)
    if smallest is not None and smallest[0].size < prog.size:
        sub, (q, e, g) = smallest
        failure.smallest = Failure("", sub.text(), sub.input_text(), q, e, g)
        failure.hint = _hint(cls, sub, q, e, g)
    else:
        failure.hint = _hint(cls, prog, quantity, expected, got)
    return failure


def _short_text(prog: _Program) -> str:
    if prog.size > 40:
        return f"{prog.size} nodes (see the smallest failing sub-expression)"
    return prog.text()


def _shrink(cls, prog: _Program, tries: int = 300):
    """The first sub-expression, in program order, that fails: all of its parts pass."""
    for i in range(len(prog.leaves), min(prog.size, len(prog.leaves) + tries)):
        sub = prog.sub(i)
        try:
            mismatch = _compare(cls, sub)
        except (_Broke, RecursionError):
            continue
        if mismatch is not None:
            return sub, mismatch
    return None


# ---------------------------------------------------------------- hints: symptom → mistake
_SIGN_MISTAKES = {
    "−": "∂(a − b)/∂b is −1, not +1",
    "/": "∂(a / b)/∂b is −a/b² (upstream × −a/b²), not +a/b²",
    "sin": "d sin x/dx is cos x, not −cos x",
    "cos": "d cos x/dx is −sin x, not sin x",
    "neg": "d(−a)/da is −1",
    "** n": "d(xⁿ)/dx is n·xⁿ⁻¹",
    "** v": "∂(a^b)/∂b is a^b·ln a",
}


def _hint(cls, prog: _Program, quantity: str, expected: float, got: float) -> str:
    top = prog.steps[-1] if prog.steps else None
    op = _KINDS[top.kind].label if top else "?"
    if quantity == "value":
        return (f"the forward value is wrong: check what {op} computes "
                f"(tinygrad_edu gives {_num(expected)})")
    local = _isolate(cls, prog)
    if local is not None:
        what, at, e, g = local
        text = f"the local derivative {what} is wrong: {at} it is {_num(e)}, yours gives {_num(g)}"
        if _same(g, -e) and top.kind in _SIGN_MISTAKES:
            text += f" — the sign is flipped: {_SIGN_MISTAKES[top.kind]}"
        return text
    if got == 0.0 and expected != 0.0:
        return ("no gradient reached this input: does every op record its operands as parents "
                "and give each a backward step, and does backward() start from ȳ = 1?")
    if _same(got, -expected):
        culprit = [s.kind for s in prog.steps if s.kind in _SIGN_MISTAKES]
        classic = "; ".join(dict.fromkeys(_SIGN_MISTAKES[k] for k in culprit))
        return ("the sign is flipped: a local derivative has the wrong sign"
                + (f" ({classic})" if classic else ""))
    ratio = got / expected if expected != 0.0 else 0.0
    too_many = ratio >= 1.5 and _same(ratio, round(ratio))
    if too_many:
        return (f"the gradient is {round(ratio)}× too large: backward runs a node's step more "
                "than once (the topological sort needs a visited set)")
    if any(count > 1 for count in prog.uses()) and _unshared_agrees(cls, prog):
        return ("a node used more than once gets only part of its gradient: its adjoint must "
                "be the sum over every use (copy gate: gradient adder) — `=` where `+=` "
                "belongs, or backward passed a node's gradient on before all of it had "
                "arrived (visit nodes in reverse topological order)")
    ops = " ".join(dict.fromkeys(_KINDS[s.kind].label for s in prog.steps))
    return (f"a local derivative is wrong (ops here: {ops}): check each one with "
            f"check_local_gradient(...)")


def _isolate(cls, prog: _Program):
    """The last op alone, on fresh inputs holding its operands' values: is a local derivative
    wrong? Returns (which derivative, where, expected, got) or None.

    All parts of a smallest failing sub-expression pass, so its last op is the suspect.
    """
    step = prog.steps[-1]
    data = _reference_data(prog)
    xs = [data[a] for a in step.args]
    names = ("a", "b")[:len(xs)]
    single = _Program(names, tuple(xs), (_Step(step.kind, tuple(range(len(xs))), step.power),))
    try:
        mismatch = _compare(cls, single)
    except (_Broke, RecursionError):
        return None
    if mismatch is None or mismatch[0] == "value":
        return None
    q, e, g = mismatch
    node = _write(single.steps[0], list(names), [9, 9])[0]
    which = q.split("/∂")[1]
    at = "at " + single.input_text()
    return (f"d({node})/da" if len(xs) == 1 else f"∂({node})/∂{which}"), at, e, g


def _reference_data(prog: _Program) -> list:
    nodes = [Value(v) for v in prog.leaves]
    for step in prog.steps:
        nodes.append(_apply(step, [nodes[a] for a in step.args]))
    return [n.data for n in nodes]


def _hint_broke(broke: _Broke) -> str:
    if broke.where == "backward()":
        return "backward() raised: run it by hand on this expression and read the traceback"
    if broke.where.startswith("the "):
        return "after backward(), .data and every input's .grad must be numbers"
    return "an op raised where tinygrad_edu computes a value"


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)


def _unshared_agrees(cls, prog: _Program) -> bool:
    """Does ``cls`` get it right when every use of a node is a fresh copy (a tree)?

    If so, the engine's local derivatives are right and only the summing over uses is wrong.
    """
    n = len(prog.leaves)
    tree = [[prog.size - 1, []]]          # (program node, children) — parents before children
    stack = [0]
    while stack and len(tree) < 2000:
        t = stack.pop()
        step = prog.step(tree[t][0])
        for a in step.args if step else ():
            tree.append([a, []])
            tree[t][1].append(len(tree) - 1)
            stack.append(len(tree) - 1)
    if stack:
        return False
    built, copies = {}, {i: [] for i in range(n)}
    try:
        for t in reversed(range(len(tree))):
            node, children = tree[t]
            if node < n:
                built[t] = cls(prog.leaves[node])
                copies[node].append(built[t])
            else:
                built[t] = _apply(prog.step(node), [built[c] for c in children])
        built[0].backward()
        grads = [sum(float(c.grad) for c in copies[i]) for i in range(n)]
    except Exception:
        return False
    _, expected, _, scales = _reference(prog)
    return all(_close(g, e, s) for g, e, s in zip(grads, expected, scales))


# ---------------------------------------------------------------- random graphs
_POWERS = (2.0, 3.0, -1.0, 0.5, -2.0)


def _random_program(rng: random.Random, kinds) -> _Program | None:
    """A random expression graph over ``kinds`` whose parts are reused, safely inside every
    op's domain and away from kinks (relu at 0, max at a tie)."""
    n = rng.randint(1, 3)
    names = ("a", "b", "c")[:n]
    values = [round(rng.choice((-1, 1)) * rng.uniform(0.2, 2.0), 6) for _ in range(n)]
    data, steps = list(values), []
    for _ in range(rng.randint(2, 9)):
        for _attempt in range(30):
            kind = rng.choice(kinds)
            spec = _KINDS[kind]
            args = tuple(len(data) - 1 if rng.random() < 0.5 else rng.randrange(len(data))
                         for _ in range(spec.arity))
            power = rng.choice(_POWERS) if kind == "** n" else None
            out = _safe(kind, [data[a] for a in args], power)
            if out is not None:
                data.append(out)
                steps.append(_Step(kind, args, power))
                break
    if not steps:
        return None
    prog = _Program(names, tuple(values), tuple(steps))
    if "+" in kinds:   # fold parts nothing uses into the output, so every step counts
        used = set(prog.below(prog.size - 1))
        for i in range(n, prog.size - 1):
            if i not in used and abs(data[-1] + data[i]) < 50:
                data.append(data[-1] + data[i])
                steps.append(_Step("+", (len(data) - 2, i)))
        prog = _Program(names, tuple(values), tuple(steps))
    return prog


def _safe(kind: str, xs: list, power) -> float | None:
    """The float result of one step, or None when it is near a domain edge or a kink."""
    if kind == "ln" and xs[0] < 0.1 or kind == "/" and abs(xs[1]) < 0.25:
        return None
    if kind == "** v" and not (xs[0] > 0.2 and abs(xs[1]) < 3):
        return None
    if kind == "** n" and (power < 0 or not power.is_integer()) and xs[0] < 0.2:
        return None
    if kind == "exp" and xs[0] > 3 or kind == "relu" and abs(xs[0]) < 0.01:
        return None
    if kind == "max" and abs(xs[0] - xs[1]) < 0.01:
        return None
    try:
        if kind == "** n":
            out = OPS["**"].forward(xs[0], power)[0]
        else:
            out = OPS[_KINDS[kind].table].forward(*xs)[0]
    except ArithmeticError:
        return None
    return out if math.isfinite(out) and abs(out) < 50 else None


# ================================================================ check_local_gradient
_OP_ALIASES = {"*": "×", "mul": "×", "-": "−", "sub": "−", "add": "+", "div": "/",
               "pow": "**", "σ": "sigmoid"}


def _op_row(op: str):
    name = _OP_ALIASES.get(op, op)
    if name in OPS:
        return OPS[name]
    if name in CALLS:
        return CALLS[name]
    known = " ".join(sorted(set(OPS) | set(CALLS)))
    raise ValueError(f"check_local_gradient: unknown op {op!r}; known: {known}")


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
    if _is_blank(fn):
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
        if _is_blank(given):
            return Report(title, blank=f"{name} still returns {given!r}: write the derivative "
                                       f"of {node}")
        report.checked += 1
        given = _as_tuple(given, row.arity)
        if given is None:
            report.failures.append(Failure(
                _at(operands, xs), quantity="result",
                got=f"{fn(*xs)!r}, expected " + ("a number" if row.arity == 1 else
                                                  "a pair (∂/∂a, ∂/∂b)")))
            continue
        for q, e, g in zip(quantities, expected, given):
            if not math.isclose(g, e, rel_tol=RTOL, abs_tol=1e-12):
                wrong_sign &= _same(g, -e)
                report.failures.append(Failure(_at(operands, xs), quantity=q, expected=e,
                                               got=g))
                break
    if report.failures and report.failures[0].expected is not None:
        first = report.failures[0]
        if wrong_sign:
            classic = _SIGN_MISTAKES.get({"**": "** n"}.get(row.name, row.name), "")
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
    return "at " + ", ".join(f"{n} = {_num(x)}" for n, x in zip(names, xs))


def _as_tuple(given, arity: int):
    if arity == 1:
        given = (given,)
    try:
        given = tuple(given)
    except TypeError:
        return None
    if len(given) != arity or not all(isinstance(g, numbers.Real) for g in given):
        return None
    return tuple(float(g) for g in given)


# ================================================================ hand-filled traces
def check_forward_trace(y: Value, values, decimals: int = 3) -> Report:
    """Compare hand-filled numbers, one per row of ``trace(y).forward``, with the trace.

    A number is right when it agrees to ``decimals`` decimals, as the slides print them.
    The report names the first wrong row. ``.grad`` is never touched.
    """
    rows = [(f"{r.name} = {r.expr}", r.value) for r in trace(y).forward]
    return _check_rows("check_forward_trace", rows, values, decimals, adjoint=None)


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
                       values, decimals, adjoint=before)


def _check_rows(title, rows, values, decimals, adjoint, trace_rows=True) -> Report:
    if _is_blank(values):
        return Report(title, blank=f"fill in the {len(rows)} values, one per row")
    values = list(values)
    blanks = [i for i, v in enumerate(values) if _is_blank(v)]
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
        if not isinstance(given, numbers.Real):
            report.failures.append(Failure(f"row {i + 1}", quantity=text, got=repr(given)))
            continue
        if abs(given - expected) <= tolerance + RTOL * abs(expected):
            continue
        failure = Failure(f"row {i + 1}", quantity=text, expected=expected, got=float(given))
        failure.hint = _row_hint(text, expected, given, adjoint[i] if adjoint else None,
                                 tolerance, trace_rows)
        report.failures.append(failure)
    if not report.failures:
        report.summary = (f"all {len(rows)} rows right" if len(rows) > 1 else "right") + \
            f" to {decimals} decimals"
    return report


def _row_hint(text, expected, given, before, tolerance, trace_rows=True) -> str:
    if abs(given + expected) <= tolerance and expected != 0:
        return "the sign is flipped: check the sign of this row's local derivative"
    if before is not None:
        if abs(given - (expected - before)) <= tolerance:
            return ("this row adds a second path's contribution to an adjoint that already has "
                    f"one: add the earlier value ({_num(round(before, 6))})")
        if abs(given - before) <= tolerance:
            return "you kept the earlier value: add this path's contribution to it"
    if not trace_rows:
        return ""
    name = text.split(" = ")[0]
    return f"recompute {name} from the rows above it (upstream × local)"



# ================================================================ gradients and answers by hand
def check_gradients(y: Value, given: dict, decimals: int = 3) -> Report:
    """Compare hand-computed gradients ``{label: ∂y/∂input}`` with the engine's.

    The engine's values come from ``trace(y)`` (so ``.grad`` is never touched); inputs are
    named by their labels. A number is right when it agrees to ``decimals`` decimals.
    """
    title = "check_gradients"
    if _is_blank(given):
        return Report(title, blank="fill in the gradients")
    expected = trace(y).gradients
    unknown = [name for name in given if name not in expected]
    if unknown:
        raise ValueError(f"check_gradients: no input labelled {unknown[0]!r}; the inputs are "
                         + ", ".join(expected))
    rows = [(f"∂{y.label or 'y'}/∂{name}", expected[name]) for name in given]
    return _check_rows(title, rows, list(given.values()), decimals, adjoint=None,
                       trace_rows=False)


def check_answer(given, expected, decimals: int = 3, name: str = "answer") -> Report:
    """Compare a hand-computed answer with the expected one, to ``decimals`` decimals.

    ``given`` is a number, a list of numbers, or a function; for a function, ``expected`` maps
    argument tuples to results (``{(0.5,): 1.0}``), and a result may be a ``Value``.
    """
    if callable(given) and name == "answer":
        name = getattr(given, "__name__", name)
    title = f"check_answer({name})"
    if _is_blank(given):
        return Report(title, blank=f"write your {name}")
    if callable(given):
        rows, values = [], []
        for args, result in expected.items():
            args = args if isinstance(args, tuple) else (args,)
            try:
                got = given(*args)
            except NotImplementedError:
                got = None
            if _is_blank(got):
                return Report(title, blank=f"{getattr(given, '__name__', name)} still returns "
                                           f"{got!r}")
            rows.append((f"{getattr(given, '__name__', name)}{_args(args)}", result))
            values.append(float(got.data) if isinstance(got, Value) else got)
        return _check_rows(title, rows, values, decimals, adjoint=None, trace_rows=False)
    if isinstance(expected, (list, tuple)):
        if not isinstance(given, (list, tuple)):
            return Report(title, [Failure(name, quantity="type", got=repr(given),
                                          hint=f"a list of {len(expected)} numbers")], checked=1)
        rows = [(f"{name}[{i}]", e) for i, e in enumerate(expected)]
        return _check_rows(title, rows, list(given), decimals, adjoint=None, trace_rows=False)
    return _check_rows(title, [(name, expected)], [given], decimals, adjoint=None,
                       trace_rows=False)


def _args(args) -> str:
    return "(" + ", ".join(_num(a) for a in args) + ")"


# ================================================================ a new op
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
    if _is_blank(op):
        return Report(title, blank="build the Op row")
    try:
        middle = [(lo + hi) / 2 for lo, hi in op.domain]
        trial = op.forward(*middle)
    except NotImplementedError:
        trial = None
    except Exception as err:
        return Report(title, [Failure("the middle of the domain", quantity="forward",
                                      got=f"raised {type(err).__name__}: {err}")], checked=1)
    if _is_blank(trial) or (isinstance(trial, tuple) and any(map(_is_blank, trial))):
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
        extra = first.hint or _flip_hint(first)
        first.hint = "not registered until the row is right" + (f"; {extra}" if extra else "")
        return report
    from . import ops
    if op.name in ops.OPS and not _same_row(ops.OPS[op.name], op):
        report.failures.append(Failure(
            "registering", quantity="name", got=f"an op named {op.name!r} is in the table "
            "already", hint="restart the kernel to register a changed row under the same name"))
        return report
    if op.name not in ops.OPS:
        try:
            ops.register(op)
        except (TypeError, ValueError) as err:
            report.failures.append(Failure("registering", quantity="register", got=str(err)))
            return report
    report.failures += _check_registered(op, names, rng)
    if not report.failures:
        x = Value(0.5, label="x")
        written = trace(getattr(x, op.method)()).forward[-2].expr if op.method else op.name
        report.summary = (f"{report.checked} points agree with central differences; "
                          f"registered: Value.{op.method}, written '{written}' in traces")
    return report


def _check_row_at(op, xs, names):
    value, *local = op.forward(*xs)
    where = _at(names, xs)
    for i in range(op.arity):
        h = 1e-6 * max(1.0, abs(xs[i]))
        up = list(xs)
        down = list(xs)
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


def _flip_hint(failure: Failure) -> str:
    if failure.expected is not None and _same(failure.got, -failure.expected):
        return "the sign is flipped"
    return ""


def _check_registered(op, names, rng) -> list:
    if op.method is None or op.arity != 1:
        return []
    failures = []
    for _ in range(5):
        (x,) = _sample(op, rng)
        node = Value(x)
        out = getattr(node, op.method)()
        out.backward()
        value, local = op.forward(x)
        if out.data != value or not math.isclose(node.grad, local, rel_tol=1e-12):
            failures.append(Failure(_at(names, (x,)), quantity=f"Value.{op.method}",
                                    expected=local, got=node.grad))
    return failures
