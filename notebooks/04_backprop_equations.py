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
# # 4 · Losses and the backpropagation equations
#
# This notebook follows three decks: the **loss-function and backpropagation slides** of the deck
# **"Deep Learning"** ("Loss function", "Output Activation Function", "Backpropagation",
# "Backpropagation Equations", "Gradients w.r.t. output units"); the **stable softmax** of the
# slide "Activation Functions" of **"Foundations of Neural Network and Deep Learning"** (BUSN
# 20800 Lecture 7, Dacheng Xiu); and the slides **"An implementation perspective"**,
# **"Univariate chain rule"**, **"Example: Multilayer Perceptron (multiple outputs)"** and
# **"Computation cost"** of **"Basic Artificial Neural Networks"** (Lecture 2, Lan Xu,
# ShanghaiTech):
#
# 1. information content, entropy and cross-entropy on the "Deep Learning" deck's example;
# 2. why squared error stalls a sigmoid output and cross-entropy does not;
# 3. $\delta$ at the output: $\partial L/\partial z = \hat y - y$ for sigmoid + binary
#    cross-entropy, and $\hat y - e(t)$ for softmax + cross-entropy;
# 4. the "Deep Learning" deck's worked numeric example ($w_{11}^2 \to 12.0028$, $\partial L/\partial w_{11}^1 =
#    -125.874$, $w_{11}^1 \to 1.35874$);
# 5. the stable softmax;
# 6. logistic least squares with an L2 penalty, backward pass in error signals $\delta$;
# 7. the two-layer MLP backward equations, checked against the engine;
# 8. counting the work: backward costs about two multiply-adds per weight to forward's one.
#
# Logs in the library's losses are natural logs; the slides' $\log_2$ only rescales a loss by
# $1/\ln 2$.

# %%
import math

import matplotlib.pyplot as plt

from tinygrad_edu import Value, draw_dot, losses, optim
from tinygrad_edu.nn import MLP

plt.rcParams.update({"figure.figsize": (6, 4), "figure.dpi": 80, "axes.grid": True,
                     "grid.alpha": 0.3})

# %% [markdown]
# ## 1. Information content, entropy, cross-entropy
#
# The "Deep Learning" deck, slides "Loss function": the information content of an event is $IC(A) = -\log_2 p(A)$ (likely events carry
# little information); entropy is the expected information content,
# $-\sum_i p_i \log_2 p_i$; cross-entropy $-\sum_i p_i \log_2 q_i$ measures how well an estimated
# distribution $q$ matches the true one $p$. The slide's example: team B wins,
# $y = [0, 1, 0, 0]$, and we predicted $\hat y = [0.2, 0.1, 0.4, 0.3]$.

# %% tags=["slide-numbers"]
y_true = [0, 1, 0, 0]
y_hat = [0.2, 0.1, 0.4, 0.3]

ic = [-math.log2(p) for p in y_hat]
entropy_pred = sum(p * i for p, i in zip(y_hat, ic))
entropy_true = sum(p * math.log2(1 / p) for p in y_true if p > 0)
cross_entropy_bits = -sum(t * math.log2(q) for t, q in zip(y_true, y_hat))

print("IC(class) = −log2 ŷ      :", [round(v, 3) for v in ic], "bits")
print(f"entropy of ŷ             : {entropy_pred:.3f} bits")
print(f"entropy of y (one-hot)   : {entropy_true:.3f} bits")
print(f"cross-entropy H(y, ŷ)    : {cross_entropy_bits:.3f} bits = −log2 ŷ_t = −log2 0.1")

profit = [10, 5, 8, 1]   # the slide's profit (K) for each team's win
print(f"expected profit under ŷ  : {sum(p * v for p, v in zip(y_hat, profit)):.1f}K "
      f"(actual: {sum(t * v for t, v in zip(y_true, profit))}K)")

