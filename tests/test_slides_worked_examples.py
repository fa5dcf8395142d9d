"""The decks' remaining worked examples, one test each (notebook 08 walks through them).

Where a slide prints numbers the test asserts them at the slide's precision; where it gives an
algorithm without numbers (Jaques's Δ/D accumulation, the "cont'd" deck's vectorised pass),
the algorithm written out in NumPy must agree with the engine's backward to 1e-12.
"""
import itertools
import math
import random

import numpy as np
import pytest

from tinygrad_edu import Value, data, fit, losses, optim
from tinygrad_edu.nn import MLP, Neuron
from tinygrad_edu.train import accuracy


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def logit(p):
    return math.log(p / (1 - p))


# ------------------------------------------------ "Neural Networks" (Natasha Jaques): Δ and D
def jaques_D(thetas, X, Y, lam):
    """The "Backpropagation" slide's algorithm, row-vector weights with the bias in column 0."""
    Deltas = [np.zeros_like(T) for T in thetas]
    for x, y in zip(X, Y):
        activations = [np.asarray(x, dtype=float)]
        for T in thetas:                                     # forward propagation
            activations.append(sigmoid(T @ np.r_[1.0, activations[-1]]))
        delta = activations[-1] - y                          # δ(L) = a(L) − y
        for layer in reversed(range(len(thetas))):
            a = np.r_[1.0, activations[layer]]
            Deltas[layer] += np.outer(delta, a)              # Δij += aj δi
            if layer:                                        # δ = a(1 − a) Σk δk Θki
                delta = (thetas[layer][:, 1:].T @ delta) * a[1:] * (1 - a[1:])
    n = len(X)
    Ds = []
    for T, Delta in zip(thetas, Deltas):
        D = Delta / n + lam * T
        D[:, 0] = Delta[:, 0] / n                            # j = 0: the bias is not penalised
        Ds.append(D)
    return Ds


def engine_J(thetas, X, Y, lam):
    """J(Θ) = mean binary cross-entropy + (λ/2) Σ Θij² over j ≠ 0, built from Values."""
    params = [[[Value(float(t)) for t in row] for row in T] for T in thetas]
    total = Value(0.0)
    for x, y in zip(X, Y):
        a = [Value(float(v)) for v in x]
        for P in params:
            a = [(row[0] + sum(w * ai for w, ai in zip(row[1:], a))).sigmoid() for row in P]
        total = total + losses.binary_cross_entropy(a[0], y)
    J = total / len(X) + lam / 2 * sum(w * w for P in params for row in P for w in row[1:])
    J.backward()
    return [np.array([[w.grad for w in row] for row in P]) for P in params]


def test_jaques_delta_D_accumulation_is_the_gradient_of_the_regularised_cost():
    rng = np.random.default_rng(0)
    thetas = [rng.normal(size=(3, 3)), rng.normal(size=(1, 4))]   # 2 inputs, 3 hidden, 1 output
    X, Y = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]
    for D, grad in zip(jaques_D(thetas, X, Y, 0.1), engine_J(thetas, X, Y, 0.1)):
        np.testing.assert_allclose(D, grad, rtol=0, atol=1e-12)


def test_jaques_sign_convention_delta_is_a_minus_y_for_the_cross_entropy():
    # The deck writes L = y log ŷ + (1 − y) log(1 − ŷ), a log-likelihood: its "Backprop" slides
    # get δ = y − a, the algorithm slide δ = a − y, the slope of the cross-entropy −L.
    for z_value, y in [(-1.3, 1), (0.4, 0), (2.0, 1)]:
        z = Value(z_value)
        a = z.sigmoid()
        log_likelihood = y * a.log() + (1 - y) * (1 - a).log()
        log_likelihood.backward()
        assert z.grad == pytest.approx(y - a.data, abs=1e-12)
        z2 = Value(z_value)
        losses.binary_cross_entropy(z2.sigmoid(), y).backward()
        assert z2.grad == pytest.approx(a.data - y, abs=1e-12)


# ------------------------------------------------ "Deep Learning": towers from two sigmoids
def tower(x, w, b1, b2):
    return (w * (x - b1)).sigmoid() - (w * (x - b2)).sigmoid()


