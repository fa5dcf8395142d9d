"""Optimizers, learning-rate schedules and gradient clipping."""
import math

import pytest

from tinygrad_edu import losses, optim
from tinygrad_edu.data import moons
from tinygrad_edu.engine import Value
from tinygrad_edu.nn import MLP

torch = pytest.importorskip("torch")

START = [1.5, -2.0, 0.3]


def f(w):
    """A small non-quadratic bowl; works on Values and on torch tensors alike."""
    return (w[0] - 1) ** 2 + 3 * (w[1] + 0.5) ** 2 + w[0] * w[1] + 0.1 * w[2] ** 4


def run_ours(make, steps=15):
    params = [Value(x) for x in START]
    opt = make(params)
    for _ in range(steps):
        opt.zero_grad()
        f(params).backward()
        opt.step()
    return [p.data for p in params]


def run_torch(make, steps=15):
    w = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = make([w])
    for _ in range(steps):
        opt.zero_grad()
        f(w).backward()
        opt.step()
    return w.tolist()


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.05),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.5, weight_decay=0.1),
    dict(lr=0.02, weight_decay=0.3),
])
def test_sgd_matches_pytorch(kwargs):
    ours = run_ours(lambda p: optim.SGD(p, **kwargs))
    theirs = run_torch(lambda p: torch.optim.SGD(p, **kwargs))
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.1),
    dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.1, weight_decay=0.2),
])
def test_adam_matches_pytorch(kwargs):
    ours = run_ours(lambda p: optim.Adam(p, **kwargs), steps=25)
    theirs = run_torch(lambda p: torch.optim.Adam(p, **kwargs), steps=25)
    assert ours == pytest.approx(theirs, rel=1e-10, abs=1e-12)


def test_plain_sgd_step_is_theta_minus_eta_grad():
    w = Value(2.0)
    w.grad = 0.5
    optim.SGD([w], lr=0.1).step()
    assert w.data == 2.0 - 0.1 * 0.5
    v = Value(2.0)
    v.grad = 0.5
    optim.SGD([v], lr=0.1, weight_decay=0.01).step()
    assert v.data == pytest.approx(2.0 - 0.1 * (0.5 + 0.01 * 2.0), abs=1e-15)


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.05),
    lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
    lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    lambda p: optim.Adam(p, lr=0.01),
    lambda p: optim.Adam(p, lr=0.01, weight_decay=1e-3),
], ids=["sgd", "momentum", "nesterov", "adam", "adam_wd"])
def test_each_optimizer_decreases_the_loss_of_a_network(make):
    X, y = moons(40, noise=0.1, seed=2)
    net = MLP(2, [8, 1], seed=0)
    opt = make(net.parameters())
    history = []
    for _ in range(12):
        loss = losses.binary_cross_entropy_with_logits([net(x) for x in X], y)
        history.append(loss.data)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert history[-1] < history[0] - 0.03
    assert min(history[6:]) < min(history[:6])


def test_optimizer_accepts_a_module_and_zero_grad_clears():
    net = MLP(2, [3, 1])
    opt = optim.SGD(net, lr=0.1)
    assert opt.params == net.parameters()
    net([1.0, 2.0]).backward()
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())


def test_non_finite_gradient_raises_and_updates_nothing():
    a, b = Value(1.0), Value(2.0)
    a.grad, b.grad = 0.5, float("nan")
    for opt in (optim.SGD([a, b], lr=0.1, momentum=0.9), optim.Adam([a, b], lr=0.1)):
        with pytest.raises(FloatingPointError, match="parameter 1 is nan; nothing was updated"):
            opt.step()
    assert (a.data, b.data) == (1.0, 2.0)


