"""The training loop ("Deep Learning" pseudo code, with minibatches, validation and early stopping)
and prediction helpers.

One ``step`` is the slides' loop body: forward propagation over a minibatch, the batch-mean
loss, ``backward`` (every parameter gets ∂L/∂w), then θ ← θ − η·∇θ through an optimizer;
``fit`` and the playground both train through it. One epoch is one pass over all minibatches
(Xiu's deck). Python's cyclic garbage collector is paused around each step only
(``collector_paused`` says why).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, fields

import numpy as np

from . import checks, data, losses, nn, optim
from .engine import Value, collector_paused, is_recording, no_grad
from .tape import compile as record

__all__ = ["fit", "step", "descend", "Step", "TapeStep", "VectorStep", "evaluate", "History",
           "predict", "predict_labels", "accuracy", "is_labels"]

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
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "epochs": self.epochs}


# ---------------------------------------------------------------- predictions
def _label(output, threshold: float) -> int:
    """Class of one output: argmax of k scores, or 1 if a single output exceeds threshold."""
    if isinstance(output, (list, tuple)):
        scores = [float(o) for o in output]
        return max(range(len(scores)), key=scores.__getitem__)
    return int(float(output) > threshold)


def _threshold(loss=None, threshold=None) -> float:
    """The given threshold, else the loss's own (``losses``), else 0."""
    return float(getattr(loss, "threshold", 0.0) if threshold is None else threshold)


def _eval_outputs(model, X) -> list:
    """The model's outputs for every row of X in eval mode (no dropout; the mode is restored
    afterwards), recording no graph. A plain MLP is evaluated on floats (``nn.forward_floats``:
    the engine's numbers, without a Value per operation)."""
    if isinstance(model, nn.MLP) and not model.residual:
        layers = nn.float_layers(model)
        outputs = [nn.forward_floats(layers, x) for x in X]
        return [out[0] if len(out) == 1 else out for out in outputs]
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with no_grad():
            return [model(x) for x in X]
    finally:
        if was_training:
            model.train()


def predict(model, X) -> list:
    """The model's outputs for every row of X, as floats (lists of floats for k outputs);
    in eval mode (no dropout) and without recording a graph."""
    data.check_dataset(X, who="predict")
    return [[float(o) for o in out] if isinstance(out, (list, tuple)) else float(out)
            for out in _eval_outputs(model, X)]


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


# ---------------------------------------------------------------- one step
def is_labels(y) -> bool:
    """True when every target is an int class label (so accuracy means something); True and
    False are 1 and 0, as everywhere in the library."""
    return all(isinstance(t, numbers.Integral) for t in y)


def _require_recording(who: str) -> None:
    if not is_recording():
        raise RuntimeError(f"{who} trains through backward(), which needs a recorded graph: "
                           f"call it outside `with no_grad():`")


@dataclass(frozen=True)
class Step:
    """What one ``step`` saw: the minibatch's mean data loss (before the update, without the
    penalty), its size, and how many samples the model classified right (None when the
    targets are not class labels)."""

    loss: float
    size: int
    correct: int | None = None

    @property
    def accuracy(self) -> float | None:
        return None if self.correct is None else self.correct / self.size


def step(model, X, y, loss, optimizer, penalty=None, clip_value=None, clip_norm=None,
         threshold=None) -> Step:
    """One step of gradient descent on the minibatch (X, y); returns a ``Step``.

    Forward (``model(x)`` for every row) and L = loss(outputs, y), then ``descend``: penalty,
    backward, clipping, ``optimizer.step()``. ``threshold`` cuts a single output into a class
    (default: the loss's own, see ``losses``).
    """
    _require_recording("step")
    with collector_paused():
        outputs = [model(x) for x in X]
        batch_loss = loss(outputs, y)
        correct = _count_correct(outputs, y, loss, threshold)
        descend(model, optimizer, batch_loss.data, batch_loss.backward, penalty, clip_value,
                clip_norm)
        result = Step(batch_loss.data, len(X), correct)
        del outputs, batch_loss  # free this step's graph right here
    return result


