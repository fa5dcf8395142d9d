"""Figures of a training run, shared by the command line, the notebooks and the playground.

Each function takes data (a model, points, a history) and returns a matplotlib ``Figure``:
nothing here touches ``pyplot``'s global state or picks a backend, so it works in a headless
server, in a test, and inline in Jupyter (a ``Figure`` left as a cell's value is displayed).
Save one with :func:`save`. Pass ``ax=`` (or ``axes=``) to draw into a panel of your own
figure instead, as the notebooks do for side-by-side comparisons.

matplotlib is optional (the ``plot`` extra); without it these raise :class:`PlotsUnavailable`,
which says how to install it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from . import checks

__all__ = ["PlotsUnavailable", "training_curves", "history", "boundary_grid", "BoundaryGrid",
           "decision_boundary", "save", "CLASS_COLORS", "layer_matrices", "outputs_on",
           "model_outputs", "decision_regions", "image_grid", "misclassified",
           "confusion_counts", "confusion_matrix"]

CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#17becf")
"""One colour per class, in class order (class 0 blue, class 1 red, …)."""


class PlotsUnavailable(ImportError):
    """matplotlib is not installed: the message says how to get it (the ``plot`` extra)."""

    def __init__(self):
        super().__init__("matplotlib is needed for the plots: pip install 'tinygrad_edu[plot]' "
                         "(or pip install matplotlib)")


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotsUnavailable() from None
    return Figure


def _axes(ax, count: int, figsize: tuple) -> list:
    """``count`` fresh panels side by side on a new Figure, or the caller's ``ax`` panel(s)."""
    if ax is None:
        return list(_figure_class()(figsize=figsize).subplots(1, count, squeeze=False)[0])
    panels = list(ax) if isinstance(ax, (list, tuple)) else [ax]
    if len(panels) != count:
        raise ValueError(f"expected {count} axes, got {len(panels)}")
    return panels


def _finish(panel, ax):
    """The panel's Figure, laid out, unless the panel is the caller's (``ax`` given)."""
    if ax is None:
        panel.figure.tight_layout()
    return panel.figure


def save(figure, path, dpi: int = 100) -> None:
    """Write ``figure`` to ``path`` (the format from the extension: .png, .svg, .pdf)."""
    figure.savefig(path, dpi=dpi)


# ---------------------------------------------------------------- loss and accuracy curves
def _present(series) -> list:
    """A curve's numbers, or [] when it was not recorded (None entries: no labels)."""
    values = list(series or [])
    return values if values and all(v is not None for v in values) else []


def training_curves(loss, val_loss=None, accuracy=None, val_accuracy=None, *, epochs=None,
                    loss_name: str = "", title: str = "", axes=None, held_out="validation"):
    """Loss (training and validation) per epoch and, when accuracies were recorded, accuracy
    beside it. ``epochs`` are the x values (default 1, 2, …); ``held_out`` names the second
    curve's data ("test" when the held-out set is a test set). Returns the Figure."""
    loss = _present(loss)
    x = list(epochs) if epochs is not None else list(range(1, len(loss) + 1))
    if len(x) != len(loss):
        raise ValueError(f"training_curves: {len(x)} epochs for {len(loss)} losses")
    curves = [("loss" + (f" ({loss_name})" if loss_name else ""), "loss", loss,
               _present(val_loss), None)]
    accuracy = _present(accuracy)
    if accuracy:
        curves.append(("accuracy", "accuracy", accuracy, _present(val_accuracy), (0.0, 1.02)))
    panels = _axes(axes, len(curves), (5 * len(curves), 4))
    for ax, (ylabel, name, train, val, ylim) in zip(panels, curves):
        ax.plot(x, train, label="training", color="tab:blue")
        if val:
            ax.plot(x[:len(val)], val, label=held_out, color="tab:orange")
        ax.set(xlabel="epoch", ylabel=ylabel, title=name)
        if ylim:
            ax.set_ylim(*ylim)
        ax.legend(loc="lower right" if name == "accuracy" else "upper right")
        ax.grid(alpha=0.3)
    if title and axes is None:
        panels[0].figure.suptitle(title)
    return _finish(panels[0], axes)


