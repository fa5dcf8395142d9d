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
# # 8 · The remaining worked examples of the five decks
#
# Notebooks 1–7 follow the decks' main examples. This one works through the rest, one section
# per slide, each checked against the engine:
#
# 1. **"Neural Networks"** (Natasha Jaques), slide **"Backpropagation"**: the $\Delta$/$D$
#    accumulation algorithm — its sign convention and its unregularised bias;
# 2. **"Deep Learning"**, slides **"Multilayer Network"**: a tower function from two sigmoids,
#    and towers adding up to a function;
# 3. **"Deep Learning"**, the **"Assignment: Compute $\partial L/\partial w^1_{13}$"** after the
#    backpropagation worked example;
# 4. **"Foundations of Neural Network and Deep Learning"** (BUSN 20800 Lecture 7, Dacheng
#    Xiu), slide **"MLP: Boolean Functions"**: the larger Boolean-function network;
# 5. **"Basic Artificial Neural Networks"** (Lecture 2, Lan Xu, ShanghaiTech), slide **"Adding
#    one more layer"**: *"Q: What if using linear activation in hidden layer?"*, and slide
#    **"Probabilistic outputs"**: the softmax's exp column;
# 6. **"Neural networks cont'd: learning via gradient descent, backpropagation"**, slides
#    **"Forward Pass"** and **"Backward Pass"**: the vectorised algorithm with the penalty
#    $\lambda\Omega(\theta)$;
# 7. a list of the places where a slide's printed numbers are inconsistent, and what is exact.
#
# The same numbers are asserted by `tests/test_slides_worked_examples.py`.

# %%
import itertools
import math
import random

import matplotlib.pyplot as plt
import numpy as np

from tinygrad_edu import Value, data, fit, losses, optim
from tinygrad_edu.nn import MLP, Neuron
from tinygrad_edu.train import accuracy

plt.rcParams.update({"figure.figsize": (6, 3.5), "figure.dpi": 80, "axes.grid": True,
                     "grid.alpha": 0.3})


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

# %% [markdown]
# ## 1. "Neural Networks" (Natasha Jaques): the $\Delta$/$D$ algorithm
#
# The slide **"Backpropagation"** gives the whole training-set gradient as an algorithm:
#
# > Set $\Delta^{(l)}_{ij} = 0$ for all $l, i, j$. For each training instance $(x_i, y_i)$: set
# > $a^{(1)} = x_i$; compute $a^{(2)}, \dots, a^{(L)}$ by forward propagation; compute
# > $\delta^{(L)} = a^{(L)} - y_i$; compute $\delta^{(L-1)}, \dots, \delta^{(2)}$; accumulate
# > $\Delta^{(l)}_{ij} \mathrel{+}= a^{(l)}_j \delta^{(l+1)}_i$. Then
# > $D^{(l)}_{ij} = \frac1n \Delta^{(l)}_{ij} + \lambda \Theta^{(l)}_{ij}$ if $j \ne 0$, else
# > $\frac1n \Delta^{(l)}_{ij}$.
#
# Two things to notice.
#
# **The sign convention.** The deck writes the loss as $L(y, \hat y) = y\log\hat y + (1 -
# y)\log(1 - \hat y)$ — a log-*likelihood*, without the minus sign of the cross-entropy — and its
# earlier **"Backprop"** slides derive $\delta^{(L+1)} = y - a^{(L+1)}$ from it. The algorithm
# slide uses $\delta^{(L)} = a^{(L)} - y$: the slope of the cross-entropy $-L$, the quantity
# gradient *descent* minimises. Both are right for their own function; the engine shows it:

# %% tags=["slide-numbers"]
for z_value, y in [(-1.3, 1), (0.4, 0)]:
    z = Value(z_value)
    a = z.sigmoid()
    (y * a.log() + (1 - y) * (1 - a).log()).backward()          # the deck's L (log-likelihood)
    z_ce = Value(z_value)
    losses.binary_cross_entropy(z_ce.sigmoid(), y).backward()   # −L, the cross-entropy
    print(f"z = {z_value:+.1f}, y = {y}:  ∂L/∂z = {z.grad:+.4f} = y − a    "
          f"∂(−L)/∂z = {z_ce.grad:+.4f} = a − y")
    assert abs(z.grad - (y - a.data)) < 1e-12 and abs(z_ce.grad - (a.data - y)) < 1e-12