assert [round(v, 3) for v in ic] == [2.322, 3.322, 1.322, 1.737]
assert round(entropy_pred, 3) == 1.846 and entropy_true == 0.0
assert round(cross_entropy_bits, 3) == 3.322

# %% [markdown]
# With a one-hot $y$ only the true class $t$ survives: $L = -\log \hat y_t$. The library's
# `losses.cross_entropy` takes logits $z$ (scores before the softmax); feeding it
# $z = \ln \hat y$ (whose softmax is $\hat y$, since $\hat y$ sums to 1) gives the same loss in
# nats, $\ln 10 = 3.322 \times \ln 2$:

# %% tags=["slide-numbers"]
logits = [Value(math.log(p)) for p in y_hat]
L = losses.cross_entropy([logits], [1])          # one sample, true class t = 1 (team B)
print(f"cross_entropy = {L.data:.4f} nats = {L.data / math.log(2):.3f} bits")
assert abs(L.data - math.log(10)) < 1e-12
assert round(L.data / math.log(2), 3) == round(cross_entropy_bits, 3)

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3))
teams = ["A", "B (won)", "C", "D"]
ax1.bar(teams, y_hat, color=["C0", "C3", "C0", "C0"])
ax1.set_title("prediction ŷ")
ax2.bar(teams, ic, color=["C0", "C3", "C0", "C0"])
ax2.set_title("information content −log2 ŷ (bits)")
ax2.axhline(entropy_pred, color="k", ls="--", lw=1, label=f"entropy {entropy_pred:.2f}")
ax2.legend()
plt.tight_layout(); plt.show()


# %% [markdown]
# ## 2. Why squared error stalls a sigmoid output
#
# The "Deep Learning" deck, slide "Loss function" (*problems with squared error loss*): with
# $\hat y = \sigma(z)$ and squared error $L = \tfrac12(\hat y - y)^2$,
#
# $$\frac{\partial L}{\partial w} = (\hat y - y)\,\hat y\,(1 - \hat y)\,x ,$$
#
# so if $y = 1$ and $\hat y \approx 0$ (a confidently wrong output) the factor $\hat y(1-\hat y)$
# is $\approx 0$ and "weight updation becomes very slow". With binary cross-entropy the
# $\hat y (1 - \hat y)$ cancels (section 3): $\partial L/\partial z = \hat y - y \approx -1$. The
# engine measures both, for target $y = 1$, across $z$:

# %%
def output_gradient(z_value, loss):
    z = Value(z_value, "z")
    y_hat = z.sigmoid()
    if loss == "squared error":
        L = 0.5 * (y_hat - 1.0) ** 2
    else:
        L = losses.binary_cross_entropy(y_hat, 1)   # −ln ŷ for y = 1
    L.backward()
    return z.grad

zs = [i / 4 for i in range(-40, 41)]
se = [abs(output_gradient(z, "squared error")) for z in zs]
ce = [abs(output_gradient(z, "cross-entropy")) for z in zs]

fig, ax = plt.subplots()
ax.semilogy(zs, se, label="squared error ½(ŷ − y)²")
ax.semilogy(zs, ce, label="cross-entropy −ln ŷ")
ax.set_xlabel("z (target y = 1)"); ax.set_ylabel("|∂L/∂z|")
ax.set_title("A wrong, saturated sigmoid output: the gradient each loss sends back")
ax.legend(); plt.show()

# %% tags=["slide-numbers"]
for z in (-6.0, 0.0):
    print(f"z = {z:+.0f}:  squared error ∂L/∂z = {output_gradient(z, 'squared error'):+.5f}   "
          f"cross-entropy ∂L/∂z = {output_gradient(z, 'cross-entropy'):+.5f}")
assert abs(output_gradient(-6.0, "squared error")) < 0.01 * abs(output_gradient(-6.0, "cross-entropy"))


# %% [markdown]
# The same in training: one sigmoid neuron $\hat y = \sigma(w x + b)$ with $x = 1$, $y = 1$,
# starting confidently wrong at $w = -6,\ b = 0$, 60 steps of gradient descent with
# $\eta = 0.5$ on each loss:

