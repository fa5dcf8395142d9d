"""Expression graphs as data: a case of ``check_engine`` is a small program (leaves, then steps
applying one op to earlier nodes) that runs on the learner's class and on ``tinygrad_edu.Value``
alike; a sub-expression is the program restricted to what one node depends on.
"""
from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass

from ..checks import as_number, shown
from ..engine import Value, reverse_topological_order
from ..ops import OPS
from .report import RTOL, number_text


@dataclass(frozen=True)
class Kind:
    arity: int
    apply: object           # (operands..., power) -> result, on any Value-like class
    table: str              # its op-table row (for the float math and the notation)
    label: str              # how reports and ops=... name it


KINDS = {
    "+": Kind(2, lambda a, b, p: a + b, "+", "+"),
    "−": Kind(2, lambda a, b, p: a - b, "−", "−"),
    "×": Kind(2, lambda a, b, p: a * b, "×", "×"),
    "/": Kind(2, lambda a, b, p: a / b, "/", "/"),
    "** n": Kind(1, lambda a, p: a ** p, "**", "** number"),
    "** v": Kind(2, lambda a, b, p: a ** b, "**", "** Value"),
    "neg": Kind(1, lambda a, p: -a, "neg", "unary −"),
    "exp": Kind(1, lambda a, p: a.exp(), "exp", "exp"),
    "ln": Kind(1, lambda a, p: a.log(), "ln", "log"),
    "sin": Kind(1, lambda a, p: a.sin(), "sin", "sin"),
    "cos": Kind(1, lambda a, p: a.cos(), "cos", "cos"),
    "tanh": Kind(1, lambda a, p: a.tanh(), "tanh", "tanh"),
    "relu": Kind(1, lambda a, p: a.relu(), "relu", "relu"),
    "sigmoid": Kind(1, lambda a, p: a.sigmoid(), "sigmoid", "sigmoid"),
    "max": Kind(2, lambda a, b, p: a.max(b), "max", "max"),
}

ALIASES = {"add": "+", "-": "−", "sub": "−", "*": "×", "mul": "×", "div": "/",
            "**": ("** n", "** v"), "pow": ("** n", "** v"), "** number": "** n",
            "** Value": "** v", "unary −": "neg", "unary -": "neg", "log": "ln"}

_PRECEDENCE = {"+": 1, "−": 1, "×": 2, "/": 2, "neg": 3, "** n": 4, "** v": 4}


@dataclass(frozen=True)
class Step:
    kind: str
    args: tuple
    power: float | None = None


@dataclass(frozen=True)
class Program:
    names: tuple            # the leaves' names
    leaves: tuple           # the leaves' values
    steps: tuple            # node len(leaves) + k is steps[k]; the output is the last node

    @property
    def size(self) -> int:
        return len(self.leaves) + len(self.steps)

    def step(self, i: int) -> Step | None:
        return None if i < len(self.leaves) else self.steps[i - len(self.leaves)]

    def below(self, i: int) -> list:
        """The nodes node ``i`` depends on (itself included), in program order."""
        needed = {i}
        for j in reversed(range(len(self.leaves), i + 1)):   # a step uses earlier nodes only
            if j in needed:
                needed.update(self.step(j).args)
        return sorted(needed)

    def sub(self, i: int) -> Program:
        """The sub-expression computed at node ``i``, as a program of its own."""
        kept = self.below(i)
        index = {old: new for new, old in enumerate(kept)}
        n = len(self.leaves)
        leaf_ids = [j for j in kept if j < n]
        steps = [self.steps[j - n] for j in kept if j >= n]
        return Program(tuple(self.names[j] for j in leaf_ids),
                        tuple(self.leaves[j] for j in leaf_ids),
                        tuple(Step(s.kind, tuple(index[a] for a in s.args), s.power)
                              for s in steps))

    def uses(self) -> list:
        counts = Counter(a for s in self.steps for a in s.args)
        return [counts[i] for i in range(self.size)]

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
            shown[i], prec[i] = write_step(step, [shown[a] for a in step.args],
                                       [prec[a] for a in step.args])
            if counts[i] > 1 and i != out:
                lets.append(f"q{len(lets) + 1} = {shown[i]}")
                shown[i], prec[i] = f"q{len(lets)}", 9
        if not lets:
            return shown[out]
        return "; ".join(lets + [f"y = {shown[out]}"])

    def input_text(self) -> str:
        return ", ".join(f"{name} = {number_text(v)}" for name, v in zip(self.names, self.leaves))


def write_step(step: Step, texts: list, precs: list):
    """One step in slide notation, with brackets only where precedence needs them."""
    kind = step.kind
    mine = _PRECEDENCE.get(kind, 9)
    if kind in ("** n", "** v"):
        base = texts[0] if precs[0] > mine else f"({texts[0]})"
        exponent = number_text(step.power) if kind == "** n" else texts[1]
        if kind == "** v" and precs[1] < 9:
            exponent = f"({exponent})"
        return f"{base}^{exponent}", mine
    if kind == "neg":
        return "−" + (texts[0] if precs[0] > mine else f"({texts[0]})"), mine
    if kind in ("+", "−", "×", "/"):
        left = texts[0] if precs[0] >= mine else f"({texts[0]})"
        right = texts[1] if precs[1] > mine else f"({texts[1]})"  # a − (b − c), a × (b / c)
        return f"{left} {kind} {right}", mine
    row = OPS[KINDS[kind].table]
    if "({0}" in row.notation:              # σ(…), max(…, …): the notation brackets its operands
        return row.write(*texts), 9
    operand = texts[0] if precs[0] == 9 else f"({texts[0]})"       # cos (b − c), not cos b − c
    return row.write(operand), _PRECEDENCE["neg"]                   # (cos b)^2, like (−b)^2


