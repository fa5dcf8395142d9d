# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5 · Neurons, layers and MLPs
#
# This notebook follows the **perceptron and Boolean-function slides of file 002**, the
# **feed-forward network and parameter-count slides of file 001**, the **single-layer networks
# and "limitations of single layer networks" of file 004**, and the **universal-approximation
# pulse and one-vs-rest slides of file 000**:
#
# 1. the perceptron learning rule: it succeeds on linearly separable data and fails on XOR;
# 2. Boolean functions with hand-set weights, and XOR $= (X \lor Y) \land (\lnot X \lor \lnot Y)$;
# 3. `Neuron`, `Layer`, `MLP` and their parameter counts;
# 4. XOR *learned* with one hidden layer;
# 5. a pulse from 4 ReLUs, and a sum of pulses approximating a curve;
# 6. multi-class: one-vs-rest against softmax.

# %%
import math

import matplotlib.pyplot as plt

from tinygrad_edu import data, draw_dot, fit, losses, no_grad, optim
from tinygrad_edu.nn import MLP, Layer, Neuron
from tinygrad_edu.train import accuracy

plt.rcParams.update({"figure.figsize": (6, 4), "figure.dpi": 80, "axes.grid": True,
                     "grid.alpha": 0.3})

import numpy as np


def as_matrices(model):
    """The MLP's layers as (W, b, activation): row i of W is neuron i's weights."""
    return [(np.array([[w.data for w in n.w] for n in layer.neurons]),
             np.array([n.b.data for n in layer.neurons]), layer.activation)
            for layer in model.layers]

ACTIVATE = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh,
            "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)), "linear": lambda z: z}

def forward_matrices(model, points):
    """The same forward pass as the engine, one matrix product per layer (for fast plots)."""
    a = np.asarray(points, dtype=float)
    for W, b, activation in as_matrices(model):
        a = ACTIVATE[activation](a @ W.T + b)
    return a

def plot_boundary(model, X, y, ax=None, title="", steps=100):
    """Decision regions of ``model`` over the data's bounding box, and the data on top."""
    ax = ax or plt.gca()
    X = np.asarray(X)
    (x0, y0), (x1, y1) = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    gx, gy = np.meshgrid(np.linspace(x0, x1, steps), np.linspace(y0, y1, steps))
    out = forward_matrices(model, np.c_[gx.ravel(), gy.ravel()])
    k = out.shape[1]
    region = out.argmax(axis=1) if k > 1 else (out[:, 0] > 0).astype(int)
    classes = max(int(max(y)) + 1, 2)
    ax.contourf(gx, gy, region.reshape(gx.shape), levels=np.arange(classes + 1) - 0.5,
                cmap="coolwarm" if classes == 2 else "viridis", alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=14, edgecolors="k", linewidths=0.4,
               cmap="coolwarm" if classes == 2 else "viridis")
    ax.set_title(title)
    ax.set_xticks([]); ax.set_yticks([])


# %% [markdown]
# ## 1. The perceptron learning rule
#
# Rosenblatt's perceptron (file 002) outputs $\hat y = 1$ if $\theta_0 + \sum_i \theta_i x_i > 0$,
# else $0$. Its learning rule needs no gradient: for each misclassified sample,
# $\theta \leftarrow \theta + \eta\,(y - \hat y)\,x$ (and $\theta_0 \leftarrow \theta_0 + \eta\,(y -
# \hat y)$). If the classes can be separated by a line, it stops making mistakes after finitely
# many updates (file 004: a single neuron "can solve linearly separable problems").

# %% tags=["slide-numbers"]
def perceptron(X, y, epochs=20, lr=1.0):
    theta0, theta = 0.0, [0.0] * len(X[0])
    mistakes = []
    for _ in range(epochs):
        wrong = 0
        for x, target in zip(X, y):
            predicted = int(theta0 + sum(t * xi for t, xi in zip(theta, x)) > 0)
            if predicted != target:
                wrong += 1
                theta0 += lr * (target - predicted)
                theta = [t + lr * (target - predicted) * xi for t, xi in zip(theta, x)]
        mistakes.append(wrong)
    return theta0, theta, mistakes

