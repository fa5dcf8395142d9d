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
# # 6 · Training: optimizers, gradients and regularization
#
# This notebook follows the slides **"Stochastic Gradient Descent"**, **"Optimization
# “Tricks”"**, **"Regularization “Tricks”"** and **"Early Stopping"** of **"Foundations of
# Neural Network and Deep Learning"** (BUSN 20800 Lecture 7, Dacheng Xiu) (gradient descent,
# minibatches and epochs, learning-rate decay, Adam, dropout, L1/L2, early stopping); the
# slides **"Multi-layer Neural Network - Activation functions"** and **"Common training
# issues"** of **"Neural Networks"** (Natasha Jaques) (vanishing and exploding gradients, ReLU
# vs sigmoid, gradient clipping); and **"L1 vs L2 regularization"** and **"Optimization:
# gradient descent"** of **"Basic Artificial Neural Networks"** (Lecture 2, Lan Xu,
# ShanghaiTech); on two toy data sets, *moons* and *spirals*:
#
# 1. full-batch gradient descent vs minibatch SGD;
# 2. learning-rate decay $\eta_0 e^{-\kappa t}$ and $\eta_0/(1 + \kappa t)$;
# 3. momentum and Adam, on one plot;
# 4. vanishing gradients: gradient size per layer, deep sigmoid vs ReLU;
# 5. gradient clipping;
# 6. dropout, and early stopping with training and validation curves;
# 7. L1 vs L2: Lan Xu's example, and the sparsity they give trained weights;
# 8. decision boundaries throughout.
#
# Every run is seeded, so the numbers below are the same on every machine and every run.

# %%
import math
import random

import matplotlib.pyplot as plt

from tinygrad_edu import Value, data, fit, losses, optim, plots
from tinygrad_edu.nn import MLP

plt.rcParams.update({"figure.figsize": (6, 4), "figure.dpi": 80, "axes.grid": True,
                     "grid.alpha": 0.3})

import numpy as np

# %%
X_moons, y_moons = data.moons(100, noise=0.15, seed=0)
X_spiral, y_spiral = data.spirals(n_per_class=30, k=3, noise=0.2, seed=0)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.5))
for ax, (X, y, title) in zip((ax1, ax2), [(X_moons, y_moons, "moons (2 classes)"),
                                          (X_spiral, y_spiral, "spirals (3 classes)")]):
    X = np.array(X)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=14, cmap="viridis", edgecolors="k", linewidths=0.4)
    ax.set_title(title)
plt.tight_layout(); plt.show()


# %% [markdown]
# ## 1. Full-batch gradient descent vs minibatch SGD
#
# Gradient descent $\theta_{t+1} = \theta_t - \eta\,\nabla L(\theta_t)$ uses the whole data set
# for every step. Xiu's slide "Stochastic Gradient Descent": *because data sets are typically huge … calculate the gradient on a
# random subset* — a **minibatch** — and *cycle through subsets without replacement; a single
# pass through the entire training sample is called an epoch*. Per epoch both do the same
# arithmetic, but minibatch SGD takes 10 steps where full-batch takes one. Same network, same
# initial weights, same $\eta$:

# %% tags=["slide-numbers"]
def moons_model():
    return MLP(2, [8, 8, 1], seed=0)

runs = {}
for name, batch_size in [("full batch (1 step per epoch)", None), ("minibatches of 10 (10 steps per epoch)", 10)]:
    model = moons_model()
    history = fit(model, X_moons, y_moons, epochs=50, batch_size=batch_size,
                  optimizer=optim.SGD(model.parameters(), lr=0.3), progress=False)
    runs[name] = (model, history)
    print(f"{name:40s} final loss {history.loss[-1]:.3f}, accuracy {history.accuracy[-1]:.2f}")
full, mini = (h for _, h in runs.values())
assert mini.loss[-1] < full.loss[-1]

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3))
for name, (model, history) in runs.items():
    axes[0].plot(history.loss, label=name.split(" (")[0])
axes[0].set_xlabel("epoch"); axes[0].set_ylabel("training loss"); axes[0].legend()
for ax, (name, (model, history)) in zip(axes[1:], runs.items()):
    plots.decision_regions(model, X_moons, y_moons, ax=ax, title=name.split(" (")[0])
plt.tight_layout(); plt.show()

# %% [markdown]
# ## 2. Learning-rate decay
#
# Xiu's slide "Optimization “Tricks”": *shrink the learning rate toward zero … because the true gradient, when it is small,
# will be dominated by SGD noise*: $\eta = \eta_0 \exp(-\kappa t)$ or $\eta = \eta_0 (1 +
# \kappa t)^{-1}$, with $t$ the epoch. `fit(..., lr_schedule=...)` sets $\eta$ at the start of
# every epoch. With a large $\eta_0 = 1$ a constant rate keeps the loss bouncing from minibatch to
# minibatch; both decays let it settle.

