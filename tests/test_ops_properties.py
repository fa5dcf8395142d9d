"""Property tests generated from the op table: every op in ``OPS`` is checked by itself.

For each op: reverse mode agrees with central differences (f(x + h) − f(x − h)) / 2h inside
its ``domain`` away from its ``kink``, and value and gradients agree with PyTorch float64.
Random expression trees built from the table agree with both. Then the engine's promises:
copy gates add, backward is linear in the seed, a second backward doubles the leaves only,
a 10^6-node chain works, ``no_grad`` records nothing, ``detach`` cuts the history.
"""
import math
import operator

import atan_op
import pytest
from conftest import need
from hypothesis import assume, given
from hypothesis import strategies as st

from tinygrad_edu import OPS, Value, no_grad
from tinygrad_edu.engine import is_recording, topological_order
from tinygrad_edu.gradcheck import numerical_grad


# ---------------------------------------------------------------- how the tests call each op
def value_fn(op):
    """How a user applies the op, read from its row: its ``Value`` method, else its Python
    operator (``operator.add`` calls ``__radd__`` for ``2 + x``, as ``+`` does)."""
    if op.method is not None:
        return getattr(Value, op.method)
    return getattr(operator, op.operator)


# PyTorch float64 reference for every op, by op-table name (arguments are 0-d tensors).
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

OP_NAMES = list(OPS)


def tensor(torch, x, grad=True):
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=grad)


def operands(data, op):
    """One point in the op's domain: a float per operand from its interval."""
    return [data.draw(st.floats(lo, hi), label=f"operand {i}")
            for i, (lo, hi) in enumerate(op.domain)]


def central_difference(fn, xs, i, h=1e-6):
    """(f(x + h·e_i) − f(x − h·e_i)) / 2h, computed on plain forward passes."""
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    with no_grad():
        return (fn(*map(Value, up)).data - fn(*map(Value, down)).data) / (2 * h)


# ---------------------------------------------------------------- the table itself
def test_every_op_has_a_torch_reference_and_a_domain():
    assert set(TORCH) == set(OPS), "every op in the table needs a PyTorch reference here"
    for op in OPS.values():
        assert len(op.domain) == op.arity, f"{op.name}: one domain interval per operand"
        assert all(lo < hi for lo, hi in op.domain)
        value_fn(op)


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_op_reverse_mode_matches_central_differences(name, data):
    op = OPS[name]
    fn = value_fn(op)
    xs = operands(data, op)
    if op.kink is not None:
        assume(op.kink(*xs) > 1e-3)
    leaves = [Value(x) for x in xs]
    y = fn(*leaves)
    assert y.op == name and y.parents == tuple(leaves)  # one node, parents in operand order
    y.backward()
    for i, leaf in enumerate(leaves):
        numeric = central_difference(fn, xs, i)
        assert leaf.grad == y.local_grads[i]
        assert abs(leaf.grad - numeric) <= 1e-7 * max(1.0, abs(y.data)) + 1e-5 * abs(numeric), \
            f"{name} at {xs}: d/d operand {i} reverse {leaf.grad} vs numeric {numeric}"


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_op_matches_pytorch_float64(name, data):
    torch = need("torch")
    op = OPS[name]
    xs = operands(data, op)
    leaves = [Value(x) for x in xs]
    y = value_fn(op)(*leaves)
    y.backward()
    ts = [tensor(torch, x) for x in xs]
    ty = TORCH[name](torch, *ts)
    ty.backward()
    assert y.data == pytest.approx(ty.item(), rel=1e-12, abs=1e-300)
    for leaf, t in zip(leaves, ts):
        assert leaf.grad == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-12), \
            f"{name} at {xs}"


def kink_points(op):
    """Points of a small grid in the op's domain where it is not differentiable."""
    grid = [-1.0, 0.0, 0.25, 1.0]
    points = [[]]
    for lo, hi in op.domain:
        points = [p + [g] for p in points for g in grid if lo <= g <= hi]
    return [p for p in points if op.kink(*p) == 0.0]


KINKED = [(name, point) for name, op in OPS.items() if op.kink for point in kink_points(op)]


def test_kink_grid_is_not_empty():
    assert {name for name, _ in KINKED} == {n for n, op in OPS.items() if op.kink}


@pytest.mark.parametrize("name, point", KINKED, ids=[f"{n}{p}" for n, p in KINKED])
def test_subgradient_at_kink_matches_pytorch(name, point):
    torch = need("torch")
    leaves = [Value(x) for x in point]
    y = value_fn(OPS[name])(*leaves)
    y.backward()
    ts = [tensor(torch, x) for x in point]
    TORCH[name](torch, *ts).backward()
    assert [leaf.grad for leaf in leaves] == [t.grad.item() for t in ts]


