"""Random expressions over the op table, for every property test: one generator, many backends.

A :class:`Program` is a small straight-line computation: n input numbers, then steps, each
applying one op of the table to earlier results (shared freely: a node used twice is the copy
gate) or to plain-number constants. Every operand is squashed into the op's test ``domain``,
lo + (hi − lo)·σ(v), so no op ever sees a point where it is undefined; the output is the sum
of every step's result, so every step matters. Ops are drawn from ``OPS`` when the strategy is
called, so an op added with ``register`` is covered by itself.

The same program is built by any *backend*: the engine (``VALUE``: each op applied the way a
user writes it, its ``Value`` method or Python operator, numbers on either side), or PyTorch
(:func:`torch_backend`, a test-only oracle), or plain floats (``FLOAT``: the op table alone).
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Callable

import atan_op
from hypothesis import assume
from hypothesis import strategies as st

from tinygrad_edu import OPS, Value
from tinygrad_edu.ops import CALLS

__all__ = ["TORCH", "Program", "Backend", "programs", "VALUE", "FLOAT", "torch_backend", "value_fn",
           "Rejected", "near_kink", "expressions", "SYNTAX"]


def value_fn(op):
    """How a user applies the op, read from its row: its ``Value`` method, else its Python
    operator (``operator.add`` calls ``__radd__`` for ``2 + x``, as ``+`` does)."""
    if op.method is not None:
        return getattr(Value, op.method)
    return getattr(operator, op.operator)


# PyTorch float64 reference for every op, by op-table name (arguments are 0-d tensors):
# the test-only oracle the property tests compare the engine with.
TORCH = {
    "+": lambda t, a, b: t.add(a, b),
    "−": lambda t, a, b: t.sub(a, b),
    "×": lambda t, a, b: t.mul(a, b),
    "/": lambda t, a, b: t.div(a, b),
    "neg": lambda t, a: t.neg(a),
    "**": lambda t, a, b: t.pow(a, b),
    "exp": lambda t, a: t.exp(a),
    "ln": lambda t, a: t.log(a),
    "sin": lambda t, a: t.sin(a),
    "cos": lambda t, a: t.cos(a),
    "tanh": lambda t, a: t.tanh(a),
    "sigmoid": lambda t, a: t.sigmoid(a),
    "relu": lambda t, a: t.relu(a),
    "leaky_relu": lambda t, a, alpha: t.nn.functional.prelu(a.reshape(1), alpha.reshape(1))[0],
    "softplus": lambda t, a: t.nn.functional.softplus(a),
    "sqrt": lambda t, a: t.sqrt(a),
    "abs": lambda t, a: t.abs(a),
    "max": lambda t, a, b: t.maximum(a, b),
    "min": lambda t, a, b: t.minimum(a, b),
    "atan": atan_op.torch_atan,   # registered by conftest: not built in
}


@dataclass(frozen=True)
class Backend:
    """How a program is built: ``apply(op name, *args)``, σ for the squash, and what a plain
    constant becomes (a float for the engine: ``x + 0.3`` takes the number path)."""

    apply: Callable
    sigmoid: Callable
    constant: Callable = float


class Rejected(Exception):
    """The point lies too close to an op's kink for a finite-difference comparison."""


def near_kink(margin: float) -> Backend:
    """The engine backend, refusing (``Rejected``) any op applied within ``margin`` of its kink
    (relu at 0, max at a tie): there the two sides of a central difference see two slopes."""
    def apply(name, *args):
        op = OPS[name]
        if op.kink is not None and op.kink(*map(float, args)) < margin:
            raise Rejected
        return value_fn(op)(*args)
    return Backend(apply, Value.sigmoid)


VALUE = Backend(lambda name, *args: value_fn(OPS[name])(*args), Value.sigmoid)
FLOAT = Backend(lambda name, *args: OPS[name].forward(*args)[0],
                lambda v: OPS["sigmoid"].forward(v)[0])


def torch_backend(torch) -> Backend:
    """PyTorch float64 0-d tensors, each op applied by its reference in ``TORCH``."""
    return Backend(lambda name, *args: TORCH[name](torch, *args), torch.sigmoid,
                   lambda c: torch.tensor(float(c), dtype=torch.float64))