# %%
def train_neuron(loss, steps=60, lr=0.5):
    w, b = Value(-6.0, "w"), Value(0.0, "b")
    opt = optim.SGD([w, b], lr=lr)
    history = []
    for _ in range(steps):
        y_hat = (w * 1.0 + b).sigmoid()
        history.append(y_hat.data)
        L = 0.5 * (y_hat - 1.0) ** 2 if loss == "squared error" else losses.binary_cross_entropy(y_hat, 1)
        opt.zero_grad(); L.backward(); opt.step()
    return history

runs = {loss: train_neuron(loss) for loss in ("squared error", "cross-entropy")}
fig, ax = plt.subplots()
for loss, history in runs.items():
    ax.plot(history, label=loss)
ax.set_xlabel("step"); ax.set_ylabel("ŷ (target 1)"); ax.legend()
ax.set_title("Squared error barely moves a saturated sigmoid")
plt.show()
print({loss: round(h[-1], 3) for loss, h in runs.items()})
assert runs["squared error"][-1] < 0.1 < 0.9 < runs["cross-entropy"][-1]

# %% [markdown]
# ## 3. $\delta$ at the output
#
# **Sigmoid + binary cross-entropy** (the "Deep Learning" deck, slide "Backpropagation with
# sigmoid output activation & binary cross-entropy loss"): with $L = -y\log\hat y - (1-y)\log(1-\hat y)$
# and $\hat y = \sigma(z)$,
#
# $$\frac{\partial L}{\partial z} = \frac{\partial L}{\partial \hat y}\,\frac{\partial \hat y}{\partial z}
# = \left(\frac{-y}{\hat y} + \frac{1-y}{1-\hat y}\right)\hat y(1-\hat y) = \hat y - y .$$
#
# The engine knows nothing of this simplification: it multiplies the local gradients of $\ln$,
# $-$, $\sigma$ … and lands on $\hat y - y$ anyway.

# %% tags=["slide-numbers"]
for z_value in (-2.0, 0.5, 3.0):
    for y in (0, 1):
        z = Value(z_value, "z")
        y_hat = z.sigmoid()
        L = -(y * y_hat.log() + (1 - y) * (1 - y_hat).log())   # written out, op by op
        L.backward()
        print(f"z = {z_value:+.1f}, y = {y}:  ∂L/∂z = {z.grad:+.6f}   ŷ − y = {y_hat.data - y:+.6f}")
        assert abs(z.grad - (y_hat.data - y)) < 1e-12

# %% [markdown]
# **Softmax + cross-entropy** (the same deck, slides "Gradients w.r.t. output units"): $L = -\log \hat y_t$ with $\hat y = \mathrm{softmax}(z)$
# gives $\partial L/\partial z_i = -(\mathbb 1_{t=i} - \hat y_i)$, i.e.
# $\partial L/\partial z = \hat y - e(t)$. On the three-class scores of the slide "Probabilistic
# outputs" of Lan Xu's deck (cat 3.2, car 5.1, frog −1.7 → probabilities 0.13, 0.87, 0.00) with the true class *cat*:

# %% tags=["slide-numbers"]
z = [Value(3.2, "cat"), Value(5.1, "car"), Value(-1.7, "frog")]
probs = losses.softmax(z)
L = losses.cross_entropy([z], [0])      # true class t = 0 (cat)
L.backward()
p = [pi.data for pi in probs]
print("softmax     =", [round(v, 2) for v in p], f"  L = −ln {p[0]:.2f} = {L.data:.2f}")
print("∂L/∂z       =", [round(zi.grad, 4) for zi in z])
print("ŷ − e(t)    =", [round(v - (i == 0), 4) for i, v in enumerate(p)])
assert [round(v, 2) for v in p] == [0.13, 0.87, 0.0] and round(L.data, 2) == 2.04
assert all(abs(zi.grad - (v - (i == 0))) < 1e-12 for i, (zi, v) in enumerate(zip(z, p)))


