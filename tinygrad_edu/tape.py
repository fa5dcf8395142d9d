"""The compiled tape: record a graph once, then replay forward and backward on flat arrays.

Building a graph of ``Value`` nodes costs a Python object per operation, every step. When the
*shape* of the computation stays the same from step to step — the same network, the same
loss, only new numbers — that work can be done once. ``compile(fn, *example_inputs)`` calls
``fn`` one time through the engine, keeps the recorded graph as flat lists (each node's op and
the indices of its parents), and from then on replays it on arrays of floats: ``tape(X)``
then ``tape.backward()`` take the place of ``loss_fn(X)`` and ``loss.backward()`` in a
training loop (the README's "Speed: the compiled tape" shows one).

What changes between replays:

* **inputs** — the arguments of ``fn``: numbers or rectangular (nested) lists of numbers. Each
  call must give the same count and shapes; anything else is refused with a clear error.
* **parameters** — every other leaf ``Value`` the function used (weights, biases): their
  current ``.data`` is read at each forward, and ``backward`` accumulates into their
  ``.grad`` exactly as ``Value.backward`` does — leaves add up across calls.
* **data-dependent ops** — relu's branch, max, min, abs: every replay calls the op table's
  forward function again, so a branch that flips between replays flips in the tape too.

What does *not* change: constants — the ``1`` in ``1 + x``, and numbers the function captures
from outside, such as a loss's labels (hinge turns each label into ±1 with a Python ``if``,
so other labels need a new tape) — and **Python control flow that reads** ``.data`` **in your
own code**. The tape records the ops that ran, not the ``if`` that chose them::

    def f(x):
        return x * 2 if x.data > 0 else x * -3    # decided once, while recording

    tape = compile(f, 1.0)                        # records x * 2
    tape(-5.0)                                    # -10.0: replays x * 2, not x * -3 (15.0)

Write such choices with ops (``x.relu()``, ``x.max(y)``), or call ``tape.verify(...)``,
which rebuilds the graph with the engine and raises if its structure differs from the tape.
Only the graph below the output is recorded: an operation whose result the output never uses
is not on the tape, so a replay neither computes it nor fails in it.

How a replay is organised. Forward: nodes are grouped by depth (longest path from a leaf);
within a depth, an op's nodes whose function gave the engine's exact numbers when handed whole
numpy arrays at recording (+, −, ×, negation: plain arithmetic) run as one array call;
everything else — relu, max, exp, thin stretches like a long ``sum`` — runs node by node,
calling the same op-table function on Python floats. Backward walks the same levels, deepest
first, and follows ``Value.backward`` contribution by contribution: each adjoint v̄ is the sum
of its contributions (upstream × local) *in the order the engine adds them*, so the gradients
are bit-for-bit the engine's. Floating-point trouble in an array call (overflow, 0/0) re-runs
that group node by node, so infinities and NaNs are exactly the engine's too. When a replay
fails, the error is the engine's: the tape evaluates level by level, the engine in the order
``fn`` makes its nodes (where two nodes fail, each meets another first), so ``fn`` runs once
more through the engine and its error is raised. A failed forward leaves no pass behind:
``backward`` refuses until a forward succeeds.
"""
from __future__ import annotations

import math

import numpy as np

from .checks import flag, real
from .engine import Value, collector_paused, is_recording
from .graph import depths, evaluation_order, flatten
from .ops import OPS, OpError

__all__ = ["compile", "Tape"]

MIN_ARRAY = 24
"""Groups with fewer nodes than this run node by node: an array call costs a few µs."""