@dataclass(frozen=True)
class Program:
    """``point``: the input numbers; ``steps``: (op name, operands), an operand being
    ("v", k) — the k-th value so far, modulo how many there are — or ("c", u), the constant
    lo + (hi − lo)·u of the op's domain."""

    point: tuple
    steps: tuple

    def build(self, inputs, backend: Backend = VALUE):
        """The program's output from ``inputs`` (one per point entry), in ``backend``."""
        pool, total = list(inputs), None
        for name, operands in self.steps:
            args = []
            for (lo, hi), (kind, pick) in zip(OPS[name].domain, operands):
                if kind == "c":
                    args.append(backend.constant(lo + (hi - lo) * pick))
                else:
                    args.append(lo + (hi - lo) * backend.sigmoid(pool[pick % len(pool)]))
            result = backend.apply(name, *args)
            pool.append(result)
            total = result if total is None else total + result
        return total

    def function(self, backend: Backend = VALUE):
        """``f(*inputs)``: the program as a function, for gradcheck, hessian, jvp …"""
        return lambda *inputs: self.build(inputs, backend)

    def values(self, backend: Backend = VALUE):
        """(input Values labelled x0, x1, …, output), with ``Rejected`` turned into
        ``assume(False)``: the example is dropped, not failed."""
        leaves = [Value(x, label=f"x{i}") for i, x in enumerate(self.point)]
        try:
            return leaves, self.build(leaves, backend)
        except Rejected:
            assume(False)


@st.composite
def programs(draw, op_names=None, max_inputs=3, max_steps=6, constants=True,
             low=-3.0, high=3.0):
    """Random :class:`Program`s over ``op_names`` (default: every op in the table now)."""
    names = sorted(OPS) if op_names is None else list(op_names)
    n = draw(st.integers(1, max_inputs), label="inputs")
    point = tuple(draw(st.lists(st.floats(low, high), min_size=n, max_size=n), label="point"))
    steps = []
    for _ in range(draw(st.integers(1, max_steps), label="steps")):
        name = draw(st.sampled_from(names))
        op = OPS[name]
        shapes = ["v"] if op.arity == 1 else ["vv", "vc"] + (["cv"] if op.method is None else [])
        # a constant on the left only where a user can write one: 2 + x, never 2.max(x)
        shape = draw(st.sampled_from(shapes)) if constants else "v" * op.arity
        steps.append((name, tuple(("c", draw(st.floats(0.0, 1.0))) if kind == "c"
                                  else ("v", draw(st.integers(0, 99))) for kind in shape)))
    return Program(point, tuple(steps))


# ---------------------------------------------------------------- expressions as text
SYNTAX = {"+": "+", "-": "−", "*": "×", "/": "/", "**": "**"}
"""The parser's binary operators → the op table's names (written here, not read from it)."""


@st.composite
def expressions(draw, call_names=None, depth=0):
    """``(text, build)``: a random expression in the parser's language over x and y, and
    ``build(backend, env)``, the same expression built in ``backend`` with ``env`` mapping
    "x" and "y" to its inputs. Calls are drawn from ``call_names`` (default: every call name
    of the table whose op has a PyTorch reference in ``TORCH``)."""
    if call_names is None:
        call_names = sorted(name for name, op in CALLS.items() if op.name in TORCH)
    if depth > 5 or draw(st.integers(0, 3)) == 0:
        leaf = draw(st.sampled_from(["x", "y", "2", "0.5", "3e2", "(-1)"]))
        if leaf in ("x", "y"):
            return leaf, lambda backend, env: env[leaf]
        return leaf, lambda backend, env: backend.constant(float(leaf.strip("()")))
    kind = draw(st.sampled_from(["bin", "neg", "call"]))
    if kind == "bin":
        symbol = draw(st.sampled_from(sorted(SYNTAX)))
        left, build_left = draw(expressions(call_names, depth + 1))
        right, build_right = draw(expressions(call_names, depth + 1))
        return f"({left} {symbol} {right})", lambda backend, env: backend.apply(
            SYNTAX[symbol], build_left(backend, env), build_right(backend, env))
    if kind == "neg":
        text, build = draw(expressions(call_names, depth + 1))
        return f"(-{text})", lambda backend, env: backend.apply("neg", build(backend, env))
    name = draw(st.sampled_from(call_names))
    op = CALLS[name]
    count = draw(st.integers(op.arity - (op.default is not None), op.arity))
    args = [draw(expressions(call_names, depth + 1)) for _ in range(count)]

    def build_call(backend, env):
        values = [build(backend, env) for _, build in args]
        if len(values) < op.arity:  # leaky_relu(x): α is the row's default
            values.append(backend.constant(op.default))
        return backend.apply(op.name, *values)
    return f"{name}({', '.join(text for text, _ in args)})", build_call