# ---------------------------------------------------------------- running a program
class Broke(Exception):
    """The learner's class raised, or gave something that is not a number: ``where`` it
    happened, the ``detail`` (the error or the value) and the ``hint`` a report shows."""

    def __init__(self, where: str, hint: str, error: BaseException | None = None,
                 detail: str = ""):
        self.where, self.hint = where, hint
        self.detail = detail or f"{type(error).__name__}: {error}"
        super().__init__(f"{where}: {self.detail}")


def apply_step(step: Step, operands):
    return KINDS[step.kind].apply(*operands, step.power)


def _number(x, what: str) -> float:
    number = as_number(x)
    if number is not None:
        return number
    raise Broke(what, "after backward(), .data and every input's .grad must be numbers",
                detail=f"{what} is {shown(x)}, not a number")


def build(cls, prog: Program) -> list:
    """Every node of ``prog`` built from ``cls``, leaves first (the output is the last)."""
    hint = "an op raised where tinygrad_edu computes a value"
    nodes = []
    for v in prog.leaves:
        try:
            nodes.append(cls(v))
        except Exception as err:
            raise Broke(f"{cls.__name__}({number_text(v)})", hint, err) from None
    for step in prog.steps:
        try:
            nodes.append(apply_step(step, [nodes[a] for a in step.args]))
        except Exception as err:
            what = write_step(step, [f"v{a}" for a in step.args], [9] * len(step.args))[0]
            raise Broke(f"computing {what}", hint, err) from None
    return nodes


def run(cls, prog: Program):
    """(output value, [gradient of each leaf]) of ``prog`` built from ``cls`` and backward()."""
    nodes = build(cls, prog)
    y = nodes[-1]
    try:
        y.backward()
    except RecursionError:
        raise
    except Exception as err:
        raise Broke("backward()", "backward() raised: run it by hand on this expression and "
                    "read the traceback", err) from None
    value = _number(getattr(y, "data", None), "the output's .data")
    grads = [_number(getattr(leaf, "grad", None), f"the .grad of {name}")
             for leaf, name in zip(nodes, prog.names)]
    return value, grads


def reference(prog: Program):
    """tinygrad_edu's value and leaf gradients, and the scale of each for the tolerance.

    The scale of a gradient is the sum over all paths of ``|upstream| × |local|``: rounding grows
    with it when paths cancel, so it sets the absolute part of the tolerance.
    """
    nodes = build(Value, prog)
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


def close(got: float, expected: float, scale: float) -> bool:
    return math.isclose(got, expected, rel_tol=RTOL, abs_tol=RTOL * scale) or \
        (math.isnan(got) and math.isnan(expected))


def compare(cls, prog: Program):
    """None if ``cls`` agrees with the reference on ``prog``, else (quantity, expected, got)."""
    value, grads, scale_value, scales = reference(prog)
    got_value, got_grads = run(cls, prog)
    if not close(got_value, value, scale_value):
        return "value", value, got_value
    for name, e, g, s in zip(prog.names, grads, got_grads, scales):
        if not close(g, e, s):
            return f"∂y/∂{name}", e, g
    return None


# ---------------------------------------------------------------- random graphs
_POWERS = (2.0, 3.0, -1.0, 0.5, -2.0)


def random_program(rng: random.Random, kinds) -> Program | None:
    """A random expression graph over ``kinds`` whose parts are reused, safely inside every
    op's domain and away from kinks (relu at 0, max at a tie)."""
    n = rng.randint(1, 3)
    names = ("a", "b", "c")[:n]
    values = [round(rng.choice((-1, 1)) * rng.uniform(0.2, 2.0), 6) for _ in range(n)]
    data, steps = list(values), []
    for _ in range(rng.randint(2, 9)):
        for _attempt in range(30):
            kind = rng.choice(kinds)
            spec = KINDS[kind]
            args = tuple(len(data) - 1 if rng.random() < 0.5 else rng.randrange(len(data))
                         for _ in range(spec.arity))
            power = rng.choice(_POWERS) if kind == "** n" else None
            out = _safe(kind, [data[a] for a in args], power)
            if out is not None:
                data.append(out)
                steps.append(Step(kind, args, power))
                break
    if not steps:
        return None
    prog = Program(names, tuple(values), tuple(steps))
    if "+" in kinds:   # fold parts nothing uses into the output, so every step counts
        used = set(prog.below(prog.size - 1))
        for i in range(n, prog.size - 1):
            if i not in used and abs(data[-1] + data[i]) < 50:
                data.append(data[-1] + data[i])
                steps.append(Step("+", (len(data) - 2, i)))
    return Program(names, tuple(values), tuple(steps))


def _safe(kind: str, xs: list, power) -> float | None:
    """The float result of one step, or None when it is near a domain edge or a kink."""
    if kind == "ln" and xs[0] < 0.1 or kind == "/" and abs(xs[1]) < 0.25:
        return None
    if kind == "** v" and not (xs[0] > 0.2 and abs(xs[1]) < 3):
        return None
    if kind == "** n" and (power < 0 or not power.is_integer()) and xs[0] < 0.2:
        return None
    row = OPS[KINDS[kind].table]
    if kind == "exp" and xs[0] > 3 or row.kink is not None and row.kink(*xs) < 0.01:
        return None
    try:
        out = row.forward(*xs, power)[0] if kind == "** n" else row.forward(*xs)[0]
    except ArithmeticError:
        return None
    return out if math.isfinite(out) and abs(out) < 50 else None
