"""Neurons, layers, MLPs, dropout and skip connections."""
import math
import random

import pytest

from tinygrad_edu import nn
from tinygrad_edu.engine import Constant, Value, reverse_topological_order
from tinygrad_edu.nn import MLP, Dropout, Layer, Module, Neuron, Residual, Sequential


# ---------------------------------------------------------------- structure (SPEC "nn")
def test_attributes_and_parameter_order():
    net = MLP(2, [3, 1], seed=0)
    assert len(net.layers) == 2
    assert [len(layer.neurons) for layer in net.layers] == [3, 1]
    expected = []
    for layer in net.layers:                 # layer by layer,
        for n in layer.neurons:              # neuron by neuron,
            expected += n.w + [n.b]          # weights then bias
    assert net.parameters() == expected
    assert all(isinstance(n.w, list) and len(n.w) == 2 for n in net.layers[0].neurons)


def test_parameter_count_is_sum_of_nin_nout_plus_nout():
    assert MLP(2, [16, 16, 1]).num_parameters() == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1) == 337
    assert MLP(3, [4, 4, 1]).num_parameters() == 16 + 20 + 5
    assert Layer(5, 7).num_parameters() == 42
    assert Neuron(4).num_parameters() == 5


def test_deep_learning_closed_formula_undercounts_deep_networks():
    """The "Deep Learning" deck: weights (L−1)·n^(i−1)·n^i + n·k, biases (L−1)·n^i + k. Read with
    the first hidden layer (n^0 = 2, n^1 = 16) for MLP(2, [16, 16, 1]) it gives 99, not 337."""
    n, k, hidden, L_minus_1 = 2, 1, 16, 2
    formula = (L_minus_1 * n * hidden + n * k) + (L_minus_1 * hidden + k)
    assert formula == 99 < MLP(2, [16, 16, 1]).num_parameters()
    # With one width everywhere (the slide's pictures) the layers' sum is what it counts:
    assert MLP(3, [3, 3]).num_parameters() == 2 * 3 * 3 + 2 * 3


def test_mlp_returns_a_value_for_one_output_and_a_list_otherwise():
    assert isinstance(MLP(2, [16, 1, 1])([0.5, -0.5]), Value)  # Layer never unwraps
    out = MLP(2, [4, 3])([0.5, -0.5])
    assert isinstance(out, list) and len(out) == 3
    one = Layer(3, 1)([1.0, 2.0, 3.0])
    assert isinstance(one, list) and len(one) == 1


def test_last_layer_is_linear_by_default():
    net = MLP(2, [3, 2], seed=0)
    assert [layer.activation for layer in net.layers] == ["relu", "linear"]
    x = [0.4, -1.3]
    hidden = [max(0.0, sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data)
              for n in net.layers[0].neurons]
    expected = [sum(w.data * h for w, h in zip(n.w, hidden)) + n.b.data
                for n in net.layers[1].neurons]
    assert [v.data for v in net(x)] == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("activation, g", [
    ("relu", lambda z: max(0.0, z)), ("tanh", math.tanh),
    ("sigmoid", lambda z: 1 / (1 + math.exp(-z))), ("linear", lambda z: z),
    ("leaky_relu", lambda z: z if z > 0 else 0.01 * z)])
def test_neuron_computes_g_of_weighted_sum(activation, g):
    for seed in range(4):
        n = Neuron(3, activation=activation, seed=seed)
        x = [0.7, -1.2, 2.5]
        z = sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data
        assert n(x).data == pytest.approx(g(z), abs=1e-15)


def test_neuron_graph_has_no_more_nodes_than_needed():
    """nin inputs, nin + 1 parameters, nin multiplications, nin additions, one activation."""
    n = Neuron(3, activation="tanh")
    nodes = reverse_topological_order(n([1.0, 2.0, 3.0]))
    assert len(nodes) == 3 + 4 + 3 + 3 + 1
    assert not any(isinstance(v, Constant) for v in nodes)
    linear = reverse_topological_order(Neuron(3, activation="linear")([1.0, 2.0, 3.0]))
    assert len(linear) == 3 + 4 + 3 + 3


def test_inputs_are_wrapped_once_per_layer_call():
    layer = Layer(2, 5)
    outs = layer([1.0, 2.0])
    inputs = {id(v) for out in outs for v in reverse_topological_order(out)
              if v.is_leaf and v.label in ("x1", "x2")}
    assert len(inputs) == 2


def test_initialisation_is_seeded_and_scaled():
    a, b = MLP(4, [8, 1], seed=7), MLP(4, [8, 1], seed=7)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    c = MLP(4, [8, 1], seed=8)
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]
    d = MLP(4, [8, 1], rng=random.Random(7))
    assert [p.data for p in a.parameters()] == [p.data for p in d.parameters()]
    for layer in a.layers:
        bound = 1 / math.sqrt(layer.nin)
        values = [p.data for p in layer.parameters()]
        assert all(-bound <= v <= bound for v in values)
        assert len(set(values)) == len(values)  # no two neurons start alike
    assert max(abs(p.data) for p in a.layers[0].parameters()) > 0.25  # not all tiny


