"""Gradients of gradients: grad(create_graph=True), hessian, hvp, Newton's method.

Every op of the table is checked by itself (its ``derivative`` expressions against its
float local gradients, and their derivatives against central differences), then whole
random expressions: second derivatives against finite differences of first derivatives.
"""
import dataclasses
import itertools
import math
import threading

import pytest
from conftest import need
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import TORCH, programs, value_fn

from tinygrad_edu import OPS, Constant, OpError, Value, no_grad
from tinygrad_edu.forward import jvp
from tinygrad_edu.graph import evaluation_order
from tinygrad_edu.higher import apply_op, grad, hessian, hvp

OP_NAMES = list(OPS)


def slide_f(x1, x2):
    """y = ln(x1) + x1·x2 − sin(x2), the deck "Neural Networks" (Natasha Jaques) example."""
    return x1.log() + x1 * x2 - x2.sin()
SMOOTH = tuple(name for name, op in OPS.items() if op.kink is None)


def float_call(name, *args):
    return OPS[name].forward(*args)[0]


def point_in_domain(data, op, away_from_kink=0.0):
    xs = [data.draw(st.floats(lo, hi), label=f"operand {i}") for i, (lo, hi) in
          enumerate(op.domain)]
    if op.kink is not None:
        assume(op.kink(*xs) > away_from_kink)
    return xs


def close(a, b, rel=1e-9, abs_=1e-12):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# ---------------------------------------------------------------- the op table's derivative field
@pytest.mark.parametrize("name", OP_NAMES)
def test_every_op_has_a_derivative_expression(name):
    op = OPS[name]
    assert callable(op.derivative), f"op {name!r} needs a derivative=... entry in ops.py"
    xs = [(lo + hi) / 2 for lo, hi in op.domain]
    value, *local = op.forward(*xs)
    assert len(op.derivative(xs, value, float_call)) == op.arity == len(local)


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_derivative_expression_agrees_with_the_float_local_gradients(name, data):
    op = OPS[name]
    xs = point_in_domain(data, op)
    value, *local = op.forward(*xs)
    as_floats = op.derivative(xs, value, float_call)
    assert [float(d) for d in as_floats] == pytest.approx(local, rel=1e-12, abs=1e-15)
    # the same expressions handed graph nodes build graphs with the same numbers
    operands = [Value(x) for x in xs]
    node = apply_op(name, *operands)
    as_values = op.derivative(tuple(operands), node, apply_op)
    assert [float(d) for d in as_values] == pytest.approx(local, rel=1e-12, abs=1e-15)
    assert list(node.local_grads) == pytest.approx(local, rel=1e-15, abs=0)


@pytest.mark.parametrize("name", OP_NAMES)
def test_apply_op_applies_the_row_it_names(name):
    op = OPS[name]
    xs = [(lo + hi) / 2 + 0.1 for lo, hi in op.domain]
    node = apply_op(name, *[Value(x) for x in xs])
    assert node.op == name
    assert node.data == op.forward(*xs)[0]
    assert apply_op(name, *xs) == op.forward(*xs)[0]          # floats in, a float out
    mixed = apply_op(name, Value(xs[0]), *xs[1:])              # numbers become constants
    assert mixed.op == name and all(isinstance(p, Value) for p in mixed.parents)


def central(fn, xs, j, h=1e-5):
    up, down = list(xs), list(xs)
    up[j] += h
    down[j] -= h
    return (fn(up) - fn(down)) / (2 * h)


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_each_ops_second_derivatives_against_finite_differences(name, data):
    """∂/∂xj of each local gradient ∂op/∂xi, by grad(create_graph=True), against central
    differences of the op's own float local gradients."""
    op = OPS[name]
    xs = point_in_domain(data, op, away_from_kink=1e-3)
    operands = [Value(x) for x in xs]
    first = grad(apply_op(name, *operands), operands, create_graph=True)
    for i in range(op.arity):
        second = grad(first[i], operands)
        for j in range(op.arity):
            numeric = central(lambda p: op.forward(*p)[1 + i], xs, j)
            assert math.isclose(second[j], numeric, rel_tol=1e-4, abs_tol=1e-6), \
                (name, xs, i, j, second[j], numeric)