def history(h, title: str = "", axes=None, held_out="validation"):
    """:func:`training_curves` of a ``train.History`` (what ``fit`` returns)."""
    return training_curves(h.loss, h.val_loss, h.accuracy, h.val_accuracy,
                           loss_name=h.loss_name, title=title, axes=axes, held_out=held_out)


# ---------------------------------------------------------------- decision boundary
@dataclass(frozen=True)
class BoundaryGrid:
    """The model evaluated on a grid over the plane: ``xs`` (columns) and ``ys`` (rows),
    ``labels[j][i]`` the class at (xs[i], ys[j]); for one output, ``probability[j][i]`` is
    P(class 1) there (None for k outputs)."""

    xs: list
    ys: list
    labels: list
    probability: list | None


def _span(values: list, pad: float, margin: float | None) -> tuple:
    low, high = min(values), max(values)
    extra = margin if margin is not None else pad * ((high - low) or 1.0)
    return low - extra, high + extra


def model_outputs(model, points) -> list:
    """The model's outputs on many points: a float per point for one output, else a list.

    An ``nn.MLP`` is evaluated as matrices (:func:`outputs_on`, about 20× faster, equal to
    the engine's forward pass to rounding); any other model by ``train.predict``.
    """
    try:
        outputs = outputs_on(model, points)
    except TypeError:  # not an nn.MLP: the engine, point by point
        from .train import predict
        return predict(model, points)
    return [row[0] for row in outputs.tolist()] if outputs.shape[1] == 1 else outputs.tolist()


def boundary_grid(model, points, resolution: int = 80, pad: float = 0.15,
                  margin: float | None = None) -> BoundaryGrid:
    """Evaluate a 2-input classifier on a ``resolution`` × ``resolution`` grid covering
    ``points`` (a list of [x1, x2]) with a margin of ``pad`` × their extent (or ``margin``
    in the data's units, when given).

    One output is read as a logit (P(class 1) = σ(output)), or as the probability itself
    when the model ends in a sigmoid; the label is 1 where P > ½. Several outputs: argmax.
    """
    from .nn import float_activation  # σ from the op table, as the engine computes it

    if not points:
        raise ValueError("boundary_grid needs at least one point to frame the grid")
    resolution = checks.whole(resolution, "boundary_grid: resolution", low=2)
    (x0, x1), (y0, y1) = (_span([p[k] for p in points], pad, margin) for k in (0, 1))
    xs = [x0 + (x1 - x0) * i / (resolution - 1) for i in range(resolution)]
    ys = [y0 + (y1 - y0) * j / (resolution - 1) for j in range(resolution)]
    outputs = model_outputs(model, [[a, b] for b in ys for a in xs])
    rows = [outputs[j * resolution:(j + 1) * resolution] for j in range(resolution)]
    if isinstance(outputs[0], list):
        labels = [[max(range(len(o)), key=o.__getitem__) for o in row] for row in rows]
        return BoundaryGrid(xs, ys, labels, None)
    sigmoid = float_activation("sigmoid")
    is_probability = getattr(model, "output_activation", "linear") == "sigmoid"
    probability = [[o if is_probability else sigmoid(o) for o in row] for row in rows]
    labels = [[int(p > 0.5) for p in row] for row in probability]
    return BoundaryGrid(xs, ys, labels, probability)


