"""Neurons, layers and multilayer perceptrons built from ``Value`` nodes.

A neuron computes the slides' aggregation and activation, ``a = g(z)`` with
``z = Σᵢ wᵢ·xᵢ + b``; a layer is a list of neurons reading the same inputs; an MLP is a
sequence of layers, ``ŷ = g(W³ g(W² g(W¹x + b¹) + b²) + b³)`` ("Deep Learning"). Nothing here
differentiates anything: ``backward`` on the loss sends δ = upstream × local down through
the very nodes these modules create, and each parameter's ``.grad`` is ∂L/∂w. ``Dropout``
and ``Residual`` are the lectures' remedies for training trouble.
"""
from __future__ import annotations

import math
import numbers
import operator
import random

from . import checks, data, serialize
from .engine import Constant, Value
from .ops import OPS

__all__ = ["Module", "Neuron", "Layer", "MLP", "Dropout", "Residual", "Sequential",
           "ACTIVATIONS", "float_layers", "forward_floats", "array_activation", "forward_arrays"]

ACTIVATIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,  # slope α for negative z: the op's default α
    "linear": None,                  # a = z: no activation node at all
}
"""Activation name → the ``Value`` method that applies it (``None``: linear, a = z). The one
list of activations: the command line, the playground and the bridge to PyTorch read it."""


def float_activation(name):
    """The activation ``name`` as a float → float function from the op table (None for
    linear); an op with a default operand (leaky_relu's α) gets that default."""
    if ACTIVATIONS[name] is None:
        return None
    forward, default = OPS[name].forward, OPS[name].default
    operands = () if default is None else (default,)
    return lambda a: forward(a, *operands)[0]


def array_activation(name):
    """The activation ``name`` on numpy arrays (None for linear): its op row's numpy form
    (``Op.array``, with the row's default operand), else the row's float function element by
    element. The same numbers as the engine's, to the last bit or so (numpy's ``tanh`` is not
    ``math.tanh``), for many points at once: pictures and counting right answers."""
    import numpy as np

    if ACTIVATIONS[name] is None:
        return None
    op = OPS[name]
    if op.array is None:
        return np.vectorize(float_activation(name), otypes=[float])
    operands = () if op.default is None else (op.default,)
    return lambda z: op.array(np, z, *operands)[0]


def float_layers(model) -> list:
    """An MLP's weights as plain floats: [(W, b, activation or None), ...] per layer, to
    evaluate it many times without building graphs (pictures, accuracies)."""
    if not isinstance(model, MLP) or model.residual:
        raise TypeError(f"float_layers needs an MLP without residual links, "
                        f"got {checks.short_repr(model, 60)}")
    return [([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons],
             float_activation(layer.activation)) for layer in model.layers]


def forward_floats(layers: list, x) -> list:
    """The network's outputs for one input as floats (dropout off): the same sums in the
    same order as ``Neuron.fire`` (Σ wᵢ·xᵢ, then + b), so they agree with the engine."""
    a = x
    mul = operator.mul
    for W, b, g in layers:
        z = [sum(map(mul, wj, a)) + bj for wj, bj in zip(W, b)]
        a = z if g is None else [g(v) for v in z]
    return a


def forward_arrays(layers: list, X, residual: bool = False):
    """An MLP's outputs for the rows of X at once: per layer z = a·Wᵀ + b, then the activation's
    numpy form. ``layers`` is [(W, b, activation name), ...] in numpy arrays; ``residual``
    adds a square hidden layer's input (a + f(a)), as ``MLP.forward`` does. The engine's
    outputs to rounding (about 1e-15), for many points at once: pictures, counting answers."""
    a = X
    for i, (W, b, name) in enumerate(layers):
        z, g = a @ W.T + b, array_activation(name)
        out = z if g is None else g(z)
        if residual and i < len(layers) - 1 and W.shape[0] == W.shape[1]:
            out = out + a
        a = out
    return a


def _make_rng(seed, rng, who: str) -> random.Random:
    """The random source for initialisation: ``rng`` if given, else ``Random(seed)``."""
    if rng is not None and seed is not None:
        raise ValueError(f"{who}: give either seed or rng, not both")
    return data.random_source(0 if seed is None else seed, rng, who)


_INPUT_LABELS = tuple(f"x{i}" for i in range(1, 257))
"""x1 … x256, built once: formatting a label for every input of every sample costs more
than the lookup (a third of ``_as_inputs``' time)."""