# %% [markdown]
# ## 4. The "Deep Learning" deck's worked example
#
# Network $x_1 \to z_1 = w_{11}^1 x_1 + b_1 \to a_1 = \sigma(z_1) \to z_2 = w_{11}^2 a_1 + b_2
# \to \hat y = \sigma(z_2)$, binary cross-entropy with $y = 1$; $x_1 = 60$, $w_{11}^1 = 0.1$,
# $w_{11}^2 = 12$, $\eta = 0.01$.
#
# The slide *gives* the forward results $a_1 = 0.37$ and $\hat y = 0.25$ rather than computing
# them (it also says $z_1 = 0.5$, but $\sigma(0.5) = 0.622$, and without biases
# $\sigma(0.1 \cdot 60) = 0.998$). So we **choose the biases to produce the slide's numbers**:
# $b_1 = \sigma^{-1}(0.37) - 0.1 \cdot 60$ and $b_2 = \sigma^{-1}(0.25) - 12 \cdot 0.37$.
# Everything after that is the engine's own arithmetic.

# %% tags=["slide-numbers"]
def logit(p):
    return math.log(p / (1 - p))

x1 = 60.0
w1, w2 = Value(0.1, "w1"), Value(12.0, "w2")
b1 = Value(logit(0.37) - 0.1 * x1, "b1")      # chosen so that a1 = 0.37
b2 = Value(logit(0.25) - 12.0 * 0.37, "b2")   # chosen so that ŷ = 0.25
print(f"biases: b1 = {b1.data:.4f}, b2 = {b2.data:.4f}")

z1 = w1 * x1 + b1;    z1.label = "z1"
a1 = z1.sigmoid();    a1.label = "a1"
z2 = w2 * a1 + b2;    z2.label = "z2"
y_hat = z2.sigmoid(); y_hat.label = "ŷ"
L = losses.binary_cross_entropy(y_hat, 1);  L.label = "L"
L.backward()

print(f"forward:  a1 = {a1.data:.2f}, ŷ = {y_hat.data:.2f}")
print(f"∂L/∂ŷ  = −y/ŷ = −1/0.25          = {y_hat.grad:.4f}")
print(f"δ2 = ∂L/∂z2 = ŷ − y = 0.25 − 1   = {z2.grad:.4f}")
print(f"∂L/∂w2 = δ2 · a1 = −0.75 · 0.37   = {w2.grad:.4f}")
print(f"δ1 = ∂L/∂z1 = δ2 · w2 · a1(1 − a1) = {z1.grad:.4f}")
print(f"∂L/∂w1 = δ1 · x1 = −0.75·12·0.37·(1 − 0.37)·60 = {w1.grad:.3f}")

assert round(a1.data, 2) == 0.37 and round(y_hat.data, 2) == 0.25
assert round(y_hat.grad, 4) == -4.0 and round(z2.grad, 4) == -0.75
assert round(w2.grad, 4) == -0.2775 and round(w1.grad, 3) == -125.874

# %% [markdown]
# The graph as it stands after the backward pass and **before** the weight update: every node
# shows its value and its gradient $\partial L/\partial v$ — $w_1 = 0.1$ with gradient
# $-125.874$, $w_2 = 12$ with gradient $-0.2775$:

# %%
draw_dot(L, rankdir="TB")

# %% [markdown]
# One gradient-descent step $w \leftarrow w - \eta\,\partial L/\partial w$ with $\eta = 0.01$:

# %% tags=["slide-numbers"]
optim.SGD([w1, w2], lr=0.01).step()
print(f"w2 = 12 − 0.01 · (−0.2775)   = {w2.data:.6f} ≈ {w2.data:.4f}")
print(f"w1 = 0.1 − 0.01 · (−125.874) = {w1.data:.5f}")
assert round(w2.data, 4) == 12.0028
assert round(w1.data, 5) == 1.35874

