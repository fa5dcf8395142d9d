"""The floor: the moons training step written by hand in plain Python floats.

No graph, no autodiff: the forward pass keeps each layer's activations, the backward pass is
the two-layer-MLP backward equations of Lan Xu's deck written out (δ = upstream × relu'(z), then
∂L/∂w = δ·a and the δ of the layer below = Σ w·δ), and the update is SGD. It computes what
the engine's step computes — max-margin loss (1 − y·score).relu() averaged over the batch, plus
α × the sum of every parameter squared — and skips work a hand-writer would skip: samples
outside the margin and dead relu units contribute no gradient. The compiled tape is measured
against this (target: no slower than 2× this step).
"""
from __future__ import annotations


def weights_of(model) -> list:
    """A ``tinygrad_edu.nn.MLP``'s parameters as plain floats: layers → neurons → [w…, b]."""
    return [[[w.data for w in neuron.w] + [neuron.b.data] for neuron in layer.neurons]
            for layer in model.layers]


def step(layers: list, X: list, Y: list, lr: float, alpha: float = 1e-4) -> float:
    """One full-batch step in place on ``layers``; returns the loss before the update.

    ``layers[l][j]`` is neuron j of layer l as ``[w_0, …, w_{nin−1}, b]``; hidden layers
    use relu, the last is linear with one output; ``Y`` holds ±1 labels.
    """
    grads = [[[0.0] * len(neuron) for neuron in layer] for layer in layers]
    n = len(X)
    last = len(layers) - 1
    data_loss = 0.0
    for x, y in zip(X, Y):
        acts = [x]                                   # forward: keep every layer's output
        for li, layer in enumerate(layers):
            a_in = acts[-1]
            out = []
            for neuron in layer:
                z = neuron[-1]
                for w, a in zip(neuron, a_in):
                    z += w * a
                out.append(z if li == last or z > 0.0 else 0.0)
            acts.append(out)
        margin = 1.0 - y * acts[-1][0]
        if margin <= 0.0:                            # outside the margin: no loss, no gradient
            continue
        data_loss += margin
        deltas = [-y / n]                            # ∂L/∂score for this sample
        for li in range(last, -1, -1):                # backward, layer by layer
            a_in = acts[li]
            back = [0.0] * len(a_in)
            for neuron, g, d in zip(layers[li], grads[li], deltas):
                if d == 0.0:                         # a dead relu passes nothing back
                    continue
                for k, a in enumerate(a_in):
                    g[k] += d * a
                    back[k] += d * neuron[k]
                g[-1] += d
            if li:
                deltas = [b if a > 0.0 else 0.0 for b, a in zip(back, a_in)]
    penalty = 0.0
    for layer, g_layer in zip(layers, grads):        # + α Σ w², then the SGD update
        for neuron, g in zip(layer, g_layer):
            for k, w in enumerate(neuron):
                penalty += w * w
                neuron[k] = w - lr * (g[k] + 2.0 * alpha * w)
    return data_loss / n + alpha * penalty
