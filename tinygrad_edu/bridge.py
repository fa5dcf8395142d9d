"""A bridge to PyTorch: the same network as a ``torch.nn.Sequential``, and back.

A scalar engine shows every multiplication; PyTorch does the same arithmetic as one matrix
product per layer. ``to_torch(mlp)`` copies an MLP into ``Linear`` / activation modules
(neuron j's weights become row j of ``Linear.weight``, its bias ``Linear.bias[j]``);
``from_torch(seq)`` reads such a ``Sequential`` back into an ``MLP``. Predictions and
gradients agree to rounding (float64 by default), so a model can be prototyped here, where
every δ can be printed, and trained further there — or the other way round.

PyTorch is optional: it is imported only when these functions run.
"""
from __future__ import annotations

from .nn import MLP, Layer, Module, Sequential
from .nn import Dropout as EngineDropout
from .ops import OPS

__all__ = ["to_torch", "from_torch"]

# activation name ↔ torch.nn module name (linear: no module at all)
_TO_TORCH = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU"}
_FROM_TORCH = {module: name for name, module in _TO_TORCH.items()}
_LEAKY_SLOPE = OPS["leaky_relu"].default  # the slope of nn's leaky_relu activation


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("the PyTorch bridge needs PyTorch, which is not installed: pip "
                          "install torch (the rest of tinygrad_edu works without it)") from None
    return torch


def _layers_of(model) -> list:
    """The model as a flat list of ``Layer`` and ``Dropout`` modules, in order."""
    if isinstance(model, MLP):
        if model.residual and any(layer.nin == layer.nout for layer in model.layers[:-1]):
            raise NotImplementedError("to_torch: a residual MLP (x + layer(x)) has no plain "
                                      "torch.nn.Sequential equivalent")
        dropout = [] if model.dropout is None else [model.dropout]   # after every hidden layer
        hidden = [module for layer in model.layers[:-1] for module in (layer, *dropout)]
        return hidden + model.layers[-1:]
    if isinstance(model, Layer):
        return [model]
    if isinstance(model, Sequential):
        items = []
        for module in model.layers:
            items += _layers_of(module) if isinstance(module, (MLP, Sequential)) else [module]
        for module in items:
            if not isinstance(module, (Layer, EngineDropout)):
                raise TypeError(f"to_torch: cannot translate {module!r}; an MLP, a Layer, or a "
                                f"Sequential of Layers and Dropouts can be translated")
        return items
    raise TypeError(f"to_torch needs an MLP, a Layer or a Sequential of them, got "
                    f"{type(model).__name__}")


def to_torch(model: Module, dtype=None):
    """A ``torch.nn.Sequential`` computing what ``model`` computes, with a copy of its weights.

    ``model`` is an ``MLP`` (or a ``Layer``, or an ``nn.Sequential`` of Layers and Dropouts).
    Each layer becomes ``Linear(nin, nout)`` followed by its activation module (none for
    linear); dropout becomes ``torch.nn.Dropout(p)``. ``dtype`` defaults to float64, the
    engine's precision. The torch model is in the same train/eval mode as ``model``; the two
    share no memory: training one does not change the other.
    """
    torch = _torch()
    dtype = torch.float64 if dtype is None else dtype
    modules = []
    for item in _layers_of(model):
        if isinstance(item, EngineDropout):
            modules.append(torch.nn.Dropout(item.p))
            continue
        linear = torch.nn.Linear(item.nin, item.nout, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in item.neurons],
                                             dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in item.neurons],
                                           dtype=torch.float64))
        modules.append(linear)
        if item.activation == "leaky_relu":
            modules.append(torch.nn.LeakyReLU(_LEAKY_SLOPE))
        elif item.activation != "linear":
            modules.append(getattr(torch.nn, _TO_TORCH[item.activation])())
    seq = torch.nn.Sequential(*modules)
    seq.train(model.training)
    return seq


