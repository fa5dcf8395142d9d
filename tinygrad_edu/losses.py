"""Losses, softmax and penalties, built from ``Value`` operations so backward sees every step.

Conventions (SPEC): ``preds`` has one entry per sample — a ``Value`` (one output) or a list
of Values (k outputs); ``targets`` has one entry per sample — class indices (0/1 for two
classes) or real numbers for ``mse``. Every loss returns the batch mean as one ``Value``.
Logs are natural logs (a log2 loss is the same loss scaled by 1/ln 2). The gradients the
slides derive by hand (δ_z = ŷ − y, δ_z = ŷ − e(t)) fall out of these graphs: each loss's
docstring says where.

Each loss carries a ``threshold`` attribute: where a single output is cut to decide the
class (0.5 for a probability or a 0/1 regression target, 0 for a logit or a margin score);
``train.accuracy`` uses it. ``tape_targets`` says whether the loss's graph stays the same
whatever the targets once they are given as Values ("numbers", or "one_hot" rows for class
labels) — what ``fit(compiled=True)`` needs to replay one recorded graph — or None.
"""
from __future__ import annotations

import functools
import operator

from . import checks
from .engine import Value

__all__ = ["mse", "binary_cross_entropy", "binary_cross_entropy_with_logits", "softmax",
           "log_softmax", "cross_entropy", "hinge", "l1", "l2", "elastic_net"]

EPS = 1e-12
"""Probabilities are clamped into [EPS, 1 − EPS] before ln: the loss stays ≤ −ln(EPS) ≈ 27.6."""


# ---------------------------------------------------------------- checking what we were given
def _batch(preds, targets, who: str):
    """(preds, targets) as two lists of equal length; a lone Value counts as a batch of one."""
    if isinstance(preds, Value):
        preds, targets = [preds], [targets]
    if not isinstance(preds, (list, tuple)) or not isinstance(targets, (list, tuple)):
        raise TypeError(f"{who}: preds and targets must be lists (one entry per sample), "
                        f"got {type(preds).__name__} and {type(targets).__name__}")
    if len(preds) != len(targets):
        raise ValueError(f"{who}: {len(preds)} predictions but {len(targets)} targets")
    if not preds:
        raise ValueError(f"{who}: the batch is empty")
    return preds, targets


def _value(p, who: str, where: str) -> Value:
    if isinstance(p, Value):
        return p
    return Value(checks.real(p, f"{who}: prediction {where}"))


def _scalar(p, who: str, i: int) -> Value:
    if isinstance(p, (list, tuple)):
        if len(p) != 1:
            raise ValueError(f"{who}: sample {i} has {len(p)} outputs; this loss needs one "
                             f"output per sample (for k classes use cross_entropy)")
        p = p[0]
    return _value(p, who, f"[{i}]")


def _vector(p, who: str, i: int) -> list:
    if not isinstance(p, (list, tuple)):
        raise ValueError(f"{who}: sample {i} has a single output; this loss needs k ≥ 2 "
                         f"logits per sample (for one output use "
                         f"binary_cross_entropy_with_logits)")
    if len(p) < 2:
        raise ValueError(f"{who}: sample {i} has {len(p)} logits; it needs k ≥ 2")
    return [_value(pj, who, f"[{i}][{j}]") for j, pj in enumerate(p)]


def _data_target(t, who: str, where: str):
    """A target as a float — or, given as a ``Value``, that Value: targets that are leaves of
    the graph let a recorded tape replay the loss on other targets (``fit(compiled=True)``).
    The loss never branches on such a target's number, so its graph does not depend on it."""
    number = checks.finite(t.data if isinstance(t, Value) else t, f"{who}: target {where}")
    return t if isinstance(t, Value) else number


def _probability_target(t, who: str, i: int):
    t = _data_target(t, who, f"y[{i}]")
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"{who}: label y[{i}] = {float(t):g} is not 0/1 (or a probability in "
                         f"[0, 1])")
    return t


def _binary_label(t, who: str, i: int) -> int:
    return checks.whole(t, f"{who}: label y[{i}] (a 0/1 class label)", 0, 1)


def _class_index(t, k: int, who: str, i: int) -> int:
    return checks.whole(t, f"{who}: label y[{i}] (a class of {k})", 0, k - 1)


def _sum(terms) -> Value:
    """t₁ + t₂ + … as two-operand + nodes, left to right (``terms`` may be a generator: each
    term is then built just before it is added)."""
    return functools.reduce(operator.add, terms)


def _mean(terms: list) -> Value:
    """(1/N) Σ terms: N − 1 additions and one division — the batch mean."""
    total = _sum(terms)
    return total / len(terms) if len(terms) > 1 else total


def _threshold(value: float, tape_targets=None):
    """Mark a loss with its ``threshold`` and ``tape_targets`` (see the module docstring)."""
    def mark(loss):
        loss.threshold = value
        loss.tape_targets = tape_targets
        return loss
    return mark