def test_zero_grad_resets_every_parameter():
    net = MLP(2, [3, 1])
    net([1.0, -1.0]).backward()
    assert any(p.grad != 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())


def test_state_dict_names_read_like_code_and_round_trip():
    net = MLP(2, [3, 1], seed=1)
    state = net.state_dict()
    assert list(state)[:3] == ["layers[0].neurons[0].w[0]", "layers[0].neurons[0].w[1]",
                               "layers[0].neurons[0].b"]
    assert state["layers[1].neurons[0].w[2]"] == net.layers[1].neurons[0].w[2].data
    other = MLP(2, [3, 1], seed=2)
    other.load_state_dict(state)
    assert other([0.3, 0.9]).data == net([0.3, 0.9]).data


def test_load_state_dict_checks_everything_before_changing_anything():
    net = MLP(2, [3, 1], seed=1)
    before = [p.data for p in net.parameters()]
    bad = net.state_dict()
    bad["layers[1].neurons[0].b"] = float("nan")
    with pytest.raises(ValueError, match=r"layers\[1\]\.neurons\[0\]\.b.*finite"):
        net.load_state_dict({k: v + 1.0 for k, v in bad.items()})
    missing = net.state_dict()
    del missing["layers[0].neurons[2].b"]
    with pytest.raises(ValueError, match="missing 1"):
        net.load_state_dict(missing)
    assert [p.data for p in net.parameters()] == before


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("build, error, message", [
    (lambda: Neuron(2, activation="relu6"), ValueError, "activation must be one of relu.*'relu6'"),
    (lambda: MLP(2, [3, 1], output_activation="softmax"), ValueError, "output_activation must be"),
    (lambda: Layer(0, 3), ValueError, "nin must be a whole number ≥ 1"),
    (lambda: MLP(2, []), ValueError, "non-empty list"),
    (lambda: MLP(2, [3, 0]), ValueError, "whole number ≥ 1"),
    (lambda: MLP(2, [3], seed=1, rng=random.Random(1)), ValueError, "either seed or rng"),
    (lambda: Dropout(1.0), ValueError, r"p \(a probability\) must be ≥ 0 and < 1"),
    (lambda: Dropout(-0.1), ValueError, r"p \(a probability\) must be ≥ 0"),
    (lambda: Residual(Layer(2, 3)), ValueError, "as many outputs as inputs"),
    (lambda: MLP(2, [3])([1.0, 2.0, 3.0]), ValueError,
     r"MLP\(2, \[3\]\) expects 2 inputs per sample, got 3"),
    (lambda: Layer(2, 3)([1.0]), ValueError, r"Layer\(2, 3\) expects 2 inputs, got 1"),
    (lambda: MLP(2, [3])([1.0, "a"]), TypeError, r"input x\[1\] needs a real number .*got str"),
    (lambda: MLP(2, [3])(1.0), TypeError, "expects a list of 2 numbers"),
    (lambda: Neuron(2)([None, 1.0]), TypeError, r"x\[0\]"),
])
def test_bad_input_gives_a_clear_error(build, error, message):
    with pytest.raises(error, match=message):
        build()


# ---------------------------------------------------------------- dropout
def test_dropout_in_eval_mode_is_the_identity():
    drop = Dropout(0.5).eval()
    xs = [Value(float(i)) for i in range(10)]
    assert drop(xs) is xs


def test_dropout_in_train_mode_zeroes_about_p_and_rescales_the_rest():
    p = 0.3
    drop = Dropout(p, seed=1)
    xs = [Value(1.0 + i % 7) for i in range(20000)]
    ys = drop(xs)
    dropped = [y.data == 0.0 for y in ys]
    assert sum(dropped) / len(ys) == pytest.approx(p, abs=0.015)
    for x, y, d in zip(xs, ys, dropped):
        if not d:
            assert y.data == pytest.approx(x.data / (1 - p), rel=1e-15)
    total = ys[0]
    for y in ys[1:]:
        total = total + y
    total.backward()
    kept_grads = [x.grad for x, d in zip(xs, dropped) if not d]
    assert kept_grads == pytest.approx([1 / (1 - p)] * len(kept_grads), rel=1e-15)
    assert all(x.grad == 0.0 for x, d in zip(xs, dropped) if d)


