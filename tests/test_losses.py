"""Losses, softmax and penalties: the slides' worked examples, and PyTorch as an oracle.

PyTorch is used here only as a test-time reference: the same weights and inputs go through
a torch network built by hand, and every parameter's gradient must agree.
"""
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import losses, optim
from tinygrad_edu.engine import Value
from tinygrad_edu.nn import MLP, Neuron

torch = pytest.importorskip("torch")
F = torch.nn.functional


def logit(p):
    return math.log(p / (1.0 - p))


# ---------------------------------------------------------------- reference 7 ("Deep Learning")
def test_reference_7_worked_example_sigmoid_bce_file_001():
    """x1 = 60 → hidden sigmoid a1 → output sigmoid ŷ, y = 1, BCE, η = 0.01.

    The slide gives a1 = 0.37 and ŷ = 0.25 without computing them (its z = 0.5 would give
    σ(0.5) = 0.622). We build the same network with biases chosen to produce exactly those
    values: b1 = logit(0.37) − 0.1·60 and b2 = logit(0.25) − 12·0.37.
    """
    hidden = Neuron(1, activation="sigmoid")
    out = Neuron(1, activation="sigmoid")
    hidden.w[0].data, hidden.b.data = 0.1, logit(0.37) - 0.1 * 60
    out.w[0].data, out.b.data = 12.0, logit(0.25) - 12 * 0.37

    a1 = hidden([60.0])
    y_hat = out([a1])
    assert a1.data == pytest.approx(0.37, abs=1e-12)
    assert y_hat.data == pytest.approx(0.25, abs=1e-12)

    loss = losses.binary_cross_entropy([y_hat], [1])
    loss.backward()
    z2 = y_hat.parents[0]                       # the output neuron's pre-activation
    assert y_hat.grad == pytest.approx(-4.0, abs=1e-9)        # ∂L/∂ŷ = −y/ŷ = −1/0.25
    assert z2.grad == pytest.approx(-0.75, abs=1e-12)         # ∂L/∂z = ŷ − y
    assert out.w[0].grad == pytest.approx(-0.2775, abs=1e-12)  # (ŷ − y)·a1
    assert hidden.w[0].grad == pytest.approx(-125.874, abs=1e-9)  # −0.75·12·0.37·0.63·60

    optim.SGD(hidden.parameters() + out.parameters(), lr=0.01).step()
    assert round(out.w[0].data, 4) == 12.0028
    assert out.w[0].data == pytest.approx(12.002775, abs=1e-12)
    assert hidden.w[0].data == pytest.approx(1.35874, abs=1e-10)  # the slide prints 1.35


@pytest.mark.parametrize("z, y", [(-2.0, 1), (0.3, 0), (4.0, 1), (-0.7, 0), (1.1, 0.3)])
def test_sigmoid_plus_bce_gives_y_hat_minus_y(z, y):
    zv = Value(z)
    loss = losses.binary_cross_entropy([zv.sigmoid()], [y])
    loss.backward()
    y_hat = 1 / (1 + math.exp(-z))
    assert zv.grad == pytest.approx(y_hat - y, abs=1e-12)

    zw = Value(z)
    losses.binary_cross_entropy_with_logits([zw], [y]).backward()
    assert zw.grad == pytest.approx(y_hat - y, abs=1e-15)
    assert losses.binary_cross_entropy_with_logits([z], [y]).data == pytest.approx(loss.data)


# ------------------------------------------------ reference 8 ("Deep Learning", Xiu)
def test_reference_8_softmax_values():
    p = [v.data for v in losses.softmax([10.0, 20.0, -30.0])]
    assert f"{p[0]:.3g}" == "4.54e-05"
    assert f"{p[1]:.5f}" == "0.99995"
    assert f"{p[2]:.3g}" == "1.93e-22"
    big = [v.data for v in losses.softmax([Value(1000.0), Value(1001.0)])]
    assert big == pytest.approx([1 / (1 + math.e), math.e / (1 + math.e)], abs=1e-15)
    assert sum(big) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("t", [0, 1, 2, 3])
