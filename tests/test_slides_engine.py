"""The lecture's worked examples (SPEC "Reference numbers" 1–6), one test per slide.

Every expected number here is printed on a slide; the tests compare at the slide's precision.
"""
import unicodedata

import pytest

from tinygrad_edu import Value, trace

BAR = "\u0304"  # combining macron: v̄ is "v" + BAR


def nfc(text):
    """Canonical form: the slides' ȳ may be one code point (U+0233) or y + combining macron."""
    return unicodedata.normalize("NFC", text)


# ------------------------------------------------ 1. evaluation trace (Jaques, "Autodiff")
SLIDE_1_FORWARD = [
    ("v-1", "x1", 2.0),
    ("v0", "x2", 5.0),
    ("v1", "ln v-1", 0.693),
    ("v2", "v-1 × v0", 10.0),
    ("v3", "sin v0", -0.959),
    ("v4", "v1 + v2", 10.693),
    ("v5", "v4 − v3", 11.652),
    ("y", "v5", 11.652),
]
SLIDE_1_ADJOINT = [
    ("v̄5", "ȳ", 1.0),
    ("v̄4", "v̄5 × 1", 1.0),
    ("v̄3", "v̄5 × (−1)", -1.0),
    ("v̄1", "v̄4 × 1", 1.0),
    ("v̄2", "v̄4 × 1", 1.0),
    ("v̄0", "v̄3 × cos v0", -0.284),
    ("v̄-1", "v̄2 × v0", 5.0),
    ("v̄0", "v̄0 + v̄2 × v-1", 1.716),
    ("v̄-1", "v̄-1 + v̄1 / v-1", 5.5),
    ("x̄1", "v̄-1", 5.5),
    ("x̄2", "v̄0", 1.716),
]


def slide_1():
    x1, x2 = Value(2.0, label="x1"), Value(5.0, label="x2")
    return x1, x2, x1.log() + x1 * x2 - x2.sin()


def test_slide_1_autodiff_gradients():
    x1, x2, y = slide_1()
    y.backward()
    assert round(y.data, 3) == 11.652
    assert round(x1.grad, 3) == 5.5
    assert round(x2.grad, 3) == 1.716
    assert repr(y) == "Value(11.652, grad=1.0, op='−')"


def test_slide_1_forward_primal_trace():
    *_, y = slide_1()
    rows = [(r.name, r.expr, round(r.value, 3)) for r in trace(y).forward]
    assert rows == SLIDE_1_FORWARD


def test_slide_1_reverse_adjoint_trace():
    x1, x2, y = slide_1()
    rows = [(nfc(r.target), nfc(r.expr), round(r.value, 3)) for r in trace(y).adjoint]
    expected = [(nfc(t), nfc(e), v) for t, e, v in SLIDE_1_ADJOINT]
    assert rows == expected
    assert all(BAR in row[0] for row in rows)  # every target is a barred (adjoint) name
    assert x1.grad == 0.0 and x2.grad == 0.0 and y.grad == 0.0  # trace is only a view


# ---------------------------------------------------------------- 2. (x + y)·z (Xiu; "cont'd")
def test_slide_2_add_then_multiply():
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    q = x + y
    f = q * z
    assert (q.data, f.data) == (3.0, -12.0)
    f.backward()
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)
    assert q.grad == -4.0  # the add gate's upstream gradient: ∂f/∂q = z
    assert q.local_grads == (1.0, 1.0) and f.local_grads == (-4.0, 3.0)


# ------------------------------------------------------------- 3. sigmoid neuron (Xiu; "cont'd")
def sigmoid_neuron(build):
    w0, x0, w1, x1, w2 = (Value(v) for v in (2.0, -1.0, -3.0, -2.0, -3.0))
    z = w0 * x0 + w1 * x1 + w2
    f = build(z)
    f.backward()
    return f, z, [v.grad for v in (w0, x0, w1, x1, w2)]


def sigmoid_as_one_op(z):
    return z.sigmoid()


def sigmoid_from_exp_add_reciprocal(z):
    return 1 / (1 + (z * -1).exp())  # the slide's gates: *−1, exp, +1, 1/x


SLIDE_3_GRADS = [-0.20, 0.39, -0.39, -0.59, 0.20]  # dw0, dx0, dw1, dx1, dw2


@pytest.mark.parametrize("build", [sigmoid_as_one_op, sigmoid_from_exp_add_reciprocal])
def test_slide_3_sigmoid_neuron(build):
    f, z, grads = sigmoid_neuron(build)
    assert z.data == 1.0
    assert round(f.data, 2) == 0.73
    assert round(z.grad, 2) == 0.20  # (1 − 0.73)(0.73): upstream 1.00 × sigmoid's local gradient
    assert [round(g, 2) for g in grads] == SLIDE_3_GRADS