def _read_torch_layers(seq, torch) -> list:
    """[(Linear, activation name), …] and dropout probabilities, checking the pattern."""
    layers, dropouts = [], []
    bare = False  # the last Linear has no activation yet
    for i, module in enumerate(seq):
        kind = type(module).__name__
        if isinstance(module, torch.nn.Linear):
            layers.append((module, "linear"))
            bare = True
        elif kind in _FROM_TORCH:
            if not bare:
                raise ValueError(f"from_torch: module {i} ({module!r}) is an activation with "
                                 f"no Linear before it")
            if kind == "LeakyReLU" and module.negative_slope != _LEAKY_SLOPE:
                raise ValueError(f"from_torch: module {i} is LeakyReLU with slope "
                                 f"{module.negative_slope}, but the engine's leaky_relu "
                                 f"activation has slope {_LEAKY_SLOPE}")
            layers[-1] = (layers[-1][0], _FROM_TORCH[kind])
            bare = False
        elif isinstance(module, torch.nn.Dropout):
            dropouts.append((len(layers), module.p))
            bare = False
        elif not isinstance(module, torch.nn.Identity):
            raise TypeError(f"from_torch: cannot translate module {i} ({module!r}); "
                            f"Linear, ReLU, Tanh, Sigmoid, LeakyReLU({_LEAKY_SLOPE}), Dropout "
                            f"and Identity can be translated")
    if not layers:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    for (a, _), (b, _) in zip(layers, layers[1:]):
        if a.out_features != b.in_features:
            raise ValueError(f"from_torch: a Linear with {a.out_features} outputs feeds one "
                             f"with {b.in_features} inputs")
    return layers, dropouts


def _copy_weights(layer: Layer, linear) -> None:
    weight = linear.weight.detach().double().tolist()
    bias = (linear.bias.detach().double().tolist() if linear.bias is not None
            else [0.0] * linear.out_features)
    for neuron, row, b in zip(layer.neurons, weight, bias):
        for w, value in zip(neuron.w, row):
            w.data = float(value)
        neuron.b.data = float(b)


def from_torch(seq):
    """An engine model computing what the ``torch.nn.Sequential`` ``seq`` computes.

    ``seq`` is Linear layers, each optionally followed by ReLU / Tanh / Sigmoid /
    LeakyReLU (with the engine's default slope α), with optional Dropout between them. It
    becomes an ``MLP`` when it has that shape (one hidden activation, one dropout
    probability after every hidden layer, any activation on the last layer), else an
    ``nn.Sequential`` of Layers and Dropouts. A Linear without bias gets bias 0. Weights are
    copied as float64.
    """
    torch = _torch()
    if not isinstance(seq, torch.nn.Sequential):
        raise TypeError(f"from_torch needs a torch.nn.Sequential, got {type(seq).__name__}")
    layers, dropouts = _read_torch_layers(seq, torch)
    hidden = {activation for _, activation in layers[:-1]}
    n_hidden = len(layers) - 1
    probabilities = {p for _, p in dropouts}
    regular_dropout = (not dropouts or (
        [position for position, _ in dropouts] == list(range(1, n_hidden + 1))
        and len(probabilities) == 1 and 0.0 < next(iter(probabilities)) < 1.0))
    if len(hidden) <= 1 and regular_dropout:
        model = MLP(layers[0][0].in_features, [lin.out_features for lin, _ in layers],
                    activation=hidden.pop() if hidden else "relu",
                    output_activation=layers[-1][1],
                    dropout=dropouts[0][1] if dropouts else 0.0)
        engine_layers = model.layers
    else:
        engine_layers = [Layer(lin.in_features, lin.out_features, act) for lin, act in layers]
        modules = []
        for i in range(len(layers) + 1):  # the dropouts found before layer i, then layer i
            modules += [EngineDropout(p) for position, p in dropouts if position == i]
            modules += engine_layers[i:i + 1]
        model = Sequential(*modules)
    for layer, (linear, _) in zip(engine_layers, layers):
        _copy_weights(layer, linear)
    model.train(seq.training)
    return model