# %% [markdown]
# $w_{11}^1 = 0.1 + 1.25874 = 1.35874$; the slide prints $1.35$, the same number truncated to two
# decimals. The "Deep Learning" deck's next slide sets an assignment, *compute
# $\partial L/\partial w^1_{13}$*: notebook 8 (section 3) works it out, and exercise 9 asks you
# to.

# %% [markdown]
# ## 5. The stable softmax
#
# The Xiu deck, slide "Activation Functions" (softmax: *may cause numerical overflow*): $e^{z}$
# overflows for large scores, so implementations compute
# $g(z)_i = e^{z_i - z_m} / \sum_j e^{z_j - z_m}$ with $z_m = \max_j z_j$ — the same values (the
# factor $e^{-z_m}$ cancels), but every exponent is $\le 0$. The "Deep Learning" deck's example
# $z = [10, 20, -30]$, and $[1000, 1001]$, where the naive formula fails:

# %% tags=["slide-numbers"]
p = [v.data for v in losses.softmax([10.0, 20.0, -30.0])]
print("softmax([10, 20, −30]) =", [f"{p[0]:.3g}", f"{p[1]:.5f}", f"{p[2]:.3g}"])
assert f"{p[0]:.3g}" == "4.54e-05" and round(p[1], 5) == 0.99995 and f"{p[2]:.3g}" == "1.93e-22"

big = [v.data for v in losses.softmax([1000.0, 1001.0])]
print("softmax([1000, 1001]) =", [round(v, 3) for v in big])
assert [round(v, 3) for v in big] == [0.269, 0.731] and abs(sum(big) - 1) < 1e-15

try:                                    # the naive formula: e^1000 does not fit in a float
    Value(1000.0).exp()
except OverflowError as err:
    print("naive e^1000:", type(err).__name__)

# %% [markdown]
# ## 6. Logistic least squares with an L2 penalty
#
# Lan Xu's univariate example (slides "An implementation perspective" and "Multivariate chain
# rule", *L2-regularized regression*), forward pass
#
# $$z = wx + b,\quad y = \sigma(z),\quad \mathcal L = \tfrac12 (y - t)^2,\quad
# \mathcal R = \tfrac12 w^2,\quad \mathcal L_{\text{reg}} = \mathcal L + \lambda \mathcal R,$$
#
# and the backward pass in *error signals* $\delta_v := \partial \mathcal L_{\text{reg}}/\partial
# v$ — the slide leaves the right-hand sides blank; filled in:
#
# $$\delta_{\mathcal L_{\text{reg}}} = 1,\quad \delta_{\mathcal R} = \lambda\,\delta_{\mathcal L_{\text{reg}}},\quad
# \delta_{\mathcal L} = \delta_{\mathcal L_{\text{reg}}},\quad \delta_y = \delta_{\mathcal L}(y - t),\quad
# \delta_z = \delta_y\,\sigma'(z),\quad \delta_w = \delta_z x + \delta_{\mathcal R} w,\quad \delta_b = \delta_z .$$
#
# $w$ is used twice (in $z$ and in $\mathcal R$), so $\delta_w$ is a sum — the multivariate chain
# rule $\delta_t = \delta_x \frac{dx}{dt} + \delta_y \frac{dy}{dt}$ of the slide.

# %% tags=["slide-numbers"]
x, t, lam = 1.5, 1.0, 0.1
w, b = Value(0.5, "w"), Value(-1.0, "b")
z = w * x + b;            z.label = "z"
y = z.sigmoid();          y.label = "y"
L = 0.5 * (y - t) ** 2;   L.label = "L"
R = 0.5 * w ** 2;         R.label = "R"
L_reg = L + lam * R;      L_reg.label = "L_reg"
L_reg.backward()

# the slide's backward pass, by hand with plain floats
d_Lreg = 1.0
d_R = lam * d_Lreg
d_L = d_Lreg
d_y = d_L * (y.data - t)
d_z = d_y * y.data * (1 - y.data)            # σ'(z) = σ(z)(1 − σ(z))
d_w = d_z * x + d_R * w.data
d_b = d_z