# ---------------------------------------------------------------- recording
def compile(fn, *example_inputs, exact=True) -> "Tape":
    """Record ``fn(*inputs)`` once and return a :class:`Tape` that replays it.

    ``example_inputs`` are numbers or rectangular (nested) lists of numbers; ``fn`` receives
    them as ``Value`` leaves arranged the same way and must return one ``Value`` (a scalar,
    such as a loss). Every other leaf ``Value`` it touches counts as a parameter.
    ``exact=False`` returns the fast tape (:mod:`tinygrad_edu.fast_tape`): matrix products
    and numpy ufuncs, sums reordered, numbers within about 1e-12 of the engine's.
    """
    _refuse_no_grad("compile")
    exact = flag(exact, "compile: exact")
    output, leaves, shapes = _run(fn, example_inputs, "compile")
    if not exact:
        from .fast_tape import FastTape
        return FastTape(output, leaves, shapes, fn)
    return Tape(output, leaves, _shapes=shapes, _fn=fn)


def _refuse_no_grad(who: str) -> None:
    if not is_recording():
        raise RuntimeError(f"{who} records the graph fn builds, but it was called inside "
                           f"no_grad(), where operations record nothing: call it outside")


def _run(fn, inputs, who: str):
    """Call ``fn`` through the engine on fresh leaves made from ``inputs``."""
    shapes, leaves, args = [], [], []
    for i, example in enumerate(inputs):
        values = _as_array(example, f"{who}: input {i}")
        shapes.append(values.shape)
        made = [Value(x) for x in values.ravel().tolist()]
        leaves.extend(made)
        args.append(np.array(made, dtype=object).reshape(values.shape).tolist()
                    if values.ndim else made[0])
    with collector_paused():
        output = fn(*args)
    if not isinstance(output, Value):
        raise TypeError(f"{who}: the function must return one Value (a scalar), "
                        f"got {type(output).__name__}")
    return output, leaves, shapes


def _as_array(x, who: str):
    """``x`` (a number or a rectangular nested list of numbers) as a float array."""
    if isinstance(x, Value):
        raise TypeError(f"{who}: give plain numbers, not Values (the tape makes the leaves)")
    try:
        values = np.asarray(x)
    except ValueError:
        raise ValueError(f"{who}: needs a number or a rectangular list of numbers, "
                         f"got a ragged {type(x).__name__}") from None
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{who}: needs real numbers, got {type(x).__name__} "
                        f"{str(x)[:40]!r} (array kind {values.dtype})")
    return values.astype(float)


class RecordedGraph:
    """A recorded graph in the tape's indexing; built the same way for recording and ``verify``.

    Node indices are ``graph.flatten``'s (``graph.FlatGraph`` orders them). Position r counts
    the operations in the engine's backward order: the node at position r has index
    ``n_leaves + n - 1 - r`` and owns edges 2r (parent 0) and 2r + 1 (parent 1), so edge
    numbers follow the order in which ``Value.backward`` adds contributions.
    """

    def __init__(self, output: Value, inputs):
        flat = flatten(output, inputs)
        n_leaves = self.n_leaves = flat.n_leaves
        self.n = len(flat.nodes) - n_leaves
        ops_in_order = range(len(flat.nodes) - 1, n_leaves - 1, -1)   # backward's order
        self.data = flat.data
        self.n_inputs = flat.n_inputs
        self.root = flat.output
        self.ops = [flat.ops[i] for i in ops_in_order]
        self.parent0 = [flat.parents[i][0] for i in ops_in_order]
        self.parent1 = [flat.parents[i][1] if len(flat.parents[i]) > 1 else -1
                        for i in ops_in_order]
        self.locals = [flat.local_grads[i] for i in ops_in_order]
        self.constants = flat.constants
        constants = set(self.constants)           # once: a set per leaf was quadratic
        self.param_index = [i for i in range(self.n_inputs, n_leaves) if i not in constants]
        self.params = [flat.nodes[i] for i in self.param_index]
        depth = depths(range(len(flat.nodes)), flat.parents.__getitem__)
        self.depth = [depth[i] for i in ops_in_order]   # per position r
        self.flat = flat

    def node(self, r: int) -> int:
        """The node index of the node at position r of the backward order."""
        return self.n_leaves + self.n - 1 - r

    def signature(self) -> tuple:
        """What must match for a replay to be the same computation (``Tape.verify``)."""
        return (self.ops, self.parent0, self.parent1, self.root, self.n_inputs,
                [(i, self.data[i].hex()) for i in self.constants],
                [id(p) for p in self.params])