def test_leaky_relu_slope_is_a_differentiable_operand():
    a, alpha = Value(-2.0), Value(0.1)
    da, dalpha = grad(a.leaky_relu(alpha), [a, alpha], create_graph=True)
    assert (da.data, dalpha.data) == (0.1, -2.0)
    assert grad(da, [a, alpha]) == [0.0, 1.0]         # ∂²/∂α∂a = 1 for a < 0
    assert grad(dalpha, [a, alpha]) == [1.0, 0.0]


# ---------------------------------------------------------------- grad like torch.autograd.grad
def test_grad_gives_the_slide_gradients_without_touching_grad():
    x1, x2 = Value(2.0, "x1"), Value(5.0, "x2")
    y = slide_f(x1, x2)
    nodes = evaluation_order(y)
    for node in nodes:
        node.grad = 7.0
    g1, g2 = grad(y, [x1, x2])
    assert g1 == 5.5 and round(g2, 3) == 1.716
    G1, G2 = grad(y, [x1, x2], create_graph=True)
    assert (G1.data, G2.data) == (g1, g2)
    hessian(slide_f, [2.0, 5.0])
    hvp(slide_f, [2.0, 5.0], [1.0, 1.0])
    assert all(node.grad == 7.0 for node in nodes)
    assert all(node.grad == 0.0 for node in evaluation_order([G1, G2]) if node not in set(nodes))


def test_grad_of_every_node_is_what_backward_leaves_in_grad():
    x1, x2 = Value(2.0, "x1"), Value(5.0, "x2")
    y = (slide_f(x1, x2) * x1 + 3).tanh() * 4 - x2 / x1
    nodes = evaluation_order(y)
    adjoints = grad(y, nodes)
    y.backward()
    assert adjoints == [node.grad for node in nodes]


def test_grad_options_single_unused_seed_and_y_is_x():
    x, z = Value(3.0), Value(-1.0)
    y = x * x
    assert grad(y, x) == 6.0                               # one x in, one gradient out
    assert grad(y, [x, z]) == [6.0, 0.0]                   # z is not used: 0
    assert grad(y, [x], grad_output=0.5) == [3.0]
    unused = grad(y, z, create_graph=True)
    assert isinstance(unused, Constant) and unused.data == 0.0
    assert grad(x, x) == 1.0
    assert grad(x, x, create_graph=True).data == 1.0
    # a Value seed with create_graph=True: the gradient is linear in it
    v = Value(2.0)
    g = grad(y, x, create_graph=True, grad_output=v)
    assert g.data == 12.0 and grad(g, [v, x]) == [6.0, 4.0]


def test_grad_bad_input():
    x = Value(1.0)
    with pytest.raises(TypeError, match="y must be a Value"):
        grad(3.0, x)
    with pytest.raises(TypeError, match=r"xs\[1\] must be a Value"):
        grad(x * 2, [x, 2.0])
    with pytest.raises(TypeError, match="xs must be a Value or a list"):
        grad(x * 2, "x")
    with no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        grad(x * 2, x, create_graph=True)
    with no_grad():
        assert grad(x.sin(), x) == 0.0          # nothing was recorded: nothing depends on x
    assert grad(x.sin(), x) == math.cos(1.0)
    # one seed ȳ: a list was read as its first element, and [] raised IndexError
    for seed in ([2.0], [], [1.0, 2.0], "1"):
        with pytest.raises(TypeError, match="grad: grad_output needs a real number"):
            grad(x * 2, x, grad_output=seed)
    assert grad(x * 2, x, grad_output=True) == 2.0      # checks' policy: True is 1


def test_an_op_without_a_derivative_expression_is_named(monkeypatch):
    x = Value(0.5)
    y = x.sin()
    monkeypatch.setitem(OPS, "sin", dataclasses.replace(OPS["sin"], derivative=None))
    assert grad(y, x) == math.cos(0.5)          # first order needs only the float table
    with pytest.raises(NotImplementedError, match="'sin' has no derivative expression"):
        grad(y, x, create_graph=True)