def test_reference_8_softmax_cross_entropy_gradient_is_y_hat_minus_e_t(t):
    z = [Value(v) for v in (0.5, -1.2, 2.0, 0.1)]
    loss = losses.cross_entropy([z], [t])
    loss.backward()
    y_hat = [v.data for v in losses.softmax([v.data for v in z])]
    for i, zi in enumerate(z):
        assert zi.grad == pytest.approx(y_hat[i] - (1.0 if i == t else 0.0), abs=1e-15)
    assert loss.data == pytest.approx(-math.log(y_hat[t]), abs=1e-14)


def test_cross_entropy_with_huge_logits_is_finite():
    z = [Value(1000.0), Value(-1000.0), Value(999.0)]
    loss = losses.cross_entropy([z], [2])
    loss.backward()
    assert loss.data == pytest.approx(1 + math.log(1 + math.exp(-1)), abs=1e-12)
    assert z[2].grad == pytest.approx(1 / (1 + math.e) - 1, abs=1e-12)


def test_log_softmax_is_ln_of_softmax_and_stable():
    z = [3.0, -1.0, 0.25]
    assert [v.data for v in losses.log_softmax(z)] == pytest.approx(
        [math.log(v.data) for v in losses.softmax(z)], abs=1e-14)
    assert losses.log_softmax([1000.0, 0.0])[1].data == pytest.approx(-1000.0)


@given(st.lists(st.floats(-50, 50), min_size=2, max_size=6), st.floats(-100, 100))
def test_softmax_sums_to_one_and_ignores_shifts(z, c):
    p = [v.data for v in losses.softmax(z)]
    q = [v.data for v in losses.softmax([zi + c for zi in z])]
    assert sum(p) == pytest.approx(1.0, abs=1e-12)
    assert p == pytest.approx(q, abs=1e-9)


# ---------------------------------------------------------------- reference 9 (Lan Xu)
def test_reference_9_univariate_logistic_least_squares_with_l2():
    """z = wx + b, y = σ(z), L = ½(y − t)², R = ½w², L_reg = L + λR: Lan Xu's δ's."""
    w, b = Value(0.8, "w"), Value(-0.3, "b")
    x, t, lam = 1.5, 1.0, 0.1
    z = w * x + b
    y = z.sigmoid()
    L = 0.5 * losses.mse([y], [t])
    R = 0.5 * losses.l2([w])
    L_reg = L + lam * R
    L_reg.backward()

    yv = 1 / (1 + math.exp(-(0.8 * 1.5 - 0.3)))
    delta_y = yv - t                      # δ_y = y − t
    delta_z = delta_y * yv * (1 - yv)     # δ_z = δ_y σ'(z)
    assert y.grad == pytest.approx(delta_y, abs=1e-15)
    assert z.grad == pytest.approx(delta_z, abs=1e-15)
    assert w.grad == pytest.approx(delta_z * x + lam * 0.8, abs=1e-15)  # δ_w = δ_z x + λ δ_R w
    assert b.grad == pytest.approx(delta_z, abs=1e-15)                   # δ_b = δ_z
    assert L_reg.data == pytest.approx(0.5 * (yv - t) ** 2 + lam * 0.5 * 0.64, abs=1e-15)


