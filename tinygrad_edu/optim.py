"""Optimizers, learning-rate schedules and gradient clipping.

After ``loss.backward()`` every parameter holds ∂L/∂w in ``.grad``; an optimizer's ``step``
moves each parameter against it, θ ← θ − η·∇θ (the decks "Deep Learning", Xiu's and Lan
Xu's), possibly with momentum or Adam's per-parameter step sizes. They work on plain numbers
(``.data``, ``.grad``, gathered into one float64 array per step): an update is not part of
any graph, and one array operation per term of the formula costs less than a Python loop
over the parameters (2,410 of them in the digits MLP).

``weight_decay`` adds wd·w to each gradient before the update, as PyTorch does — the
gradient of the L2 penalty (wd/2)·Σw².
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import checks
from .engine import Value

__all__ = ["Optimizer", "SGD", "Adam", "make", "OPTIMIZERS", "exponential_decay",
           "inverse_decay", "SCHEDULES", "clip_grad_norm", "clip_grad_value"]


def _param_list(params, who: str) -> list:
    """Parameters as a list of leaf Values (a Module stands for its ``parameters()``)."""
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    params = checks.instances(params, Value, who, "params must be a list of Values or a Module",
                              "parameter")
    if not params:
        raise ValueError(f"{who}: got an empty parameter list")
    for i, p in enumerate(params):
        if not p.is_leaf:
            raise ValueError(f"{who}: parameter {i} ({p!r}) is computed from other nodes; "
                             f"only leaves (weights, biases) can be optimised")
    return params


class Optimizer:
    """Holds the parameters and the learning rate η; ``zero_grad`` and ``step``.

    A subclass writes its update once, as ``_move(theta, g)`` on numpy arrays: θ (changed in
    place) and g = ∇θ + wd·θ, one entry per parameter in ``params`` order, with its state
    (velocity, m, v) in arrays of the same order. ``step`` gathers ``.data`` and ``.grad``
    into arrays, moves them and writes θ back; ``update(theta, grad)`` is the same move for a
    caller that already keeps θ as an array (the fast path of ``fit``). Element by element
    the arithmetic is the formula's, in the formula's order, and numpy's float64 +, −, ×, /
    and √ round as Python's do (IEEE 754), so each parameter gets the number a Python loop
    over floats would give, bit for bit. A subclass may instead override ``step``; it then has
    no array form and ``fit`` calls its ``step``.
    """

    def __init__(self, params, lr, weight_decay=0.0):
        who = type(self).__name__
        self.params = _param_list(params, who)
        self.lr = lr
        self.weight_decay = checks.nonnegative(weight_decay, f"{who}: weight_decay")

    @property
    def lr(self) -> float:
        """The learning rate η (≥ 0); schedules set it between epochs."""
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        self._lr = checks.nonnegative(value, f"{type(self).__name__}: lr (the learning rate)")

    def zero_grad(self) -> None:
        """Set every ∂L/∂w to 0: leaves accumulate across backward passes."""
        for p in self.params:
            p.grad = 0.0

    @property
    def has_array_form(self) -> bool:
        """True when ``update`` is this optimizer's step (its class did not replace ``step``)."""
        return type(self).step is Optimizer.step and type(self)._move is not Optimizer._move

    def step(self) -> None:
        """θ ← θ − (the update) for every parameter, from its ``.grad``."""
        theta = np.array([p.data for p in self.params], dtype=float)
        self.update(theta, np.array([p.grad for p in self.params], dtype=float))
        for p, x in zip(self.params, theta.tolist()):
            p.data = x

    def update(self, theta, grad) -> None:
        """One step on arrays: ``theta`` (float64, ``params`` order) moves in place against
        g = ``grad`` (∂L/∂θ, same order) + wd·θ. A g that is not finite raises
        ``FloatingPointError`` before anything (θ or the optimizer's state) changes."""
        if len(theta) != len(self.params) or len(grad) != len(self.params):
            raise ValueError(f"{type(self).__name__}.update: theta and grad need one entry per "
                             f"parameter ({len(self.params)}), got {len(theta)} and {len(grad)}")
        g = grad + self.weight_decay * theta if self.weight_decay else grad
        bad = np.flatnonzero(~np.isfinite(g))
        if len(bad):
            i = int(bad[0])
            p = self.params[i]
            name = f" {p.label!r}" if p.label else ""
            raise FloatingPointError(
                f"{type(self).__name__}.step: the gradient of parameter {i}{name} is {g[i]}; "
                f"nothing was updated (a smaller learning rate or clipping may help)")
        self._move(theta, g)

    def _move(self, theta, g) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent θ ← θ − η·g, optionally with momentum (PyTorch's form):

    v ← μ·v + g, then θ ← θ − η·v; with ``nesterov=True`` the step uses g + μ·v (a look
    ahead along the velocity). μ = 0 is plain (minibatch) gradient descent.
    """

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = checks.in_range(momentum, "SGD: momentum", 0.0, 1.0, high_open=True)
        if nesterov and not self.momentum:
            raise ValueError("SGD: nesterov=True needs a momentum > 0")
        self.nesterov = bool(nesterov)
        self.velocity = np.zeros(len(self.params))

    def _move(self, theta, g) -> None:
        lr, mu = self.lr, self.momentum
        if not mu:
            theta -= lr * g
            return
        v = self.velocity = mu * self.velocity + g
        theta -= lr * (g + mu * v if self.nesterov else v)

    def __repr__(self) -> str:
        return (f"SGD(lr={self.lr:g}, momentum={self.momentum:g}, nesterov={self.nesterov}, "
                f"weight_decay={self.weight_decay:g})")


class Adam(Optimizer):
    """Adam (Kingma & Ba): running means of g and g², bias-corrected, per-parameter steps.

    m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ),
    θ ← θ − η·m̂/(√v̂ + ε). ``weight_decay`` is PyTorch's Adam form (added to g), not AdamW.
    """

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (β₁, β₂), got {checks.short_repr(betas)}")
        self.betas = tuple(checks.in_range(beta, f"Adam: {name}", 0.0, 1.0, high_open=True)
                           for name, beta in zip(("β₁", "β₂"), betas))
        self.eps = checks.positive(eps, "Adam: eps")
        self.t = 0
        self.m = np.zeros(len(self.params))
        self.v = np.zeros(len(self.params))

    def _move(self, theta, g) -> None:
        self.t += 1
        b1, b2 = self.betas
        step_size = self.lr / (1.0 - b1 ** self.t)
        root_correction = math.sqrt(1.0 - b2 ** self.t)
        self.m = b1 * self.m + (1.0 - b1) * g
        self.v = b2 * self.v + (1.0 - b2) * g * g
        theta -= step_size * self.m / (np.sqrt(self.v) / root_correction + self.eps)

    def __repr__(self) -> str:
        return (f"Adam(lr={self.lr:g}, betas={self.betas}, eps={self.eps:g}, "
                f"weight_decay={self.weight_decay:g})")


# ---------------------------------------------------------------- optimizers by name
class Choice(NamedTuple):
    """An optimizer as the command line and the playground offer it."""

    label: str
    lr: float          # the default η: what trains the toy data sets in tens of epochs
    description: str


OPTIMIZERS = {
    "sgd": Choice("SGD", 0.1, "gradient descent θ ← θ − η·g"),
    "momentum": Choice("SGD + momentum 0.9", 0.05, "v ← 0.9·v + g, θ ← θ − η·v"),
    "adam": Choice("Adam", 0.02, "per-parameter steps from running means of g and g²"),
}
"""Name → ``Choice(label, lr, description)``: the optimizers ``make`` builds by name."""

MOMENTUM = 0.9
"""μ of the "momentum" optimizer."""


def make(name, params, lr=None, weight_decay=0.0):
    """The optimizer ``name`` (a key of ``OPTIMIZERS``) over ``params``, with learning rate
    ``lr`` (default: that optimizer's entry in ``OPTIMIZERS``)."""
    checks.one_of(name, OPTIMIZERS, "make: the optimizer")
    lr = OPTIMIZERS[name].lr if lr is None else lr
    if name == "adam":
        return Adam(params, lr=lr, weight_decay=weight_decay)
    momentum = MOMENTUM if name == "momentum" else 0.0
    return SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


# ---------------------------------------------------------------- learning-rate decay (Xiu)
class _Schedule:
    """η as a function of the step or epoch number t = 0, 1, 2, …"""

    def __init__(self, eta0, kappa):
        who = type(self).__name__
        self.eta0 = checks.nonnegative(eta0, f"{who}: eta0")
        self.kappa = checks.nonnegative(kappa, f"{who}: kappa")

    def __call__(self, t) -> float:
        return self.rate(checks.nonnegative(t, f"{self!r}: t"))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(eta0={self.eta0:g}, kappa={self.kappa:g})"


class exponential_decay(_Schedule):
    """η_t = η₀·exp(−κt)."""

    def rate(self, t: float) -> float:
        return self.eta0 * math.exp(-self.kappa * t)


class inverse_decay(_Schedule):
    """η_t = η₀/(1 + κt)."""

    def rate(self, t: float) -> float:
        return self.eta0 / (1.0 + self.kappa * t)


SCHEDULES = {"exponential": exponential_decay, "inverse": inverse_decay}
"""Name → schedule class, called as ``SCHEDULES[name](eta0, kappa)``."""


# ---------------------------------------------------------------- gradient clipping (Jaques)
def clip_grad_norm(params, max_norm) -> float:
    """If ‖∇θ‖₂ > max_norm, scale every gradient by max_norm/‖∇θ‖₂ so the norm becomes
    max_norm (the direction is kept). Returns the norm before clipping.

    The norm is ``math.hypot``, which scales before squaring: gradients of 1e200, whose
    squares overflow, are clipped rather than refused. A nan or infinite gradient is refused,
    and nothing is clipped.
    """
    params = _param_list(params, "clip_grad_norm")
    max_norm = checks.positive(max_norm, "clip_grad_norm: max_norm")
    grads = [p.grad for p in params]
    for i, g in enumerate(grads):
        if not math.isfinite(g):
            raise FloatingPointError(f"clip_grad_norm: the gradient of parameter {i} is {g}; "
                                     f"nothing was clipped")
    norm = math.hypot(*grads)
    if norm > max_norm:
        if math.isinf(norm):  # finite gradients whose norm exceeds the largest float
            largest = max(map(abs, grads))
            scale = max_norm / largest / math.hypot(*(g / largest for g in grads))
        else:
            scale = max_norm / norm
        for p in params:
            p.grad *= scale
    return norm


def clip_grad_value(params, clip_value) -> None:
    """Clamp every gradient into [−clip_value, clip_value] (the direction may change)."""
    params = _param_list(params, "clip_grad_value")
    c = checks.positive(clip_value, "clip_grad_value: clip_value")
    for i, p in enumerate(params):
        if p.grad != p.grad:
            raise FloatingPointError(f"clip_grad_value: the gradient of parameter {i} is nan; "
                                     f"nothing was clipped")
    for p in params:
        p.grad = min(max(p.grad, -c), c)