def test_deep_learning_tower_from_two_sigmoids():
    w = 100.0
    inside, left, right = (tower(Value(x), w, 0.3, 0.6).data for x in (0.45, 0.1, 0.9))
    assert inside > 0.99 and left < 0.01 and right < 0.01
    # "w controls the slope": at x = b1 the step rises with slope σ'(0)·w = w/4
    x = Value(0.3)
    tower(x, w, 0.3, 0.6).backward()
    assert x.grad == pytest.approx(w / 4, rel=1e-6)
    # "set w to a very high value, we recover the step function"
    for w_big in (1e3, 1e4):
        assert tower(Value(0.3001), w_big, 0.3, 0.6).data > 1 - 2 * math.exp(-w_big * 1e-4)


def test_deep_learning_towers_add_up_to_approximate_a_function():
    def f(x):
        return math.sin(3 * x) + 1

    errors = []
    for n in (10, 40):
        edges = [i / n for i in range(n + 1)]
        grid = [0.01 + 0.98 * i / 200 for i in range(201)]
        approx = [sum(f((a + b) / 2) * tower(Value(x), 50 * n, a, b).data
                      for a, b in zip(edges, edges[1:])) for x in grid]
        errors.append(max(abs(g - f(x)) for g, x in zip(approx, grid)))
    assert errors[1] < errors[0] and errors[1] < 0.15


# ------------------------------------------------ "Deep Learning": the assignment ∂L/∂w¹₁₃
def test_deep_learning_assignment_dL_dw13():
    # the worked example's network with three inputs; the slide gives x1 = 60 only, so x3 = 10
    # is our choice, and the biases are chosen to give the slide's a1 = 0.37 and ŷ = 0.25
    x = [60.0, 0.0, 10.0]
    w1 = [Value(0.1), Value(0.0), Value(0.0)]
    w2 = Value(12.0)
    b1 = Value(logit(0.37) - 0.1 * 60)
    b2 = Value(logit(0.25) - 12 * 0.37)
    a1 = (sum(w * xi for w, xi in zip(w1, x)) + b1).sigmoid()
    y_hat = (w2 * a1 + b2).sigmoid()
    losses.binary_cross_entropy(y_hat, 1).backward()
    assert round(a1.data, 2) == 0.37 and round(y_hat.data, 2) == 0.25
    assert round(w1[0].grad, 3) == -125.874                  # the slide's ∂L/∂w¹₁₁
    delta1 = -0.75 * 12 * 0.37 * (1 - 0.37)                  # δ¹₁, the same for every w¹₁ⱼ
    assert round(delta1, 4) == -2.0979
    assert w1[2].grad == pytest.approx(delta1 * 10.0, rel=1e-12)   # ∂L/∂w¹₁₃ = δ¹₁ · x3
    assert round(w1[2].grad, 3) == -20.979


# ------------------------------------------------ Xiu: the larger Boolean function
def xiu_formula(A, X, Y, Z):
    return ((A and not X and Z) or (A and not Y)) and ((X and Y) or (not X and Z))


def threshold_unit(weights, bias, k=20.0):
    """A steep sigmoid neuron: k·(w·x + b), the perceptron's step in the limit."""
    unit = Neuron(len(weights), activation="sigmoid")
    for w, value in zip(unit.w, weights):
        w.data = k * value
    unit.b.data = k * bias
    return unit


def xiu_network():
    # inputs (A, X, Y, Z); ¬ is a weight of −1 with +1 added to the bias
    terms = [threshold_unit([1, -1, 0, 1], -1.5),    # A ∧ ¬X ∧ Z
             threshold_unit([1, 0, -1, 0], -0.5),    # A ∧ ¬Y
             threshold_unit([0, 1, 1, 0], -1.5),     # X ∧ Y
             threshold_unit([0, -1, 0, 1], -0.5)]    # ¬X ∧ Z
    ors = [threshold_unit([1, 1, 0, 0], -0.5), threshold_unit([0, 0, 1, 1], -0.5)]
    out = threshold_unit([1, 1], -1.5)
    return lambda x: out([o([t(x) for t in terms]) for o in ors])


def test_xiu_boolean_function_network_matches_its_truth_table():
    net = xiu_network()
    for bits in itertools.product((0, 1), repeat=4):
        y = net([float(b) for b in bits]).data
        expected = bool(xiu_formula(*bits))
        assert abs(y - expected) < 1e-3, bits
    # true only for A = 1, X = 0, Z = 1 (Y either way): the formula simplifies to A ∧ ¬X ∧ Z
    ones = [bits for bits in itertools.product((0, 1), repeat=4) if xiu_formula(*bits)]
    assert ones == [(1, 0, 0, 1), (1, 0, 1, 1)]


