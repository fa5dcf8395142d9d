"""One training run: a data set, an MLP, a loss and an optimizer, stepped one minibatch at a time.

Training is the library's own: each minibatch is one ``train.step`` (the body of ``fit``'s
loop), so the playground can pause between any two of them; the data come from ``data.make``,
the optimizer from ``optim.make``, the epoch's metrics from ``train.evaluate``. A run lives in
its session's training process (``worker``); the server builds the same run (same seed: the same
points and initial weights) only for the data and the first picture.
The decision boundary is the same network evaluated on a grid with plain floats
(``nn.forward_floats``): thousands of throw-away graphs would cost more than the training.
"""
from __future__ import annotations

import io
import itertools
import json
import math
import random

from .. import data, losses, optim, serialize, train
from ..nn import MLP, float_layers, forward_floats
from ..ops import OpError
from .settings import Settings

__all__ = ["Run", "Diverged", "MAX_EPOCHS", "export_document", "picture_png"]

MAX_EPOCHS = 10_000
"""A run pauses by itself after this many epochs."""
GRID_WORK = 300_000
"""Boundary grid size: about this many multiply-adds per picture (cells × parameters)."""
HISTORY_POINTS = 400
"""Loss curves are thinned to at most this many points when sent to the page."""
METRICS = ("train_loss", "val_loss", "train_acc", "val_acc")

LOSSES = {"sigmoid_bce": losses.binary_cross_entropy_with_logits,
          "softmax_ce": losses.cross_entropy,
          "hinge": losses.hinge,
          "mse": losses.mse}

_run_ids = itertools.count(1)


class Diverged(ArithmeticError):
    """Training produced a loss or gradient that is not a finite number."""


def make_data(s: Settings):
    """The chosen data set with ``s.samples`` points (X, y), from ``data.make``; the same seed,
    the same points. The page's noise slider (0..1) is, for blobs, a spread σ of 0.25..1.75."""
    noise = 0.25 + 1.5 * s.noise if s.dataset == "blobs" else s.noise
    return data.make(s.dataset, n=s.samples, noise=noise, seed=s.seed, classes=s.num_classes)


def _r(x: float, digits: int = 5):
    """Rounded for JSON; nan and inf become None (JSON has no such numbers)."""
    return round(x, digits) if math.isfinite(x) else None