X_sep, y_sep = data.blobs(n=40, centers=[[-1.0, -1.0], [1.0, 1.0]], std=0.4, seed=0)
X_xor, y_xor = data.xor()

theta0, theta, mistakes_sep = perceptron(X_sep, y_sep)
_, _, mistakes_xor = perceptron(X_xor, y_xor)
print("separable blobs, mistakes per epoch:", mistakes_sep)
print("XOR,             mistakes per epoch:", mistakes_xor)
assert mistakes_sep[-1] == 0 and min(mistakes_xor) > 0

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
Xs = np.array(X_sep)
ax1.scatter(Xs[:, 0], Xs[:, 1], c=y_sep, cmap="coolwarm", edgecolors="k", linewidths=0.4, s=18)
xs = np.linspace(Xs[:, 0].min(), Xs[:, 0].max(), 2)
ax1.plot(xs, -(theta0 + theta[0] * xs) / theta[1], "k-", label="θ0 + θ·x = 0")
ax1.set_title("perceptron on separable data"); ax1.legend()
ax2.plot(mistakes_sep, "o-", label="separable blobs")
ax2.plot(mistakes_xor, "s-", label="XOR")
ax2.set_xlabel("epoch"); ax2.set_ylabel("mistakes"); ax2.legend()
ax2.set_title("XOR: no line, so the rule never settles")
plt.tight_layout(); plt.show()

# %% [markdown]
# Minsky's objection (file 002): *how to represent XOR?* No line puts $(0,1), (1,0)$ on one side
# and $(0,0), (1,1)$ on the other, so the perceptron keeps cycling.
#
# ## 2. Boolean functions by hand-set weights
#
# A neuron with a steep sigmoid $\sigma(k \cdot (\text{weights}\cdot x + b))$ behaves like a
# perceptron: AND has $w = (1, 1),\ b = -1.5$; OR has $w = (1, 1),\ b = -0.5$; NAND (that is,
# $\lnot X \lor \lnot Y$) has $w = (-1, -1),\ b = 1.5$. File 002's construction
# $X \oplus Y = (X \lor Y) \land (\lnot X \lor \lnot Y)$ is a network with one hidden layer: an OR
# unit and a NAND unit, then an AND unit on top. We set the weights of an engine `MLP` by hand
# ($k = 20$):

# %% tags=["slide-numbers"]
k = 20.0
xor_net = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid")
hand_weights = [([1, 1], -0.5),     # hidden unit 1: X ∨ Y
                ([-1, -1], 1.5),    # hidden unit 2: ¬X ∨ ¬Y
                ([1, 1], -1.5)]     # output unit:   h1 ∧ h2
units = xor_net.layers[0].neurons + xor_net.layers[1].neurons
for neuron, (w, b) in zip(units, hand_weights):
    for wi, value in zip(neuron.w, w):
        wi.data = k * value
    neuron.b.data = k * b

print(" X  Y | X∨Y  ¬X∨¬Y | XOR")
for (X1, X2), label in zip(X_xor, y_xor):
    hidden = xor_net.layers[0]([X1, X2])
    out = xor_net([X1, X2])
    print(f" {X1:.0f}  {X2:.0f} |  {hidden[0].data:.0f}     {hidden[1].data:.0f}   |  {out.data:.0f}")
    assert round(out.data) == label

# %%
draw_dot(xor_net([1.0, 0.0]), rankdir="TB", show_grad=False)   # the network for input (1, 0)

# %% [markdown]
# ## 3. `Neuron`, `Layer`, `MLP` and counting parameters
#
# A `Neuron(nin)` computes $a = g(\sum_i w_i x_i + b)$; a `Layer(nin, nout)` is `nout` neurons
# reading the same inputs; an `MLP(nin, [n1, n2, …])` stacks layers (hidden activation ReLU by
# default, last layer linear). A layer from $s_j$ to $s_{j+1}$ units has
# $s_{j+1} \times (s_j + 1)$ parameters (file 000: $\Theta^{(j)}$ has dimension
# $s_{j+1} \times (s_j + 1)$, the $+1$ being the bias), so an MLP has
# $\sum_l (n^{l-1} n^l + n^l)$.

