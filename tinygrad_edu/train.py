"""The training loop (file 001's pseudo code, with minibatches, validation and early stopping)
and prediction helpers.

One step is the slides' loop body: forward propagation over a minibatch, the batch-mean
loss, ``backward`` (every parameter gets ∂L/∂w), then θ ← θ − η·∇θ through an optimizer.
One epoch is one pass over all minibatches (file 002). Python's cyclic garbage collector is
paused around each step only (``collector_paused``): a step's graph holds tens of thousands
of nodes that reference counting frees anyway, and the collector's scans of them would cost
more than the arithmetic.
"""
from __future__ import annotations

import math
import numbers
import random
from dataclasses import dataclass, field

from . import data, losses, optim
from .engine import Value, collector_paused, no_grad

__all__ = ["fit", "History", "predict", "predict_labels", "accuracy"]

AUTO_PROGRESS_WORK = 20_000
"""With ``progress="auto"`` the bar appears when epochs × samples reaches this many."""


@dataclass
class History:
    """What ``fit`` saw, one entry per epoch: training and validation loss and accuracy.

    ``loss``/``accuracy`` are averaged over the epoch's minibatches as they were seen (before
    each step), ``val_loss``/``val_accuracy`` measured after the epoch in eval mode;
    accuracies are None when the targets are not class labels. ``best_epoch`` is the epoch
    (0-based) whose weights early stopping restored.
    """

    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    loss_name: str = ""
    best_epoch: int | None = None
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        """How many epochs actually ran."""
        return len(self.loss)

    def __getitem__(self, key):
        return self.to_dict()[key]

    def to_dict(self) -> dict:
        return {"loss": self.loss, "accuracy": self.accuracy, "val_loss": self.val_loss,
                "val_accuracy": self.val_accuracy, "lr": self.lr, "loss_name": self.loss_name,
                "best_epoch": self.best_epoch, "stopped_early": self.stopped_early,
                "epochs": self.epochs}


# ---------------------------------------------------------------- predictions
def _label(output, threshold: float) -> int:
    """Class of one output: argmax of k scores, or 1 if a single output exceeds threshold."""
    if isinstance(output, (list, tuple)):
        scores = [float(o) for o in output]
        return max(range(len(scores)), key=scores.__getitem__)
    return int(float(output) > threshold)


def _threshold(loss=None, threshold=None) -> float:
    if threshold is not None:
        return float(threshold)
    return float(getattr(loss, "threshold", 0.0)) if loss is not None else 0.0


def predict(model, X) -> list:
    """The model's outputs for every row of X, as floats (lists of floats for k outputs);
    in eval mode (no dropout) and without recording a graph."""
    data.check_dataset(X, who="predict")
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with no_grad():
            outs = [model(x) for x in X]
    finally:
        if was_training:
            model.train()
    return [[float(o) for o in out] if isinstance(out, (list, tuple)) else float(out)
            for out in outs]


def predict_labels(model, X, loss=None, threshold=None) -> list:
    """Class labels: argmax for k outputs; for one output, 1 where it exceeds the threshold
    (given, or the loss's: 0.5 for probabilities, 0 for logits; 0 by default)."""
    cut = _threshold(loss, threshold)
    return [_label(out, cut) for out in predict(model, X)]


def accuracy(model, X, y, loss=None, threshold=None) -> float:
    """Fraction of rows whose predicted label equals y."""
    if len(X) != len(y):
        raise ValueError(f"accuracy: X has {len(X)} samples but y has {len(y)} labels")
    labels = predict_labels(model, X, loss, threshold)
    return sum(int(p == t) for p, t in zip(labels, y)) / len(y)


# ---------------------------------------------------------------- fit
def _is_labels(y) -> bool:
    return all(isinstance(t, numbers.Integral) and not isinstance(t, bool) for t in y)


def _default_loss(model, X, y):
    """Cross-entropy for k outputs; for one output and 0/1 labels, binary cross-entropy (on
    the logit, or on the probability if the model ends in a sigmoid); else MSE."""
    with no_grad():
        out = model(X[0])
    if isinstance(out, (list, tuple)) and len(out) > 1 and _is_labels(y):
        return losses.cross_entropy
    if isinstance(out, Value) and _is_labels(y) and set(y) <= {0, 1}:
        if getattr(model, "output_activation", "linear") == "sigmoid":
            return losses.binary_cross_entropy  # the output already is a probability
        return losses.binary_cross_entropy_with_logits
    return losses.mse


def _positive_int(n, name: str):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"fit: {name} must be a whole number ≥ 1, got {n!r}")
    return int(n)


def _evaluate(model, X, y, loss, cut, classify):
    """(mean loss, accuracy or None) on a data set: eval mode, no graph."""
    model.eval()
    with no_grad():
        outputs = [model(x) for x in X]
        value = loss(outputs, y).data
    correct = sum(int(_label(o, cut) == t) for o, t in zip(outputs, y)) if classify else None
    return value, (correct / len(y) if classify else None)