def _as_inputs(x, nin: int, who: str) -> list:
    """``x`` as a list of ``nin`` Values: plain numbers become input leaves x1, x2, … once."""
    if isinstance(x, (Value, numbers.Real)) and nin == 1:
        x = [x]
    if not isinstance(x, (list, tuple)):
        raise TypeError(f"{who} expects a list of {nin} numbers, got {type(x).__name__} "
                        f"{checks.short_repr(x, 60)}")
    if len(x) != nin:
        raise ValueError(f"{who} expects {nin} inputs, got {len(x)}")
    labels = _INPUT_LABELS if nin <= len(_INPUT_LABELS) else [f"x{i + 1}" for i in range(nin)]
    return [xi if isinstance(xi, Value)
            else Value(checks.real(xi, f"{who}: input x[{i}]"), labels[i])
            for i, xi in enumerate(x)]


class Module:
    """Anything with parameters: ``parameters()``, ``zero_grad()``, train/eval modes, saving.

    Sub-modules are found in the attributes (a Module, or a list of Modules), in the order
    they were assigned, so ``parameters()`` lists them layer by layer. A subclass writes
    ``forward``; calling the module calls it.
    """

    training = True

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} must define forward(x)")

    # ------------------------------------------------------------------ the module tree
    def named_children(self):
        """(name, module) for each sub-module held in an attribute, e.g. ("layers[0]", …)."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}[{i}]", item

    def _own_parameters(self):
        """(name, Value) for parameters held directly by this module (not by children)."""
        return ()

    def named_modules(self):
        """(path, module) for this module and every module below it, in order (iterative)."""
        stack = [("", self)]
        while stack:
            path, module = stack.pop()
            yield path, module
            children = [(f"{path}.{name}" if path else name, child)
                        for name, child in module.named_children()]
            stack.extend(reversed(children))

    def named_parameters(self) -> list:
        """(name, Value) for every parameter, named as code reads it:
        ``layers[0].neurons[2].w[1]``."""
        named, seen = [], set()
        for path, module in self.named_modules():
            for name, p in module._own_parameters():
                if id(p) not in seen:  # a module used twice still has its parameters once
                    seen.add(id(p))
                    named.append((f"{path}.{name}" if path else name, p))
        return named

    def parameters(self) -> list:
        """Every parameter, layer by layer, neuron by neuron, weights then bias."""
        return [p for _, p in self.named_parameters()]

    def weights(self) -> list:
        """The weights only (no biases): what the penalties R(W) of Lan Xu's deck sum over."""
        return [p for name, p in self.named_parameters() if not name.endswith(".b")
                and name != "b"]

    def num_parameters(self) -> int:
        """How many numbers training adjusts."""
        return len(self.parameters())

    def zero_grad(self) -> None:
        """Set every parameter's ∂L/∂w back to 0 before the next backward pass."""
        for p in self.parameters():
            p.grad = 0.0

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> "Module":
        """Training mode (dropout active) for this module and all below it; returns self."""
        mode = checks.flag(mode, "train: mode")
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self) -> "Module":
        """Evaluation mode: dropout becomes the identity. Returns self."""
        return self.train(False)

    # ------------------------------------------------------------------ describing, saving
    def architecture(self) -> dict:
        """A JSON-ready description of the shape of this module (not its weights)."""
        return {"type": type(self).__name__,
                "children": {name: child.architecture() for name, child in self.named_children()}}

    def state_dict(self) -> dict:
        """Parameter name → value (a float), in ``parameters()`` order."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state) -> "Module":
        """Set every parameter from ``state``; checks everything first, so a bad ``state``
        (missing or extra names, a non-number, nan or inf) raises and changes nothing."""
        named = self.named_parameters()
        values = serialize.check_state(state, [name for name, _ in named])
        for (_, p), value in zip(named, values):
            p.data = value
        return self

    def save(self, path) -> None:
        """Write architecture and weights to ``path`` as JSON, atomically (temp file + rename)."""
        serialize.save(self.architecture(), self.state_dict(), path)

    def load(self, path, verify_checksum: bool = True) -> "Module":
        """Load weights saved by ``save`` into this module. A file of another architecture,
        a corrupted or truncated file, or nan/inf weights raise ``ModelFileError`` and
        change nothing. ``verify_checksum=False`` accepts a hand-edited file."""
        names = [name for name, _ in self.named_parameters()]
        state = serialize.load(path, self.architecture(), names, verify_checksum)
        return self.load_state_dict(state)


class Neuron(Module):
    """One unit: aggregation z = Σᵢ wᵢ·xᵢ + b, then activation a = g(z).

    Backward through it is the slide's δ rule: δ_z = δ_a · g'(z), ∂L/∂wᵢ = δ_z · xᵢ,
    ∂L/∂b = δ_z, and δ_z · wᵢ flows on to input i. The weighted sum costs exactly nin
    multiplications and nin additions — the fewest two-operand nodes that can compute it.

    Weights and bias start uniform in [−1/√nin, 1/√nin], so z keeps about the scale of the
    inputs however many there are (a zero bias would leave ReLU units dead on an all-zero
    input such as XOR's (0, 0)); ``seed`` or ``rng`` makes it reproducible.
    """

    def __init__(self, nin, activation="relu", seed=None, rng=None):
        self.nin = checks.whole(nin, "Neuron: nin", low=1)
        self.activation = checks.one_of(activation, ACTIVATIONS, "Neuron: activation")
        self._activate = ACTIVATIONS[self.activation]
        rng = _make_rng(seed, rng, "Neuron")
        bound = 1.0 / math.sqrt(self.nin)
        self.w = [Value(rng.uniform(-bound, bound), f"w{i + 1}") for i in range(self.nin)]
        self.b = Value(rng.uniform(-bound, bound), "b")

    def forward(self, x) -> Value:
        return self.fire(_as_inputs(x, self.nin, f"Neuron({self.nin})"))

    def fire(self, xs) -> Value:
        """a = g(Σ wᵢ·xᵢ + b) for a list of exactly nin Values (no checks: the fast path)."""
        w = self.w
        z = w[0] * xs[0]
        for i in range(1, len(w)):
            z = z + w[i] * xs[i]
        z = z + self.b
        activate = self._activate
        return z if activate is None else activate(z)

    def _own_parameters(self):
        return [(f"w[{i}]", wi) for i, wi in enumerate(self.w)] + [("b", self.b)]

    def architecture(self) -> dict:
        return {"type": "Neuron", "nin": self.nin, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """nout neurons reading the same nin inputs: z = W·a + b, then g elementwise.

    Always returns a list of nout Values, even when nout is 1, so layers compose
    (an ``MLP(2, [16, 1, 1])`` feeds a one-element list to its last layer).
    """

    def __init__(self, nin, nout, activation="relu", seed=None, rng=None):
        self.nin = checks.whole(nin, "Layer: nin", low=1)
        self.nout = checks.whole(nout, "Layer: nout", low=1)
        self.activation = checks.one_of(activation, ACTIVATIONS, "Layer: activation")
        rng = _make_rng(seed, rng, "Layer")
        self.neurons = [Neuron(self.nin, activation, rng=rng) for _ in range(self.nout)]

    def forward(self, x) -> list:
        xs = _as_inputs(x, self.nin, f"Layer({self.nin}, {self.nout})")
        return [neuron.fire(xs) for neuron in self.neurons]

    def architecture(self) -> dict:
        return {"type": "Layer", "nin": self.nin, "nout": self.nout,
                "activation": self.activation}

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multilayer perceptron: layers of sizes ``nouts`` on ``nin`` inputs.

    Hidden layers use ``activation``; the last uses ``output_activation`` (linear by
    default: its outputs are logits or real values; the loss adds σ or softmax). Returns a
    single Value when the last layer has one output, else a list.

    ``dropout=p`` drops hidden units with probability p in training mode; ``residual=True``
    adds a skip connection a + layer(a) around every hidden layer whose input and output
    widths agree (a shorter path for δ to reach the early layers).

    Parameter count: Σ over layers of (nin·nout + nout). The "Deep Learning" formula,
    (L−1)·n^(i−1)·n^i + n·k weights and (L−1)·n^i + k biases, holds when every layer has
    the same width, as drawn on the slide; for deeper networks of different widths it
    undercounts: read with the first hidden layer's n^0·n^1, MLP(2, [16, 16, 1]) would get
    2·(2·16) + 2·1 = 66 weights and 2·16 + 1 = 33 biases (99 in all), but it has
    (2·16 + 16) + (16·16 + 16) + (16·1 + 1) = 337.
    """

    def __init__(self, nin, nouts, activation="relu", output_activation="linear", seed=None,
                 rng=None, dropout=0.0, residual=False):
        self.nin = checks.whole(nin, "MLP: nin", low=1)
        if isinstance(nouts, numbers.Integral):  # one layer; True is 1 (checks.whole)
            nouts = [nouts]
        if not isinstance(nouts, (list, tuple)) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes, "
                             f"got {checks.short_repr(nouts)}")
        self.nouts = [checks.whole(n, "MLP: each layer size in nouts", low=1) for n in nouts]
        self.activation = checks.one_of(activation, ACTIVATIONS, "MLP: activation")
        self.output_activation = checks.one_of(output_activation, ACTIVATIONS,
                                               "MLP: output_activation")
        self.residual = checks.flag(residual, "MLP: residual")
        rng = _make_rng(seed, rng, "MLP")
        sizes = [self.nin] + self.nouts
        last = len(self.nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1],
                             output_activation if i == last else activation, rng=rng)
                       for i in range(len(self.nouts))]
        self.dropout = Dropout(dropout, rng=random.Random(rng.random())) if dropout else None

    def forward(self, x):
        if isinstance(x, (list, tuple)) and len(x) != self.nin:
            raise ValueError(f"MLP({self.nin}, {self.nouts}) expects {self.nin} inputs per "
                             f"sample, got {len(x)}")
        a = x
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            out = layer(a)
            if i < last:
                if self.dropout is not None:
                    out = self.dropout(out)
                if self.residual and layer.nin == layer.nout:
                    out = [o + ai for o, ai in zip(out, a)]  # skip connection: a + f(a)
            a = out
        return a[0] if len(a) == 1 else a

    def architecture(self) -> dict:
        return {"type": "MLP", "nin": self.nin, "nouts": list(self.nouts),
                "activation": self.activation, "output_activation": self.output_activation,
                "dropout": self.dropout.p if self.dropout is not None else 0.0,
                "residual": self.residual}

    def __repr__(self) -> str:
        extra = ""
        if self.dropout is not None:
            extra += f", dropout={self.dropout.p}"
        if self.residual:
            extra += ", residual=True"
        return (f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}{extra})")