# %% tags=["slide-numbers"]
print(Neuron(3), "→", Neuron(3).num_parameters(), "parameters")
print(Layer(3, 4), "→", Layer(3, 4).num_parameters(), "parameters")
slide_000 = MLP(3, [3, 1])      # file 000: Θ(1) ∈ R^{3×4}, Θ(2) ∈ R^{1×4}
print(slide_000, "→", slide_000.num_parameters(), "parameters = 3·4 + 1·4")
assert Neuron(3).num_parameters() == 4 and Layer(3, 4).num_parameters() == 16
assert slide_000.num_parameters() == 3 * 4 + 1 * 4

def count(nin, nouts):
    sizes = [nin] + nouts
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))

for nin, nouts in [(2, [16, 16, 1]), (4, [4, 4, 3]), (784, [128, 64, 10])]:
    model_count = MLP(nin, nouts).num_parameters() if nin < 100 else count(nin, nouts)
    print(f"MLP({nin}, {nouts}): {model_count} parameters")
    assert model_count == count(nin, nouts)


# %% [markdown]
# **A caution about file 001's closed formula.** File 001 counts, for $L$ layers with $n^i$
# neurons in hidden layer $i$ and $k$ outputs, weights $(L-1)\cdot(n^{i-1} n^i) + n\cdot k$ and
# biases $(L-1)\cdot n^i + k$. That is exact only when every layer — the input included — has the
# same width $n$. For deeper networks with different widths it **undercounts**: a single
# $n^{i-1} n^i$ term cannot stand for every layer, and reading it with the first layer's
# $n^0 n^1$ misses the large hidden-to-hidden matrices.

# %% tags=["slide-numbers"]
def slide_001_formula(n, hidden_layers, k, n_in):
    """File 001's count, reading n^{i-1}·n^i as the first layer's n_in·n."""
    weights = hidden_layers * (n_in * n) + n * k
    biases = hidden_layers * n + k
    return weights + biases

for n_in, n, hidden_layers, k in [(4, 4, 2, 3), (2, 16, 2, 1), (2, 16, 4, 1)]:
    true = MLP(n_in, [n] * hidden_layers + [k]).num_parameters()
    formula = slide_001_formula(n, hidden_layers, k, n_in)
    verdict = "exact" if formula == true else f"undercounts by {true - formula}"
    print(f"MLP({n_in}, {[n] * hidden_layers + [k]}): true {true:4d}, closed formula {formula:4d}  ({verdict})")
assert slide_001_formula(4, 2, 3, 4) == MLP(4, [4, 4, 3]).num_parameters()
assert slide_001_formula(16, 4, 1, 2) < MLP(2, [16] * 4 + [1]).num_parameters()

# %% [markdown]
# ## 4. XOR learned with a hidden layer
#
# Instead of setting weights by hand, let gradient descent find them: `MLP(2, [4, 1])` with tanh
# hidden units, binary cross-entropy on the logit, Adam. A single neuron (`MLP(2, [1])`, no hidden
# layer) trained the same way cannot get all four points right.

# %% tags=["slide-numbers"]
learned = MLP(2, [4, 1], activation="tanh", seed=0)
history = fit(learned, X_xor, y_xor, epochs=150, optimizer=optim.Adam(learned.parameters(), lr=0.1),
              progress=False)
single = MLP(2, [1], seed=0)
history_single = fit(single, X_xor, y_xor, epochs=150, optimizer=optim.Adam(single.parameters(), lr=0.1),
                     progress=False)
print(f"hidden layer of 4: accuracy {accuracy(learned, X_xor, y_xor):.2f}, loss {history.loss[-1]:.4f}")
print(f"single neuron:     accuracy {accuracy(single, X_xor, y_xor):.2f}, loss {history_single.loss[-1]:.4f}")
assert accuracy(learned, X_xor, y_xor) == 1.0 and accuracy(single, X_xor, y_xor) < 1.0

# %%
fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(10, 3))
plot_boundary(single, X_xor, y_xor, ax1, "single neuron: one line")
plot_boundary(learned, X_xor, y_xor, ax2, "one hidden layer (4 tanh)")
ax3.plot(history_single.loss, label="single neuron"); ax3.plot(history.loss, label="hidden layer")
ax3.set_xlabel("epoch"); ax3.set_ylabel("loss"); ax3.legend(); ax3.set_title("training loss")
plt.tight_layout(); plt.show()