def fit(model, X, y, loss=None, optimizer=None, epochs=100, batch_size=None, val=None,
        early_stopping=None, progress="auto", seed=0, lr_schedule=None, penalty=None,
        clip_norm=None, clip_value=None, shuffle=True, min_delta=0.0) -> History:
    """Train ``model`` on (X, y) by minibatch gradient descent; returns a ``History``.

    * ``loss``: a function (outputs, targets) → Value. Default: ``cross_entropy`` for k
      outputs, ``binary_cross_entropy_with_logits`` for one output and 0/1 labels
      (``binary_cross_entropy`` if the MLP's output activation is sigmoid), else ``mse``.
    * ``optimizer``: default ``optim.Adam(model.parameters(), lr=0.01)``.
    * ``batch_size``: None for full-batch gradient descent; minibatches are reshuffled every
      epoch from ``seed``.
    * ``val=(X_val, y_val)``: measured after every epoch. ``early_stopping=patience`` stops
      after that many epochs without a lower validation loss (by more than ``min_delta``)
      and restores the weights of the best epoch.
    * ``lr_schedule(epoch) → η`` (e.g. ``optim.exponential_decay(0.1, 0.01)``) sets the
      learning rate at the start of each epoch.
    * ``penalty(model) → Value`` is added to each minibatch objective (e.g.
      ``lambda m: 1e-3 * losses.l2(m)``); the recorded loss is the data loss alone.
    * ``clip_value`` / ``clip_norm`` clip gradients (by value, then by norm) before each step.
    * ``progress``: True, False or "auto" (a tqdm bar when epochs × samples ≥ 20,000).
    """
    if not hasattr(model, "parameters") or not callable(model):
        raise TypeError(f"fit: model must be a Module, got {type(model).__name__}")
    data.check_dataset(X, y, "fit")
    epochs = _positive_int(epochs, "epochs")
    batch_size = len(X) if batch_size is None else _positive_int(batch_size, "batch_size")
    if val is not None:
        if not isinstance(val, (tuple, list)) or len(val) != 2:
            raise ValueError("fit: val must be a pair (X_val, y_val)")
        data.check_dataset(val[0], val[1], "fit (val)")
    if early_stopping is not None:
        early_stopping = _positive_int(early_stopping, "early_stopping (the patience)")
        if val is None:
            raise ValueError("fit: early_stopping watches the validation loss; "
                             "pass val=(X_val, y_val)")
    if penalty is not None and not callable(penalty):
        raise TypeError("fit: penalty must be a function model → Value")
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError("fit: lr_schedule must be a function epoch → learning rate")
    if progress not in (True, False, "auto"):
        raise ValueError(f"fit: progress must be True, False or 'auto', got {progress!r}")
    loss = loss if loss is not None else _default_loss(model, X, y)
    if not callable(loss):
        raise TypeError(f"fit: loss must be a function (outputs, targets) → Value, got {loss!r}")
    params = model.parameters()
    if optimizer is None:
        optimizer = optim.Adam(params, lr=0.01)
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "zero_grad"):
        raise TypeError(f"fit: optimizer must have step() and zero_grad(), got {optimizer!r}")
    rng = random.Random(seed)
    cut = _threshold(loss)
    classify = _is_labels(y)
    history = History(loss_name=getattr(loss, "__name__", repr(loss)))
    best_loss, best_state, waited = math.inf, None, 0

    show = progress is True or (progress == "auto" and epochs * len(X) >= AUTO_PROGRESS_WORK)
    epoch_range = range(epochs)
    bar = None
    if show:
        from tqdm.auto import tqdm
        bar = epoch_range = tqdm(epoch_range, desc="fit", unit="epoch")
    was_training = model.training if hasattr(model, "training") else True
    try:
        for epoch in epoch_range:
            if lr_schedule is not None:
                optimizer.lr = lr_schedule(epoch)
            history.lr.append(optimizer.lr if hasattr(optimizer, "lr") else None)
            model.train()
            total, correct = 0.0, 0
            for step, (Xb, yb) in enumerate(data.batches(X, y, batch_size, shuffle, rng=rng)):
                with collector_paused():
                    outputs = [model(x) for x in Xb]
                    batch_loss = loss(outputs, yb)
                    objective = batch_loss + penalty(model) if penalty else batch_loss
                    value = batch_loss.data
                    if not math.isfinite(objective.data):
                        raise FloatingPointError(
                            f"fit: the loss became {objective.data} at epoch {epoch}, batch "
                            f"{step}; the learning rate ({history.lr[-1]}) may be too large")
                    optimizer.zero_grad()
                    objective.backward()
                    if clip_value is not None:
                        optim.clip_grad_value(params, clip_value)
                    if clip_norm is not None:
                        optim.clip_grad_norm(params, clip_norm)
                    optimizer.step()
                    total += value * len(Xb)
                    if classify:
                        correct += sum(int(_label(o, cut) == t) for o, t in zip(outputs, yb))
                    del outputs, batch_loss, objective  # free this step's graph right here
            history.loss.append(total / len(X))
            history.accuracy.append(correct / len(X) if classify else None)
            if val is not None:
                val_loss, val_acc = _evaluate(model, val[0], val[1], loss, cut, _is_labels(val[1]))
                history.val_loss.append(val_loss)
                history.val_accuracy.append(val_acc)
            if bar is not None:
                shown = {"loss": f"{history.loss[-1]:.4f}"}
                if classify:
                    shown["acc"] = f"{history.accuracy[-1]:.3f}"
                if val is not None:
                    shown["val_loss"] = f"{history.val_loss[-1]:.4f}"
                bar.set_postfix(shown)
            if early_stopping is not None:
                if history.val_loss[-1] < best_loss - min_delta:
                    best_loss, best_state, waited = history.val_loss[-1], model.state_dict(), 0
                    history.best_epoch = epoch
                else:
                    waited += 1
                    if waited >= early_stopping:
                        history.stopped_early = True
                        break
    finally:
        if bar is not None:
            bar.close()
        if hasattr(model, "train"):
            model.train(was_training)
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