def test_create_graph_gradients_are_values_with_graphs_backward_can_use():
    x = Value(0.7, "x")
    g = grad(x.sin(), x, create_graph=True)
    assert isinstance(g, Value) and g.op == "cos" and g.parents == (x,)
    g.backward()                                # the user's choice: this one does touch .grad
    assert x.grad == pytest.approx(-math.sin(0.7), rel=1e-15)


# ---------------------------------------------------------------- second derivatives
@pytest.mark.parametrize("x", [-2.0, -0.3, 0.0, 0.7, 1.5, 3.0])
def test_second_derivative_of_sin_is_minus_sin(x):
    v = Value(x)
    first = grad(v.sin(), v, create_graph=True)
    second = grad(first, v, create_graph=True)
    third = grad(second, v)
    assert first.data == math.cos(x)
    assert second.data == -math.sin(x)
    assert third == -math.cos(x)


@pytest.mark.parametrize("x, second", [(-2.0, -12.0), (0.0, 0.0), (1.5, 9.0)])
def test_second_derivative_of_a_cube_including_negative_bases(x, second):
    v = Value(x)
    slope = grad(v ** 3, v, create_graph=True)
    assert slope.data == 3 * x * x
    assert grad(slope, v) == second                   # 6x, no nan from ln of a negative base


def test_power_with_a_value_exponent_has_all_four_second_derivatives():
    x, p = Value(1.5), Value(0.0)        # at p = 0 the slope in x is 0 but its slope in p is not
    dx, dp = grad(x ** p, [x, p], create_graph=True)
    assert (dx.data, dp.data) == (0.0, math.log(1.5))
    assert grad(dx, [x, p]) == pytest.approx([0.0, 1 / 1.5], rel=1e-15)
    assert grad(dp, [x, p]) == pytest.approx([1 / 1.5, math.log(1.5) ** 2], rel=1e-15)


def slide_hessian(x1, x2):
    """∂²/∂x² of ln x1 + x1·x2 − sin x2: [[−1/x1², 1], [1, sin x2]]."""
    return [[-1.0 / x1 ** 2, 1.0], [1.0, math.sin(x2)]]


def test_hessian_of_the_slide_expression():
    H = hessian(slide_f, [2.0, 5.0])
    assert H == [[-0.25, 1.0], [1.0, pytest.approx(math.sin(5.0), rel=1e-15)]]
    assert round(H[1][1], 3) == -0.959


@given(st.floats(0.1, 5.0), st.floats(-4.0, 4.0))
def test_hessian_of_the_slide_expression_everywhere(x1, x2):
    H = hessian(slide_f, [x1, x2])
    expected = slide_hessian(x1, x2)
    for i in range(2):
        assert H[i] == pytest.approx(expected[i], rel=1e-12, abs=1e-15)


@given(st.floats(0.1, 5.0), st.floats(-4.0, 4.0), st.floats(-3, 3), st.floats(-3, 3))
def test_hvp_is_the_hessian_times_v(x1, x2, v1, v2):
    value, Hv = hvp(slide_f, [x1, x2], [v1, v2])
    H = slide_hessian(x1, x2)
    assert value == pytest.approx(math.log(x1) + x1 * x2 - math.sin(x2), rel=1e-15)
    assert Hv == pytest.approx([H[0][0] * v1 + H[0][1] * v2, H[1][0] * v1 + H[1][1] * v2],
                               rel=1e-12, abs=1e-12)


def test_hessian_and_hvp_bad_input():
    with pytest.raises(ValueError, match="2 inputs but v has 3"):
        hvp(slide_f, [1.0, 2.0], [1, 2, 3])
    with pytest.raises(TypeError, match="single Value"):
        hessian(lambda a, b: [a, b], [1.0, 2.0])
    assert hessian(lambda a, b: 5.0, [1.0, 2.0]) == [[0.0, 0.0], [0.0, 0.0]]
    assert hessian(lambda a: a * 3, [1.0]) == [[0.0]]        # linear: no curvature


# ---------------------------------------------------------------- Newton's method
def newton(f, x0, steps):
    """Minimise a 1-D f by Newton's method: x ← x − f'(x) / f''(x), both derivatives from
    the engine (f'' by differentiating the graph of f'). Returns every iterate."""
    xs = [float(x0)]
    for _ in range(steps):
        x = Value(xs[-1], "x")
        slope = grad(f(x), x, create_graph=True)
        curvature = grad(slope, x)
        xs.append(xs[-1] - slope.data / curvature)
    return xs