# ---------------------------------------------------------------- the tape
class Tape:
    """A recorded graph, replayed on flat arrays: ``forward`` then ``backward``.

    Usually made by :func:`compile`. ``Tape(output, inputs)`` records an existing graph below
    ``output``; ``inputs`` is a list of leaf Values whose numbers each ``forward`` supplies
    (as one flat list). Other leaves are parameters or constants, as for :func:`compile`.
    """

    exact = True
    """True: the engine's numbers bit for bit; False for the fast tape."""
    _rel_tol = _abs_tol = 0.0               # how far ``verify`` lets the replay stray

    def __init__(self, output: Value, inputs=(), *, _shapes=None, _fn=None):
        if not isinstance(output, Value):
            raise TypeError(f"Tape: output must be a Value, got {type(output).__name__}")
        inputs = list(inputs)
        if any(not isinstance(v, Value) for v in inputs):
            raise TypeError("Tape: inputs must be leaf Values")
        self._fn = _fn
        self._shapes = _shapes if _shapes is not None else [(len(inputs),)] if inputs else []
        with collector_paused():
            graph = RecordedGraph(output, inputs)
            self._plan(graph)
        self._signature = graph.signature()
        self._n_inputs = graph.n_inputs
        self.params = graph.params
        """The parameters: leaf Values other than inputs and constants, as first met."""
        self._fresh = self._backward_done = False
        self.value = None
        """The output of the last ``forward`` (a float)."""

    def _plan(self, graph: RecordedGraph) -> None:
        """The arrays and the steps of the exact replay (the fast tape has its own)."""
        n_leaves, n = graph.n_leaves, graph.n
        self._root = graph.root
        self._values = np.zeros(n_leaves + n)
        self._values[:n_leaves] = graph.data[:n_leaves]   # constants keep theirs
        self._param_index = np.array(graph.param_index, dtype=np.intp)
        self._locals = np.zeros(2 * n + 1)         # ∂node/∂parent per edge (2r, 2r + 1)
        self._contrib = np.zeros(2 * n + 1)        # upstream × local per edge; last: the seed
        self._adjoint = np.zeros(n_leaves + n)
        self._forward_steps = _forward_schedule(graph)
        self._backward_steps, self._leaf_edges, self._leaf_targets = _backward_schedule(graph)
        self._leaf_grads = np.zeros(len(graph.param_index) + graph.n_inputs)
        self._evaluation = None if self._fn is not None else _evaluation_program(graph.flat)

    def __len__(self) -> int:
        """How many operation nodes one replay evaluates."""
        return len(self._signature[0])

    def __repr__(self) -> str:
        return (f"Tape({len(self)} ops, {self._n_inputs} inputs, {len(self.params)} "
                f"parameters, {'exact' if self.exact else 'fast'})")

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs) -> float:
        """Replay the forward pass on new inputs (same count and shapes) and current params.

        Returns the output as a float. Local gradients are kept for ``backward``.
        """
        return self._replay(inputs, [p.data for p in self.params])

    __call__ = forward

    def _replay(self, inputs, params) -> float:
        """The forward pass with these parameter values (``forward``'s are their ``.data``)."""
        values = self._load(inputs)
        values[self._param_index] = params
        try:
            with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                self._forward(values)
        except (FloatingPointError, OpError) as err:
            for p, x in zip(self.params, np.asarray(params, dtype=float).tolist()):
                p.data = x                          # so that fn fails on these numbers too
            failure = self._engine_error(inputs, err if isinstance(err, OpError) else None)
            if failure is not None:
                raise failure from None
            with np.errstate(all="ignore"):     # an inf or nan carried along, not made: go on
                self._forward(values)
        self._fresh = True
        self.value = float(values[self._root])
        return self.value

    def _forward(self, values) -> None:
        for step in self._forward_steps:
            step.forward(values, self._locals)

    def _load(self, inputs):
        """Check ``inputs`` against the recorded shapes and write them into the value array.

        From here until the forward succeeds the arrays hold no pass: ``backward`` refuses.
        """
        shapes = self._shapes
        if len(inputs) != len(shapes):
            raise TypeError(f"this tape takes {len(shapes)} input(s) shaped "
                            f"{', '.join(map(str, shapes)) or '()'}, got {len(inputs)}")
        parts = []
        for i, (x, shape) in enumerate(zip(inputs, shapes)):
            values = _as_array(x, f"tape input {i}")
            if values.shape != shape:
                raise ValueError(f"tape input {i} has shape {values.shape}, but the tape was "
                                 f"recorded with shape {shape}: record a new tape for it")
            parts.append(values.ravel())
        self._fresh = self._backward_done = False
        self.value = None
        if parts:
            self._values[:self._n_inputs] = np.concatenate(parts)
        return self._values

    def _engine_error(self, inputs, tape_error: OpError | None) -> OpError | None:
        """The error the engine raises for these inputs (see the module's docstring for why).

        A tape made from a graph (no ``fn``) raises the first error in evaluation order
        instead, and an ``fn`` that does not fail through the engine (Python control flow on
        ``.data``) the tape's own error. None: the engine raises nothing (a fast tape's
        floating-point trap met an inf or nan carried along, not made).
        """
        if self._fn is None:
            return self._first_failure() or tape_error
        try:
            _run(self._fn, inputs, "forward")
        except OpError as err:
            err.add_note("raised while replaying a compiled tape, as the engine raises it")
            return err
        return tape_error

    def _first_failure(self):
        """Without ``fn``: the first error met node by node in ``graph.evaluation_order``."""
        values = self._values.tolist()
        for name, forward, out, operands in self._evaluation:
            try:
                values[out] = forward(*(values[i] for i in operands))[0]
            except OpError as err:
                return _at_node(err, name, out)
        return None

    # ------------------------------------------------------------------ backward
    def backward(self, grad=1.0) -> None:
        """Reverse sweep of the last forward: ∂output/∂leaf × ``grad`` into the parameters.

        Each parameter's ``.grad`` accumulates, exactly as ``Value.backward`` would leave it
        (the same contributions added in the same order; the fast tape: within its
        tolerance); the inputs' gradients of this pass are in :meth:`input_grads`.
        """
        for p, g in zip(self.params, self._sweep(grad, "backward").tolist()):
            p.grad = p.grad + g                    # added once, as Value.backward does

    def _seed(self, grad, who: str) -> float:
        """ȳ for a reverse sweep; refused unless the last forward succeeded."""
        if not self._fresh:
            raise RuntimeError(f"Tape.{who}: no forward has succeeded since the tape was made "
                               "or since the last forward raised: call forward first")
        return real(grad, f"{who}(grad=...)")

    def _sweep(self, grad, who: str):
        """v̄ of every node from the output's down; returns this pass's v̄ of each parameter."""
        contrib, local, adjoint = self._contrib, self._locals, self._adjoint
        contrib[-1] = self._seed(grad, who)
        adjoint.fill(0.0)
        with np.errstate(all="ignore"):            # inf and nan as Python floats give them
            for step in self._backward_steps:
                step.backward(contrib, local, adjoint)
            sums = self._leaf_grads                # this pass's v̄ of each leaf, from 0
            sums.fill(0.0)
            np.add.at(sums, self._leaf_targets, contrib[self._leaf_edges])
        self._backward_done = True
        return sums[self._n_inputs:]

    def input_grads(self) -> list:
        """∂output/∂input from the last ``backward``: one entry per input, shaped like it."""
        if not self._backward_done:
            raise RuntimeError("Tape.input_grads: call backward after a forward that succeeded")
        grads, start = [], 0
        for shape in self._shapes:
            part = self._leaf_grads[start:start + math.prod(shape)].reshape(shape)
            grads.append(part.tolist() if shape else float(part))
            start += part.size
        return grads

    # ------------------------------------------------------------------ checking the limit
    def verify(self, *inputs) -> bool:
        """Rebuild the graph with the engine on these inputs and check the tape still fits.

        Raises ValueError if the function (given to :func:`compile`) now makes a different
        graph — Python control flow on ``.data`` chose other ops — or if the replayed output
        differs from the engine's. Returns True otherwise.
        """
        if self._fn is None:
            raise TypeError("verify needs a tape made by compile(fn, ...)")
        _refuse_no_grad("verify")
        output, leaves, _ = _run(self._fn, inputs, "verify")
        with collector_paused():
            signature = RecordedGraph(output, leaves).signature()
        if signature != self._signature:
            raise ValueError("the function builds a different graph for these inputs than the "
                             "one recorded (other ops or constants: Python control flow on "
                             ".data?): record a new tape for them")
        expected, got = output.data, self.forward(*inputs)
        if not (math.isclose(got, expected, rel_tol=self._rel_tol, abs_tol=self._abs_tol)
                or expected != expected and got != got):
            raise ValueError(f"replay gives {got!r}, the engine {expected!r}")
        return True