# ---------------------------------------------------------------- losses
@_threshold(0.5, tape_targets="numbers")
def mse(preds, targets) -> Value:
    """Mean squared error (1/N) Σₙ Σⱼ (ŷⱼ − yⱼ)², summed over outputs, averaged over samples.

    δ_ŷ = 2(ŷ − y)/N. With one output this is PyTorch's ``mse_loss``; Lan Xu's ½(y − t)²
    is ``0.5 * mse``. Targets are real numbers (lists of them for several outputs), or Values.
    """
    preds, targets = _batch(preds, targets, "mse")
    terms = []
    for i, (p, t) in enumerate(zip(preds, targets)):
        if isinstance(p, (list, tuple)):
            if not isinstance(t, (list, tuple)) or len(t) != len(p):
                raise ValueError(f"mse: sample {i} has {len(p)} outputs; its target must be a "
                                 f"list of {len(p)} numbers, got {checks.short_repr(t)}")
            pairs = [(_value(pj, "mse", f"[{i}][{j}]"), _data_target(tj, "mse", f"y[{i}][{j}]"))
                     for j, (pj, tj) in enumerate(zip(p, t))]
        else:
            pairs = [(_value(p, "mse", f"[{i}]"), _data_target(t, "mse", f"y[{i}]"))]
        terms.append(_sum(d * d for d in (pj - tj for pj, tj in pairs)))
    return _mean(terms)


@_threshold(0.5)
def binary_cross_entropy(probs, targets) -> Value:
    """−(1/N) Σ [y·ln ŷ + (1 − y)·ln(1 − ŷ)] from probabilities ŷ (after a sigmoid).

    With ŷ = σ(z) the chain rule gives δ_z = (−y/ŷ + (1−y)/(1−ŷ))·ŷ(1−ŷ) = ŷ − y ("Deep Learning").
    ŷ is clamped into [1e-12, 1 − 1e-12] so ln never sees 0; where a clamp bites its
    gradient is 0 (max/min route it to the bound), so a saturated sigmoid stops learning —
    prefer ``binary_cross_entropy_with_logits`` on the raw z.
    """
    probs, targets = _batch(probs, targets, "binary_cross_entropy")
    terms = []
    for i, (p, t) in enumerate(zip(probs, targets)):
        p = _scalar(p, "binary_cross_entropy", i)
        t = float(_probability_target(t, "binary_cross_entropy", i))  # chooses the terms
        if not EPS <= p.data <= 1.0 - EPS:  # only then add the clamp nodes
            p = p.max(EPS).min(1.0 - EPS)
        if t == 1.0:
            terms.append(-p.log())
        elif t == 0.0:
            terms.append(-(1.0 - p).log())
        else:  # a soft label: both terms
            terms.append(-(t * p.log() + (1.0 - t) * (1.0 - p).log()))
    return _mean(terms)


@_threshold(0.0, tape_targets="numbers")
def binary_cross_entropy_with_logits(logits, targets) -> Value:
    """Binary cross-entropy of σ(z) computed from the logit z, stably.

    −[y ln σ(z) + (1 − y) ln(1 − σ(z))] = softplus(z) − y·z, and softplus never overflows,
    so z = ±1000 is fine. δ_z = σ(z) − y = ŷ − y exactly, as "Deep Learning" derives. A
    target may be a Value (the term is then always softplus(z) − y·z, the same numbers).
    """
    logits, targets = _batch(logits, targets, "binary_cross_entropy_with_logits")
    terms = []
    for i, (z, t) in enumerate(zip(logits, targets)):
        z = _scalar(z, "binary_cross_entropy_with_logits", i)
        t = _probability_target(t, "binary_cross_entropy_with_logits", i)
        term = z.softplus()
        if isinstance(t, Value):      # one graph whatever the label: y·z is a node
            term = term - t * z
        elif t != 0.0:
            term = term - (z if t == 1.0 else t * z)
        terms.append(term)
    return _mean(terms)


def softmax(logits) -> list:
    """ŷⱼ = e^(zⱼ − m) / Σᵢ e^(zᵢ − m) with m = max z (Xiu's stable form).

    Subtracting the constant m changes nothing mathematically (it cancels), but keeps every
    exponent ≤ 0: softmax([1000, 1001]) works and softmax([10, 20, −30]) gives
    [4.54e−5, 0.99995, 1.93e−22]. Returns a list of Values.
    """
    zs = _logits(logits, "softmax")
    m = max(z.data for z in zs)
    exps = [(z - m).exp() for z in zs]
    total = _sum(exps)
    return [e / total for e in exps]


def log_softmax(logits) -> list:
    """ln ŷⱼ = zⱼ − ln Σᵢ e^zᵢ: the log-probabilities, without overflow or ln 0."""
    zs = _logits(logits, "log_softmax")
    log_total = _log_sum_exp(zs)
    return [z - log_total for z in zs]