# %% tags=["slide-numbers"]
eta0 = 1.0                                 # large enough that a constant η keeps bouncing
schedules = {"constant η": None,
             "η0·exp(−κt), κ = 0.05": optim.exponential_decay(eta0, 0.05),
             "η0/(1 + κt), κ = 0.1": optim.inverse_decay(eta0, 0.1)}
decay_runs = {}
for name, schedule in schedules.items():
    model = moons_model()
    decay_runs[name] = fit(model, X_moons, y_moons, epochs=50, batch_size=10, lr_schedule=schedule,
                           optimizer=optim.SGD(model.parameters(), lr=eta0), progress=False)
spread = {}
for name, h in decay_runs.items():
    spread[name] = max(h.loss[30:]) - min(h.loss[30:])
    print(f"{name:22s} η at epoch 49 = {h.lr[-1]:.4f}, final loss {h.loss[-1]:.3f}, "
          f"loss range over the last 20 epochs {spread[name]:.3f}")
assert abs(decay_runs["η0·exp(−κt), κ = 0.05"].lr[10] - eta0 * math.exp(-0.05 * 10)) < 1e-15
assert abs(decay_runs["η0/(1 + κt), κ = 0.1"].lr[10] - eta0 / (1 + 0.1 * 10)) < 1e-15
assert max(spread["η0·exp(−κt), κ = 0.05"], spread["η0/(1 + κt), κ = 0.1"]) < spread["constant η"]

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3))
for name, h in decay_runs.items():
    ax1.plot(h.lr, label=name)
    ax2.plot(h.loss, label=name)
ax1.set_xlabel("epoch t"); ax1.set_ylabel("η"); ax1.legend(); ax1.set_title("schedules")
ax2.set_xlabel("epoch"); ax2.set_ylabel("training loss"); ax2.set_title("minibatch SGD on moons")
plt.tight_layout(); plt.show()


# %% [markdown]
# ## 3. Momentum and Adam
#
# Plain gradient descent steps along $-\nabla L$. **Momentum** keeps a running velocity,
# $v \leftarrow \mu v + \nabla L,\ \theta \leftarrow \theta - \eta v$, so steps build up along
# consistent directions and cancel across oscillating ones. **Adam** (Kingma & Ba, named in file
# 002) keeps running means of $g$ and $g^2$ and gives each parameter its own step size,
# $\theta \leftarrow \theta - \eta\,\hat m/(\sqrt{\hat v} + \epsilon)$. On the spirals, from the
# same initial weights, full batch:

# %% tags=["slide-numbers"]
def spiral_model():
    return MLP(2, [10, 10, 3], seed=0)

optimizers = {"SGD (η = 0.2)": lambda p: optim.SGD(p, lr=0.2),
              "SGD + momentum 0.9 (η = 0.2)": lambda p: optim.SGD(p, lr=0.2, momentum=0.9),
              "Adam (η = 0.02)": lambda p: optim.Adam(p, lr=0.02)}
optimizer_runs = {}
for name, make in optimizers.items():
    model = spiral_model()
    history = fit(model, X_spiral, y_spiral, epochs=60, optimizer=make(model.parameters()), progress=False)
    optimizer_runs[name] = (model, history)
    print(f"{name:30s} loss {history.loss[-1]:.3f}, accuracy {history.accuracy[-1]:.2f}")
final = {name: h.loss[-1] for name, (_, h) in optimizer_runs.items()}
assert final["Adam (η = 0.02)"] < final["SGD (η = 0.2)"]
assert final["SGD + momentum 0.9 (η = 0.2)"] < final["SGD (η = 0.2)"]

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for name, (model, history) in optimizer_runs.items():
    axes[0].plot(history.loss, label=name)
axes[0].set_xlabel("epoch"); axes[0].set_ylabel("cross-entropy"); axes[0].legend()
axes[0].set_title("spirals: SGD, momentum, Adam")
plots.decision_regions(optimizer_runs["Adam (η = 0.02)"][0], X_spiral, y_spiral, ax=axes[1],
                       title="Adam after 60 epochs")
plt.tight_layout(); plt.show()


