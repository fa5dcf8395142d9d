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
# This notebook follows the slides **"Perceptron"**, **"Perceptron: Boolean Functions"** and
# **"MLP for XOR"** of **"Foundations of Neural Network and Deep Learning"** (BUSN 20800
# Lecture 7, Dacheng Xiu); **"Feedforward Neural Network"** and **"Learning parameters"** (the
# parameter count) of **"Deep Learning"**; **"Single neuron as a linear classifier"** and
# **"Limitations of single layer networks"** of **"Basic Artificial Neural Networks"**
# (Lecture 2, Lan Xu, ShanghaiTech); and **"Neural Network"**, **"How to construct a pulse with
# 4 ReLUs"** and **"Multiple Output Units: One-vs-Rest"** of **"Neural Networks"** (Natasha
# Jaques):
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

from tinygrad_edu import Value, data, draw_dot, fit, losses, no_grad, optim, plots
from tinygrad_edu.nn import MLP, Layer, Neuron
from tinygrad_edu.train import accuracy

plt.rcParams.update({"figure.figsize": (6, 4), "figure.dpi": 80, "axes.grid": True,
                     "grid.alpha": 0.3})

import numpy as np

# %% [markdown]
# ## 1. The perceptron learning rule
#
# Rosenblatt's perceptron (Xiu's slide "Perceptron") outputs $\hat y = 1$ if $\theta_0 + \sum_i \theta_i x_i > 0$,
# else $0$. Its learning rule needs no gradient: for each misclassified sample,
# $\theta \leftarrow \theta + \eta\,(y - \hat y)\,x$ (and $\theta_0 \leftarrow \theta_0 + \eta\,(y -
# \hat y)$). If the classes can be separated by a line, it stops making mistakes after finitely
# many updates (Lan Xu: a single neuron "can solve linearly separable problems").

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
# Minsky's objection (Xiu's slide "Perceptron: Boolean Functions"): *how to represent XOR?* No line puts $(0,1), (1,0)$ on one side
# and $(0,0), (1,1)$ on the other, so the perceptron keeps cycling.
#
# ## 2. Boolean functions by hand-set weights
#
# A neuron with a steep sigmoid $\sigma(k \cdot (\text{weights}\cdot x + b))$ behaves like a
# perceptron: AND has $w = (1, 1),\ b = -1.5$; OR has $w = (1, 1),\ b = -0.5$; NAND (that is,
# $\lnot X \lor \lnot Y$) has $w = (-1, -1),\ b = 1.5$. The construction of Xiu's slide "MLP for XOR",
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

# %% [markdown]
# The network for the input $(X, Y) = (1, 0)$. Every weight gets its own name, as in the
# "Deep Learning" deck: $w^l_{ij}$ is the weight into unit $i$ of layer $l$ from unit $j$ of the
# layer below, $b^l_i$ that unit's bias; the two hidden units are $h_1 = X \lor Y$ and
# $h_2 = \lnot X \lor \lnot Y$.

# %%
for layer_number, layer in enumerate(xor_net.layers, start=1):
    for i, neuron in enumerate(layer.neurons, start=1):
        for j, w in enumerate(neuron.w, start=1):
            w.label = f"w{layer_number}_{i}{j}"
        neuron.b.label = f"b{layer_number}_{i}"
X_in, Y_in = Value(1.0, "X"), Value(0.0, "Y")
h1, h2 = xor_net.layers[0]([X_in, Y_in])
h1.label, h2.label = "h1 (OR)", "h2 (NAND)"
xor_out = xor_net.layers[1]([h1, h2])[0]
xor_out.label = "XOR"
draw_dot(xor_out, rankdir="TB", show_grad=False)

# %% [markdown]
# ## 3. `Neuron`, `Layer`, `MLP` and counting parameters
#
# A `Neuron(nin)` computes $a = g(\sum_i w_i x_i + b)$; a `Layer(nin, nout)` is `nout` neurons
# reading the same inputs; an `MLP(nin, [n1, n2, …])` stacks layers (hidden activation ReLU by
# default, last layer linear). A layer from $s_j$ to $s_{j+1}$ units has
# $s_{j+1} \times (s_j + 1)$ parameters (Jaques's slide "Neural Network": $\Theta^{(j)}$ has dimension
# $s_{j+1} \times (s_j + 1)$, the $+1$ being the bias), so an MLP has
# $\sum_l (n^{l-1} n^l + n^l)$.

# %% tags=["slide-numbers"]
print(Neuron(3), "→", Neuron(3).num_parameters(), "parameters")
print(Layer(3, 4), "→", Layer(3, 4).num_parameters(), "parameters")
jaques_net = MLP(3, [3, 1])     # Jaques's "Neural Network": Θ(1) ∈ R^{3×4}, Θ(2) ∈ R^{1×4}
print(jaques_net, "→", jaques_net.num_parameters(), "parameters = 3·4 + 1·4")
assert Neuron(3).num_parameters() == 4 and Layer(3, 4).num_parameters() == 16
assert jaques_net.num_parameters() == 3 * 4 + 1 * 4

def count(nin, nouts):
    sizes = [nin] + nouts
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))

for nin, nouts in [(2, [16, 16, 1]), (4, [4, 4, 3]), (784, [128, 64, 10])]:
    model_count = MLP(nin, nouts).num_parameters() if nin < 100 else count(nin, nouts)
    print(f"MLP({nin}, {nouts}): {model_count} parameters")
    assert model_count == count(nin, nouts)