def _count_correct(outputs, y, loss, threshold=None):
    """How many outputs name their sample's class (None unless y is class labels)."""
    if not is_labels(y):
        return None
    cut = _threshold(loss, threshold)
    return sum(int(_label(o, cut) == t) for o, t in zip(outputs, y))


def descend(model, optimizer, loss_value: float, backward, penalty=None, clip_value=None,
            clip_norm=None) -> None:
    """The loop body after the forward pass: given the loss's value and a ``backward()``
    that puts ∂L/∂w into the parameters, add the penalty R = ``penalty(model)`` (its own
    backward: leaves add up, so every parameter gets ∂(L + R)/∂w), clip (by value, then by
    norm) and take the step. A loss that is not finite raises ``FloatingPointError``
    before any weight changes.

    ``step`` calls it with the engine's ``loss.backward``, the compiled path of ``fit``
    with a tape's ``backward``: one copy of the update for both.
    """
    regular = penalty(model) if penalty is not None else None
    total = loss_value + float(regular) if regular is not None else loss_value
    if not math.isfinite(total):
        raise FloatingPointError(f"the loss became {total}")
    optimizer.zero_grad()
    backward()
    if isinstance(regular, Value):
        regular.backward()
    if clip_value is not None:
        optim.clip_grad_value(model.parameters(), clip_value)
    if clip_norm is not None:
        optim.clip_grad_norm(model.parameters(), clip_norm)
    optimizer.step()


class TapeStep:
    """``fit(compiled=True)``'s step: the loss of one minibatch recorded with the tape, once
    per batch size, then replayed for every minibatch of that size with its data. Called on
    (X, y), it returns a ``Step``, like ``step``.

    The minibatch's X and its targets are the tape's inputs; the targets go in as the loss
    declares (``loss.tape_targets``: class labels as one-hot rows, or the numbers as they
    are), so one graph serves every batch and the replay gives the engine's numbers bit for
    bit. Which class each output names is read from the same network evaluated on floats.
    """

    def __init__(self, model, loss, optimizer, penalty, clip_value, clip_norm, exact=True):
        if not isinstance(model, nn.MLP) or model.dropout is not None or model.residual:
            raise ValueError("fit(compiled=True) replays one recorded graph: it needs an "
                             "nn.MLP without dropout (a new mask every step) or residual links")
        self.targets_as = getattr(loss, "tape_targets", None)
        if self.targets_as not in ("one_hot", "numbers"):
            name = checks.short_repr(getattr(loss, "__name__", loss))
            raise ValueError(f"fit(compiled=True): the loss {name}"
                             f" builds a graph that depends on its targets; use losses.mse, "
                             f"binary_cross_entropy_with_logits or cross_entropy")
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.update = (penalty, clip_value, clip_norm)
        self.exact = exact
        self.tapes = {}

    def _targets(self, y) -> list:
        if self.targets_as == "one_hot":
            k = self.model.nouts[-1]
            return [[float(j == t) for j in range(k)] for t in y]
        return [[float(v) for v in t] if isinstance(t, (list, tuple)) else float(t) for t in y]

    def _objective(self, X, targets):
        return self.loss([self.model(x) for x in X], targets)

    def __call__(self, X, y) -> Step:
        targets = self._targets(y)
        tape = self.tapes.get(len(X))
        if tape is None:
            tape = self.tapes[len(X)] = record(self._objective, X, targets, exact=self.exact)
        correct = None
        if is_labels(y):   # the outputs as the model gives them before this step, on floats
            correct = _count_correct(_eval_outputs(self.model, X), y, self.loss)
        value = tape(X, targets)
        descend(self.model, self.optimizer, value, tape.backward, *self.update)
        return Step(value, len(X), correct)


