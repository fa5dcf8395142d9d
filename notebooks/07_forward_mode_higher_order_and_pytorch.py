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
# # 7 · Forward mode, higher-order derivatives, and PyTorch
#
# Notebook 1 ran the example of the slide **"Autodiff"** of **"Neural Networks"** (Natasha
# Jaques), $y = \ln(x_1) + x_1 x_2 - \sin(x_2)$ in reverse mode.
# The same evaluation-trace tables (Baydin et al., whose reverse table the slide reproduces)
# have a **forward-mode** twin, where each node carries a *tangent*
# $\dot v_i = \partial v_i/\partial x$ for one chosen input direction. This notebook:
#
# 1. the forward tangent trace: $\dot y = 5.5$ with $\dot x_1 = 1$ and $\dot y = 1.716$ with
#    $\dot x_2 = 1$ — the same numbers as $\bar x_1, \bar x_2$;
# 2. `jvp`, and when forward mode beats reverse mode;
# 3. gradients of gradients: `grad(..., create_graph=True)`, `hessian`, `hvp`;
# 4. Newton's method, which needs the Hessian;
# 5. moving an MLP to PyTorch and back (`to_torch`, `from_torch`): same predictions, same
#    gradients (Jaques's slides "Forward and backward pass": *why are packages like PyTorch …
#    synonymous with deep learning? 1.
#    automatic differentiation, 2. convenient libraries, 3. GPU support*).

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from tinygrad_edu import Value, data, fit, grad, hessian, hvp, jvp, losses, optim, trace
from tinygrad_edu.bridge import from_torch, to_torch
from tinygrad_edu.nn import MLP
from tinygrad_edu.train import accuracy, predict

plt.rcParams.update({"figure.figsize": (6, 4), "figure.dpi": 80, "axes.grid": True,
                     "grid.alpha": 0.3})

# %% [markdown]
# ## 1. The forward tangent trace
#
# Seed the inputs' tangents ($\dot x_1 = 1,\ \dot x_2 = 0$ asks for $\partial/\partial x_1$) and
# push them forward with the same local derivatives reverse mode uses, in the same order as the
# values:
#
# $$\dot v_{\text{node}} = \sum_{\text{parents}} \frac{\partial v_{\text{node}}}{\partial v_{\text{parent}}}\,\dot v_{\text{parent}} .$$

# %% tags=["slide-numbers"]
x1, x2 = Value(2.0, "x1"), Value(5.0, "x2")
y = x1.log() + x1 * x2 - x2.sin()

t1 = trace(y, mode="forward", seed={x1: 1.0})
for row in t1.tangent:
    print(f"{row.name:>4} = {row.expr:<20} = {row.value:.3f}")

assert [(r.name, r.expr, round(r.value, 3)) for r in t1.tangent] == [
    ("v̇-1", "ẋ1", 1.0), ("v̇0", "ẋ2", 0.0), ("v̇1", "v̇-1 / v-1", 0.5),
    ("v̇2", "v̇-1 × v0 + v̇0 × v-1", 5.0), ("v̇3", "v̇0 × cos v0", 0.0),
    ("v̇4", "v̇1 + v̇2", 5.5), ("v̇5", "v̇4 − v̇3", 5.5), ("ẏ", "v̇5", 5.5)]

# %% tags=["slide-numbers"]
t2 = trace(y, mode="forward", seed={x2: 1.0})
print(f"ẋ1 = 1: ẏ = ∂y/∂x1 = {t1.derivative:.3f}")
print(f"ẋ2 = 1: ẏ = ∂y/∂x2 = {t2.derivative:.3f}")
reverse = trace(y).gradients
print(f"reverse mode, one sweep: x̄1 = {reverse['x1']:.3f}, x̄2 = {reverse['x2']:.3f}")
assert t1.derivative == 5.5 and round(t2.derivative, 3) == 1.716
assert abs(t2.derivative - reverse["x2"]) < 1e-15

# %%
t2    # both tables, as HTML


