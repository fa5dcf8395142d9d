"""plots.outputs_on and decision_regions: the matrix forward pass equals the engine's."""
import numpy as np
import pytest

from tinygrad_edu import data, plots
from tinygrad_edu.nn import MLP, Neuron
from tinygrad_edu.train import predict

pytest.importorskip("matplotlib")


@pytest.mark.parametrize("kwargs", [
    {"activation": "relu"}, {"activation": "tanh"}, {"activation": "sigmoid"},
    {"activation": "leaky_relu", "output_activation": "sigmoid"}, {"activation": "linear"},
    {"activation": "tanh", "residual": True}, {"activation": "relu", "dropout": 0.5},
])
def test_outputs_on_equals_the_engines_forward(kwargs):
    model = MLP(2, [5, 5, 3], seed=1, **kwargs)
    points = [[0.3 * i - 1.0, 0.7 - 0.2 * j] for i in range(7) for j in range(6)]
    np.testing.assert_allclose(plots.outputs_on(model, points), predict(model, points),
                               rtol=1e-12, atol=1e-12)
    assert model.training or not kwargs.get("dropout")   # eval mode did not stick


def test_layer_matrices_are_the_slides_W_and_b():
    model = MLP(3, [4, 2], seed=0)
    (W1, b1, g1), (W2, b2, g2) = plots.layer_matrices(model)
    assert W1.shape == (4, 3) and b1.shape == (4,) and W2.shape == (2, 4)
    assert (g1, g2) == ("relu", "linear")
    assert W1[2, 1] == model.layers[0].neurons[2].w[1].data
    with pytest.raises(TypeError, match="needs an nn.MLP"):
        plots.layer_matrices(Neuron(2))


def test_decision_regions_draws_training_and_validation_points():
    X, y = data.moons(40, noise=0.2, seed=0)
    model = MLP(2, [8, 1], seed=0)
    figure = plots.decision_regions(model, X[:30], y[:30], X[30:], y[30:], title="moons")
    (panel,) = figure.axes
    sizes = [len(c.get_offsets()) for c in panel.collections if hasattr(c, "get_offsets")
             and len(c.get_offsets())]
    assert sum(sizes) >= 40 and panel.get_title() == "moons"
    assert [t.get_text() for t in panel.get_legend().get_texts()][-1] == "class 1 (validation)"
