"""The PyTorch bridge: to_torch(mlp) and from_torch(seq) compute the same predictions and
the same gradients, and a round trip engine → PyTorch → engine changes nothing."""
import random
import sys

import pytest
from conftest import need

torch = need("torch")

from tinygrad_edu import Value, nn  # noqa: E402
from tinygrad_edu.bridge import from_torch, to_torch  # noqa: E402
from tinygrad_edu.nn import MLP, Dropout, Layer, Sequential  # noqa: E402

ACTIVATIONS = list(nn.ACTIVATIONS)


def batch(nin, n=6, seed=0):
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)]


def engine_outputs(model, X):
    outs = []
    for x in X:
        y = model(x)
        outs.append([v.data for v in y] if isinstance(y, list) else [y.data])
    return outs


def engine_loss_and_grads(model, X):
    """Σ over the batch of Σ outputs² / 2, its gradient for every parameter and input."""
    inputs = [[Value(v) for v in x] for x in X]
    loss = 0.0
    for x in inputs:
        y = model(x)
        for v in (y if isinstance(y, list) else [y]):
            loss = loss + v * v * 0.5
    model.zero_grad()
    loss.backward()
    return loss.data, [p.grad for p in model.parameters()], [[v.grad for v in x] for x in inputs]


def torch_loss_and_grads(seq, X):
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    seq.zero_grad()
    loss = (seq(x) ** 2 * 0.5).sum()
    loss.backward()
    grads = []
    for module in seq:
        if isinstance(module, torch.nn.Linear):
            for j in range(module.out_features):          # neuron by neuron, weights then bias
                grads += module.weight.grad[j].tolist() + [module.bias.grad[j].item()]
    return loss.item(), grads, x.grad.tolist()


# ---------------------------------------------------------------- engine → PyTorch
def test_to_torch_builds_linear_and_activation_modules_with_the_same_weights():
    model = MLP(3, [4, 2], activation="tanh", seed=3)
    seq = to_torch(model)
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "Linear"]
    first = seq[0]
    assert (first.in_features, first.out_features) == (3, 4)
    assert first.weight.dtype == torch.float64
    for j, neuron in enumerate(model.layers[0].neurons):       # neuron j is row j
        assert first.weight[j].tolist() == [w.data for w in neuron.w]
        assert first.bias[j].item() == neuron.b.data
    assert sum(p.numel() for p in seq.parameters()) == model.num_parameters() == 26


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("output_activation", ["linear", "sigmoid", "tanh"])
def test_to_torch_predictions_and_gradients_agree(activation, output_activation):
    model = MLP(3, [5, 4, 2], activation=activation, output_activation=output_activation,
                seed=7)
    seq = to_torch(model)
    X = batch(3)
    expected = seq(torch.tensor(X, dtype=torch.float64)).tolist()
    got = engine_outputs(model, X)
    for row_got, row_expected in zip(got, expected):
        assert row_got == pytest.approx(row_expected, rel=1e-12, abs=1e-14)
    loss, grads, input_grads = engine_loss_and_grads(model, X)
    t_loss, t_grads, t_input_grads = torch_loss_and_grads(seq, X)
    assert loss == pytest.approx(t_loss, rel=1e-12)
    assert grads == pytest.approx(t_grads, rel=1e-10, abs=1e-13)
    for a, b in zip(input_grads, t_input_grads):
        assert a == pytest.approx(b, rel=1e-10, abs=1e-13)


def test_a_single_output_mlp_and_a_layer_translate():
    model = MLP(2, [3, 1], seed=1)
    seq = to_torch(model)
    x = [0.3, -0.7]
    assert model(x).data == pytest.approx(seq(torch.tensor(x, dtype=torch.float64)).item(),
                                          rel=1e-13)
    layer = Layer(2, 3, activation="sigmoid", seed=2)
    seq = to_torch(layer)
    assert [type(m).__name__ for m in seq] == ["Linear", "Sigmoid"]
    assert [v.data for v in layer(x)] == \
        pytest.approx(seq(torch.tensor(x, dtype=torch.float64)).tolist(), rel=1e-13)


def test_to_torch_copies_so_training_one_leaves_the_other_alone():
    model = MLP(2, [3, 1], seed=4)
    before = [p.data for p in model.parameters()]
    seq = to_torch(model)
    with torch.no_grad():
        for p in seq.parameters():
            p.add_(1.0)
    assert [p.data for p in model.parameters()] == before
    assert from_torch(seq).parameters()[0].data == before[0] + 1.0


def test_to_torch_float32_on_request():
    seq = to_torch(MLP(2, [2], seed=0), dtype=torch.float32)
    assert seq[0].weight.dtype == torch.float32


# ---------------------------------------------------------------- the round trips
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_round_trip_engine_torch_engine_preserves_predictions_and_gradients(activation):
    model = MLP(3, [6, 6, 2], activation=activation, output_activation="sigmoid", seed=11)
    back = from_torch(to_torch(model))
    assert isinstance(back, MLP)
    assert back.architecture() == model.architecture()
    assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]
    X = batch(3, seed=5)
    assert engine_outputs(back, X) == engine_outputs(model, X)      # bit for bit
    assert engine_loss_and_grads(back, X) == engine_loss_and_grads(model, X)