# %% [markdown]
# ## 2. `jvp`, and forward vs reverse
#
# `jvp(f, xs, ẋ)` returns $f(x)$ and the directional derivative $J\dot x$ — one forward sweep
# per direction. For $f:\mathbb R^n \to \mathbb R$ the full gradient needs $n$ forward sweeps but
# only **one** reverse sweep: that is why training (millions of parameters, one loss) uses
# reverse mode. For $f:\mathbb R \to \mathbb R^m$ it is the other way round: one forward sweep
# gives the derivative of all $m$ outputs.

# %% tags=["slide-numbers"]
def f(x1, x2):
    return x1.log() + x1 * x2 - x2.sin()

value, d1 = jvp(f, [2.0, 5.0], [1.0, 0.0])
_, d2 = jvp(f, [2.0, 5.0], [0.0, 1.0])
_, d_diag = jvp(f, [2.0, 5.0], [1.0, 1.0])
print(f"f = {value:.3f};  ∂f/∂x1 = {d1:.3f};  ∂f/∂x2 = {d2:.3f};  along (1, 1): {d_diag:.3f} = {d1:.3f} + {d2:.3f}")
assert round(value, 3) == 11.652 and d1 == 5.5 and round(d2, 3) == 1.716
assert abs(d_diag - (d1 + d2)) < 1e-12

def curve(t):                          # R → R³: one input, three outputs
    return [t.sin(), t.cos(), t * t]

_, velocity = jvp(curve, [0.5], [1.0])
print("d/dt (sin t, cos t, t²) at t = 0.5, one forward sweep:", [round(v, 4) for v in velocity])
assert np.allclose(velocity, [math.cos(0.5), -math.sin(0.5), 1.0])

# %% [markdown]
# ## 3. Gradients of gradients
#
# `grad(y, xs)` returns $\partial y/\partial x$ for each $x$ without touching `.grad`. With
# `create_graph=True` the backward sweep is itself recorded: each local derivative is rebuilt as
# a small graph ($\cos v$ for $\sin$, $1/v$ for $\ln$, …), so the gradient is a `Value` that can
# be differentiated again. For our $y$: $\partial^2 y/\partial x_1^2 = -1/x_1^2 = -0.25$,
# $\partial^2 y/\partial x_1 \partial x_2 = 1$, $\partial^2 y/\partial x_2^2 = \sin x_2 = -0.959$.

# %% tags=["slide-numbers"]
x1, x2 = Value(2.0, "x1"), Value(5.0, "x2")
y = x1.log() + x1 * x2 - x2.sin()
g1, g2 = grad(y, [x1, x2], create_graph=True)
print(f"∂y/∂x1 = {g1.data:.3f}, ∂y/∂x2 = {g2.data:.3f}   (Values with graphs of their own)")
print(f"∂²y/∂x1² = {grad(g1, x1):.3f}, ∂²y/∂x1∂x2 = {grad(g1, x2):.3f}, ∂²y/∂x2² = {grad(g2, x2):.3f}")

H = hessian(f, [2.0, 5.0])
print("hessian =", [[round(h, 3) for h in row] for row in H])
value, Hv = hvp(f, [2.0, 5.0], [1.0, 2.0])
print("H·(1, 2) without forming H:", [round(v, 3) for v in Hv])
assert [[round(h, 3) for h in row] for row in H] == [[-0.25, 1.0], [1.0, -0.959]]
assert np.allclose(Hv, np.array(H) @ [1.0, 2.0]) and x1.grad == 0.0

# %% [markdown]
# A picture: $\sin x$ and its first two derivatives, each computed by the engine
# ($\frac{d}{dx}\sin = \cos$, $\frac{d^2}{dx^2}\sin = -\sin$):

# %%
xs = np.linspace(-math.pi, math.pi, 121)
first, second = [], []
for v in xs:
    x = Value(float(v))
    d1 = grad(x.sin(), x, create_graph=True)
    first.append(d1.data)
    second.append(grad(d1, x))