# ---------------------------------------------------------------- random expression trees
N_VARS = 3
UNARY = [n for n in OP_NAMES if OPS[n].arity == 1]
BINARY = [n for n in OP_NAMES if OPS[n].arity == 2]
KINK_MARGIN = 1e-2  # stay this far from kinks inside a tree (slopes along the path amplify eps)


@st.composite
def binary_node(draw, children):
    name = draw(st.sampled_from(BINARY))
    shapes = ["vv", "vc", "cv"] if OPS[name].operator else ["vv", "vc"]  # 2 + x: __radd__
    shape = draw(st.sampled_from(shapes))
    sides = [draw(children) if s == "v" else ("c", draw(st.floats(0.0, 1.0))) for s in shape]
    return (name, *sides)


def extend(children):
    return st.one_of(st.tuples(st.sampled_from(UNARY), children), binary_node(children))


trees = st.recursive(st.integers(0, N_VARS - 1).map(lambda i: ("x", i)), extend, max_leaves=8)
points = st.lists(st.floats(-3.0, 3.0), min_size=N_VARS, max_size=N_VARS)


class Rejected(Exception):
    """The point lies too close to a kink for a finite-difference comparison."""


def evaluate(tree, leaves, backend):
    """Evaluate a tree; every operand is squashed into its op's domain: lo + (hi − lo)·σ(v).

    ``backend`` is ``(apply(name, *args), sigmoid, constant)``; the squash keeps every
    intermediate bounded, so no op ever sees a point outside its domain. Iterative.
    """
    apply, sigmoid, constant = backend
    results = {}
    stack = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        if node[0] == "x":
            results[id(node)] = leaves[node[1]]
            continue
        children = node[1:]
        if not expanded:
            stack.append((node, True))
            stack.extend((c, False) for c in children if c[0] != "c")
            continue
        args = []
        for (lo, hi), child in zip(OPS[node[0]].domain, children):
            if child[0] == "c":
                args.append(constant(lo + (hi - lo) * child[1]))
            else:
                args.append(lo + (hi - lo) * sigmoid(results[id(child)]))
        results[id(node)] = apply(node[0], *args)
    return results[id(tree)]


def value_backend(check_kinks):
    def apply(name, *args):
        op = OPS[name]
        if check_kinks and op.kink is not None and op.kink(*map(float, args)) < KINK_MARGIN:
            raise Rejected
        return value_fn(op)(*args)
    return apply, Value.sigmoid, float


def torch_backend(torch):
    return (lambda name, *args: TORCH[name](torch, *args), torch.sigmoid,
            lambda c: tensor(torch, c, grad=False))


def build(tree, xs, check_kinks=True):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    try:
        y = evaluate(tree, leaves, value_backend(check_kinks))
    except Rejected:
        assume(False)
    return leaves, y


def scale(y, attr="data"):
    return 1.0 + max(abs(getattr(n, attr)) for n in topological_order(y))


@given(tree=trees, xs=points)
def test_random_trees_match_central_differences(tree, xs):
    leaves, y = build(tree, xs)
    y.backward()
    numeric = numerical_grad(lambda *vs: evaluate(tree, vs, value_backend(False)), xs)
    size = scale(y)
    for leaf, num in zip(leaves, numeric):
        assert abs(leaf.grad - num) <= 1e-5 + 1e-3 * abs(num) + 1e-8 * size, \
            f"{tree} at {xs}: {leaf.label} reverse {leaf.grad} vs numeric {num}"


@given(tree=trees, xs=points)
def test_random_trees_match_pytorch_float64(tree, xs):
    torch = need("torch")
    leaves, y = build(tree, xs, check_kinks=False)  # at kinks both follow the same conventions
    y.backward()
    ts = [tensor(torch, x) for x in xs]
    ty = evaluate(tree, ts, torch_backend(torch))
    if ty.requires_grad:
        ty.backward()
    assert y.data == pytest.approx(ty.item(), rel=1e-9, abs=1e-12 * scale(y))
    grad_scale = scale(y, "grad")
    for leaf, t in zip(leaves, ts):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert leaf.grad == pytest.approx(expected, rel=1e-7, abs=1e-9 * grad_scale), \
            f"{tree} at {xs}: {leaf.label}"


# ---------------------------------------------------------------- engine promises
def test_copy_gate_shared_interior_node_adds_its_paths():
    x, w = Value(0.7), Value(-1.3)
    a = x * w  # used three times below
    b = a.sin()
    c = a * b + a
    c.backward()
    av = 0.7 * -1.3
    dc_da = math.sin(av) + av * math.cos(av) + 1.0  # ∂(a·b)/∂a via b, via a, and the "+ a"
    assert a.grad == pytest.approx(dc_da, rel=1e-14)
    assert x.grad == pytest.approx(dc_da * -1.3, rel=1e-14)
    assert w.grad == pytest.approx(dc_da * 0.7, rel=1e-14)