# %% [markdown]
# ## 4. Vanishing gradients: sigmoid vs ReLU
#
# Jaques's slides "Multi-layer Neural Network - Activation functions" and "Common training
# issues": *a history of optimizing NNs has learned ReLU > sigmoid … sigmoid: gradient saturates
# easily; ReLU: good gradients forever*; and *for large networks, gradients can blow up or go to
# zero*. Backprop multiplies $\delta$ by $W^\top$ and by $g'(z)$ at every layer
# ($\delta^l = ((W^{l+1})^\top \delta^{l+1}) \odot g'(z^l)$); the sigmoid's $g'(z) =
# \sigma(z)(1 - \sigma(z))$ is at most $1/4$, ReLU's is 1 on every active unit. Gradient size per
# layer in a 7-layer network, at the initial weights, on the moons:

# %% tags=["slide-numbers"]
def gradient_per_layer(activation):
    model = MLP(2, [8] * 6 + [1], activation=activation, seed=0)
    loss = losses.binary_cross_entropy_with_logits([model(x) for x in X_moons], y_moons)
    loss.backward()
    return [math.sqrt(sum(w.grad ** 2 for n in layer.neurons for w in n.w) / (layer.nin * layer.nout))
            for layer in model.layers]

per_layer = {activation: gradient_per_layer(activation) for activation in ("sigmoid", "relu")}
print("RMS ∂L/∂w per layer (layer 1 = next to the input):")
for activation, sizes in per_layer.items():
    print(f"  {activation:8s}", "  ".join(f"{s:.1e}" for s in sizes))
ratio = {a: s[0] / s[-1] for a, s in per_layer.items()}
print(f"first layer / last layer: sigmoid {ratio['sigmoid']:.0e}, relu {ratio['relu']:.2f}")
assert ratio["sigmoid"] < 1e-4 and ratio["relu"] > 1e-2

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
zs = np.linspace(-6, 6, 241)
s = 1 / (1 + np.exp(-zs))
ax1.plot(zs, s * (1 - s), label="σ'(z) ≤ 1/4")
ax1.plot(zs, (zs > 0).astype(float), label="ReLU'(z)")
ax1.set_xlabel("z"); ax1.set_title("local gradient of the activation"); ax1.legend()
for activation, sizes in per_layer.items():
    ax2.semilogy(range(1, len(sizes) + 1), sizes, "o-", label=activation)
ax2.set_xlabel("layer (1 = input side)"); ax2.set_ylabel("RMS ∂L/∂w"); ax2.legend()
ax2.set_title("gradient size per layer")
plt.tight_layout(); plt.show()

# %% [markdown]
# ## 5. Gradient clipping
#
# The other failure, exploding gradients, has a blunt remedy (Jaques's "Common training issues": *this can be helped by
# gradient clipping …*): if $\lVert\nabla\theta\rVert > c$, rescale it to length $c$ before the
# step — same direction, bounded size. `optim.clip_grad_norm` does this (and returns the norm
# before clipping); `fit(..., clip_norm=c)` applies it at every step.

# %% tags=["slide-numbers"]
model = moons_model()
loss = losses.binary_cross_entropy_with_logits([model(x) for x in X_moons], y_moons)
loss.backward()
before = [p.grad for p in model.parameters()]
norm = optim.clip_grad_norm(model.parameters(), max_norm=0.1)
after = [p.grad for p in model.parameters()]
cosine = sum(a * b for a, b in zip(before, after)) / (norm * math.sqrt(sum(a * a for a in after)))
print(f"‖∇θ‖ before {norm:.3f}, after {math.sqrt(sum(a * a for a in after)):.3f}, "
      f"cos(angle between them) = {cosine:.6f}")
assert abs(math.sqrt(sum(a * a for a in after)) - 0.1) < 1e-12 and abs(cosine - 1) < 1e-12

# %% [markdown]
# With a far too large step (SGD, $\eta = 3$, momentum 0.9) the unclipped run jumps to a useless
# region and stays there; the same run with `clip_norm=1` trains:

# %% tags=["slide-numbers"]
clip_runs = {}
for clip in (None, 1.0):
    model = moons_model()
    clip_runs[clip] = fit(model, X_moons, y_moons, epochs=40, clip_norm=clip, progress=False,
                          optimizer=optim.SGD(model.parameters(), lr=3.0, momentum=0.9))
    print(f"clip_norm = {clip}: final loss {clip_runs[clip].loss[-1]:.3f}, "
          f"accuracy {clip_runs[clip].accuracy[-1]:.2f}")
assert clip_runs[1.0].loss[-1] < clip_runs[None].loss[-1]

fig, ax = plt.subplots()
for clip, h in clip_runs.items():
    ax.plot(h.loss, label=f"clip_norm = {clip}")
ax.set_xlabel("epoch"); ax.set_ylabel("training loss"); ax.set_title("SGD η = 3, momentum 0.9")
ax.legend(); plt.show()