class VectorStep(TapeStep):
    """``fit(compiled=True, exact=False)``'s step when only the optimizer moves the weights
    (no penalty, no clipping) and it has an array form (``optim.Optimizer.has_array_form``):
    θ stays one numpy vector for the whole run. The fast tape reads it
    (``FastTape.forward_with``) and gives ∂L/∂θ as a vector (``param_grads``), the optimizer
    moves it (``update``), and which class each output names comes from the same network
    evaluated with numpy matrix products. No Value is read or written per step.

    The Values are brought up to date by ``sync`` — ``p.data`` to θ, ``p.grad`` to the last
    step's gradient, as the engine's step leaves them — whenever anything outside the loop
    may look: after each epoch (before validation and early stopping), before a new batch
    size is recorded, and when ``fit`` ends or raises. A step that raises changes nothing:
    the loss and the gradient are checked before θ moves, so ``sync`` writes the last good θ.
    """

    def __init__(self, model, loss, optimizer):
        super().__init__(model, loss, optimizer, None, None, None, exact=False)
        self.params = optimizer.params
        self.theta = np.array([p.data for p in self.params], dtype=float)
        self.grad = None
        self.positions = {}               # batch size → where its tape's parameters sit in θ

    @staticmethod
    def applies(model, optimizer, penalty, clip_value, clip_norm) -> bool:
        """True when this step can replace ``TapeStep`` (see the class docstring): θ in the
        model's ``parameters()`` order is the optimizer's own."""
        return (penalty is None and clip_value is None and clip_norm is None
                and isinstance(optimizer, optim.Optimizer) and optimizer.has_array_form
                and isinstance(model, nn.MLP) and not model.residual
                and [id(p) for p in optimizer.params] == [id(p) for p in model.parameters()])

    def sync(self) -> None:
        """Write θ (and the last gradient) into the model's Values."""
        for p, x in zip(self.params, self.theta.tolist()):
            p.data = x
        if self.grad is not None:
            for p, g in zip(self.params, self.grad.tolist()):
                p.grad = g

    def _outputs(self, X):
        """The network's outputs for the rows of X under θ, one row per sample. θ is in
        ``parameters()`` order: layer by layer, neuron by neuron, weights then bias."""
        layers, start = [], 0
        for layer in self.model.layers:
            size = layer.nout * (layer.nin + 1)
            block = self.theta[start:start + size].reshape(layer.nout, layer.nin + 1)
            layers.append((block[:, :-1], block[:, -1], layer.activation))
            start += size
        return nn.forward_arrays(layers, X)

    def _correct(self, X, y) -> int:
        out = self._outputs(X)
        named = out.argmax(axis=1) if out.shape[1] > 1 else out[:, 0] > _threshold(self.loss)
        return int((named == np.asarray(y)).sum())

    def __call__(self, X, y) -> Step:
        targets = self._targets(y)
        tape = self.tapes.get(len(X))
        if tape is None:
            self.sync()                   # recording runs the engine on the Values
            tape = self.tapes[len(X)] = record(self._objective, X, targets, exact=False)
            index = {id(p): i for i, p in enumerate(self.params)}
            self.positions[len(X)] = np.array([index[id(p)] for p in tape.params], dtype=np.intp)
        X = np.asarray(X, dtype=float)
        correct = self._correct(X, y) if is_labels(y) else None
        value = tape.forward_with(self.theta[self.positions[len(X)]], X, targets)
        if not math.isfinite(value):
            raise FloatingPointError(f"the loss became {value}")
        grad = np.zeros(len(self.theta))  # a parameter outside the graph gets ∂L/∂w = 0
        grad[self.positions[len(X)]] = tape.param_grads()
        self.optimizer.update(self.theta, grad)
        self.grad = grad
        return Step(value, len(X), correct)


# ---------------------------------------------------------------- fit: checking the settings
def _default_loss(model, X, y):
    with no_grad():
        out = model(X[0])
    if isinstance(out, (list, tuple)) and len(out) > 1 and is_labels(y):
        return losses.cross_entropy
    if isinstance(out, Value) and is_labels(y) and set(y) <= {0, 1}:
        if getattr(model, "output_activation", "linear") == "sigmoid":
            return losses.binary_cross_entropy  # the output already is a probability
        return losses.binary_cross_entropy_with_logits
    return losses.mse