def test_reference_9_two_layer_mlp_backward_equations():
    """Lan Xu's MLP: h = σ(W¹x + b¹), y = W²h + b², L = ½Σ(y_k − t_k)²; the hand-written
    backward pass (ȳ = y − t, W̄² = ȳ hᵀ, h̄ = W²ᵀȳ, z̄ = h̄ σ'(z), W̄¹ = z̄ xᵀ) must agree."""
    net = MLP(3, [4, 2], activation="sigmoid", seed=3)
    x, t = [0.5, -1.0, 2.0], [0.3, -0.2]
    L = 0.5 * losses.mse([net(x)], [t])
    L.backward()

    W1 = [[w.data for w in n.w] for n in net.layers[0].neurons]
    b1 = [n.b.data for n in net.layers[0].neurons]
    W2 = [[w.data for w in n.w] for n in net.layers[1].neurons]
    b2 = [n.b.data for n in net.layers[1].neurons]
    z = [sum(W1[i][j] * x[j] for j in range(3)) + b1[i] for i in range(4)]
    h = [1 / (1 + math.exp(-zi)) for zi in z]
    y = [sum(W2[k][i] * h[i] for i in range(4)) + b2[k] for k in range(2)]
    y_bar = [y[k] - t[k] for k in range(2)]
    h_bar = [sum(y_bar[k] * W2[k][i] for k in range(2)) for i in range(4)]
    z_bar = [h_bar[i] * h[i] * (1 - h[i]) for i in range(4)]
    for k, n in enumerate(net.layers[1].neurons):
        expected = [y_bar[k] * h[i] for i in range(4)]              # W̄² = ȳ hᵀ
        assert [w.grad for w in n.w] == pytest.approx(expected, abs=1e-14)
        assert n.b.grad == pytest.approx(y_bar[k], abs=1e-14)
    for i, n in enumerate(net.layers[0].neurons):
        expected = [z_bar[i] * x[j] for j in range(3)]              # W̄¹ = z̄ xᵀ
        assert [w.grad for w in n.w] == pytest.approx(expected, abs=1e-14)
        assert n.b.grad == pytest.approx(z_bar[i], abs=1e-14)


# ---------------------------------------------------------------- values of the other losses
def test_mse_value_and_gradient():
    p = [Value(1.0), Value(-2.0), Value(0.5)]
    loss = losses.mse(p, [0.0, 1.0, 0.5])
    loss.backward()
    assert loss.data == pytest.approx((1 + 9 + 0) / 3)
    assert [v.grad for v in p] == pytest.approx([2 / 3, -2.0, 0.0])


def test_mse_multi_output_sums_outputs_and_averages_samples():
    loss = losses.mse([[1.0, 2.0], [0.0, 0.0]], [[0.0, 0.0], [1.0, 1.0]])
    assert loss.data == pytest.approx(((1 + 4) + (1 + 1)) / 2)


def test_bce_clamps_certain_wrong_predictions():
    loss = losses.binary_cross_entropy([Value(0.0), Value(1.0)], [1, 0])
    assert math.isfinite(loss.data)
    assert loss.data == pytest.approx(-math.log(1e-12), rel=1e-6)


def test_bce_with_logits_is_stable_for_huge_logits():
    z = [Value(1000.0), Value(-1000.0), Value(1000.0)]
    loss = losses.binary_cross_entropy_with_logits(z, [1, 0, 0])
    loss.backward()
    assert loss.data == pytest.approx(1000.0 / 3)
    assert [v.grad for v in z] == pytest.approx([0.0, 0.0, 1 / 3])


def test_hinge_binary_maps_0_1_to_minus_plus_one():
    z = [Value(2.0), Value(0.3), Value(-0.5), Value(0.4)]
    loss = losses.hinge(z, [1, 1, 0, 0])
    loss.backward()
    # margins: max(0, 1−2)=0, max(0, 1−0.3)=0.7, max(0, 1−0.5)=0.5, max(0, 1+0.4)=1.4
    assert loss.data == pytest.approx((0 + 0.7 + 0.5 + 1.4) / 4)
    assert [v.grad for v in z] == pytest.approx([0.0, -0.25, 0.25, 0.25])


def test_hinge_multiclass_is_the_svm_loss():
    # CS231n's example scores: cat 3.2, car 5.1, frog −1.7, true class cat → 2.9 + 0 = 2.9
    z = [Value(3.2), Value(5.1), Value(-1.7)]
    loss = losses.hinge([z], [0])
    loss.backward()
    assert loss.data == pytest.approx(2.9)
    assert [v.grad for v in z] == pytest.approx([-1.0, 1.0, 0.0])


def test_penalties_follow_file_004():
    ws = [Value(0.5), Value(-2.0), Value(0.0)]
    assert losses.l2(ws).data == pytest.approx(0.25 + 4.0)
    assert losses.l1(ws).data == pytest.approx(2.5)
    en = losses.elastic_net(ws, 0.5)
    assert en.data == pytest.approx(0.5 * 4.25 + 2.5)
    en.backward()
    # ∂/∂w (β w² + |w|) = 2βw + sign w, with sign 0 = 0
    assert [w.grad for w in ws] == pytest.approx([0.5 + 1.0, -2.0 - 1.0, 0.0])