# %% [markdown]
# **The bias is not penalised.** Column $j = 0$ of $\Theta^{(l)}$ multiplies the constant
# $a_0 = 1$ (the "bias unit"), and $D$ adds $\lambda\Theta_{ij}$ only for $j \ne 0$. So $D$ is
# the gradient of
#
# $$J(\Theta) = \frac1n \sum_{i=1}^n \mathrm{CE}\big(y_i, h_\Theta(x_i)\big)
#   + \frac\lambda2 \sum_l \sum_i \sum_{j \ne 0} \big(\Theta^{(l)}_{ij}\big)^2 .$$
#
# (The "cont'd" deck's cost writes the penalty as $\frac{\lambda}{2m}\sum\Theta^2$, whose
# gradient is $\frac{\lambda}{m}\Theta$: the same idea with $\lambda$ scaled by $1/m$.) The
# algorithm in NumPy, with the deck's row-vector convention ($\Theta^{(l)}$ has dimension
# $s_{l+1} \times (s_l + 1)$, column 0 for the bias):

# %%
def jaques_D(thetas, X, Y, lam):
    """The slide's algorithm: accumulate Δ over the training set, then average and penalise."""
    Deltas = [np.zeros_like(T) for T in thetas]
    for x, y in zip(X, Y):
        activations = [np.asarray(x, dtype=float)]
        for T in thetas:                                        # forward propagation
            activations.append(sigmoid(T @ np.r_[1.0, activations[-1]]))
        delta = activations[-1] - y                             # δ(L) = a(L) − y
        for layer in reversed(range(len(thetas))):
            a = np.r_[1.0, activations[layer]]                  # a0 = 1, the bias unit
            Deltas[layer] += np.outer(delta, a)                 # Δij += aj · δi
            if layer:                                           # δ = a(1 − a) Σk δk Θki
                delta = (thetas[layer][:, 1:].T @ delta) * a[1:] * (1 - a[1:])
    Ds = []
    for T, Delta in zip(thetas, Deltas):
        D = Delta / len(X) + lam * T
        D[:, 0] = Delta[:, 0] / len(X)                          # j = 0: no penalty
        Ds.append(D)
    return Ds

# %% [markdown]
# The engine computes the gradient of the same $J$ from the graph, knowing nothing of
# $\Delta$, $\delta$ or the bias rule — a 2-3-1 sigmoid network on the four XOR points,
# $\lambda = 0.1$:

# %% tags=["slide-numbers"]
rng = np.random.default_rng(0)
thetas = [rng.normal(size=(3, 3)), rng.normal(size=(1, 4))]   # Θ(1) ∈ R^{3×3}, Θ(2) ∈ R^{1×4}
X_xor, Y_xor, lam = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0], 0.1

params = [[[Value(float(t)) for t in row] for row in T] for T in thetas]
total = Value(0.0)
for x, y in zip(X_xor, Y_xor):
    a = [Value(float(v)) for v in x]
    for P in params:
        a = [(row[0] + sum(w * ai for w, ai in zip(row[1:], a))).sigmoid() for row in P]
    total = total + losses.binary_cross_entropy(a[0], y)
J = total / len(X_xor) + lam / 2 * sum(w * w for P in params for row in P for w in row[1:])
J.backward()

for layer, (D, P) in enumerate(zip(jaques_D(thetas, X_xor, Y_xor, lam), params), start=1):
    engine = np.array([[w.grad for w in row] for row in P])
    print(f"D({layer}) =\n{D.round(5)}\nengine agrees: {np.allclose(D, engine, rtol=0, atol=1e-12)}")
    assert np.allclose(D, engine, rtol=0, atol=1e-12)

# %% [markdown]
# ## 2. "Deep Learning": a tower from two sigmoids
#
# The slides **"Multilayer Network"** argue the universal-approximation theorem with *tower
# functions*: *"If we take the logistic function and set $w$ to a very high value, we can
# recover step function … adjust $b$ to control position on x-axis … Take two such sigmoid
# functions, with different $b$'s, and subtract them — will get a tower function."* With the
# step at $x = b$ written $\sigma(w(x - b))$:
#
# $$\text{tower}(x) = \sigma\big(w(x - b_1)\big) - \sigma\big(w(x - b_2)\big),\qquad b_1 < b_2 .$$

# %%
def tower(x, w, b1, b2):
    return (w * (x - b1)).sigmoid() - (w * (x - b2)).sigmoid()