for label, by_hand, node in [("δ_R", d_R, R), ("δ_L", d_L, L), ("δ_y", d_y, y),
                             ("δ_z", d_z, z), ("δ_w", d_w, w), ("δ_b", d_b, b)]:
    print(f"{label} = {by_hand:+.6f}   engine: {node.grad:+.6f}")
    assert abs(by_hand - node.grad) < 1e-15

# %%
draw_dot(L_reg, rankdir="TB")

# %% [markdown]
# ## 7. The two-layer MLP backward equations
#
# Lan Xu's slide "Example: Multilayer Perceptron (multiple outputs)", with sigmoid hidden units and squared error:
#
# | forward | backward |
# |---|---|
# | $z_i = \sum_j w^{(1)}_{ij} x_j + b^{(1)}_i$ | $\bar{\mathcal L} = 1$ |
# | $h_i = \sigma(z_i)$ | $\bar y_k = \bar{\mathcal L}\,(y_k - t_k)$ |
# | $y_k = \sum_i w^{(2)}_{ki} h_i + b^{(2)}_k$ | $\bar w^{(2)}_{ki} = \bar y_k h_i,\quad \bar b^{(2)}_k = \bar y_k$ |
# | $\mathcal L = \tfrac12 \sum_k (y_k - t_k)^2$ | $\bar h_i = \sum_k \bar y_k w^{(2)}_{ki}$ |
# | | $\bar z_i = \bar h_i\,\sigma'(z_i),\quad \bar w^{(1)}_{ij} = \bar z_i x_j,\quad \bar b^{(1)}_i = \bar z_i$ |
#
# (The "Deep Learning" deck's slide "Backpropagation Equations" writes the same recursion as $\delta^l = ((W^{l+1})^\top \delta^{l+1}) \odot
# \sigma'(z^l)$, $\partial L/\partial b^l_j = \delta^l_j$, $\partial L/\partial w^l_{jk} =
# a^{l-1}_k \delta^l_j$.) Below: the equations in NumPy, on the weights of an engine `MLP`,
# against the engine's `backward()`.

# %% tags=["slide-numbers"]
import numpy as np

mlp = MLP(3, [4, 2], activation="sigmoid", seed=0)      # 3 inputs, 4 hidden, 2 linear outputs
x_in, target = [0.5, -1.0, 2.0], [1.0, -1.0]
outputs = mlp(x_in)
L = 0.5 * ((outputs[0] - target[0]) ** 2 + (outputs[1] - target[1]) ** 2)
L.backward()

hidden, top = mlp.layers
W1 = np.array([[w.data for w in n.w] for n in hidden.neurons]); b1 = np.array([n.b.data for n in hidden.neurons])
W2 = np.array([[w.data for w in n.w] for n in top.neurons]);    b2 = np.array([n.b.data for n in top.neurons])
xv, tv = np.array(x_in), np.array(target)

z = W1 @ xv + b1;  h = 1 / (1 + np.exp(-z));  yk = W2 @ h + b2          # forward
y_bar = yk - tv                                                       # backward, as on the slide
W2_bar, b2_bar = np.outer(y_bar, h), y_bar
h_bar = W2.T @ y_bar
z_bar = h_bar * h * (1 - h)
W1_bar, b1_bar = np.outer(z_bar, xv), z_bar

engine = {"W2": [[w.grad for w in n.w] for n in top.neurons], "b2": [n.b.grad for n in top.neurons],
          "W1": [[w.grad for w in n.w] for n in hidden.neurons], "b1": [n.b.grad for n in hidden.neurons]}
equations = {"W2": W2_bar, "b2": b2_bar, "W1": W1_bar, "b1": b1_bar}
for key in engine:
    agree = np.allclose(engine[key], equations[key], rtol=0, atol=1e-12)
    print(f"∂L/∂{key}: shape {np.shape(engine[key])}, equations == engine: {agree}")
    assert agree