def test_penalty_of_a_module_uses_its_weights_not_biases():
    net = MLP(2, [3, 1], seed=1)
    expected = sum(p.data ** 2 for layer in net.layers for n in layer.neurons for p in n.w)
    assert losses.l2(net).data == pytest.approx(expected)
    assert len(net.weights()) == 2 * 3 + 3 * 1


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, message", [
    (lambda: losses.cross_entropy([[1.0, 2.0, 3.0]], [3]), r"of 3\) must be .* 0 to 2, got 3"),
    (lambda: losses.cross_entropy([[1.0, 2.0]], [-1]), "from 0 to 1, got -1"),
    (lambda: losses.cross_entropy([[1.0, 2.0]], [0.5]), "from 0 to 1, got 0.5"),
    (lambda: losses.cross_entropy([Value(1.0)], [0]), "k ≥ 2 logits"),
    (lambda: losses.binary_cross_entropy([0.5, 0.2], [1, 2]), r"y\[1\] = 2"),
    (lambda: losses.hinge([Value(0.1)], [-1]), r"\(a 0/1 class label\) must be .* 0 to 1"),
    (lambda: losses.mse([1.0, 2.0], [1.0]), "2 predictions but 1 targets"),
    (lambda: losses.mse([], []), "empty"),
    (lambda: losses.elastic_net([Value(1.0)], -1), "beta"),
    (lambda: losses.elastic_net([Value(1.0)], float("inf")), "beta must be a finite number"),
    (lambda: losses.elastic_net([Value(1.0)], float("nan")), "beta must be a finite number"),
    (lambda: losses.softmax([]), "non-empty"),
    (lambda: losses.l2([]), "no parameters"),
])
def test_bad_input_raises_value_error_naming_it(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_non_numeric_targets_and_predictions_raise_type_error():
    with pytest.raises(TypeError, match=r"y\[1\]"):
        losses.mse([1.0, 2.0], [1.0, "a"])
    with pytest.raises(TypeError, match=r"prediction \[0\]"):
        losses.mse(["x"], [1.0])


# ---------------------------------------------------------------- PyTorch as the oracle
def _torch_net(net):
    """(weights, biases) of an MLP as double tensors that require grad."""
    Ws, bs = [], []
    for layer in net.layers:
        Ws.append(torch.tensor([[w.data for w in n.w] for n in layer.neurons],
                               dtype=torch.float64, requires_grad=True))
        bs.append(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                               requires_grad=True))
    return Ws, bs


TORCH_ACT = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
             "linear": lambda z: z, "leaky_relu": lambda z: F.leaky_relu(z, 0.01)}


def _torch_forward(net, Ws, bs, X):
    a = torch.tensor(X, dtype=torch.float64)
    last = len(Ws) - 1
    for i, (W, b) in enumerate(zip(Ws, bs)):
        act = TORCH_ACT[net.output_activation if i == last else net.activation]
        out = act(a @ W.T + b)
        if i < last and net.residual and W.shape[0] == W.shape[1]:
            out = out + a
        a = out
    return a


def _compare_gradients(net, Ws, bs):
    for layer, W, b in zip(net.layers, Ws, bs):
        for j, n in enumerate(layer.neurons):
            assert [w.grad for w in n.w] == pytest.approx(W.grad[j].tolist(), rel=1e-9, abs=1e-13)
            assert n.b.grad == pytest.approx(b.grad[j].item(), rel=1e-9, abs=1e-13)


def _data(n, nin, seed):
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)]


def _signs(y):
    return torch.tensor([2.0 * t - 1.0 for t in y], dtype=torch.float64)