# ---------------------------------------------------------------- the replay schedules
def _at_node(err: OpError, name: str, node: int) -> OpError:
    return err.again(where=f"tape replay: '{name}' node {node}")


def _evaluation_program(flat) -> list:
    """(op name, function, node index, operand indices) per operation, in evaluation order."""
    index = {id(node): i for i, node in enumerate(flat.nodes)}
    return [(node.op, OPS[node.op].forward, index[id(node)],
             [index[id(p)] for p in node.parents])
            for node in evaluation_order(flat.nodes[flat.output]) if node.parents]


def _vectorises(name: str, rs, graph: RecordedGraph) -> bool:
    """Does the op's function, handed arrays, reproduce the engine's numbers bit for bit on
    the nodes at positions ``rs`` (a sample of the op's nodes)?"""
    if len(rs) < 2:                               # a 1-element array can pass for a float
        return False
    data = graph.data
    args = [[data[graph.parent0[r]] for r in rs]]
    if graph.parent1[rs[0]] >= 0:
        args.append([data[graph.parent1[r]] for r in rs])
    recorded = [[data[graph.node(r)] for r in rs]] + [[graph.locals[r][k] for r in rs]
                                                      for k in range(len(args))]
    try:
        with np.errstate(all="raise"):
            result = OPS[name].forward(*(np.array(a) for a in args))
        if not isinstance(result, tuple) or len(result) != len(recorded):
            return False
        return all(np.broadcast_to(np.asarray(r, dtype=float), (len(rs),)).tobytes()
                   == np.array(expected).tobytes() for r, expected in zip(result, recorded))
    except Exception:  # noqa: BLE001 - any failure only means "run this op node by node"
        return False