def test_dropout_with_p_zero_changes_nothing_and_modes_propagate():
    xs = [Value(1.0)]
    assert Dropout(0.0)(xs) is xs
    net = MLP(2, [8, 8, 1], dropout=0.5, seed=3)
    assert net.training and net.dropout.training
    net.eval()
    assert not net.training and not net.dropout.training
    assert not any(layer.training for layer in net.layers)
    plain = MLP(2, [8, 8, 1], seed=3)  # same weights: dropout draws from its own stream
    assert net([0.2, -0.7]).data == plain([0.2, -0.7]).data
    net.train()
    outputs = {net([0.2, -0.7]).data for _ in range(10)}
    assert len(outputs) > 1


# ---------------------------------------------------------------- skip connections
def test_residual_adds_the_input_and_its_gradient_path():
    inner = Layer(2, 2, activation="linear", seed=5)
    block = Residual(inner)
    x = [Value(0.5), Value(-1.5)]
    out = block(x)
    fx = [n.fire(x).data for n in inner.neurons]
    assert [o.data for o in out] == pytest.approx([fx[0] + 0.5, fx[1] - 1.5], abs=1e-15)
    (out[0] + out[1]).backward()
    W = [[w.data for w in n.w] for n in inner.neurons]
    # ∂(Σ out)/∂x_j = 1 (the skip) + Σ_i W_ij (through the layer)
    assert [v.grad for v in x] == pytest.approx([1 + W[0][0] + W[1][0], 1 + W[0][1] + W[1][1]])


def test_sequential_composes_layers_dropout_and_residual_blocks():
    model = Sequential(Layer(2, 4, seed=1), Residual(Layer(4, 4, seed=2)), Dropout(0.2),
                       Layer(4, 1, activation="linear", seed=3))
    assert model.num_parameters() == 12 + 20 + 5
    assert list(model.state_dict())[12] == "layers[1].inner.neurons[0].w[0]"
    model.eval()
    out = model([0.1, 0.2])
    a = model.layers[0]([0.1, 0.2])
    a = [h + ai for h, ai in zip(model.layers[1].inner(a), a)]
    assert out[0].data == pytest.approx(model.layers[3](a)[0].data, abs=1e-15)


def test_mlp_residual_flag_skips_only_where_widths_agree():
    net = MLP(2, [4, 4, 1], residual=True, activation="tanh", seed=6)
    plain = MLP(2, [4, 4, 1], activation="tanh", seed=6)
    x = [0.3, -0.8]
    a1 = plain.layers[0](x)
    a2 = [h + a for h, a in zip(plain.layers[1](a1), a1)]
    assert net(x).data == pytest.approx(plain.layers[2](a2)[0].data, abs=1e-15)


def test_a_custom_module_finds_its_parameters():
    class TwoHeads(Module):
        def __init__(self):
            self.body = Layer(2, 3, seed=1)
            self.heads = [Layer(3, 1, seed=2), Layer(3, 1, seed=3)]

        def forward(self, x):
            h = self.body(x)
            return [head(h)[0] for head in self.heads]

    model = TwoHeads()
    assert model.num_parameters() == 9 + 4 + 4
    assert list(model.state_dict())[-1] == "heads[1].neurons[0].b"
    assert len(model([1.0, 2.0])) == 2
    assert model.architecture()["children"]["heads[1]"]["nout"] == 1


def test_repr_names_the_architecture():
    assert repr(MLP(2, [16, 1])) == ("MLP(2, [16, 1], activation='relu', "
                                     "output_activation='linear')")
    assert repr(Neuron(3, "tanh")) == "Neuron(3, activation='tanh')"


# ---------------------------------------------------------------- the same network on floats
@pytest.mark.parametrize("activation", list(nn.ACTIVATIONS))
def test_forward_floats_gives_the_engines_outputs_exactly(activation):
    net = MLP(3, [5, 4, 2], activation=activation, output_activation=activation, seed=4)
    layers = nn.float_layers(net)
    rng = random.Random(0)
    for _ in range(20):
        x = [rng.uniform(-3, 3) for _ in range(3)]
        assert nn.forward_floats(layers, x) == [v.data for v in net(x)]


def test_float_layers_needs_a_plain_mlp():
    with pytest.raises(TypeError, match="MLP without residual"):
        nn.float_layers(MLP(2, [2, 2, 1], residual=True))
    with pytest.raises(TypeError, match="MLP"):
        nn.float_layers(Layer(2, 2))


def test_booleans_are_one_and_zero_in_sizes_and_seeds_as_everywhere():
    """checks' policy: True is 1. MLP(2, True) was refused as "not a list" while
    MLP(2, [True]) was MLP(2, [1]); data's seed=True was refused while seed=1 was taken."""
    assert MLP(2, True, seed=0).nouts == [1]
    assert [p.data for p in MLP(2, True, seed=True).parameters()] == \
        [p.data for p in MLP(2, 1, seed=1).parameters()]
    from tinygrad_edu import data
    assert data.moons(20, seed=True) == data.moons(20, seed=1)