def _check_settings(model, X, y, val, early_stopping, penalty, lr_schedule, progress,
                    min_delta, clip_value, clip_norm) -> None:
    """Everything ``fit`` is given, checked before the first step."""
    _require_recording("fit")
    if not hasattr(model, "parameters") or not callable(model):
        raise TypeError(f"fit: model must be a Module, got {type(model).__name__}")
    data.check_dataset(X, y, "fit")
    if val is not None:
        if not isinstance(val, (tuple, list)) or len(val) != 2:
            raise ValueError("fit: val must be a pair (X_val, y_val)")
        data.check_dataset(val[0], val[1], "fit (val)")
    if early_stopping is not None and val is None:
        raise ValueError("fit: early_stopping watches the validation loss; "
                         "pass val=(X_val, y_val)")
    if penalty is not None and not callable(penalty):
        raise TypeError("fit: penalty must be a function model → Value")
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError("fit: lr_schedule must be a function epoch → learning rate")
    if not (isinstance(progress, bool) or progress == "auto"):   # 1 is not a switch (checks.flag)
        raise ValueError(f"fit: progress must be True, False or 'auto', "
                         f"got {checks.shown(progress)}")
    checks.nonnegative(min_delta, "fit: min_delta")
    for value, name in ((clip_value, "clip_value"), (clip_norm, "clip_norm")):
        if value is not None:
            checks.positive(value, f"fit: {name}")


# ---------------------------------------------------------------- fit: epochs
def evaluate(model, X, y, loss, threshold=None) -> tuple:
    """(mean loss, accuracy) of ``model`` on (X, y), in eval mode and without recording a
    graph; accuracy is None when y is not class labels."""
    outputs = _eval_outputs(model, X)
    with no_grad():
        value = loss(outputs, y).data
    correct = _count_correct(outputs, y, loss, threshold)
    return value, None if correct is None else correct / len(y)


@dataclass
class _EarlyStopping:
    """Keeps the weights of the epoch with the lowest validation loss; says when to stop."""

    patience: int
    min_delta: float
    best_loss: float = math.inf
    best_state: dict | None = None
    waited: int = 0

    def should_stop(self, model, val_loss: float, epoch: int, history: History) -> bool:
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_state, self.waited = val_loss, model.state_dict(), 0
            history.best_epoch = epoch
            return False
        self.waited += 1
        return self.waited >= self.patience


def _train_epoch(model, batches, train_step, epoch: int, lr) -> tuple:
    """One pass over the minibatches: (mean loss, accuracy or None) over the epoch."""
    model.train()
    total, correct, count, classify = 0.0, 0, 0, True
    for i, (Xb, yb) in enumerate(batches):
        try:
            result = train_step(Xb, yb)
        except FloatingPointError as err:
            raise FloatingPointError(f"fit: {err} at epoch {epoch}, batch {i}; the learning "
                                     f"rate ({lr}) may be too large") from None
        total += result.loss * result.size
        count += result.size
        if result.correct is None:
            classify = False
        else:
            correct += result.correct
    return total / count, (correct / count if classify else None)


def _progress_bar(progress, epochs: int, samples: int):
    """A tqdm bar over the epochs when asked (or "auto" and the run is long), else None."""
    if progress is True or (progress == "auto" and epochs * samples >= AUTO_PROGRESS_WORK):
        from tqdm.auto import tqdm
        return tqdm(range(epochs), desc="fit", unit="epoch")
    return None


def _show(bar, history: History) -> None:
    shown = {"loss": f"{history.loss[-1]:.4f}"}
    if history.accuracy[-1] is not None:
        shown["acc"] = f"{history.accuracy[-1]:.3f}"
    if history.val_loss:
        shown["val_loss"] = f"{history.val_loss[-1]:.4f}"
    bar.set_postfix(shown)