def _forward_schedule(graph: RecordedGraph) -> list:
    """Steps in dependency order: one array call per wide (depth, op) group whose op
    vectorises, the other nodes in runs between them."""
    groups = {}                                   # depth → op → positions r in order
    for r in range(graph.n - 1, -1, -1):
        groups.setdefault(graph.depth[r], {}).setdefault(graph.ops[r], []).append(r)
    array_ops = {}                                # op → vectorises? (its first wide group)
    for by_op in groups.values():
        for name, rs in by_op.items():
            if name not in array_ops and len(rs) >= MIN_ARRAY:
                array_ops[name] = _vectorises(name, rs[:64], graph)
    steps, run = [], []
    for d in sorted(groups):
        wide = {name: rs for name, rs in groups[d].items()
                if len(rs) >= MIN_ARRAY and array_ops[name]}
        if wide and run:
            steps.append(_ForwardRun(run, graph))
            run = []
        steps += [_ForwardArray(name, rs, graph) for name, rs in wide.items()]
        run += [r for name, rs in groups[d].items() if name not in wide for r in rs]
    if run:
        steps.append(_ForwardRun(run, graph))
    return steps


class _ForwardArray:
    """One op over many independent nodes: one call of its function on whole arrays."""

    __slots__ = ("name", "forward_fn", "out", "operands", "edges")

    def __init__(self, name, rs, graph):
        self.name = name
        self.forward_fn = OPS[name].forward
        self.out = np.array([graph.node(r) for r in rs], dtype=np.intp)
        parents = (graph.parent0, graph.parent1) if graph.parent1[rs[0]] >= 0 else (graph.parent0,)
        self.operands = [np.array([p[r] for r in rs], dtype=np.intp) for p in parents]
        self.edges = [np.array([2 * r + k for r in rs], dtype=np.intp) for k in range(len(parents))]

    def forward(self, values, local):
        try:
            out, *slopes = self.forward_fn(*(values[a] for a in self.operands))
            for edges, slope in zip(self.edges, slopes):
                local[edges] = slope
        except Exception:  # noqa: BLE001 - inf, nan, an error: let Python floats decide
            self._node_by_node(values, local)
            return
        values[self.out] = out

    def _node_by_node(self, values, local):
        fn = self.forward_fn
        results = []
        for k, operands in enumerate(zip(*(values[a].tolist() for a in self.operands))):
            try:
                results.append(fn(*operands))
            except OpError as err:
                raise _at_node(err, self.name, int(self.out[k])) from None
        out, *slopes = zip(*results)
        values[self.out] = out
        for edges, slope in zip(self.edges, slopes):
            local[edges] = slope