def test_newton_finds_the_minimum_of_exp_x_minus_2x_in_a_few_steps():
    # f(x) = e^x − 2x, f'(x) = e^x − 2, minimum at x = ln 2; from x0 = 0
    xs = newton(lambda x: x.exp() - 2 * x, 0.0, 6)
    errors = [abs(x - math.log(2)) for x in xs]
    assert xs[1] == 1.0 and xs[2] == pytest.approx(2 / math.e, rel=1e-15)
    assert errors[4] < 1e-6 and errors[5] < 1e-12
    for before, after in zip(errors[1:4], errors[2:5]):
        assert after <= before ** 2                      # quadratic convergence


def test_newton_on_a_quadratic_is_exact_in_one_step():
    xs = newton(lambda x: 3 * (x - 1.25) ** 2 + 7, 10.0, 2)
    assert xs[1:] == [1.25, 1.25]


# ---------------------------------------------------------------- random expressions
def numeric_hessian(program, h=1e-5):
    """Central differences of the reverse-mode gradient: H[i][j] ≈ ∂(∂f/∂xi)/∂xj."""
    point = program.point

    def gradient(p):
        inputs = [Value(x) for x in p]
        return grad(program.build(inputs), inputs)
    n = len(point)
    columns = []
    for j in range(n):
        up, down = list(point), list(point)
        up[j] += h
        down[j] -= h
        g_up, g_down = gradient(up), gradient(down)
        columns.append([(a - b) / (2 * h) for a, b in zip(g_up, g_down)])
    return [[columns[j][i] for j in range(n)] for i in range(n)]


@given(programs(op_names=SMOOTH))
def test_second_derivatives_match_finite_differences_of_first_derivatives(program):
    H = hessian(program.function(), program.point)
    numeric = numeric_hessian(program)
    scale = max(1.0, max(abs(h) for row in H for h in row))
    for i, row in enumerate(H):
        for j, h in enumerate(row):
            assert abs(h - numeric[i][j]) <= 1e-5 * scale, (i, j, h, numeric[i][j])
            assert h == pytest.approx(H[j][i], rel=1e-9, abs=1e-12)   # symmetric