xs = np.linspace(0, 1, 401)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
ax1.plot(xs, sigmoid(30 * (xs - 0.3)), label="σ(w(x − 0.3))")
ax1.plot(xs, sigmoid(30 * (xs - 0.6)), label="σ(w(x − 0.6))")
ax1.plot(xs, [tower(Value(x), 30, 0.3, 0.6).data for x in xs], "k", lw=2, label="difference")
ax1.set_title("two sigmoids, w = 30, and their difference"); ax1.legend(fontsize=8)
for w in (10, 30, 300):
    ax2.plot(xs, [tower(Value(x), w, 0.3, 0.6).data for x in xs], label=f"w = {w}")
ax2.set_title("w controls the slope: a tower"); ax2.legend(fontsize=8)
plt.tight_layout(); plt.show()

# %% [markdown]
# The slope at the tower's left edge is $\sigma'(0)\,w = w/4$ (the engine measures it), and with
# $w = 100$ the tower is 1 inside $[0.3, 0.6]$ and 0 outside, to two decimals:

# %% tags=["slide-numbers"]
x = Value(0.3)
tower(x, 100.0, 0.3, 0.6).backward()
inside, left, right = (tower(Value(v), 100.0, 0.3, 0.6).data for v in (0.45, 0.1, 0.9))
print(f"slope at x = b1: {x.grad:.4f} (w/4 = 25)   tower(0.45) = {inside:.4f}, "
      f"tower(0.1) = {left:.1e}, tower(0.9) = {right:.1e}")
assert abs(x.grad - 25) < 1e-4 and inside > 0.99 and left < 0.01 and right < 0.01

# %% [markdown]
# *"A network can add them up to approximate the function"*: $n$ towers side by side, each as
# high as the target at its middle — a hidden layer of $2n$ sigmoid units and a linear output.
# More towers, smaller error:

# %% tags=["slide-numbers"]
def target(x):
    return math.sin(3 * x) + 1

grid = [0.01 + 0.98 * i / 200 for i in range(201)]
fig, ax = plt.subplots()
ax.plot(grid, [target(x) for x in grid], "k", lw=2, label="sin 3x + 1")
for n in (5, 10, 40):
    edges = [i / n for i in range(n + 1)]
    approx = [sum(target((a + b) / 2) * tower(Value(x), 50 * n, a, b).data
                  for a, b in zip(edges, edges[1:])) for x in grid]
    error = max(abs(g - target(x)) for g, x in zip(approx, grid))
    ax.plot(grid, approx, label=f"{n} towers ({2 * n} sigmoids): max error {error:.2f}")
    print(f"{n:2d} towers: max error {error:.3f}")
ax.legend(fontsize=8); ax.set_title("towers adding up to a function"); plt.show()
assert error < 0.15

# %% [markdown]
# ## 3. "Deep Learning": the assignment $\partial L/\partial w^1_{13}$
#
# After the worked example (notebook 4, section 4: $\partial L/\partial w^1_{11} = -125.874$) the
# slide sets an assignment: *compute $\partial L/\partial w^1_{13}$*. In the deck's notation
# $w^1_{13}$ is the weight from input $x_3$ to hidden unit 1 ($z^1_1 = w_{11}x_1 + w_{12}x_2 +
# w_{13}x_3 + b$), so it shares everything with $w^1_{11}$ except the last factor:
#
# $$\frac{\partial L}{\partial w^1_{13}} = \underbrace{(\hat y - y)\, w^2_{11}\, a^1_1(1 - a^1_1)}_{\delta^1_1}
#   \cdot x_3 = -0.75 \cdot 12 \cdot 0.37 \cdot 0.63 \cdot x_3 = -2.0979\, x_3 .$$
#
# The slide gives $x_1 = 60$ but no $x_3$; we take $x_3 = 10$ (and $x_2 = 0$), and as in
# notebook 4 choose the biases so that the forward pass gives the slide's $a^1_1 = 0.37$ and
# $\hat y = 0.25$. Try it yourself first: it is exercise 9 in `notebooks/exercises.ipynb`.

# %% tags=["slide-numbers"]
def logit(p):
    return math.log(p / (1 - p))