LOSS_CASES = {
    # name: (nout, output_activation, targets, our loss, torch loss on (out, targets))
    "mse": (1, "linear", [0.5, -1.0, 2.0, 0.0, 1.5, -0.3], losses.mse,
            lambda out, y: F.mse_loss(out[:, 0], torch.tensor(y, dtype=torch.float64))),
    "mse_2_outputs": (2, "linear", [[0.5, 1.0], [-1.0, 0.0], [2.0, 1.0], [0.0, 0.0],
                                    [1.5, -2.0], [-0.3, 0.3]], losses.mse,
                      lambda out, y: F.mse_loss(out, torch.tensor(y, dtype=torch.float64),
                                                reduction="sum") / len(y)),
    "binary_cross_entropy": (1, "sigmoid", [1, 0, 0, 1, 1, 0], losses.binary_cross_entropy,
                             lambda out, y: F.binary_cross_entropy(
                                 out[:, 0], torch.tensor(y, dtype=torch.float64))),
    "bce_with_logits": (1, "linear", [1, 0, 0, 1, 1, 0], losses.binary_cross_entropy_with_logits,
                        lambda out, y: F.binary_cross_entropy_with_logits(
                            out[:, 0], torch.tensor(y, dtype=torch.float64))),
    "cross_entropy": (3, "linear", [0, 2, 1, 1, 0, 2], losses.cross_entropy,
                      lambda out, y: F.cross_entropy(out, torch.tensor(y))),
    "hinge_binary": (1, "linear", [1, 0, 0, 1, 1, 0], losses.hinge,
                     lambda out, y: torch.clamp(1 - _signs(y) * out[:, 0], min=0).mean()),
    "hinge_multiclass": (3, "linear", [0, 2, 1, 1, 0, 2], losses.hinge,
                         lambda out, y: 3 * F.multi_margin_loss(out, torch.tensor(y))),
}


@pytest.mark.parametrize("activation", list(TORCH_ACT))
@pytest.mark.parametrize("case", list(LOSS_CASES))
def test_mlp_gradients_equal_pytorch(activation, case):
    nout, out_act, y, our_loss, torch_loss = LOSS_CASES[case]
    net = MLP(3, [5, 4, nout], activation=activation, output_activation=out_act, seed=11)
    X = _data(len(y), 3, seed=5)
    outputs = [net(x) for x in X]
    loss = our_loss(outputs, y)
    loss.backward()

    Ws, bs = _torch_net(net)
    reference = torch_loss(_torch_forward(net, Ws, bs, X), y)
    reference.backward()
    assert loss.data == pytest.approx(reference.item(), rel=1e-12, abs=1e-14)
    _compare_gradients(net, Ws, bs)


@pytest.mark.parametrize("penalty", ["l1", "l2", "elastic_net"])
def test_penalised_loss_gradients_equal_pytorch(penalty):
    net = MLP(2, [3, 1], activation="tanh", seed=2)
    X, y = _data(5, 2, seed=1), [1, 0, 1, 1, 0]
    lam, beta = 0.01, 0.5
    ours = {"l1": losses.l1(net), "l2": losses.l2(net),
            "elastic_net": losses.elastic_net(net, beta)}[penalty]
    loss = losses.binary_cross_entropy_with_logits([net(x) for x in X], y) + lam * ours
    loss.backward()

    Ws, bs = _torch_net(net)
    data_loss = F.binary_cross_entropy_with_logits(
        _torch_forward(net, Ws, bs, X)[:, 0], torch.tensor(y, dtype=torch.float64))
    R = {"l1": sum(W.abs().sum() for W in Ws), "l2": sum((W ** 2).sum() for W in Ws),
         "elastic_net": sum((beta * W ** 2 + W.abs()).sum() for W in Ws)}[penalty]
    (data_loss + lam * R).backward()
    assert loss.data == pytest.approx((data_loss + lam * R).item(), rel=1e-12)
    _compare_gradients(net, Ws, bs)


def test_residual_mlp_gradients_equal_pytorch():
    net = MLP(3, [4, 4, 4, 2], activation="tanh", residual=True, seed=4)
    X, y = _data(4, 3, seed=9), [0, 1, 1, 0]
    loss = losses.cross_entropy([net(x) for x in X], y)
    loss.backward()
    Ws, bs = _torch_net(net)
    reference = F.cross_entropy(_torch_forward(net, Ws, bs, X), torch.tensor(y))
    reference.backward()
    assert loss.data == pytest.approx(reference.item(), rel=1e-12)
    _compare_gradients(net, Ws, bs)