def _logits(logits, who: str) -> list:
    if not isinstance(logits, (list, tuple)) or not logits:
        raise ValueError(f"{who}: needs a non-empty list of logits, "
                         f"got {checks.short_repr(logits, 60)}")
    return [_value(z, who, f"[{j}]") for j, z in enumerate(logits)]


def _log_sum_exp(zs: list) -> Value:
    """ln Σ e^zᵢ, one term at a time: ln(e^s + e^z) = s + softplus(z − s).

    softplus never overflows, so neither does the running sum s (z = 1000 is fine), and no
    number read from the data (such as max z) enters the graph as a constant: the graph is
    the same for every input, so a recorded tape replays it exactly (``fit(compiled=True)``).
    ∂s/∂zᵢ comes out as softmax(z)ᵢ.
    """
    total = zs[0]
    for z in zs[1:]:
        total = total + (z - total).softplus()
    return total


@_threshold(0.0, tape_targets="one_hot")
def cross_entropy(logits, targets) -> Value:
    """−(1/N) Σ ln softmax(z)_t for class indices t: softmax and cross-entropy in one.

    Per sample it computes ln Σ e^zᵢ − z_t (only the true class's log-probability is
    needed), whose gradient is δ_z = softmax(z) − e(t) = ŷ − e(t) ("Deep Learning").

    A target may also be k class probabilities pⱼ (numbers or Values, e.g. the one-hot e(t)):
    the term is then Σⱼ pⱼ·(ln Σ e^zᵢ − zⱼ), as PyTorch's ``cross_entropy`` with probability
    targets; for a one-hot target it gives exactly the numbers of the class index.

    Each ln Σ e^zᵢ − zⱼ is written −(zⱼ − ln Σ e^zᵢ), the same number: backward then walks
    the network below ln Σ e^zᵢ first, whatever the target, so the gradients are summed in
    the same order for a class index, a one-hot row, or a tape replaying it.
    """
    logits, targets = _batch(logits, targets, "cross_entropy")
    terms = []
    for i, (z, t) in enumerate(zip(logits, targets)):
        zs = _vector(z, "cross_entropy", i)
        log_total = _log_sum_exp(zs)
        if isinstance(t, (list, tuple)):          # k class probabilities
            if len(t) != len(zs):
                raise ValueError(f"cross_entropy: target y[{i}] has {len(t)} probabilities for "
                                 f"{len(zs)} classes")
            ps = [_probability_target(p, "cross_entropy", i) for p in t]
            terms.append(_sum(p * -(zj - log_total) for p, zj in zip(ps, zs)))
        else:
            terms.append(-(zs[_class_index(t, len(zs), "cross_entropy", i)] - log_total))
    return _mean(terms)


@_threshold(0.0)
def hinge(scores, targets) -> Value:
    """The max-margin (SVM) loss, batch mean.

    One score per sample: labels 0/1 become s = −1/+1 and the loss is max(0, 1 − s·z).
    k scores per sample (multi-class SVM): Σ_{j≠t} max(0, zⱼ − z_t + 1). A sample outside
    the margin contributes nothing, and no gradient.
    """
    scores, targets = _batch(scores, targets, "hinge")
    terms = []
    for i, (z, t) in enumerate(zip(scores, targets)):
        if isinstance(z, (list, tuple)) and len(z) > 1:
            zs = _vector(z, "hinge", i)
            t = _class_index(t, len(zs), "hinge", i)
            terms.append(_sum((zj - zs[t] + 1.0).relu() for j, zj in enumerate(zs) if j != t))
        else:
            z = _scalar(z, "hinge", i)
            s = 2 * _binary_label(t, "hinge", i) - 1
            terms.append((1.0 - z if s == 1 else 1.0 + z).relu())
    return _mean(terms)


# ---------------------------------------------------------------- penalties R(W) (Lan Xu)
def _params(params, who: str) -> list:
    if hasattr(params, "weights") and callable(params.weights):
        params = params.weights()  # a Module: penalise its weights, not its biases
    params = checks.instances(params, Value, who, "params must be a Module or a list of Values",
                              "parameter")
    if not params:
        raise ValueError(f"{who}: no parameters given")
    return params


def l2(params) -> Value:
    """R(W) = Σ w² (∂R/∂w = 2w). The caller multiplies by λ. A Module means its weights."""
    return _sum([w * w for w in _params(params, "l2")])


def l1(params) -> Value:
    """``R(W) = Σ |w|`` (∂R/∂w = sign w, 0 at 0): pushes weights to exactly zero (sparsity)."""
    return _sum([w.abs() for w in _params(params, "l1")])


def elastic_net(params, beta) -> Value:
    """``R(W) = Σ β·w² + |w|`` (Lan Xu's deck): L2 and L1 together. The caller multiplies by λ."""
    beta = checks.nonnegative(beta, "elastic_net: beta")
    return _sum([beta * (w * w) + w.abs() for w in _params(params, "elastic_net")])