# %% [markdown]
# ## 6. Overfitting: dropout and early stopping
#
# A small, noisy data set of 70 points, split at random into **30 training points** and a
# **validation set of 40** that training never sees, and a network with 337 parameters: it can
# memorise the 30 training points. We watch both losses.
#
# **Dropout** (Srivastava et al., named in Xiu's slide "Optimization “Tricks”"): in training mode every hidden unit is
# zeroed with probability $p$ (the others scaled by $1/(1-p)$), a different random subset at
# every forward pass; in evaluation mode it does nothing.

# %% tags=["slide-numbers"]
X_small, y_small = data.moons(70, noise=0.3, seed=1)
X_train, y_train, X_val, y_val = data.train_val_split(X_small, y_small, val_fraction=40 / 70, seed=0)
print(f"{len(X_small)} points: {len(X_train)} for training, {len(X_val)} for validation")
assert (len(X_train), len(X_val)) == (30, 40)

demo = MLP(2, [16, 16, 1], dropout=0.3, seed=0)
demo.train()
print("train mode, same input, three forward passes:", [round(demo([0.5, 0.0]).data, 3) for _ in range(3)])
demo.eval()
print("eval mode,  same input, three forward passes:", [round(demo([0.5, 0.0]).data, 3) for _ in range(3)])

# %% tags=["slide-numbers"]
overfit_runs = {}
for p in (0.0, 0.3):
    model = MLP(2, [16, 16, 1], dropout=p, seed=0)
    overfit_runs[p] = (model, fit(model, X_train, y_train, epochs=100, val=(X_val, y_val),
                                  optimizer=optim.Adam(model.parameters(), lr=0.02), progress=False))
plain, dropped = overfit_runs[0.0][1], overfit_runs[0.3][1]
best = min(range(len(plain.val_loss)), key=plain.val_loss.__getitem__)
print(f"no dropout : train loss {plain.loss[-1]:.3f}, validation loss {plain.val_loss[-1]:.3f} "
      f"(lowest {plain.val_loss[best]:.3f} at epoch {best})")
print(f"dropout 0.3: train loss {dropped.loss[-1]:.3f}, validation loss {dropped.val_loss[-1]:.3f}")
assert plain.val_loss[-1] > 1.5 * plain.val_loss[best]        # overfitting: validation loss turns up
assert dropped.val_loss[-1] < plain.val_loss[-1]

# %% [markdown]
# **Early stopping** (Xiu's slide "Regularization “Tricks”": *ending the parameter search early by monitoring the loss
# function in the validation sample*): stop when the validation loss has not improved for
# `patience` epochs and restore the weights of the best epoch. `fit(..., early_stopping=20)`:

# %% tags=["slide-numbers"]
stopped = MLP(2, [16, 16, 1], seed=0)
early = fit(stopped, X_train, y_train, epochs=100, val=(X_val, y_val), early_stopping=20,
            optimizer=optim.Adam(stopped.parameters(), lr=0.02), progress=False)
restored = losses.binary_cross_entropy_with_logits([stopped(x) for x in X_val], y_val).data
print(f"stopped after {early.epochs} epochs; best epoch {early.best_epoch}; "
      f"validation loss of the restored weights {restored:.3f}")
assert early.stopped_early and early.best_epoch == best
assert abs(restored - plain.val_loss[best]) < 1e-12

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(plain.loss, "C0", label="train, no dropout")
ax.plot(plain.val_loss, "C0--", label="validation, no dropout")
ax.plot(dropped.loss, "C1", label="train, dropout 0.3")
ax.plot(dropped.val_loss, "C1--", label="validation, dropout 0.3")
ax.axvline(early.best_epoch, color="k", lw=1, ls=":", label="early stopping's best epoch")
ax.set_ylim(0, 1.5); ax.set_xlabel("epoch"); ax.set_ylabel("loss")
ax.legend(fontsize=8); ax.set_title("training vs validation loss")
plt.show()

# %% [markdown]
# The three classifiers' regions, with the 30 training points filled and the 40 validation
# points as hollow diamonds: the unregularised network bends its boundary around individual
# training points, and the validation points it then gets wrong are what its rising validation
# loss measures.

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
for ax, (model, title) in zip(axes, [(overfit_runs[0.0][0], "100 epochs, no dropout"),
                                     (stopped, f"early stopped (epoch {early.best_epoch})"),
                                     (overfit_runs[0.3][0], "100 epochs, dropout 0.3")]):
    plots.decision_regions(model, X_train, y_train, X_val, y_val, ax=ax, title=title)
    ax.get_legend().remove()