def test_round_trip_torch_engine_torch_preserves_the_weights():
    torch.manual_seed(0)
    seq = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8),
                              torch.nn.ReLU(), torch.nn.Linear(8, 3)).double()
    model = from_torch(seq)
    assert isinstance(model, MLP) and model.nouts == [8, 8, 3]
    assert (model.activation, model.output_activation) == ("relu", "linear")
    again = to_torch(model)
    for a, b in zip(seq.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)
    X = batch(4, seed=9)
    expected = seq(torch.tensor(X, dtype=torch.float64)).tolist()
    for got, want in zip(engine_outputs(model, X), expected):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-14)
    assert engine_loss_and_grads(model, X)[1] == \
        pytest.approx(torch_loss_and_grads(seq, X)[1], rel=1e-10, abs=1e-13)


def test_a_model_trained_in_torch_comes_back_with_what_it_learned():
    # XOR: train in PyTorch, then predict with the engine
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    y = [0.0, 1.0, 1.0, 0.0]
    model = MLP(2, [8, 1], activation="tanh", seed=2)
    seq = to_torch(model)
    opt = torch.optim.Adam(seq.parameters(), lr=0.05)
    xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    for _ in range(300):
        opt.zero_grad()
        loss = ((seq(xt).squeeze(1) - yt) ** 2).mean()
        loss.backward()
        opt.step()
    assert loss.item() < 1e-3
    trained = from_torch(seq)
    predictions = [trained(x).data for x in X]
    assert predictions == pytest.approx(seq(xt).squeeze(1).tolist(), rel=1e-12, abs=1e-14)
    assert [round(p) for p in predictions] == [0, 1, 1, 0]
    assert [round(model(x).data) for x in X] != [0, 1, 1, 0]      # the original never trained


def test_from_torch_float32_model_gets_its_weights_exactly():
    torch.manual_seed(1)
    seq = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1))
    model = from_torch(seq)
    assert model.layers[0].neurons[1].w[0].data == seq[0].weight[1, 0].item()
    x = [0.25, -1.5]
    assert model(x).data == pytest.approx(seq(torch.tensor(x)).item(), rel=1e-6)


# ---------------------------------------------------------------- dropout, modes, other shapes
def test_dropout_and_modes_cross_over():
    model = MLP(3, [5, 5, 1], activation="relu", dropout=0.25, seed=3)
    seq = to_torch(model)
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Dropout", "Linear", "ReLU",
                                               "Dropout", "Linear"]
    assert seq[2].p == 0.25 and seq.training
    back = from_torch(seq)
    assert isinstance(back, MLP) and back.dropout.p == 0.25
    model.eval()
    seq = to_torch(model)
    assert not seq.training and not from_torch(seq).training
    X = batch(3, seed=2)
    expected = seq(torch.tensor(X, dtype=torch.float64)).tolist()
    for got, want in zip(engine_outputs(model, X), expected):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-14)


def test_mixed_activations_become_a_sequential_of_layers():
    torch.manual_seed(2)
    seq = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Dropout(0.1),
                              torch.nn.Linear(4, 4), torch.nn.LeakyReLU(0.01),
                              torch.nn.Linear(4, 2, bias=False), torch.nn.Identity()).double()
    seq.eval()
    model = from_torch(seq)
    assert isinstance(model, Sequential)
    assert [repr(m) for m in model.layers] == [
        "Layer(2, 4, activation='tanh')", "Dropout(p=0.1)",
        "Layer(4, 4, activation='leaky_relu')", "Layer(4, 2, activation='linear')"]
    assert [n.b.data for n in model.layers[-1].neurons] == [0.0, 0.0]   # no bias: bias 0
    X = batch(2, seed=4)
    expected = seq(torch.tensor(X, dtype=torch.float64)).tolist()
    for got, want in zip(engine_outputs(model, X), expected):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-14)
    back = to_torch(model)
    assert [type(m).__name__ for m in back] == ["Linear", "Tanh", "Dropout", "Linear",
                                                "LeakyReLU", "Linear"]
    assert to_torch(Sequential(Layer(2, 2, seed=0), Dropout(0.5)))[-1].p == 0.5


# ---------------------------------------------------------------- clear errors
def test_what_cannot_cross_says_so():
    with pytest.raises(NotImplementedError, match="residual"):
        to_torch(MLP(2, [3, 3, 1], residual=True))
    with pytest.raises(TypeError, match="needs an MLP"):
        to_torch("mlp")
    with pytest.raises(TypeError, match="needs a torch.nn.Sequential"):
        from_torch(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="slope 0.2"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LeakyReLU(0.2)))
    with pytest.raises(TypeError, match="Conv1d"):
        from_torch(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 1)))
    with pytest.raises(ValueError, match="no Linear before it"):
        from_torch(torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 2)))
    with pytest.raises(ValueError, match="3 outputs feeds one with 4 inputs"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)))
    with pytest.raises(ValueError, match="no Linear layer"):
        from_torch(torch.nn.Sequential(torch.nn.Dropout(0.5)))


def test_without_pytorch_the_message_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)       # import torch now fails
    with pytest.raises(ImportError, match="pip install torch"):
        to_torch(MLP(2, [1]))
    with pytest.raises(ImportError, match="pip install torch"):
        from_torch(object())