print("ȳ =", y_bar.round(4).tolist(), "  z̄ =", z_bar.round(4).tolist())

# %% [markdown]
# ## 8. Counting the work
#
# Lan Xu's slide "Computation cost": *"Forward pass: one add-multiply operation per weight. Backward pass: two add-multiply
# operations per weight."* In the graph a weight $w$ appears in exactly one product node
# $w \cdot a$ (followed by one sum node). Forward computes that product once. Backward sends
# *upstream × local* along **both** of its edges: $\bar w \mathrel{+}= \bar{(wa)}\cdot a$ (the
# weight's gradient) and $\bar a \mathrel{+}= \bar{(wa)}\cdot w$ (passed on to the layer below).
# We measure it: count the operations of a forward pass, then run a reverse sweep that counts
# its multiply-adds, node type by node type.

# %% tags=["slide-numbers"]
from collections import Counter

from tinygrad_edu.engine import topological_order


def count_work(model, x):
    output = model(x)
    nodes = [n for n in topological_order(output) if n.parents]
    forward = Counter(n.op for n in nodes)
    backward = Counter()
    adjoint = {output: 1.0}
    for node in reversed(nodes):                       # the engine's reverse sweep, counted
        for parent, local in zip(node.parents, node.local_grads):
            adjoint[parent] = adjoint.get(parent, 0.0) + local * adjoint.get(node, 0.0)
            backward[node.op] += 1
    return forward, backward

net = MLP(8, [16, 16, 1], seed=0)
forward, backward = count_work(net, [0.1] * 8)
n_weights = len(net.weights())
print(f"MLP(8, [16, 16, 1]): {n_weights} weights, {net.num_parameters()} parameters")
print(f"{'node':>6} {'forward ops':>12} {'backward multiply-adds':>24}")
for op in forward:
    print(f"{op:>6} {forward[op]:>12} {backward[op]:>24}")
print(f"products w·a: forward {forward['×'] / n_weights:.0f} per weight, "
      f"backward {backward['×'] / n_weights:.0f} per weight")
assert forward["×"] == n_weights and backward["×"] == 2 * n_weights

# %% [markdown]
# (The sum nodes' backward steps have local gradient 1 — they only *add* the upstream gradient,
# no multiplication; the activations cost one step per unit.) The slide adds: *for a multilayer
# network the cost is linear in the number of layers, quadratic in the number of units per
# layer* — counted below for width $n$ and depth $L$ (`MLP(n, [n] * L + [1])`):

# %%
widths = [4, 8, 16, 24, 32]
by_width = [sum(count_work(MLP(n, [n, n, 1], seed=0), [0.1] * n)[0].values()) for n in widths]
depths = [1, 2, 3, 4, 5, 6]
by_depth = [sum(count_work(MLP(16, [16] * d + [1], seed=0), [0.1] * 16)[0].values()) for d in depths]

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3))
ax1.plot(widths, by_width, "o-"); ax1.set_xlabel("units per layer n (2 hidden layers)")
ax1.set_ylabel("forward operations"); ax1.set_title("quadratic in width")
ax2.plot(depths, by_depth, "o-"); ax2.set_xlabel("hidden layers L (16 units each)")
ax2.set_title("linear in depth")
plt.tight_layout(); plt.show()
assert by_width[-1] / by_width[-2] > (32 / 24) ** 1.8          # ≈ n², not ≈ n
assert len({b - a for a, b in zip(by_depth, by_depth[1:])}) == 1   # the same cost per layer

# %% [markdown]
# **Summary.** Cross-entropy with its matching output activation sends back the simplest
# possible error signal, $\delta = \hat y - y$ (or $\hat y - e(t)$), which never saturates; the
# backprop equations are the chain rule written layer by layer, and the engine reproduces them
# to the last digit; a backward pass costs about twice a forward pass.