axes[0].legend(*axes[0].get_legend_handles_labels(), fontsize=7, loc="lower left")
plt.tight_layout(); plt.show()

# %% [markdown]
# ## 7. L1 vs L2 regularization
#
# Lan Xu's slides "Learning with regularization" and "L1 vs L2 regularization": add
# $\lambda R(W)$ to the loss, with $R(W) = \sum w^2$ (L2), $\sum |w|$ (L1) or
# $\sum \beta w^2 + |w|$ (elastic net). Its example: with $x = [1, 1, 1, 1]$ the three weight
# vectors below give the **same output** $w^\top x = 1$ and the **same L1 penalty** 1, but L2
# penalties $1$, $1/4$ and $1/2$ — **L2 prefers weights spread out**, L1 is indifferent to
# spreading and (below) pushes weights to exactly zero.

# %% tags=["slide-numbers"]
x = [1.0, 1.0, 1.0, 1.0]
examples = {"w1": [1.0, 0.0, 0.0, 0.0], "w2": [0.25] * 4, "w3": [0.5, 0.5, 0.0, 0.0]}
table = {}
for name, w in examples.items():
    w = [Value(v) for v in w]
    output = sum((wi * xi for wi, xi in zip(w, x)), Value(0.0)).data
    table[name] = (output, losses.l1(w).data, losses.l2(w).data)
    print(f"{name} = {examples[name]}:  wᵀx = {output:g}   L1 = {table[name][1]:g}   L2 = {table[name][2]:g}")
assert table == {"w1": (1.0, 1.0, 1.0), "w2": (1.0, 1.0, 0.25), "w3": (1.0, 1.0, 0.5)}
print("elastic net (β = 0.5) of w3:", losses.elastic_net([Value(v) for v in examples["w3"]], 0.5).data)

# %% [markdown]
# **The sparsity they give trained weights.** A linear classifier on 10 features of which only
# the first two matter (the label is the sign of $2x_1 - 3x_2$ plus noise), trained without a
# penalty, with $0.02 \sum |w|$ and with $0.02 \sum w^2$ (`fit(..., penalty=...)`). The gradient
# of $|w|$ is $\pm 1$ however small $w$ is, so L1 keeps pushing useless weights all the way to
# (about) zero; the gradient of $w^2$ is $2w$, which fades as $w$ shrinks, so L2 only makes them
# small.

# %% tags=["slide-numbers"]
rng = random.Random(0)
X_lin = [[rng.uniform(-1, 1) for _ in range(10)] for _ in range(100)]
y_lin = [int(2 * x[0] - 3 * x[1] + 0.1 * rng.gauss(0, 1) > 0) for x in X_lin]

penalties = {"no penalty": None, "L1: 0.02·Σ|w|": lambda m: 0.02 * losses.l1(m),
             "L2: 0.02·Σw²": lambda m: 0.02 * losses.l2(m)}
trained = {}
for name, penalty in penalties.items():
    model = MLP(10, [1], seed=0)
    history = fit(model, X_lin, y_lin, epochs=150, penalty=penalty,
                  optimizer=optim.SGD(model.parameters(), lr=0.1), progress=False)
    trained[name] = [w.data for w in model.weights()]
    small = sum(abs(w) < 0.01 for w in trained[name])
    print(f"{name:14s} accuracy {history.accuracy[-1]:.2f};  |w| < 0.01 for {small} of 10 weights;  "
          f"w = {[round(w, 2) or 0.0 for w in trained[name]]}")
near_zero = {name: sum(abs(w) < 0.01 for w in ws) for name, ws in trained.items()}
assert near_zero["L1: 0.02·Σ|w|"] >= 5 > near_zero["L2: 0.02·Σw²"]

# %%
fig, ax = plt.subplots(figsize=(7, 3.2))
for i, (name, ws) in enumerate(trained.items()):
    ax.bar(np.arange(10) + (i - 1) * 0.27, ws, width=0.27, label=name)
ax.axhline(0, color="k", lw=0.8)
ax.set_xticks(range(10)); ax.set_xticklabels([f"w{i + 1}" for i in range(10)])
ax.set_title("trained weights: only w1 and w2 carry signal"); ax.legend()
plt.show()

# %% [markdown]
# **Summary.** Minibatches buy many cheap steps per epoch; a decaying $\eta$ calms the noise at
# the end; momentum and Adam get through ravines that stall plain SGD. Deep sigmoid stacks starve
# their early layers of gradient, ReLU does not; clipping caps a runaway step. With little data
# a network memorises: validation curves show it, and dropout, early stopping or a penalty hold
# it back — L2 by keeping weights small and spread out, L1 by switching useless ones off.