# %% [markdown]
# ## 5. Universal approximation: a pulse from 4 ReLUs
#
# File 000's proof sketch. With $g(x) = \max(0, x)$ and $a(x) = g(mx + b)$:
# *combine two ReLUs to get a function stepping up*,
# $\;\text{step}_a(x) = g(m(x - a)) - g(m(x - a) - 1)$, which is 0 left of $a$ and 1 right of
# $a + 1/m$; *getting it to step back down takes another two*,
# $\;\text{pulse}(x) = h\,[\text{step}_a(x) - \text{step}_c(x)]$; *now scale it so they're really
# squished together* (large $m$). As a network: one hidden layer of 4 ReLU units with input
# weights $m$ and biases $-ma,\ -ma - 1,\ -mc,\ -mc - 1$, and a linear output with weights
# $h\cdot(1, -1, -1, 1)$.

# %%
def pulse_network(starts, ends, heights, m):
    """One hidden layer of 4 ReLUs per pulse, a linear output summing the pulses."""
    hidden = Layer(1, 4 * len(starts), activation="relu")
    output = Neuron(4 * len(starts), activation="linear")
    for p, (a, c, h) in enumerate(zip(starts, ends, heights)):
        for u, (bias, sign) in enumerate([(-m * a, 1), (-m * a - 1, -1), (-m * c, -1), (-m * c - 1, 1)]):
            unit = hidden.neurons[4 * p + u]
            unit.w[0].data, unit.b.data = m, bias
            output.w[4 * p + u].data = sign * h
    output.b.data = 0.0
    return lambda x: output(hidden([x]))

xs = [i / 200 for i in range(-40, 281)]          # x from −0.2 to 1.4
fig, ax = plt.subplots()
with no_grad():
    for m in (2, 5, 50):
        net = pulse_network([0.3], [0.8], [1.0], m)
        ax.plot(xs, [net(x).data for x in xs], label=f"m = {m}")
    step = pulse_network([0.3], [10.0], [1.0], 5)   # only the first two ReLUs matter on this range
    ax.plot(xs, [step(x).data for x in xs], "k:", label="two ReLUs: a step up (m = 5)")
ax.set_title("A pulse from 4 ReLUs on [0.3, 0.8]"); ax.legend(fontsize=8, loc="center right"); plt.show()

# %% tags=["slide-numbers"]
with no_grad():
    net = pulse_network([0.3], [0.8], [1.0], 50)
    inside, before, after = net(0.5).data, net(0.2).data, net(1.0).data
print(f"pulse(0.5) = {inside:g} (height), pulse(0.2) = {before:g}, pulse(1.0) = {after:g}")
assert (inside, before, after) == (1.0, 0.0, 0.0)


# %% [markdown]
# *Put together many of these to approximate any function*: $N$ side-by-side pulses, each as
# high as the target at its middle, all in **one** hidden layer of $4N$ ReLUs — a two-layer
# network, as in the theorem. More pulses, smaller error (the caveats on the slide still apply:
# how many neurons, and will training find them?).

# %%
def target(x):
    return math.sin(2 * x) + 0.5 * x

lo, hi = 0.0, 3.0
grid = [0.005 + 2.99 * i / 300 for i in range(301)]   # inside [0, 3], off the two end ramps
errors = {}
fig, ax = plt.subplots()
ax.plot(grid, [target(x) for x in grid], "k", lw=2, label="target sin 2x + x/2")
with no_grad():
    for n_pulses in (5, 15, 40):
        width = (hi - lo) / n_pulses
        starts = [lo + i * width for i in range(n_pulses)]
        ends = [s + width for s in starts]
        heights = [target(s + width / 2) for s in starts]
        net = pulse_network(starts, ends, heights, m=1000 / width)
        approx = [net(x).data for x in grid]
        errors[n_pulses] = max(abs(a - target(x)) for a, x in zip(approx, grid))
        ax.plot(grid, approx, label=f"{n_pulses} pulses ({4 * n_pulses} ReLUs)")