def _regions(model, X, y, X_val, y_val, classes, ax, figsize, resolution, margin, size,
             shaded: bool):
    """What :func:`decision_boundary` and :func:`decision_regions` share; (panel, grid)."""
    X, y, X_val, y_val = list(X), list(y), list(X_val or ()), list(y_val or ())
    (panel,) = _axes(ax, 1, figsize)  # refuses before the grid's work if matplotlib is missing
    grid = boundary_grid(model, X + X_val, resolution, margin=margin)
    classes = classes or max([*y, *y_val, 1]) + 1
    colors = [CLASS_COLORS[c % len(CLASS_COLORS)] for c in range(classes)]
    if shaded and grid.probability is not None:
        shade = panel.contourf(grid.xs, grid.ys, grid.probability, cmap="RdBu_r", alpha=0.55,
                               levels=[i / 10 for i in range(11)])
        panel.contour(grid.xs, grid.ys, grid.probability, levels=[0.5], colors="black",
                      linewidths=1.5)
        panel.figure.colorbar(shade, ax=panel, label="P(class 1)")
    else:
        panel.contourf(grid.xs, grid.ys, grid.labels, colors=colors, alpha=0.3,
                       levels=[c - 0.5 for c in range(classes + 1)])
    for c, color in enumerate(colors):
        train = [p for p, t in zip(X, y) if t == c]
        val = [p for p, t in zip(X_val, y_val) if t == c]
        panel.scatter([p[0] for p in train], [p[1] for p in train], s=size, color=color,
                      edgecolors="black", linewidths=0.4, label=f"class {c} (training)")
        if val:
            panel.scatter([p[0] for p in val], [p[1] for p in val], s=1.7 * size,
                          facecolors="none", edgecolors=color, linewidths=1.3, marker="D",
                          label=f"class {c} (validation)")
    return panel, grid


def decision_boundary(model, X, y, X_val=(), y_val=(), *, classes: int | None = None,
                      title: str = "", resolution: int = 80, ax=None):
    """The model's class regions with the data on top: training points filled, validation
    points hollow diamonds. A one-output model (two classes) is shaded by P(class 1) with the
    decision line at ½ drawn in black; a model with an output per class gets one flat colour
    per class. Returns the Figure."""
    panel, grid = _regions(model, X, y, X_val, y_val, classes, ax, (6, 5), resolution, None,
                           18, shaded=True)
    panel.set(xlim=(grid.xs[0], grid.xs[-1]), ylim=(grid.ys[0], grid.ys[-1]), xlabel="x1",
              ylabel="x2", title=title)
    panel.legend(loc="best", fontsize=7, framealpha=0.8)
    return _finish(panel, ax)


def decision_regions(model, X, y, X_val=(), y_val=(), *, classes: int | None = None,
                     title: str = "", steps: int = 100, ax=None):
    """:func:`decision_boundary` in flat colours, the quick picture for side-by-side panels:
    no colour bar, no axis ticks, the grid half a unit past the data. Returns the Figure."""
    X_val = list(X_val or ())
    steps = checks.whole(steps, "decision_regions: steps", low=2)
    panel, _ = _regions(model, X, y, X_val, y_val, classes, ax, (5, 4), steps, 0.5, 14,
                        shaded=False)
    if X_val:
        panel.legend(loc="best", fontsize=7, framealpha=0.8)
    panel.set(title=title, xticks=[], yticks=[])
    return _finish(panel, ax)


# ---------------------------------------------------------------- an MLP on many points at once
def layer_matrices(model) -> list:
    """An ``nn.MLP``'s layers as NumPy ``(W, b, activation)``: row i of W is neuron i's weights.

    The same numbers the engine multiplies, arranged as the slides' matrices W^(l), b^(l).
    """
    import numpy as np

    if not hasattr(model, "layers") or not all(hasattr(layer, "neurons")
                                               for layer in model.layers):
        raise TypeError(f"layer_matrices needs an nn.MLP, got {type(model).__name__}")
    return [(np.array([[w.data for w in n.w] for n in layer.neurons]),
             np.array([n.b.data for n in layer.neurons]), layer.neurons[0].activation)
            for layer in model.layers]


def outputs_on(model, points):
    """An MLP's outputs on many points (rows) in eval mode: ``nn.forward_arrays`` of its
    :func:`layer_matrices`, milliseconds for a grid of 6,400 points where graphs take seconds."""
    import numpy as np

    from .nn import forward_arrays

    return forward_arrays(layer_matrices(model), np.asarray(points, dtype=float),
                          getattr(model, "residual", False))