@pytest.mark.parametrize("call, message", [
    (lambda: optim.SGD([Value(1.0)], lr=-0.1), "lr .* must be ≥ 0"),
    (lambda: optim.SGD([Value(1.0)], lr=float("nan")), "lr .* finite"),
    (lambda: optim.SGD([Value(1.0)], lr=0.1, momentum=1.0), "momentum must be ≥ 0 and < 1"),
    (lambda: optim.SGD([Value(1.0)], lr=0.1, nesterov=True), "nesterov=True needs a momentum"),
    (lambda: optim.SGD([Value(1.0)], lr=0.1, weight_decay=-1), "weight_decay"),
    (lambda: optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda: optim.SGD([Value(1.0) + 1], lr=0.1), "only leaves"),
    (lambda: optim.Adam([Value(1.0)], betas=(0.9,)), "pair"),
    (lambda: optim.Adam([Value(1.0)], betas=(0.9, 1.0)), "β₂ must be ≥ 0 and < 1"),
    (lambda: optim.Adam([Value(1.0)], eps=0), "eps must be > 0"),
    (lambda: optim.exponential_decay(-1, 0.1), "eta0"),
    (lambda: optim.inverse_decay(0.1, -0.5), "kappa"),
    (lambda: optim.clip_grad_norm([Value(1.0)], 0), "max_norm must be > 0"),
])
def test_bad_settings_give_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_learning_rate_cannot_be_set_negative_later():
    opt = optim.SGD([Value(1.0)], lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -0.01
    assert opt.lr == 0.1
    with pytest.raises(TypeError, match="not a Value"):
        optim.SGD([1.0], lr=0.1)


# ---------------------------------------------------------------- schedules (Xiu)
def test_learning_rate_decay_schedules():
    exp = optim.exponential_decay(0.1, 0.5)
    inv = optim.inverse_decay(0.1, 0.5)
    assert exp(0) == 0.1 and inv(0) == 0.1
    assert exp(2) == pytest.approx(0.1 * math.exp(-1.0), rel=1e-15)
    assert inv(2) == pytest.approx(0.05, rel=1e-15)
    assert [round(inv(t), 6) for t in range(4)] == [0.1, 0.066667, 0.05, 0.04]
    assert repr(exp) == "exponential_decay(eta0=0.1, kappa=0.5)"
    with pytest.raises(ValueError, match="t must be"):
        exp(-1)


# ---------------------------------------------------------------- clipping (Jaques)
def _grads(values):
    params = [Value(0.0) for _ in values]
    for p, g in zip(params, values):
        p.grad = g
    return params


def test_clip_grad_norm_bounds_the_norm_exactly():
    params = _grads([3.0, -4.0, 12.0])           # norm 13
    before = optim.clip_grad_norm(params, 6.5)
    assert before == 13.0
    assert [p.grad for p in params] == pytest.approx([1.5, -2.0, 6.0], rel=1e-15)
    assert math.sqrt(sum(p.grad ** 2 for p in params)) == pytest.approx(6.5, rel=1e-15)


def test_clip_grad_norm_leaves_small_gradients_alone():
    params = _grads([0.3, -0.4])
    assert optim.clip_grad_norm(params, 1.0) == pytest.approx(0.5)
    assert [p.grad for p in params] == [0.3, -0.4]


def test_clip_grad_norm_on_a_real_network():
    net = MLP(2, [8, 1], seed=0)
    loss = losses.mse([net([30.0, -40.0])], [100.0])
    loss.backward()
    norm = optim.clip_grad_norm(net, 0.25)
    assert norm > 0.25
    assert math.sqrt(sum(p.grad ** 2 for p in net.parameters())) == pytest.approx(0.25, rel=1e-14)


def test_clip_grad_value_clamps_each_gradient():
    params = _grads([3.0, -4.0, 0.2, -0.5])
    optim.clip_grad_value(params, 0.5)
    assert [p.grad for p in params] == [0.5, -0.5, 0.2, -0.5]
    bad = _grads([3.0, float("nan")])
    with pytest.raises(FloatingPointError, match="nothing was clipped"):
        optim.clip_grad_value(bad, 1.0)
    assert bad[0].grad == 3.0


# ---------------------------------------------------------------- optimizers by name
@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_make_builds_each_named_optimizer_with_its_default_rate(name):
    net = MLP(2, [3, 1], seed=0)
    opt = optim.make(name, net)
    assert opt.lr == optim.OPTIMIZERS[name].lr
    assert opt.params == net.parameters()
    assert optim.make(name, net, lr=0.5).lr == 0.5


def test_make_momentum_matches_torch_sgd_with_momentum():
    ours = run_ours(lambda p: optim.make("momentum", p, lr=0.02))
    theirs = run_torch(lambda p: torch.optim.SGD(p, lr=0.02, momentum=optim.MOMENTUM))
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert isinstance(optim.make("adam", [Value(1.0)]), optim.Adam)


def test_make_refuses_unknown_names_and_bad_rates():
    with pytest.raises(ValueError, match="optimizer must be one of sgd, .*got 'rmsprop'"):
        optim.make("rmsprop", [Value(1.0)])
    with pytest.raises(ValueError, match="lr"):
        optim.make("sgd", [Value(1.0)], lr=math.nan)


def test_schedules_by_name():
    assert optim.SCHEDULES["exponential"](0.1, 0.5)(2) == pytest.approx(0.1 * math.exp(-1.0))
    assert optim.SCHEDULES["inverse"](0.1, 0.5)(2) == pytest.approx(0.05)


# ------------------------------------------------- issue 13: clipping huge gradients, torch's way
@pytest.mark.parametrize("grads, max_norm", [
    ([3.0, -4.0, 12.0], 6.5), ([0.3, -0.4], 1.0), ([1e-3, 2e-3, -5e-4], 1e-3),
    ([1.0] * 50, 2.0), ([-7.5, 0.0, 2.25, 1e-9], 0.1)])
def test_clip_grad_norm_agrees_with_torch(grads, max_norm):
    ours = _grads(grads)
    norm = optim.clip_grad_norm(ours, max_norm)
    ts = [torch.zeros(1, dtype=torch.float64, requires_grad=True) for _ in grads]
    for t, g in zip(ts, grads):
        t.grad = torch.tensor([g], dtype=torch.float64)
    theirs = torch.nn.utils.clip_grad_norm_(ts, max_norm)
    assert norm == pytest.approx(theirs.item(), rel=1e-15)
    # torch divides by norm + 1e-6; the engine makes the norm exactly max_norm
    assert [p.grad for p in ours] == pytest.approx([t.grad.item() for t in ts],
                                                   rel=2e-6 / norm + 1e-15)


@pytest.mark.parametrize("scale", [1e200, 1e300, 1e-200])
def test_clip_grad_norm_of_huge_and_tiny_gradients_is_scaled_not_refused(scale):
    """g = scale·(3, −4, 12): ‖g‖ = 13·scale even where g² overflows (1e200² = inf) or
    underflows; clipped to norm 6.5 it is (1.5, −2, 6) whatever the scale."""
    params = _grads([3.0 * scale, -4.0 * scale, 12.0 * scale])
    norm = optim.clip_grad_norm(params, 6.5)
    assert norm == pytest.approx(13.0 * scale, rel=1e-15)
    expected = [1.5, -2.0, 6.0] if 13.0 * scale > 6.5 else [3.0 * scale, -4.0 * scale,
                                                             12.0 * scale]
    assert [p.grad for p in params] == pytest.approx(expected, rel=1e-15)


def test_clip_grad_norm_when_the_norm_itself_exceeds_the_largest_float():
    params = _grads([1.5e308, -1.5e308])          # ‖g‖ ≈ 2.1e308 > 1.8e308
    assert optim.clip_grad_norm(params, 1.0) == math.inf
    assert [p.grad for p in params] == pytest.approx([math.sqrt(0.5), -math.sqrt(0.5)],
                                                     rel=1e-15)
    for bad in (math.inf, math.nan):
        params = _grads([1.0, bad])
        with pytest.raises(FloatingPointError, match="parameter 1 is .*nothing was clipped"):
            optim.clip_grad_norm(params, 1.0)
        assert params[0].grad == 1.0
