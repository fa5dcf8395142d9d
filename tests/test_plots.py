"""plots: figures that show the data they were given, without pyplot's global state."""
import math
import sys

import pytest

pytest.importorskip("matplotlib")

from tinygrad_edu import data, fit, optim, plots  # noqa: E402
from tinygrad_edu.nn import MLP  # noqa: E402
from tinygrad_edu.train import History, predict_labels  # noqa: E402


def lines_of(ax) -> dict:
    return {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}


def small_history() -> History:
    return History(loss=[0.9, 0.5, 0.3], accuracy=[0.5, 0.75, 0.9], val_loss=[1.0, 0.6, 0.4],
                   val_accuracy=[0.4, 0.7, 0.85], loss_name="binary cross-entropy")


def test_history_plots_exactly_the_recorded_curves():
    h = small_history()
    figure = plots.history(h, title="a run")
    loss_ax, accuracy_ax = figure.axes
    assert lines_of(loss_ax) == {"training": h.loss, "validation": h.val_loss}
    assert lines_of(accuracy_ax) == {"training": h.accuracy, "validation": h.val_accuracy}
    assert list(loss_ax.get_lines()[0].get_xdata()) == [1, 2, 3]
    assert loss_ax.get_xlabel() == "epoch"
    assert loss_ax.get_ylabel() == "loss (binary cross-entropy)"
    assert accuracy_ax.get_ylabel() == "accuracy"
    assert figure._suptitle.get_text() == "a run"


def test_curves_without_accuracy_have_one_panel_and_custom_epochs():
    figure = plots.training_curves([3.0, 2.0, 1.5], epochs=[0, 5, 10])
    (ax,) = figure.axes
    assert lines_of(ax) == {"training": [3.0, 2.0, 1.5]}
    assert list(ax.get_lines()[0].get_xdata()) == [0, 5, 10]
    assert plots.training_curves([1.0], accuracy=[None]).axes.__len__() == 1  # no labels


def test_curves_refuse_mismatched_epochs():
    with pytest.raises(ValueError, match="2 epochs for 3 losses"):
        plots.training_curves([1.0, 2.0, 3.0], epochs=[1, 2])


def test_drawing_into_the_callers_axes_returns_that_figure():
    from matplotlib.figure import Figure
    figure = Figure()
    left, right = figure.subplots(1, 2)
    assert plots.history(small_history(), axes=[left, right]) is figure
    assert lines_of(right)["validation"] == small_history().val_accuracy


def test_no_pyplot_state_is_touched():
    plots.history(small_history())
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt
        assert plt.get_fignums() == []


@pytest.fixture(scope="module")
def moons_model():
    X, y = data.moons(60, noise=0.1, seed=1)
    model = MLP(2, [8, 1], activation="tanh", seed=0)
    fit(model, X, y, optimizer=optim.Adam(model.parameters(), lr=0.05), epochs=15,
        batch_size=16, progress=False, seed=0)
    return model, X, y


def test_boundary_grid_labels_are_the_models_predictions(moons_model):
    model, X, y = moons_model
    grid = plots.boundary_grid(model, X, resolution=12)
    points = [[a, b] for b in grid.ys for a in grid.xs]
    expected = predict_labels(model, points)
    assert [label for row in grid.labels for label in row] == expected
    assert 0 < sum(expected) < len(expected)  # both classes appear: a real boundary
    # the grid frames the data with a margin
    assert grid.xs[0] < min(p[0] for p in X) and grid.xs[-1] > max(p[0] for p in X)
    assert grid.ys[0] < min(p[1] for p in X) and grid.ys[-1] > max(p[1] for p in X)
    # probability is σ(logit), and the label is 1 exactly where it exceeds ½
    from tinygrad_edu.train import predict
    logit = predict(model, [[grid.xs[3], grid.ys[5]]])[0]
    assert grid.probability[5][3] == pytest.approx(1 / (1 + math.exp(-logit)), rel=1e-12)


def test_boundary_grid_of_a_three_class_model_is_the_argmax():
    model = MLP(2, [4, 3], seed=2)
    grid = plots.boundary_grid(model, [[-1.0, -1.0], [1.0, 1.0]], resolution=7)
    assert grid.probability is None
    points = [[a, b] for b in grid.ys for a in grid.xs]
    assert [label for row in grid.labels for label in row] == predict_labels(model, points)


def test_boundary_grid_refuses_bad_arguments():
    model = MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="at least one point"):
        plots.boundary_grid(model, [])
    with pytest.raises(ValueError, match="resolution"):
        plots.boundary_grid(model, [[0.0, 0.0]], resolution=1)


def test_decision_boundary_draws_the_data_and_the_regions(moons_model):
    model, X, y = moons_model
    X_train, y_train, X_val, y_val = X[:45], y[:45], X[45:], y[45:]
    figure = plots.decision_boundary(model, X_train, y_train, X_val, y_val, title="moons",
                                     resolution=10)
    ax = figure.axes[0]
    assert ax.get_title() == "moons" and ax.get_xlabel() == "x1"
    scattered = {c.get_label(): c.get_offsets().tolist() for c in ax.collections
                 if c.get_label().startswith("class")}
    assert scattered["class 0 (training)"] == [p for p, t in zip(X_train, y_train) if t == 0]
    assert scattered["class 1 (validation)"] == [p for p, t in zip(X_val, y_val) if t == 1]
    assert len(figure.axes) == 2  # the P(class 1) colour bar


def test_save_writes_a_png(tmp_path):
    path = tmp_path / "loss.png"
    plots.save(plots.history(small_history()), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import now fails
    with pytest.raises(plots.PlotsUnavailable, match=r"tinygrad_edu\[plot\]"):
        plots.history(small_history())
    with pytest.raises(ImportError):  # it is an ImportError, for callers that catch those
        plots.training_curves([1.0])


def test_a_model_that_is_not_an_mlp_is_evaluated_by_the_engine():
    from tinygrad_edu.nn import Neuron
    neuron = Neuron(2, activation="linear", seed=3)
    grid = plots.boundary_grid(neuron, [[-1.0, -1.0], [1.0, 1.0]], resolution=6)
    points = [[a, b] for b in grid.ys for a in grid.xs]
    assert [label for row in grid.labels for label in row] == predict_labels(neuron, points)
    assert 0 < sum(map(sum, grid.labels)) < 36  # the line crosses the square