ax.legend(); ax.set_title("A sum of pulses approximating a curve"); plt.show()

# %% tags=["slide-numbers"]
for n_pulses, err in errors.items():
    print(f"{n_pulses:3d} pulses: max error {err:.3f}")
assert errors[5] > errors[15] > errors[40] and errors[40] < 0.1

# %% [markdown]
# ## 6. Several classes: one-vs-rest or softmax
#
# File 000 shows two ways to get $K$ outputs. **One-vs-rest**: $K$ separate binary classifiers
# ("pedestrian or not", "car or not", …), each a sigmoid unit trained on its own yes/no labels,
# and the prediction is the class whose classifier is most confident. **Softmax** (files 000,
# 001, 004): one layer of $K$ scores turned into a probability distribution,
# $P(y = c_j \mid x) = e^{w_j^\top x} / \sum_{j'} e^{w_{j'}^\top x}$, trained with
# cross-entropy. Three blobs in a row, linear models in both cases:

# %% tags=["slide-numbers"]
X3, y3 = data.blobs(n=150, centers=[[-2.0, 0.0], [0.0, 0.0], [2.0, 0.0]], std=0.5, seed=0)

one_vs_rest = []
for c in range(3):
    clf = MLP(2, [1], seed=c)                               # one linear unit: the logit of "class c?"
    fit(clf, X3, [int(label == c) for label in y3], epochs=100,
        optimizer=optim.Adam(clf.parameters(), lr=0.1), progress=False)
    one_vs_rest.append(clf)

softmax_model = MLP(2, [3], seed=0)                          # three scores, softmax in the loss
fit(softmax_model, X3, y3, epochs=100, optimizer=optim.Adam(softmax_model.parameters(), lr=0.1),
    progress=False)

def ovr_scores(x):
    return [clf(x).data for clf in one_vs_rest]

ovr_acc = sum(max(range(3), key=ovr_scores(x).__getitem__) == t for x, t in zip(X3, y3)) / len(y3)
middle_alone = accuracy(one_vs_rest[1], X3, [int(t == 1) for t in y3])
print(f"one-vs-rest accuracy (argmax of 3 classifiers): {ovr_acc:.2f}")
print(f"   the 'middle vs rest' classifier on its own task: {middle_alone:.2f} "
      f"(= always 'not middle': no line separates the middle blob)")
print(f"softmax accuracy: {accuracy(softmax_model, X3, y3):.2f}")

x_probe = [0.0, 0.0]
sig = [1 / (1 + math.exp(-s)) for s in ovr_scores(x_probe)]
soft = [p.data for p in losses.softmax(softmax_model(x_probe))]
print(f"at x = {x_probe}: one-vs-rest σ outputs {[round(p, 2) for p in sig]} sum to {sum(sig):.2f}; "
      f"softmax {[round(p, 2) for p in soft]} sums to {sum(soft):.2f}")
assert ovr_acc > 0.9 and accuracy(softmax_model, X3, y3) > 0.9
assert abs(sum(soft) - 1) < 1e-12 and abs(sum(sig) - 1) > 0.05

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
three = MLP(2, [3])                                     # pack the 3 units into one layer to plot
for neuron, clf in zip(three.layers[0].neurons, one_vs_rest):
    unit = clf.layers[0].neurons[0]
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = unit.w[0].data, unit.w[1].data, unit.b.data
plot_boundary(three, X3, y3, ax1, "one-vs-rest (argmax of 3 sigmoids)")
plot_boundary(softmax_model, X3, y3, ax2, "softmax regression")
plt.tight_layout(); plt.show()

# %% [markdown]
# Both find the three regions here; the differences are in what the outputs mean. One-vs-rest
# outputs are $K$ unrelated probabilities (file 001: "sigmoid — probabilities will be
# $0 < p < 1$ but sum not equal to 1"), and each classifier may face an impossible task of its
# own (the middle blob against the rest); softmax outputs one distribution, trained jointly,
# with the simple output error $\hat y - e(t)$ of notebook 4.
#
# **Summary.** A single neuron draws one line; one hidden layer can represent XOR, and — by
# stacking pulses — any continuous function on an interval. Counting parameters layer by layer
# is always exact.