class _ForwardRun:
    """Nodes evaluated one by one on Python floats, in topological order."""

    __slots__ = ("program", "gather", "out", "edge0", "edge1", "names")

    def __init__(self, rs, graph):
        made = {graph.node(r): k for k, r in enumerate(rs)}
        outside = {}
        for r in rs:
            for parent in (graph.parent0[r], graph.parent1[r]):
                if parent >= 0 and parent not in made and parent not in outside:
                    outside[parent] = len(outside)
        # node → place in the buffer: the outside values, then this run's; -1: no operand
        where = {-1: -1, **outside, **{node: len(outside) + k for node, k in made.items()}}
        self.program = [(OPS[graph.ops[r]].forward, where[graph.parent0[r]],
                         where[graph.parent1[r]]) for r in rs]
        self.names = [graph.ops[r] for r in rs]
        self.gather = np.array(list(outside), dtype=np.intp)
        self.out = np.array(list(made), dtype=np.intp)
        self.edge0 = np.array([2 * r for r in rs], dtype=np.intp)
        self.edge1 = np.array([2 * r + 1 for r in rs if graph.parent1[r] >= 0], dtype=np.intp)

    def forward(self, values, local):
        buf = values[self.gather].tolist()
        first = len(buf)
        local0, local1 = [], []
        try:
            for fn, i, j in self.program:
                if j < 0:
                    out, d0 = fn(buf[i])
                else:
                    out, d0, d1 = fn(buf[i], buf[j])
                    local1.append(d1)
                local0.append(d0)
                buf.append(out)
        except OpError as err:
            k = len(buf) - first
            raise _at_node(err, self.names[k], int(self.out[k])) from None
        values[self.out] = buf[first:]
        local[self.edge0] = local0
        if local1:
            local[self.edge1] = local1