# ------------------------------------------- targets a tape can replay (fit(compiled=True))
logit_rows = st.lists(st.floats(-50, 50), min_size=2, max_size=6)


def _grads_of(loss_fn, zs, targets):
    values = [[Value(z) for z in row] for row in zs]
    loss = loss_fn(values, targets)
    loss.backward()
    return loss.data, [v.grad for row in values for v in row]


@given(rows=st.lists(logit_rows, min_size=1, max_size=4), data=st.data())
def test_one_hot_targets_give_the_class_index_numbers_bit_for_bit(rows, data):
    k = min(map(len, rows))
    rows = [row[:k] for row in rows]
    labels = [data.draw(st.integers(0, k - 1)) for _ in rows]
    one_hot = [[float(j == t) for j in range(k)] for t in labels]
    as_values = [[Value(p) for p in row] for row in one_hot]
    expected = _grads_of(losses.cross_entropy, rows, labels)
    assert _grads_of(losses.cross_entropy, rows, one_hot) == expected
    assert _grads_of(losses.cross_entropy, rows, as_values) == expected


def test_probability_targets_match_torch():
    z = [[0.5, -1.0, 2.0], [3.0, 0.0, -2.0]]
    p = [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]
    values = [[Value(v) for v in row] for row in z]
    loss = losses.cross_entropy(values, p)
    loss.backward()
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    expected = F.cross_entropy(zt, torch.tensor(p, dtype=torch.float64))
    expected.backward()
    assert loss.data == pytest.approx(expected.item(), rel=1e-14)
    assert [v.grad for row in values for v in row] == pytest.approx(
        zt.grad.flatten().tolist(), rel=1e-13, abs=1e-16)
    with pytest.raises(ValueError, match="2 probabilities for 3 classes"):
        losses.cross_entropy(values, [[0.5, 0.5], [1.0, 0.0, 0.0]])


@given(st.lists(st.floats(-700, 700), min_size=1, max_size=8))
def test_log_sum_exp_matches_torch_without_a_constant_from_the_data(zs):
    total = losses.log_softmax(zs)
    expected = torch.log_softmax(torch.tensor(zs, dtype=torch.float64), 0).tolist()
    assert [v.data for v in total] == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("loss", [losses.mse, losses.binary_cross_entropy_with_logits])
@pytest.mark.parametrize("targets", [[0, 1, 1], [1.0, 0.0, 0.25]])
def test_value_targets_give_the_number_targets_results_bit_for_bit(loss, targets):
    zs = [0.3, -2.5, 4.0]
    expected = _grads_of(lambda p, t: loss([row[0] for row in p], t), [[z] for z in zs], targets)
    got = _grads_of(lambda p, t: loss([row[0] for row in p], t), [[z] for z in zs],
                    [Value(float(t)) for t in targets])
    assert got == expected


# ---------------------------------------------------------------- a diverged weight shows
@pytest.mark.parametrize("penalty", [losses.l1, losses.l2,
                                     lambda ws: losses.elastic_net(ws, 0.5)])
def test_a_nan_weight_makes_every_penalty_nan(penalty):
    """|nan| is nan (as in PyTorch), so a diverged weight cannot hide inside Σ|w|."""
    assert math.isnan(penalty([Value(math.nan), Value(2.0)]).data)
    assert math.isnan(F.l1_loss(torch.tensor([math.nan, 2.0]), torch.zeros(2)).item())


@pytest.mark.parametrize("penalty", [losses.l2, losses.l1, lambda p: losses.elastic_net(p, 0.5)])
@pytest.mark.parametrize("bad", [5, None, 2.5])
def test_penalties_name_a_parameter_list_that_is_not_one(penalty, bad):
    with pytest.raises(TypeError, match=r"params must be a Module or a list of Values, got"):
        penalty(bad)