# ---------------------------------------------------------------- fit
def fit(model, X, y, loss=None, optimizer=None, epochs=100, batch_size=None, val=None,
        early_stopping=None, progress="auto", seed=0, lr_schedule=None, penalty=None,
        clip_norm=None, clip_value=None, shuffle=True, min_delta=0.0, compiled=False,
        exact=True) -> History:
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
    * ``compiled=True`` replays each minibatch size's graph, recorded once with the tape
      (``TapeStep``): the engine's losses and weights bit for bit, many times faster. It needs
      an MLP without dropout and the loss mse, binary_cross_entropy_with_logits or
      cross_entropy. ``exact=False`` records the fast tape instead (sums reordered, numbers
      within about 1e-12 of the engine's); without penalty or clipping, and with an optimizer
      in array form (SGD, Adam), θ then stays one numpy vector (``VectorStep``), written into
      the model after every epoch and when fit ends or raises.

    Each minibatch is one ``step``. Refuses to run inside ``no_grad()``.
    """
    _check_settings(model, X, y, val, early_stopping, penalty, lr_schedule, progress,
                    min_delta, clip_value, clip_norm)
    epochs = checks.whole(epochs, "fit: epochs", low=1)
    compiled, exact = checks.flag(compiled, "fit: compiled"), checks.flag(exact, "fit: exact")
    if not (compiled or exact):
        raise ValueError("fit: exact=False chooses the fast tape, so it needs compiled=True")
    batch_size = len(X) if batch_size is None else checks.whole(batch_size, "fit: batch_size",
                                                                 low=1)
    stopper = None
    if early_stopping is not None:
        patience = checks.whole(early_stopping, "fit: early_stopping (the patience)", low=1)
        stopper = _EarlyStopping(patience, float(min_delta))
    loss = loss if loss is not None else _default_loss(model, X, y)
    if not callable(loss):
        raise TypeError(f"fit: loss must be a function (outputs, targets) → Value, "
                        f"got {checks.short_repr(loss)}")
    if optimizer is None:
        optimizer = optim.Adam(model.parameters(), lr=0.01)
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "zero_grad"):
        raise TypeError(f"fit: optimizer must have step() and zero_grad(), "
                        f"got {checks.short_repr(optimizer)}")

    if compiled and not exact and VectorStep.applies(model, optimizer, penalty, clip_value,
                                                     clip_norm):
        train_step = VectorStep(model, loss, optimizer)
    elif compiled:
        train_step = TapeStep(model, loss, optimizer, penalty, clip_value, clip_norm, exact)
    else:
        def train_step(Xb, yb):
            return step(model, Xb, yb, loss, optimizer, penalty, clip_value, clip_norm)

    sync = getattr(train_step, "sync", lambda: None)
    rng = data.random_source(seed, None, "fit")  # a whole number, as data and nn take it
    history = History(loss_name=getattr(loss, "__name__", repr(loss)))
    bar = _progress_bar(progress, epochs, len(X))
    was_training = model.training if hasattr(model, "training") else True
    try:
        for epoch in bar if bar is not None else range(epochs):
            if lr_schedule is not None:
                optimizer.lr = lr_schedule(epoch)
            history.lr.append(getattr(optimizer, "lr", None))
            batches = data.batches(X, y, batch_size, shuffle, rng=rng)
            try:
                epoch_loss, epoch_acc = _train_epoch(model, batches, train_step, epoch,
                                                     history.lr[-1])
            finally:
                sync()                    # the Values hold θ before anyone looks
            history.loss.append(epoch_loss)
            history.accuracy.append(epoch_acc)
            if val is not None:
                val_loss, val_acc = evaluate(model, val[0], val[1], loss)
                history.val_loss.append(val_loss)
                history.val_accuracy.append(val_acc)
            if bar is not None:
                _show(bar, history)
            if stopper is not None and stopper.should_stop(model, history.val_loss[-1], epoch,
                                                           history):
                history.stopped_early = True
                break
    finally:
        if bar is not None:
            bar.close()
        if hasattr(model, "train"):
            model.train(was_training)
    if stopper is not None and stopper.best_state is not None:
        model.load_state_dict(stopper.best_state)
    return history
