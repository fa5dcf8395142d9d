"""The optimizers' array form against the update written as a Python loop over floats.

``Optimizer.step`` and ``Optimizer.update`` run the formula on numpy float64 arrays; the
reference below runs it per parameter with Python floats and ``math.sqrt``, in the same order
of operations. IEEE 754 rounds each +, −, ×, / and √ the same either way, so after N steps
the two must agree with ``==``, not merely closely.
"""
import math
import random

import numpy as np
import pytest

from tinygrad_edu import optim
from tinygrad_edu.engine import Value


class LoopSGD:
    def __init__(self, n, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        self.lr, self.mu, self.nesterov, self.wd = lr, momentum, nesterov, weight_decay
        self.velocity = [0.0] * n

    def step(self, theta, grads):
        for i, g in enumerate(grads):
            g = g + self.wd * theta[i] if self.wd else g
            if not self.mu:
                theta[i] -= self.lr * g
                continue
            v = self.mu * self.velocity[i] + g
            self.velocity[i] = v
            theta[i] -= self.lr * (g + self.mu * v if self.nesterov else v)


class LoopAdam:
    def __init__(self, n, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.lr, self.betas, self.eps, self.wd = lr, betas, eps, weight_decay
        self.t, self.m, self.v = 0, [0.0] * n, [0.0] * n

    def step(self, theta, grads):
        self.t += 1
        b1, b2 = self.betas
        step_size = self.lr / (1.0 - b1 ** self.t)
        root = math.sqrt(1.0 - b2 ** self.t)
        for i, g in enumerate(grads):
            g = g + self.wd * theta[i] if self.wd else g
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g * g
            theta[i] -= step_size * self.m[i] / (math.sqrt(self.v[i]) / root + self.eps)


CASES = [
    (optim.SGD, LoopSGD, dict(lr=0.1)),
    (optim.SGD, LoopSGD, dict(lr=0.05, momentum=0.9)),
    (optim.SGD, LoopSGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    (optim.SGD, LoopSGD, dict(lr=0.3, weight_decay=0.01)),
    (optim.Adam, LoopAdam, dict(lr=0.01)),
    (optim.Adam, LoopAdam, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2)),
]
N, STEPS = 200, 30


def _gradients(rng, n):
    """Gradients over many scales, with exact zeros (Adam's √v = 0 at the start)."""
    return [0.0 if rng.random() < 0.05 else rng.gauss(0, 1) * 10 ** rng.uniform(-8, 3)
            for _ in range(n)]


@pytest.mark.parametrize("make, loop, kwargs", CASES)
def test_step_and_update_equal_the_python_loop_bit_for_bit(make, loop, kwargs):
    rng = random.Random(7)
    start = [rng.uniform(-2, 2) for _ in range(N)]
    params = [Value(x) for x in start]
    stepped = make(params, **kwargs)
    arrayed = make([Value(0.0) for _ in range(N)], **kwargs)
    theta = np.array(start)
    reference, ref_theta = loop(N, **kwargs), list(start)
    schedule = optim.exponential_decay(kwargs["lr"], 0.05)
    for t in range(STEPS):
        lr = schedule(t)                                 # a schedule between steps
        stepped.lr = arrayed.lr = reference.lr = lr
        grads = _gradients(rng, N)
        for p, g in zip(params, grads):
            p.grad = g
        stepped.step()
        arrayed.update(theta, np.array(grads))
        reference.step(ref_theta, grads)
        assert [p.data for p in params] == ref_theta
        assert theta.tolist() == ref_theta
    assert any(x != y for x, y in zip(ref_theta, start))


@pytest.mark.parametrize("make, _, kwargs", CASES)
def test_a_gradient_that_is_not_finite_changes_nothing(make, _, kwargs):
    params = [Value(1.0, label="w1"), Value(-2.0, label="w2"), Value(0.5, label="b")]
    opt = make(params, **kwargs)
    for p, g in zip(params, (0.3, -0.1, 0.2)):
        p.grad = g
    opt.step()
    before = ([p.data for p in params],
              [np.copy(getattr(opt, k)) for k in ("velocity", "m", "v") if hasattr(opt, k)],
              getattr(opt, "t", None))
    params[1].grad = math.nan
    with pytest.raises(FloatingPointError, match=r"parameter 1 'w2' is nan; nothing was updated"):
        opt.step()
    theta = np.array([1.0, 2.0, 3.0])
    with pytest.raises(FloatingPointError, match=r"parameter 2 'b' is inf"):
        opt.update(theta, np.array([0.0, 1.0, math.inf]))
    after = ([p.data for p in params],
             [getattr(opt, k) for k in ("velocity", "m", "v") if hasattr(opt, k)],
             getattr(opt, "t", None))
    assert after[0] == before[0] and after[2] == before[2]
    assert all((a == b).all() for a, b in zip(after[1], before[1]))
    assert theta.tolist() == [1.0, 2.0, 3.0]


def test_update_refuses_arrays_of_the_wrong_length():
    opt = optim.Adam([Value(1.0), Value(2.0)], lr=0.1)
    with pytest.raises(ValueError, match=r"one entry per parameter \(2\), got 3 and 2"):
        opt.update(np.zeros(3), np.zeros(2))
    assert opt.t == 0


def test_an_optimizer_that_replaces_step_has_no_array_form():
    class Halve(optim.SGD):
        def step(self):
            for p in self.params:
                p.data -= 0.5 * self.lr * p.grad

    p = Value(1.0)
    assert optim.SGD([p], lr=0.1).has_array_form and optim.Adam([p]).has_array_form
    assert not Halve([p], lr=0.1).has_array_form
    assert not optim.Optimizer([p], lr=0.1).has_array_form