# ------------------------------------------------ Lan Xu: linear hidden units, softmax column
def test_lan_xu_linear_hidden_layer_collapses_to_one_linear_map():
    net = MLP(3, [4, 2], activation="linear", seed=0)
    W1 = np.array([[w.data for w in n.w] for n in net.layers[0].neurons])
    b1 = np.array([n.b.data for n in net.layers[0].neurons])
    W2 = np.array([[w.data for w in n.w] for n in net.layers[1].neurons])
    b2 = np.array([n.b.data for n in net.layers[1].neurons])
    W, b = W2 @ W1, W2 @ b1 + b2                         # one linear layer, 2 × 3
    rng = random.Random(0)
    for _ in range(20):
        x = [rng.uniform(-3, 3) for _ in range(3)]
        out = [o.data for o in net(x)]
        np.testing.assert_allclose(out, W @ np.array(x) + b, rtol=0, atol=1e-12)


def test_lan_xu_linear_hidden_layer_cannot_learn_xor():
    X, y = data.xor()
    linear = MLP(2, [8, 1], activation="linear", seed=0)
    fit(linear, X, y, epochs=200, optimizer=optim.Adam(linear.parameters(), lr=0.05),
        progress=False)
    assert accuracy(linear, X, y) <= 0.75


def test_lan_xu_softmax_exp_column():
    scores = [Value(3.2), Value(5.1), Value(-1.7)]              # cat, car, frog
    exps = [s.exp().data for s in scores]
    assert [round(exps[0], 1), round(exps[1], 1), round(exps[2], 2)] == [24.5, 164.0, 0.18]
    probs = [p.data for p in losses.softmax(scores)]
    assert [round(p, 2) for p in probs] == [0.13, 0.87, 0.00]
    assert [round(e / sum(exps), 2) for e in exps] == [0.13, 0.87, 0.00]


# ------------------------------------------------ "cont'd": vectorised backward with λΩ
def contd_backward(Ws, bs, x, y, lam):
    """The deck's forward and backward pass (f = σ everywhere, L = ½‖ŷ − y‖², Ω = ½ Σ ‖W‖²)."""
    hs, As = [np.asarray(x, dtype=float)], []
    for W, b in zip(Ws, bs):
        As.append(b + W @ hs[-1])
        hs.append(sigmoid(As[-1]))
    y_hat = hs[-1]
    g = y_hat - y                                              # ∇ŷ J = ∇ŷ L
    grads_W, grads_b = [None] * len(Ws), [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        g = g * hs[k + 1] * (1 - hs[k + 1])                    # g ⊙ f′(a(k))
        grads_b[k] = g + lam * 0.0                             # Ω has no bias term
        grads_W[k] = np.outer(g, hs[k]) + lam * Ws[k]          # g h(k−1)ᵀ + λ ∇W Ω
        g = Ws[k].T @ g                                        # W(k)ᵀ g
    return grads_W, grads_b


def test_contd_vectorised_backward_with_penalty_matches_the_engine():
    rng = np.random.default_rng(1)
    sizes = [3, 4, 4, 2]
    Ws = [rng.normal(size=(m, n)) for n, m in zip(sizes, sizes[1:])]
    bs = [rng.normal(size=m) for m in sizes[1:]]
    x, y, lam = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0]), 0.01
    grads_W, grads_b = contd_backward(Ws, bs, x, y, lam)

    VW = [[[Value(float(w)) for w in row] for row in W] for W in Ws]
    Vb = [[Value(float(b)) for b in vec] for vec in bs]
    h = [Value(float(v)) for v in x]
    for W, b in zip(VW, Vb):
        h = [(bi + sum(w * hj for w, hj in zip(row, h))).sigmoid() for row, bi in zip(W, b)]
    L = 0.5 * sum((hk - float(yk)) ** 2 for hk, yk in zip(h, y))
    J = L + lam * 0.5 * sum(w * w for W in VW for row in W for w in row)
    J.backward()
    for k in range(len(Ws)):
        np.testing.assert_allclose([[w.grad for w in row] for row in VW[k]], grads_W[k],
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose([b.grad for b in Vb[k]], grads_b[k], rtol=0, atol=1e-12)