fig, ax = plt.subplots()
ax.plot(xs, np.sin(xs), label="sin x")
ax.plot(xs, first, "--", label="grad: cos x")
ax.plot(xs, second, ":", label="grad of grad: −sin x")
ax.legend(); ax.set_title("derivatives of derivatives"); plt.show()
assert np.allclose(first, np.cos(xs)) and np.allclose(second, -np.sin(xs))


# %% [markdown]
# ## 4. Newton's method
#
# Gradient descent uses the slope only; Newton's method also uses the curvature:
# $\theta \leftarrow \theta - H^{-1}\nabla f(\theta)$. On Rosenbrock's banana valley
# $f(a, b) = (1 - a)^2 + 100\,(b - a^2)^2$ (minimum at $(1, 1)$), from the classic start
# $(-1.2, 1)$:

# %% tags=["slide-numbers"]
def rosenbrock(a, b):
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2

def gradient(point):
    a, b = Value(point[0]), Value(point[1])
    return np.array(grad(rosenbrock(a, b), [a, b]))

newton = [np.array([-1.2, 1.0])]
for _ in range(10):
    point = newton[-1]
    step = np.linalg.solve(np.array(hessian(rosenbrock, point.tolist())), gradient(point))
    newton.append(point - step)

descent = [np.array([-1.2, 1.0])]
for _ in range(2000):
    descent.append(descent[-1] - 0.001 * gradient(descent[-1]))

for i, p in enumerate(newton[:8]):
    print(f"Newton step {i}: (a, b) = ({p[0]:+.6f}, {p[1]:+.6f})  f = {rosenbrock(*p):.2e}")
print(f"gradient descent after 2000 steps: ({descent[-1][0]:+.4f}, {descent[-1][1]:+.4f})")
assert np.allclose(newton[-1], [1.0, 1.0], atol=1e-10)
assert np.linalg.norm(descent[-1] - 1) > 1e-3

# %% [markdown]
# **Why does $f$ jump to $1.41 \times 10^3$ at step 2?** A Newton step goes to the minimum of
# the *quadratic model* $f(\theta + s) \approx f + \nabla f^\top s + \tfrac12 s^\top H s$ built
# at the current point, and nothing checks that $f$ itself went down. At step 1 the Hessian is
# positive definite but nearly singular — its two curvatures differ by a factor of about
# 4,000, the long flat direction running along the valley — so $H^{-1}\nabla f$ is a long step
# along that flat direction. The model predicts a small decrease; but Rosenbrock's
# $100\,(b - a^2)^2$ is quartic in $a$, so 5 units away the model is far off, and the step
# lands high on the valley's wall:

# %% tags=["slide-numbers"]
p1, p2 = newton[1], newton[2]
H1 = np.array(hessian(rosenbrock, p1.tolist()))
g1 = gradient(p1)
s1 = p2 - p1
predicted = rosenbrock(*p1) + g1 @ s1 + 0.5 * s1 @ H1 @ s1
curvatures = np.linalg.eigvalsh(H1)
print(f"curvatures (eigenvalues of H) at step 1: {curvatures[0]:.3f} and {curvatures[1]:.1f} "
      f"(ratio {curvatures[1] / curvatures[0]:.0f})")
print(f"step length {np.linalg.norm(s1):.2f}; the quadratic model predicts f = {predicted:.2f}, "
      f"the function gives f = {rosenbrock(*p2):.3g}")
assert curvatures[0] > 0 and curvatures[1] / curvatures[0] > 1000
assert predicted < rosenbrock(*p1) < 10 < 1000 < rosenbrock(*p2)

# %% [markdown]
# From the wall, the next model is good again in $b$ (for a fixed $a$, $f$ *is* a quadratic in
# $b$), so step 3 falls back to the valley floor, $b \approx a^2$, and from there Newton's
# quadratic convergence takes over: $f = 10^{-11}$ at step 5, $10^{-20}$ at step 6. Practical
# Newton methods guard against such steps with a line search or a trust region (accept a step
# only if $f$ decreases enough, else shorten it); gradient descent never jumps like this, but
# after 2,000 steps it is still crawling along the valley.