@given(programs(), st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_hvp_forward_over_reverse_matches_hessian_reverse_over_reverse(program, v):
    point = program.point
    v = v[:len(point)]
    f = program.function()
    H = hessian(f, point)
    value, Hv = hvp(f, point, v)
    assert value == jvp(f, point, v)[0]
    for i, row in enumerate(H):
        expected = math.fsum(h * vj for h, vj in zip(row, v))
        scale = math.fsum(abs(h * vj) for h, vj in zip(row, v))
        assert abs(Hv[i] - expected) <= 1e-9 * scale + 1e-12


def test_second_derivative_through_a_100k_node_chain():
    def chain(x):
        v = x
        for _ in range(100_000):
            v = v.sin()
        return v

    x = Value(1.0)
    slope = grad(chain(x), x, create_graph=True)
    curvature = grad(slope, x)
    h = 1e-4
    up, down = Value(1.0 + h), Value(1.0 - h)
    numeric = (grad(chain(up), up) - grad(chain(down), down)) / (2 * h)
    assert slope.data == pytest.approx(jvp(chain, [1.0], [1.0])[1], rel=1e-12)
    assert curvature == pytest.approx(numeric, rel=1e-5)
    assert curvature < 0


# ------------------------------------------------------------ at the edges, as PyTorch (issue 13)
GRID = [-math.inf, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, math.inf, math.nan]


def same(a, b) -> bool:
    """Equal as PyTorch float64 prints them: nan equals nan, else equal to 12 digits."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


def pytorch_masks(name, xs, i) -> bool:
    """``**`` where PyTorch masks a local derivative to 0 (p = 0; x = 0 for the slope in the
    exponent): its second derivatives there come from the formula it masked (nan, or 1/x),
    ours from the mathematics (1/x at a finite x ≠ 0) or the masked constant (0)."""
    return name == "**" and (xs[1] == 0.0 or (xs[0] == 0.0 and i == 1))


@pytest.mark.parametrize("name", OP_NAMES)
def test_every_op_at_the_edges_matches_pytorch_to_second_order(name):
    """Every op on a grid of edge points (0, ±1, ±inf, nan, ties): where the value exists it,
    its local gradients and their derivatives (grad(create_graph=True)) are PyTorch's; where it
    does not, the op raises and PyTorch's value is inf or nan. Second derivatives are not
    compared at a kink, where there is none and each library picks a convention."""
    torch = need("torch")
    op = OPS[name]
    for xs in itertools.product(GRID, repeat=op.arity):
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        expected = TORCH[name](torch, *ts)
        leaves = [Value(x) for x in xs]
        try:
            y = value_fn(op)(*leaves)
        except OpError:
            assert not math.isfinite(expected.item()), (name, xs)
            continue
        assert same(y.data, expected.item()), (name, xs, y.data, expected.item())
        slopes = torch.autograd.grad(expected, ts, create_graph=True, allow_unused=True)
        first = grad(y, leaves, create_graph=True)
        for i, slope in enumerate(slopes):
            want = 0.0 if slope is None else slope.item()
            assert same(first[i].data, want), (name, xs, i, first[i].data, want)
            if op.kink is not None and op.kink(*xs) == 0.0 or pytorch_masks(name, xs, i):
                continue
            if slope is None or not slope.requires_grad:
                second_want = [0.0] * op.arity
            else:
                second_want = [0.0 if g is None else g.item() for g in torch.autograd.grad(
                    slope, ts, allow_unused=True, retain_graph=True)]
            second = grad(first[i], leaves)
            for j in range(op.arity):
                assert same(second[j], second_want[j]), (name, xs, i, j, second[j], second_want)


@pytest.mark.parametrize("f", [lambda x: x.sqrt(), lambda x: x ** 0.5],
                         ids=["sqrt", "x ** 0.5"])
def test_second_derivative_of_a_square_root_at_zero_is_minus_infinity(f):
    """d/dx 1/(2√x) = −1/(4 x^{3/2}) → −inf at 0, as PyTorch (issue 13: it was 0)."""
    assert hessian(f, [0.0]) == [[-math.inf]]
    x = Value(0.0)
    slope = grad(f(x), x, create_graph=True)
    assert slope.data == math.inf and grad(slope, x) == -math.inf


def test_second_derivative_is_nan_where_the_first_is_nan():
    x = Value(1.5)
    assert math.isnan(grad((x - x).sqrt(), x))         # inf·1 + inf·(−1)
    (h,), = hessian(lambda v: (v - v).sqrt(), [1.5])
    assert math.isnan(h)                                # PyTorch: nan (it was 0)


def test_ieee_arithmetic_is_scoped_and_per_thread():
    """Derivative graphs are built in IEEE arithmetic (1/0 = inf); outside, 1/0 still raises,
    and another thread never sees the switch."""
    from tinygrad_edu.ops import DivisionByZero, ieee_arithmetic
    seen = []
    with ieee_arithmetic():
        with ieee_arithmetic():
            assert (1 / Value(0.0)).data == math.inf
        assert (Value(1e200) * 1e200).data == math.inf and math.isnan(Value(-1.0).log().data)
        worker = threading.Thread(target=lambda: seen.append(pytest.raises(
            DivisionByZero, lambda: 1 / Value(0.0))))
        worker.start()
        worker.join(5)
    assert len(seen) == 1
    with pytest.raises(DivisionByZero):
        1 / Value(0.0)


def test_a_constant_f_has_zero_second_derivatives_true_is_one_as_everywhere():
    """f returning a plain number is a constant; True is that number 1 (checks' policy), and
    was refused as "not a single Value" while 1 was taken."""
    assert hessian(lambda x, y: 2.5, [1.0, 2.0]) == [[0.0, 0.0], [0.0, 0.0]]
    assert hessian(lambda x: True, [1.0]) == [[0.0]]
    assert hvp(lambda x: True, [1.0], [1.0]) == (1.0, [0.0])
    with pytest.raises(TypeError, match="single Value"):
        hessian(lambda x: "1", [1.0])