@given(x=st.floats(-3, 3), copies=st.integers(1, 30))
def test_copy_gate_sum_of_copies(x, copies):
    v = Value(x)
    u = v.tanh()
    total = u
    for _ in range(copies - 1):
        total = total + u
    total.backward()
    assert u.grad == copies
    assert v.grad == pytest.approx(copies * (1 - math.tanh(x) ** 2), rel=1e-12)


seeds = st.one_of(st.just(0.0), st.floats(1e-3, 10.0), st.floats(-10.0, -1e-3))  # no subnormals


@given(tree=trees, xs=points, seed=seeds)
def test_backward_is_linear_in_the_seed(tree, xs, seed):
    leaves1, y1 = build(tree, xs, check_kinks=False)
    leaves2, y2 = build(tree, xs, check_kinks=False)
    y1.backward()
    y2.backward(seed)
    assert y2.grad == seed
    cancellation = 1e-12 * abs(seed) * scale(y1, "grad")  # paths that cancel leave roundoff
    for a, b in zip(leaves1, leaves2):
        assert b.grad == pytest.approx(seed * a.grad, rel=1e-12, abs=cancellation)


@given(tree=trees, xs=points)
def test_second_backward_doubles_leaves_and_refreshes_interior(tree, xs):
    _, y = build(tree, xs, check_kinks=False)
    nodes = topological_order(y)
    y.backward()
    first = [n.grad for n in nodes]
    y.backward()
    for node, g in zip(nodes, first):
        if node.parents:
            assert node.grad == g, f"interior {node!r}: this pass's adjoint, not a sum"
        else:  # each pass adds its whole v̄ once, so shared leaves double exactly too
            assert node.grad == 2 * g or (g != g and node.grad != node.grad), \
                f"leaf {node!r} accumulates across passes"


def test_second_backward_exactly_doubles_a_leaf_used_twice():
    x = Value(1.0)
    y = x * 0.2 + x * 0.1  # two paths into x: its adjoint is a sum
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad == 2 * first


def test_interior_adjoint_is_this_pass_when_a_node_joins_a_new_graph():
    x = Value(3.0)
    h = x * x
    y = h * 2.0
    y.backward()
    assert (h.grad, x.grad) == (2.0, 12.0)
    z = h * 5.0  # the same interior node in a second graph
    z.backward()
    assert h.grad == 5.0  # this pass's adjoint only
    assert x.grad == 12.0 + 30.0


def test_backward_on_a_million_node_chain():
    x, one = Value(0.5), Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + one
    y.backward()
    assert y.data == 0.5 + 1_000_000
    assert x.grad == 1.0
    assert one.grad == 1_000_000.0  # the copy gate, a million times


def test_backward_on_a_deep_chain_of_unary_ops():
    x = Value(0.3)
    y = x
    for _ in range(200_000):
        y = -y
    y.backward()
    assert (y.data, x.grad) == (0.3, 1.0)


def test_no_grad_records_nothing():
    x = Value(2.0)
    with no_grad():
        assert not is_recording()
        y = x * 3.0 + x.exp() - x.sin() / 2.0
    assert is_recording()
    assert y.parents == () and y.local_grads == () and y.op == ""
    assert y.data == pytest.approx(6.0 + math.exp(2.0) - math.sin(2.0) / 2.0, rel=1e-15)
    y.backward()
    assert x.grad == 0.0


def test_no_grad_nests_and_restores_after_errors():
    with no_grad():
        with no_grad():
            pass
        assert not is_recording()
    assert is_recording()
    with pytest.raises(ValueError):
        with no_grad():
            Value(-1.0).log()
    assert is_recording()


def test_no_grad_as_decorator():
    @no_grad()
    def square(v):
        return v * v

    x = Value(3.0)
    y = square(x)
    assert (y.data, y.parents) == (9.0, ())
    assert is_recording()
    assert (x * x).parents == (x, x)


def test_graph_recorded_before_no_grad_still_backpropagates():
    x = Value(2.0)
    y = x * x
    with no_grad():
        y.backward()
    assert x.grad == 4.0


def test_detach_cuts_the_history():
    x = Value(3.0, label="x")
    d = (x * 2.0).detach()
    assert d.data == 6.0 and d.parents == () and d.op == ""
    y = x * x.detach()  # the stop-gradient: only one path reaches x
    y.backward()
    assert x.grad == 3.0  # not 2x = 6
    z = x.detach()
    assert z is not x and z.data == x.data and z.label == x.label and z.grad == 0.0