# %%
A, B = np.meshgrid(np.linspace(-1.6, 1.6, 200), np.linspace(-3.5, 2.0, 200))
fig, ax = plt.subplots()
ax.contour(A, B, np.log1p(rosenbrock(A, B)), levels=25, cmap="gray", linewidths=0.6)
ax.plot(*np.array(descent).T, ".-", ms=2, lw=1, label="gradient descent, 2000 steps")
ax.plot(*np.array(newton).T, "o-", label="Newton, 10 steps")
ax.plot(1, 1, "r*", ms=14, label="minimum (1, 1)")
ax.legend(fontsize=8); ax.set_title("Rosenbrock: Newton vs gradient descent"); plt.show()

# %% [markdown]
# ## 5. The same MLP in PyTorch, and back
#
# `to_torch(mlp)` builds a `torch.nn.Sequential` of `Linear` layers and activations with a copy
# of the weights (neuron $j$'s weights become row $j$ of `Linear.weight`), in float64 like the
# engine; `from_torch(seq)` reads one back. PyTorch computes each layer as one matrix product —
# the $2qx^\top$ of notebook 3 instead of one node per multiplication.

# %% tags=["slide-numbers"]
import torch

torch.set_num_threads(1)          # tiny tensors: one thread is fastest

X, y = data.moons(100, noise=0.15, seed=0)
model = MLP(2, [8, 8, 1], seed=0)
fit(model, X, y, epochs=30, optimizer=optim.Adam(model.parameters(), lr=0.02), progress=False)

net = to_torch(model)
print(net)
engine_out = predict(model, X)
torch_out = net(torch.tensor(X, dtype=torch.float64)).squeeze(1).tolist()
same_predictions = max(abs(a - b) for a, b in zip(engine_out, torch_out)) < 1e-12
print("same predictions:", same_predictions)
assert same_predictions

# %% [markdown]
# Same gradients: the engine's `backward()` on the batch loss, and PyTorch's autograd on the same
# loss, for every parameter.

# %% tags=["slide-numbers"]
model.zero_grad()
losses.binary_cross_entropy_with_logits([model(x) for x in X], y).backward()

net.zero_grad()
logits = net(torch.tensor(X, dtype=torch.float64)).squeeze(1)
torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(y, dtype=torch.float64)).backward()

linears = [m for m in net if isinstance(m, torch.nn.Linear)]
worst = 0.0
for layer, linear in zip(model.layers, linears):
    for j, neuron in enumerate(layer.neurons):
        worst = max(worst, max(abs(w.grad - linear.weight.grad[j, i].item()) for i, w in enumerate(neuron.w)))
        worst = max(worst, abs(neuron.b.grad - linear.bias.grad[j].item()))
print("same gradients (to 1e-12):", worst < 1e-12)
assert worst < 1e-12

# %% [markdown]
# Train further in PyTorch (its own optimizer and loop, as in the PyTorch code on Jaques's slide "Forward and backward
# pass"), then bring
# the weights back into the engine, where every $\delta$ can be printed:

# %%
opt = torch.optim.Adam(net.parameters(), lr=0.02)
inputs, targets = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
for step in range(300):
    opt.zero_grad()                                   # zero the gradient buffers
    loss = torch.nn.functional.binary_cross_entropy_with_logits(net(inputs).squeeze(1), targets)
    loss.backward()
    opt.step()                                        # does the update

back = from_torch(net)
print(back)
back_out = predict(back, X)
agree = max(abs(a - b) for a, b in zip(back_out, net(inputs).squeeze(1).tolist())) < 1e-12
print(f"accuracy before: {accuracy(model, X, y):.2f}, after PyTorch training: {accuracy(back, X, y):.2f}; "
      f"engine == torch: {agree}")
assert agree and accuracy(back, X, y) >= accuracy(model, X, y)

# %% [markdown]
# **Summary.** Forward mode pushes tangents along with values (one sweep per input direction),
# reverse mode pulls adjoints back (one sweep per output); recording the backward sweep gives
# second derivatives, Hessian-vector products and Newton's method. A matrix library does the same
# arithmetic per layer instead of per scalar — and gets the same numbers.