x_in = [60.0, 0.0, 10.0]
w1 = [Value(0.1, "w1_11"), Value(0.0, "w1_12"), Value(0.0, "w1_13")]
w2 = Value(12.0, "w2_11")
b1 = Value(logit(0.37) - 0.1 * 60, "b1")     # chosen so that a1 = 0.37
b2 = Value(logit(0.25) - 12 * 0.37, "b2")    # chosen so that ŷ = 0.25
a1 = (sum(w * xi for w, xi in zip(w1, x_in)) + b1).sigmoid()
y_hat = (w2 * a1 + b2).sigmoid()
L = losses.binary_cross_entropy(y_hat, 1)
L.backward()
delta1 = (y_hat.data - 1) * w2.data * a1.data * (1 - a1.data)
print(f"a1 = {a1.data:.2f}, ŷ = {y_hat.data:.2f}")
print(f"δ¹₁ = −0.75 · 12 · 0.37 · 0.63 = {delta1:.4f}")
print(f"∂L/∂w¹₁₁ = δ¹₁ · 60 = {w1[0].grad:.3f}     ∂L/∂w¹₁₃ = δ¹₁ · 10 = {w1[2].grad:.3f}")
assert round(w1[0].grad, 3) == -125.874 and round(w1[2].grad, 3) == -20.979
assert round(delta1, 4) == -2.0979

# %% [markdown]
# ## 4. Xiu: the larger Boolean function
#
# The slide **"MLP: Boolean Functions"** (after **"MLP for XOR"**) draws a network for
#
# $$\big((A \,\&\, \bar X \,\&\, Z) \mid A \,\&\, \bar Y\big) \,\&\, \big((X \,\&\, Y) \mid (\bar X \,\&\, Z)\big)$$
#
# and remarks that *MLPs can represent arbitrarily complex Boolean functions* and that *the
# connections can be sparse*. Reading $\&$ before $\mid$ as usual, one threshold unit per
# term: a first hidden layer of four AND units (a negated input is a weight of $-1$), a second
# of two OR units, and an AND at the output. Each unit is a sigmoid neuron with steep weights
# ($k = 20$ times the perceptron's), and most weights are 0 — the sparse connections:

# %%
def threshold_unit(weights, bias, k=20.0):
    unit = Neuron(len(weights), activation="sigmoid")
    for w, value in zip(unit.w, weights):
        w.data = k * value
    unit.b.data = k * bias
    return unit

#                     A   X   Y   Z
terms = [threshold_unit([1, -1, 0, 1], -1.5),      # A ∧ ¬X ∧ Z
         threshold_unit([1, 0, -1, 0], -0.5),      # A ∧ ¬Y
         threshold_unit([0, 1, 1, 0], -1.5),       # X ∧ Y
         threshold_unit([0, -1, 0, 1], -0.5)]      # ¬X ∧ Z
ors = [threshold_unit([1, 1, 0, 0], -0.5),         # (A ∧ ¬X ∧ Z) ∨ (A ∧ ¬Y)
       threshold_unit([0, 0, 1, 1], -0.5)]         # (X ∧ Y) ∨ (¬X ∧ Z)
out = threshold_unit([1, 1], -1.5)                 # AND of the two

def network(x):
    return out([o([t(x) for t in terms]) for o in ors])

def formula(A, X, Y, Z):
    return ((A and not X and Z) or (A and not Y)) and ((X and Y) or (not X and Z))

# %% tags=["slide-numbers"]
print(" A X Y Z | network | formula")
ones = []
for bits in itertools.product((0, 1), repeat=4):
    y = network([float(b) for b in bits]).data
    expected = bool(formula(*bits))
    print(" " + " ".join(map(str, bits)) + f" |  {y:.3f}  |  {int(expected)}")
    assert abs(y - expected) < 1e-3
    ones += [bits] if expected else []
assert ones == [(1, 0, 0, 1), (1, 0, 1, 1)]

# %% [markdown]
# The network matches the formula on all 16 inputs. The truth table shows something the slide
# does not say: the function is true only when $A = 1$, $X = 0$, $Z = 1$ — it equals
# $A \,\&\, \bar X \,\&\, Z$, which the first hidden unit alone computes. A network that
# *represents* a function need not be the smallest one that does.
#
# ## 5. Lan Xu: linear hidden units, and the softmax's exp column
#
# Slide **"Adding one more layer"** asks: *"Q: What if using linear activation in hidden
# layer?"* Then $h = W_1 x + b_1$ and $y = W_2 h + b_2 = (W_2 W_1)\,x + (W_2 b_1 + b_2)$: the
# two layers are one linear map, whatever the widths. Numerically, on an `MLP(3, [4, 2])` with
# linear hidden units:

# %% tags=["slide-numbers"]
net = MLP(3, [4, 2], activation="linear", seed=0)
W1 = np.array([[w.data for w in n.w] for n in net.layers[0].neurons])
b1 = np.array([n.b.data for n in net.layers[0].neurons])
W2 = np.array([[w.data for w in n.w] for n in net.layers[1].neurons])
b2 = np.array([n.b.data for n in net.layers[1].neurons])
W, b = W2 @ W1, W2 @ b1 + b2
rng = random.Random(0)
worst = 0.0
for _ in range(20):
    x = [rng.uniform(-3, 3) for _ in range(3)]
    worst = max(worst, np.abs(np.array([o.data for o in net(x)]) - (W @ x + b)).max())
print(f"W = W2·W1 =\n{W.round(4)}\nb = W2·b1 + b2 = {b.round(4)}")
print(f"largest difference between the network and the single map on 20 inputs: {worst:.1e}")
assert worst < 1e-12

# %% [markdown]
# So a linear hidden layer adds parameters but no power: like a single neuron, it cannot learn
# XOR (at best 3 of the 4 points), while the same network with tanh hidden units can:

# %% tags=["slide-numbers"]
X, y = data.xor()
for activation in ("linear", "tanh"):
    model = MLP(2, [8, 1], activation=activation, seed=0)
    fit(model, X, y, epochs=200, optimizer=optim.Adam(model.parameters(), lr=0.05),
        progress=False)
    print(f"hidden activation {activation:6s}: XOR accuracy {accuracy(model, X, y):.2f}")
    assert (accuracy(model, X, y) <= 0.75) == (activation == "linear")

# %% [markdown]
# Slide **"Probabilistic outputs"** turns the scores of three classes (cat 3.2, car 5.1,
# frog −1.7) into probabilities in two columns: **exp** gives the unnormalised probabilities
# 24.5, 164.0, 0.18, and **normalize** divides by their sum, giving 0.13, 0.87, 0.00.

# %% tags=["slide-numbers"]
scores = [Value(3.2, "cat"), Value(5.1, "car"), Value(-1.7, "frog")]
exps = [s.exp().data for s in scores]
probs = [p.data for p in losses.softmax(scores)]
for s, e, p in zip(scores, exps, probs):
    print(f"{s.label:5s} score {s.data:+.1f}   exp {e:8.3f}   normalised {p:.5f}")
print(f"sum of the exp column: {sum(exps):.2f}")
assert [round(exps[0], 1), round(exps[1], 1), round(exps[2], 2)] == [24.5, 164.0, 0.18]
assert [round(p, 2) for p in probs] == [0.13, 0.87, 0.0]

# %% [markdown]
# (`losses.softmax` subtracts the largest score before exponentiating — the stable form of the
# Xiu deck — so its intermediate exponentials are $e^{3.2 - 5.1}$, $e^0$, $e^{-6.8}$; the
# probabilities are the same.)
#
# ## 6. "Neural networks cont'd": the vectorised pass with $\lambda\Omega$
#
# Slides **"Forward Pass"** and **"Backward Pass"** (the algorithm of Goodfellow et al.'s book):
#
# * forward: $h^{(0)} = x$; for $k = 1 \dots l$: $a^{(k)} = b^{(k)} + W^{(k)} h^{(k-1)}$,
#   $h^{(k)} = f(a^{(k)})$; $\hat y = h^{(l)}$; $J = L(\hat y, y) + \lambda\Omega(\theta)$;
# * backward: $g \leftarrow \nabla_{\hat y} J$; for $k = l \dots 1$:
#   $g \leftarrow g \odot f'(a^{(k)})$;
#   $\nabla_{b^{(k)}} J = g + \lambda \nabla_{b^{(k)}}\Omega$;
#   $\nabla_{W^{(k)}} J = g\, h^{(k-1)\top} + \lambda \nabla_{W^{(k)}}\Omega$;
#   $g \leftarrow W^{(k)\top} g$.
#
# With $f = \sigma$, $L = \tfrac12\lVert \hat y - y\rVert^2$ and the weight penalty
# $\Omega = \tfrac12\sum_k \lVert W^{(k)}\rVert^2$ (no bias term, so $\nabla_b\Omega = 0$ and
# $\nabla_W\Omega = W$), in NumPy, for a 3-4-4-2 network:

# %%
def contd_pass(Ws, bs, x, y, lam):
    hs, As = [np.asarray(x, dtype=float)], []
    for W, b in zip(Ws, bs):                                  # forward
        As.append(b + W @ hs[-1])
        hs.append(sigmoid(As[-1]))
    J = 0.5 * np.sum((hs[-1] - y) ** 2) + lam * 0.5 * sum(np.sum(W * W) for W in Ws)
    g = hs[-1] - y                                            # ∇ŷ J
    grads_W, grads_b = [None] * len(Ws), [None] * len(Ws)
    for k in reversed(range(len(Ws))):                        # backward
        g = g * hs[k + 1] * (1 - hs[k + 1])                   # g ⊙ f′(a(k)), σ′ = σ(1 − σ)
        grads_b[k] = g                                        # + λ ∇b Ω = 0
        grads_W[k] = np.outer(g, hs[k]) + lam * Ws[k]         # g h(k−1)ᵀ + λ ∇W Ω
        g = Ws[k].T @ g                                       # W(k)ᵀ g
    return J, grads_W, grads_b

rng = np.random.default_rng(1)
sizes = [3, 4, 4, 2]
Ws = [rng.normal(size=(m, n)) for n, m in zip(sizes, sizes[1:])]
bs = [rng.normal(size=m) for m in sizes[1:]]
x, y, lam = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0]), 0.01
J_np, grads_W, grads_b = contd_pass(Ws, bs, x, y, lam)

# %% [markdown]
# The engine builds the same $J$ from scalars and runs `backward()`:

# %% tags=["slide-numbers"]
VW = [[[Value(float(w)) for w in row] for row in W] for W in Ws]
Vb = [[Value(float(v)) for v in vec] for vec in bs]
h = [Value(float(v)) for v in x]
for W, b in zip(VW, Vb):
    h = [(bi + sum(w * hj for w, hj in zip(row, h))).sigmoid() for row, bi in zip(W, b)]
J = 0.5 * sum((hk - float(yk)) ** 2 for hk, yk in zip(h, y)) \
    + lam * 0.5 * sum(w * w for W in VW for row in W for w in row)
J.backward()
print(f"J: NumPy {J_np:.6f}, engine {J.data:.6f}")
for k in range(len(Ws)):
    same_W = np.allclose([[w.grad for w in row] for row in VW[k]], grads_W[k], rtol=0, atol=1e-12)
    same_b = np.allclose([v.grad for v in Vb[k]], grads_b[k], rtol=0, atol=1e-12)
    print(f"layer {k + 1}: ∇W agrees {same_W}, ∇b agrees {same_b}")
    assert same_W and same_b and abs(J_np - J.data) < 1e-12

# %% [markdown]
# ## 7. Where the slides' numbers are inconsistent
#
# | deck, slide | what it prints | what is exact |
# |---|---|---|
# | "Neural Networks" (Jaques), "Autodiff" | $v_5 = v_4 - v_3 = 10.693 + 0.959$ | the same number: $v_3 = \sin 5 = -0.959$ is substituted with its sign folded in, so the *subtraction* shows as $+\,0.959$; the node is still $v_4 - v_3$, with local gradient $-1$ for $v_3$ (notebook 1) |
# | "Neural Networks" (Jaques), "Backprop" vs "Backpropagation" | $L = y\log\hat y + (1-y)\log(1-\hat y)$, $\delta = y - a$; then $\delta = a - y$ | the first is a log-likelihood and its slope, the second the slope of the cross-entropy (section 1) |
# | "Neural Networks" (Jaques), "Multi-class classification" | "Softmax + Binary Cross-Entropy" | the formula $-\sum_j y_j \log \hat y_j$ is the categorical cross-entropy |
# | "Deep Learning", backpropagation worked example | $z^1_1 = 0.5$, $a^1_1 = 0.37$ | $\sigma(0.5) = 0.622$: the forward values are given, not computed; the notebooks choose biases that produce $a^1_1 = 0.37$ and $\hat y = 0.25$ (notebook 4) |
# | "Deep Learning", same example | $w^{1*}_{11} = 1.35$ | $0.1 + 1.25874 = 1.35874$, truncated (notebook 4) |
# | "Deep Learning", "Learning parameters" | $\min \frac1N \sum\sum (\hat y - y)$ "sum of squared error" | the square is missing: $(\hat y^i_j - y^i_j)^2$ |
# | "Deep Learning", parameter count | weights $(L-1)(n^{i-1}n^i) + nk$ | exact only when all layers have the same width (notebook 5) |
# | "Foundations …" (Xiu), "MLP: Boolean Functions" | a 7-unit network | the function equals $A \,\&\, \bar X \,\&\, Z$ (section 4) |