class Run:
    """The state of one training run, stepped by one thread (its session's worker)."""

    def __init__(self, settings: Settings):
        self.id = next(_run_ids)
        self.settings = s = settings
        X, y = make_data(s)
        self.X_train, self.y_train, self.X_val, self.y_val = data.train_val_split(
            X, y, val_fraction=s.val_fraction, seed=s.seed)
        self.model = build_model(s)
        self.loss = LOSSES[s.output]
        self.optimizer = optim.make(s.optimizer, self.model.parameters(), lr=s.lr)
        self.schedule = None if s.decay == "none" else \
            optim.SCHEDULES[s.decay](s.lr, s.decay_rate)
        penalty = {"none": None, "l1": losses.l1, "l2": losses.l2}[s.regularization]
        self.penalty = None if penalty is None or not s.reg_strength else \
            (lambda model: s.reg_strength * penalty(model))
        self.rng = random.Random(s.seed + 1)
        self.epoch = 0
        self.steps = 0
        self._batches = []
        self._next_batch = 0
        self.history = {key: [] for key in ("epoch", *METRICS)}
        self.bounds = self._bounds(X)
        self.grid = max(16, min(50, int(math.sqrt(GRID_WORK / len(self.optimizer.params)))))

    # ------------------------------------------------------------------ training
    @property
    def evaluated(self) -> bool:
        return bool(self.history["epoch"])

    def train_step(self) -> bool:
        """One minibatch: forward, loss (+ λ·penalty), backward, optimizer step.

        Returns True when this step finished an epoch (the metrics are then measured).
        Raises :class:`Diverged` (changing nothing) if the loss or a gradient is not finite.
        """
        if not self.evaluated:
            self.evaluate()
        if self._next_batch >= len(self._batches):
            self._batches = list(data.batches(self.X_train, self.y_train,
                                              self.settings.batch_size, rng=self.rng))
            self._next_batch = 0
        Xb, yb = self._batches[self._next_batch]
        try:
            train.step(self.model, Xb, yb, self.loss, self.optimizer, penalty=self.penalty)
        except (FloatingPointError, OpError, OverflowError) as err:
            raise Diverged(f"training diverged at epoch {self.epoch + 1}: {err}") from None
        self.steps += 1
        self._next_batch += 1
        if self._next_batch < len(self._batches):
            return False
        self.epoch += 1
        if self.schedule is not None:
            self.optimizer.lr = self.schedule(self.epoch)
        self.evaluate()
        return True

    def evaluate(self) -> None:
        """Append this epoch's training and validation loss and accuracy to the history."""
        try:
            train_loss, train_acc = train.evaluate(self.model, self.X_train, self.y_train,
                                                   self.loss)
            val_loss, val_acc = train.evaluate(self.model, self.X_val, self.y_val, self.loss)
        except (OpError, OverflowError) as err:
            raise Diverged(f"training diverged at epoch {self.epoch}: {err}") from None
        for key, value in zip(("epoch", *METRICS),
                              (self.epoch, train_loss, val_loss, train_acc, val_acc)):
            self.history[key].append(value)
        for value in (train_loss, val_loss):
            if not math.isfinite(value):
                raise Diverged(f"the loss became {value} at epoch {self.epoch}")

    # ------------------------------------------------------------------ what the page sees
    @staticmethod
    def _bounds(X) -> list:
        """A square view around all points, with a margin: [x_min, x_max, y_min, y_max]."""
        xs = [p[0] for p in X]
        ys = [p[1] for p in X]
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        half = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 * 1.15 + 0.15
        return [cx - half, cx + half, cy - half, cy + half]

    def boundary(self) -> dict:
        """The predicted class and its confidence (0..1) on an n × n grid over the view;
        row 0 is the top (largest x2), cells in row-major order."""
        layers = float_layers(self.model)
        x0, x1, y0, y1 = self.bounds
        n = self.grid
        dx, dy = (x1 - x0) / n, (y1 - y0) / n
        cells = [_cell(forward_floats(layers, [x0 + (ix + 0.5) * dx, y1 - (iy + 0.5) * dy]),
                       self.settings.output) for iy in range(n) for ix in range(n)]
        return {"bounds": [_r(v) for v in self.bounds], "n": n,
                "cls": [c for c, _ in cells], "conf": [round(strength, 3) for _, strength in cells]}

    def network(self) -> dict:
        """Layer sizes and every weight and bias, for the network drawing."""
        layers = [{"w": [[_r(w, 4) for w in row] for row in W], "b": [_r(v, 4) for v in b]}
                  for W, b, _ in float_layers(self.model)]
        return {"sizes": [2] + list(self.settings.hidden) + [self.settings.outputs],
                "activation": self.settings.activation, "output": self.settings.output,
                "layers": layers}

    def metrics(self) -> dict:
        """The last epoch's losses and accuracies (None before the first measurement)."""
        return {k: _r(self.history[k][-1], 6) if self.evaluated else None for k in METRICS}

    def curves(self) -> dict:
        """The loss and accuracy history, thinned to at most HISTORY_POINTS points."""
        h = self.history
        n = len(h["epoch"])
        stride = max(1, math.ceil(n / HISTORY_POINTS))
        keep = list(range(0, n, stride))
        if n and keep[-1] != n - 1:
            keep.append(n - 1)
        return {k: [_r(v[i], 6) if isinstance(v[i], float) else v[i] for i in keep]
                for k, v in h.items()}

    def points(self) -> dict:
        """The data set as [x1, x2, label] rows, split into training and validation."""
        return {"run": self.id, "classes": self.settings.num_classes,
                "bounds": [_r(v) for v in self.bounds],
                "train": [[_r(a, 4), _r(b, 4), t] for (a, b), t in zip(self.X_train, self.y_train)],
                "val": [[_r(a, 4), _r(b, 4), t] for (a, b), t in zip(self.X_val, self.y_val)]}

    def snapshot(self) -> tuple:
        """(body, info): everything the page draws (epoch, metrics, curves, boundary, network,
        settings) as JSON bytes, and the numbers the server keeps for itself (epoch, metrics,
        and the weights an export saves)."""
        metrics = self.metrics()
        state = {"epoch": self.epoch, "steps": self.steps, "lr": self.optimizer.lr,
                 "metrics": metrics, "history": self.curves(),
                 "boundary": self.boundary(), "network": self.network(),
                 "settings": self.settings.to_dict()}
        body = json.dumps(state, allow_nan=False).encode("utf-8")
        return body, {"epoch": self.epoch, "metrics": metrics, "weights": self.weights()}

    def weights(self) -> dict:
        """The model's state dict (parameter name → float): what an export saves."""
        return self.model.state_dict()


def build_model(s: Settings) -> MLP:
    """The network the settings describe, with its seeded initial weights."""
    return MLP(2, list(s.hidden) + [s.outputs], activation=s.activation, seed=s.seed)


def export_document(s: Settings, weights: dict, epoch: int, metrics: dict) -> dict:
    """The model file ``MLP.save`` writes for a model of settings ``s`` with ``weights``
    (so ``MLP(...).load(path)`` reads it back), plus a ``playground`` entry with the
    settings and the metrics of that epoch. Non-finite weights raise ``ModelFileError``."""
    model = build_model(s).load_state_dict(weights)
    document = serialize.document(model.architecture(), model.state_dict())
    document["playground"] = {"settings": s.to_dict(), "epoch": epoch, "metrics": metrics,
                              "load_with": f"{model!r}.load(path)"}
    return document


def picture_png(s: Settings, weights: dict, epoch: int) -> bytes:
    """The decision boundary of a model of settings ``s`` with ``weights``, drawn by
    ``tinygrad_edu.plots`` over the run's points, as PNG bytes (the page's download).
    Raises ``plots.PlotsUnavailable`` without matplotlib."""
    from .. import plots

    run = Run(s)
    run.model.load_state_dict(weights)
    figure = plots.decision_boundary(run.model, run.X_train, run.y_train, run.X_val, run.y_val,
                                     classes=s.num_classes, title=f"{s.dataset}, epoch {epoch}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _cell(out: list, kind: str):
    """(class, confidence in 0..1) of one grid cell from the network's outputs."""
    if not all(map(math.isfinite, out)):  # weights gone to inf/nan: show nothing
        return 0, 0.0
    if len(out) == 1:
        z = out[0]
        if kind == "mse":
            return int(z > 0.5), min(1.0, abs(z - 0.5) * 2.0)
        if kind == "hinge":
            return int(z > 0.0), min(1.0, abs(z))
        return int(z > 0.0), abs(math.tanh(z / 2.0))   # |2σ(z) − 1|
    m, k = max(out), len(out)
    top = 1.0 / sum(math.exp(v - m) for v in out)  # the softmax of the top class (its v is m)
    return out.index(m), max(0.0, (top - 1.0 / k) / (1.0 - 1.0 / k))