def test_slide_3_sigmoid_local_gradient_is_one_node():
    f, z, _ = sigmoid_neuron(sigmoid_as_one_op)
    assert f.op == "sigmoid" and f.parents == (z,)
    assert round(f.local_grads[0], 2) == 0.20
    assert f.local_grads[0] == pytest.approx((1 - f.data) * f.data, rel=1e-15)


def test_slide_3_one_op_and_primitives_agree_exactly_enough():
    f1, _, g1 = sigmoid_neuron(sigmoid_as_one_op)
    f2, _, g2 = sigmoid_neuron(sigmoid_from_exp_add_reciprocal)
    assert f1.data == pytest.approx(f2.data, rel=1e-14)
    assert g1 == pytest.approx(g2, rel=1e-12)


def test_slide_3_primitive_gates_show_the_slide_gradients():
    w0, x0, w1, x1, w2 = (Value(v) for v in (2.0, -1.0, -3.0, -2.0, -3.0))
    z = w0 * x0 + w1 * x1 + w2
    neg = z * -1
    e = neg.exp()
    d = 1 + e
    f = 1 / d
    f.backward()
    assert [round(v.data, 2) for v in (neg, e, d, f)] == [-1.0, 0.37, 1.37, 0.73]
    assert [round(v.grad, 2) for v in (d, e, neg, z)] == [-0.53, -0.53, -0.20, 0.20]


# ------------------------------------------------------------ 4. gradient-flow patterns (Xiu)
def test_slide_4_add_gate_distributes():
    x, y = Value(3.0), Value(-4.0)
    (x + y).backward(2.0)
    assert (x.grad, y.grad) == (2.0, 2.0)


def test_slide_4_mul_gate_swaps():
    x, y = Value(3.0), Value(-4.0)
    (x * y).backward(2.0)
    assert (x.grad, y.grad) == (-8.0, 6.0)  # upstream × the other input


def test_slide_4_copy_gate_adds():
    x = Value(3.0)
    a, b = x * 5.0, x * 7.0  # x is used twice
    (a + b).backward(2.0)
    assert x.grad == 2.0 * 5.0 + 2.0 * 7.0


def test_slide_4_max_gate_routes():
    x, y = Value(4.0), Value(2.0)
    x.max(y).backward(2.0)
    assert (x.grad, y.grad) == (2.0, 0.0)  # all to the larger input
    x, y = Value(-1.0), Value(2.0)
    x.max(y).backward(2.0)
    assert (x.grad, y.grad) == (0.0, 2.0)


def test_slide_4_max_gate_tie_sends_half_to_each():
    x, y = Value(3.0), Value(3.0)
    x.max(y).backward(2.0)
    assert (x.grad, y.grad) == (1.0, 1.0)


# ---------------------------------------------------------------- 5. ReLU (Xiu)
def test_slide_5_relu_gradient():
    xs = [Value(v) for v in (1.0, -2.0, 3.0, -1.0)]
    upstream = [4.0, -1.0, 5.0, 9.0]
    loss = sum((g * x.relu() for g, x in zip(upstream, xs)), Value(0.0))
    loss.backward()
    assert [x.grad for x in xs] == [4.0, 0.0, 5.0, 0.0]


def test_slide_5_relu_gradient_with_upstream_as_seed():
    xs = [Value(v) for v in (1.0, -2.0, 3.0, -1.0)]
    for x, g in zip(xs, [4.0, -1.0, 5.0, 9.0]):
        x.relu().backward(g)
    assert [x.grad for x in xs] == [4.0, 0.0, 5.0, 0.0]


# ---------------------------------------------------------------- 6. ||W·x||² (Xiu)
def test_slide_6_squared_norm_of_matrix_vector_product():
    W = [[Value(0.1), Value(0.5)], [Value(-0.3), Value(0.8)]]
    x = [Value(0.2), Value(0.4)]
    q = [row[0] * x[0] + row[1] * x[1] for row in W]
    f = q[0] * q[0] + q[1] * q[1]
    f.backward()
    assert [round(v.data, 2) for v in q] == [0.22, 0.26]
    assert round(f.data, 3) == 0.116
    assert [[round(w.grad, 3) for w in row] for row in W] == [[0.088, 0.176], [0.104, 0.208]]
    assert [round(v.grad, 3) for v in x] == [-0.112, 0.636]
    assert [round(v.grad, 2) for v in q] == [0.44, 0.52]  # 2q: the upstream of W·x