class Dropout(Module):
    """Inverted dropout: in training mode each unit is zeroed with probability p and the
    others are scaled by 1/(1 − p), so the expected value is unchanged; in eval mode it is
    the identity (returns its input as is). Dropped units get no gradient (δ = 0)."""

    def __init__(self, p=0.5, seed=None, rng=None):
        self.p = checks.in_range(p, "Dropout: p (a probability)", 0.0, 1.0, high_open=True)
        self.rng = _make_rng(seed, rng, "Dropout")

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        single = isinstance(x, Value)
        units = [x] if single else x
        scale = 1.0 / (1.0 - self.p)
        draw, p = self.rng.random, self.p
        out = [Constant(0.0) if draw() < p else xi * scale for xi in units]
        return out[0] if single else out

    def architecture(self) -> dict:
        return {"type": "Dropout", "p": self.p}

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class Residual(Module):
    """A skip connection around ``inner``: x ↦ x + inner(x), elementwise.

    The + node is a gradient distributor: δ reaches x both through ``inner`` and directly,
    so deep stacks keep a path on which gradients neither vanish nor explode.
    """

    def __init__(self, inner: Module):
        if not isinstance(inner, Module):
            raise TypeError(f"Residual wraps a Module, got {type(inner).__name__}")
        nin, nout = getattr(inner, "nin", None), getattr(inner, "nout", None)
        if nin is not None and nout is not None and nin != nout:
            raise ValueError(f"Residual: x + f(x) needs as many outputs as inputs, "
                             f"but {inner!r} maps {nin} to {nout}")
        self.inner = inner

    def forward(self, x):
        fx = self.inner(x)
        xs = [x] if isinstance(x, (Value, numbers.Real)) else x
        fxs = [fx] if isinstance(fx, Value) else fx
        if len(fxs) != len(xs):
            raise ValueError(f"Residual: x has {len(xs)} entries but f(x) has {len(fxs)}")
        out = [fi + xi for fi, xi in zip(fxs, xs)]
        return out[0] if isinstance(fx, Value) else out

    def __repr__(self) -> str:
        return f"Residual({self.inner!r})"


class Sequential(Module):
    """Modules applied one after another: ``Sequential(Layer(2, 8), Dropout(0.1), Layer(8, 1))``."""

    def __init__(self, *modules):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} is a {type(m).__name__}, not a Module")
        if not modules:
            raise ValueError("Sequential needs at least one module")
        self.layers = list(modules)

    def forward(self, x):
        for module in self.layers:
            x = module(x)
        return x

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(repr(m) for m in self.layers) + ")"