def _backward_schedule(graph: RecordedGraph):
    """Steps from the output down: array steps for wide levels, node runs for thin ones.

    Levels are the forward's depths, deepest first: every user of a node is deeper, so its
    adjoint is complete when its level comes, and the same layer of every sample in a batch
    shares one level (wide steps) however the per-sample losses were summed. Edge order is
    the engine's (:class:`RecordedGraph`).
    """
    n = graph.n
    p0, p1 = graph.parent0, graph.parent1
    incoming = [[] for _ in range(graph.n_leaves + n)]  # per node: edges in, in engine order
    for r in range(n):
        incoming[p0[r]].append(2 * r)
        if p1[r] >= 0:
            incoming[p1[r]].append(2 * r + 1)
    incoming[graph.root].append(2 * n)            # the seed, ȳ
    levels = {}
    for r in range(n):                            # the engine's order within each level
        levels.setdefault(graph.depth[r], []).append(r)
    steps, run = [], []
    for d in sorted(levels, reverse=True):
        rs = levels[d]
        if len(rs) >= MIN_ARRAY:
            if run:
                steps.append(_BackwardRun(run, graph, incoming))
                run = []
            steps.append(_BackwardArray(rs, graph, incoming))
        else:
            run.extend(rs)
    if run:
        steps.append(_BackwardRun(run, graph, incoming))
    # the tape's leaf-gradient array holds the inputs, then the parameters; constants get none
    positions = list(range(graph.n_inputs)) + graph.param_index
    edges = sorted((e, k) for k, leaf in enumerate(positions) for e in incoming[leaf])
    leaf_edges = np.array([e for e, _ in edges], dtype=np.intp)
    leaf_targets = np.array([k for _, k in edges], dtype=np.intp)
    return steps, leaf_edges, leaf_targets


def _out_edges(graph, rs):
    return [e for r in rs for e in ((2 * r, 2 * r + 1) if graph.parent1[r] >= 0 else (2 * r,))]


class _BackwardArray:
    """A wide level: sum each node's contributions into v̄, then pass v̄ × local on."""

    __slots__ = ("into", "out", "from_node")

    def __init__(self, rs, graph, incoming):
        nodes = [graph.node(r) for r in rs]
        self.into = np.array([(node, e) for node in nodes for e in incoming[node]],
                             dtype=np.intp).reshape(-1, 2).T.copy()
        self.out = np.array(_out_edges(graph, rs), dtype=np.intp)
        self.from_node = np.array([graph.node(e // 2) for e in self.out.tolist()],
                                  dtype=np.intp)

    def backward(self, contrib, local, adjoint):
        targets, edges = self.into
        np.add.at(adjoint, targets, contrib[edges])            # v̄ = Σ contributions, in order
        contrib[self.out] = local[self.out] * adjoint[self.from_node]   # local × upstream


class _BackwardRun:
    """Thin levels node by node on Python floats: v̄ = Σ contributions, then v̄ × local."""

    __slots__ = ("program", "gather", "out")

    def __init__(self, rs, graph, incoming):
        in_run = set(rs)
        outside = {}                              # edge → position among gathered ones
        for r in rs:
            for e in incoming[graph.node(r)]:
                if e // 2 not in in_run and e not in outside:
                    outside[e] = len(outside)
        out = _out_edges(graph, rs)
        # edge → place in the buffer: the gathered contributions, then this run's products
        where = {**outside, **{e: len(outside) + k for k, e in enumerate(out)}}
        self.program = [(tuple(where[e] for e in incoming[graph.node(r)]), graph.parent1[r] >= 0)
                        for r in rs]
        self.gather = np.array(list(outside), dtype=np.intp)
        self.out = np.array(out, dtype=np.intp)

    def backward(self, contrib, local, adjoint):
        buf = contrib[self.gather].tolist()
        first = len(buf)
        lg = local[self.out].tolist()
        k = 0
        for sources, binary in self.program:
            g = 0.0
            for s in sources:
                g += buf[s]
            buf.append(lg[k] * g)
            k += 1
            if binary:
                buf.append(lg[k] * g)
                k += 1
        contrib[self.out] = buf[first:]