# ---------------------------------------------------------------- images and confusions
def image_grid(images, titles=(), columns: int = 10, title: str = ""):
    """Square greyscale images (each a flat list of side² pixels, row by row, 0 blank and 1
    full ink) in a grid of ``columns``, each over its entry of ``titles``. One inch per image,
    so the Figure is ``columns`` × (rows + a title's strip) inches. Returns the Figure."""
    images, titles = [list(image) for image in images], list(titles)
    side = math.isqrt(len(images[0])) if images else 1
    if any(len(image) != side * side for image in images) or side < 1:
        raise ValueError("image_grid: every image must be a flat list of side × side pixels")
    columns = checks.whole(columns, "image_grid: columns", low=1)
    rows = max(1, -(-len(images) // columns))
    figure = _figure_class()(figsize=(columns, rows + 0.5))
    panels = figure.subplots(rows, columns, squeeze=False).ravel()
    for i, panel in enumerate(panels):
        if i >= len(images):
            panel.set_axis_off()
            continue
        pixels = [images[i][r * side:(r + 1) * side] for r in range(side)]
        panel.imshow(pixels, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
        panel.set(xticks=[], yticks=[], title=titles[i] if i < len(titles) else "")
        panel.title.set_fontsize(8)
    if not images:
        panels[0].text(0, 0.5, "no images", fontsize=10, transform=panels[0].transAxes)
    figure.suptitle(title)
    figure.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=1 - 0.7 / (rows + 0.5),
                           hspace=0.45)
    return figure


def misclassified(images, y_true, y_pred, limit: int = 40, columns: int = 10, title: str = ""):
    """The images whose predicted label is not the true one (at most ``limit``, in order),
    each titled "true t, pred p": :func:`image_grid` of a classifier's mistakes."""
    _same_length(images, y_true, y_pred, who="misclassified")
    wrong = [i for i, (t, p) in enumerate(zip(y_true, y_pred)) if t != p]
    shown = wrong[:checks.whole(limit, "misclassified: limit", low=0)]
    title = title or (f"misclassified: {len(wrong)} of {len(images)} images"
                      + (f" (the first {len(shown)} shown)" if len(shown) < len(wrong) else ""))
    return image_grid([images[i] for i in shown],
                      [f"true {y_true[i]}, pred {y_pred[i]}" for i in shown], columns, title)


def _same_length(*columns, who: str) -> None:
    if len({len(c) for c in columns}) != 1:
        raise ValueError(f"{who}: expected equally long lists, got lengths "
                         f"{', '.join(str(len(c)) for c in columns)}")


def confusion_counts(y_true, y_pred, classes: int | None = None) -> list:
    """``counts[t][p]``: how many samples of true class t were predicted as p (classes
    0 … classes − 1, default the largest label + 1). The rows sum to each class's size, the
    diagonal to the number predicted right."""
    y_true, y_pred = list(y_true), list(y_pred)
    _same_length(y_true, y_pred, who="confusion_counts")
    classes = (max([*y_true, *y_pred], default=-1) + 1 if classes is None
               else checks.whole(classes, "confusion_counts: classes", low=1))
    counts = [[0] * classes for _ in range(classes)]
    for t, p in zip(y_true, y_pred):
        if not (0 <= t < classes and 0 <= p < classes):
            raise ValueError(f"confusion_counts: labels must be 0 … {classes - 1}, "
                             f"got true {checks.short_repr(t)}, predicted {checks.short_repr(p)}")
        counts[t][p] += 1
    return counts


def confusion_matrix(y_true, y_pred, classes: int | None = None, title: str = "", ax=None):
    """:func:`confusion_counts` drawn as a grid: true class on the rows, predicted class on
    the columns, each cell's count written in it, darker for more. Returns the Figure."""
    counts = confusion_counts(y_true, y_pred, classes)
    (panel,) = _axes(ax, 1, (6, 5))
    panel.imshow(counts, cmap="Blues")
    top = max(max(row) for row in counts) if counts else 0
    for t, row in enumerate(counts):
        for p, n in enumerate(row):
            panel.text(p, t, str(n), ha="center", va="center", fontsize=9,  # zeros faint
                       color="white" if n > top / 2 else "black" if n else "0.7")
    ticks = list(range(len(counts)))
    panel.set(xticks=ticks, yticks=ticks, xlabel="predicted label", ylabel="true label",
              title=title or "confusion matrix")
    return _finish(panel, ax)