# %% [markdown]
# **A caution about the "Deep Learning" deck's closed formula.** Its slide "Learning
# parameters" counts, for $L$ layers with $n^i$
# neurons in hidden layer $i$ and $k$ outputs, weights $(L-1)\cdot(n^{i-1} n^i) + n\cdot k$ and
# biases $(L-1)\cdot n^i + k$. That is exact only when every layer — the input included — has the
# same width $n$. For deeper networks with different widths it **undercounts**: a single
# $n^{i-1} n^i$ term cannot stand for every layer, and reading it with the first layer's
# $n^0 n^1$ misses the large hidden-to-hidden matrices.

# %% tags=["slide-numbers"]
def deep_learning_formula(n, hidden_layers, k, n_in):
    """The "Deep Learning" deck's count, reading n^{i-1}·n^i as the first layer's n_in·n."""
    weights = hidden_layers * (n_in * n) + n * k
    biases = hidden_layers * n + k
    return weights + biases

for n_in, n, hidden_layers, k in [(4, 4, 2, 3), (2, 16, 2, 1), (2, 16, 4, 1)]:
    true = MLP(n_in, [n] * hidden_layers + [k]).num_parameters()
    formula = deep_learning_formula(n, hidden_layers, k, n_in)
    verdict = "exact" if formula == true else f"undercounts by {true - formula}"
    print(f"MLP({n_in}, {[n] * hidden_layers + [k]}): true {true:4d}, closed formula {formula:4d}  ({verdict})")
assert deep_learning_formula(4, 2, 3, 4) == MLP(4, [4, 4, 3]).num_parameters()
assert deep_learning_formula(16, 4, 1, 2) < MLP(2, [16] * 4 + [1]).num_parameters()

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

# %% [markdown]
# **Why "accuracy 0.25", and a loss of exactly $\ln 2 = 0.6931$?** A single neuron's logit is
# linear, $z = w_1 x_1 + w_2 x_2 + b$, and on XOR the binary cross-entropy of a linear logit is
# smallest at $w_1 = w_2 = b = 0$: the gradient there is $\sum_i (\sigma(z_i) - y_i)\,
# (1, x_{i1}, x_{i2}) = (\tfrac12 - y_i)$ summed over the four points, and each of the three sums
# is $0$ (two points of each class, and each input is 1 on one point of each class). The loss
# is convex, so that is *the* optimum: the best a linear model can do is to say $\hat y = \tfrac12$
# everywhere — a coin toss, with loss $-\ln \tfrac12 = \ln 2$. Trained, the neuron gets
# there; its logits are zero up to tiny leftovers, and *which side of 0 each leftover falls*
# decides the four labels. Here they happen to come out 1 of 4 right; any other count is
# equally meaningless:

# %% tags=["slide-numbers"]
neuron = single.layers[0].neurons[0]
print("weights and bias:", [f"{p.data:+.1e}" for p in neuron.w + [neuron.b]])
for x, target in zip(X_xor, y_xor):
    z = single(x).data
    print(f"x = {x}: logit {z:+.1e}, σ = {1 / (1 + math.exp(-z)):.4f}, label {int(z > 0)}, "
          f"target {target}")
assert all(abs(p.data) < 1e-2 for p in neuron.w + [neuron.b])
assert abs(history_single.loss[-1] - math.log(2)) < 1e-4

# %%
fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(10, 3))
plots.decision_regions(single, X_xor, y_xor, ax=ax1, title="single neuron: one line")
plots.decision_regions(learned, X_xor, y_xor, ax=ax2, title="one hidden layer (4 tanh)")
ax3.plot(history_single.loss, label="single neuron"); ax3.plot(history.loss, label="hidden layer")
ax3.set_xlabel("epoch"); ax3.set_ylabel("loss"); ax3.legend(); ax3.set_title("training loss")
plt.tight_layout(); plt.show()


# %% [markdown]
# ## 5. Universal approximation: a pulse from 4 ReLUs
#
# The proof sketch of Jaques's slides "Neural Networks are arbitrary function approximators"
# and "How to construct a pulse with 4 ReLUs". With $g(x) = \max(0, x)$ and $a(x) = g(mx + b)$:
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
# Jaques's deck shows two ways to get $K$ outputs (slides "Multiple Output Units: One-vs-Rest"
# and "Multi-class classification: Softmax + Binary Cross-Entropy"). **One-vs-rest**: $K$ separate binary classifiers
# ("pedestrian or not", "car or not", …), each a sigmoid unit trained on its own yes/no labels,
# and the prediction is the class whose classifier is most confident. **Softmax** (the same deck,
# "Deep Learning" and Lan Xu's): one layer of $K$ scores turned into a probability distribution,
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
plots.decision_regions(three, X3, y3, ax=ax1, title="one-vs-rest (argmax of 3 sigmoids)")
plots.decision_regions(softmax_model, X3, y3, ax=ax2, title="softmax regression")
plt.tight_layout(); plt.show()

# %% [markdown]
# Both find the three regions here; the differences are in what the outputs mean. One-vs-rest
# outputs are $K$ unrelated probabilities (the "Deep Learning" deck's slide "Output Activation Function": "sigmoid — probabilities will be
# $0 < p < 1$ but sum not equal to 1"), and each classifier may face an impossible task of its
# own (the middle blob against the rest); softmax outputs one distribution, trained jointly,
# with the simple output error $\hat y - e(t)$ of notebook 4.
#
# **Summary.** A single neuron draws one line; one hidden layer can represent XOR, and — by
# stacking pulses — any continuous function on an interval. Counting parameters layer by layer
# is always exact.
