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
# # 3 · Vectors, built from scalars
#
# This notebook follows the slides **"Backpropagation with vectors"** and **"A vectorized
# example"** of the deck **"Foundations of Neural Network and Deep Learning"** (BUSN 20800
# Lecture 7, Dacheng Xiu): the loss $L$ is still a
# scalar, and the gradient with respect to a vector (or matrix) has the **same shape as the
# vector**, one number per element: *for each element, how much does it influence $L$?*
#
# 1. ReLU on a 4-vector with an *upstream gradient* vector $\partial L/\partial z$;
# 2. $f(x, W) = \lVert W x \rVert^2$, whose gradients the slide derives as
#    $\nabla_W f = 2 q\, x^\top$ and $\nabla_x f = 2 W^\top q$ (with $q = Wx$).
#
# Here every vector is a list of scalar `Value`s, so the engine never forms a Jacobian — it does
# the slide's *implicit multiplication* edge by edge — and we check its answers against the
# matrix formulas.

# %%
import numpy as np

from tinygrad_edu import Value, draw_dot, gradcheck

# %% [markdown]
# ## 1. ReLU with an upstream gradient
#
# $z = \max(0, x)$ elementwise on $x = [1, -2, 3, -1]$, and the layer above has sent back
# $\partial L/\partial z = [4, -1, 5, 9]$. `z_i.backward(grad=g_i)` starts the reverse sweep at
# $z_i$ with upstream gradient $g_i$; the input gradients add up across the calls.

# %% tags=["slide-numbers"]
x = [Value(v, f"x{i + 1}") for i, v in enumerate([1.0, -2.0, 3.0, -1.0])]
z = [xi.relu() for xi in x]
upstream = [4.0, -1.0, 5.0, 9.0]
for zi, g in zip(z, upstream):
    zi.backward(grad=g)

print("z     =", [zi.data for zi in z])
print("dL/dx =", [xi.grad for xi in x])
assert [zi.data for zi in z] == [1.0, 0.0, 3.0, 0.0]
assert [xi.grad for xi in x] == [4.0, 0.0, 5.0, 0.0]

# %% [markdown]
# The slide writes the same thing with the Jacobian $\partial z/\partial x$: a $4\times 4$ matrix
# that is diagonal, with $1$ where $x_i > 0$ and $0$ elsewhere, so
# $\partial L/\partial x = (\partial z/\partial x)^\top\, \partial L/\partial z$. Building it from
# the nodes' local gradients confirms the answer — and shows why nobody builds it: 12 of its 16
# entries are always zero.

# %% tags=["slide-numbers"]
J = np.diag([zi.local_grads[0] for zi in z])
print("Jacobian dz/dx =\n", J)
print("Jᵀ · upstream =", J.T @ np.array(upstream))
assert (J.T @ np.array(upstream)).tolist() == [xi.grad for xi in x]

# %% [markdown]
# Equivalently, $L = \sum_i g_i z_i$ is a scalar whose gradient with respect to $z$ is exactly
# the upstream vector; one `backward()` from it gives the same $\partial L/\partial x$:

# %%
x = [Value(v, f"x{i + 1}") for i, v in enumerate([1.0, -2.0, 3.0, -1.0])]
z = [xi.relu() for xi in x]
L = z[0] * upstream[0]
for zi, g in zip(z[1:], upstream[1:]):
    L = L + zi * g
L.label = "L"
L.backward()
assert [xi.grad for xi in x] == [4.0, 0.0, 5.0, 0.0]
draw_dot(L, rankdir="TB")

# %% [markdown]
# ## 2. $f(x, W) = \lVert W x \rVert^2$
#
# $$W = \begin{bmatrix} 0.1 & 0.5 \\ -0.3 & 0.8 \end{bmatrix}, \quad
# x = \begin{bmatrix} 0.2 \\ 0.4 \end{bmatrix}, \quad
# q = W x, \quad f(q) = \lVert q \rVert^2 = \sum_i q_i^2 .$$
#
# Every entry is a scalar `Value`; $q_k = \sum_j W_{kj} x_j$ and $f = \sum_k q_k^2$ are sums of
# products.

# %% tags=["slide-numbers"]
W_values = [[0.1, 0.5], [-0.3, 0.8]]
x_values = [0.2, 0.4]
W = [[Value(w, f"W{i + 1}{j + 1}") for j, w in enumerate(row)] for i, row in enumerate(W_values)]
x = [Value(v, f"x{j + 1}") for j, v in enumerate(x_values)]

q = [W[k][0] * x[0] + W[k][1] * x[1] for k in range(2)]
for k, qk in enumerate(q):
    qk.label = f"q{k + 1}"
f = q[0] ** 2 + q[1] ** 2
f.label = "f"
f.backward()

print("q =", [round(qk.data, 3) for qk in q], "  f =", round(f.data, 3))
grad_W = [[round(w.grad, 3) for w in row] for row in W]
grad_x = [round(v.grad, 3) for v in x]
print("∇W f =", grad_W)
print("∇x f =", grad_x)

assert [round(qk.data, 3) for qk in q] == [0.22, 0.26] and round(f.data, 3) == 0.116
assert grad_W == [[0.088, 0.176], [0.104, 0.208]]
assert grad_x == [-0.112, 0.636]

# %% [markdown]
# **The matrix formulas.** With $\partial f/\partial q_i = 2 q_i$ and
# $\partial q_k/\partial W_{ij} = \mathbb 1_{k=i}\, x_j$, the chain rule summed over $k$ gives
# $\partial f/\partial W_{ij} = 2 q_i x_j$, i.e. $\nabla_W f = 2 q\, x^\top$; with
# $\partial q_k/\partial x_i = W_{ki}$ it gives $\partial f/\partial x_i = \sum_k 2 q_k W_{ki}$,
# i.e. $\nabla_x f = 2 W^\top q$. Check the engine against them with NumPy — and the slide's
# "always check": each gradient has the shape of its variable.

# %% tags=["slide-numbers"]
Wn, xn = np.array(W_values), np.array(x_values)
qn = Wn @ xn
formula_W = 2 * np.outer(qn, xn)          # 2 q xᵀ
formula_x = 2 * Wn.T @ qn                 # 2 Wᵀ q
engine_W = np.array([[w.grad for w in row] for row in W])
engine_x = np.array([v.grad for v in x])

print("2 q xᵀ =", formula_W.round(3).tolist(), "  shape", formula_W.shape, "= shape of W")
print("2 Wᵀ q =", formula_x.round(3).tolist(), "  shape", formula_x.shape, "= shape of x")
assert np.allclose(engine_W, formula_W, atol=1e-15) and np.allclose(engine_x, formula_x, atol=1e-15)
assert engine_W.shape == Wn.shape and engine_x.shape == xn.shape

# %%
draw_dot(f, rankdir="TB")

# %% [markdown]
# The same check on a random $3\times 3$ example, and `gradcheck` of $f$ as a function of all
# twelve numbers against finite differences:

# %% tags=["slide-numbers"]
rng = np.random.default_rng(0)
W3, x3 = rng.normal(size=(3, 3)), rng.normal(size=3)

def f_of(*numbers):
    """||W x||² with W's 9 entries then x's 3 entries as Values."""
    Wv = [numbers[3 * i:3 * i + 3] for i in range(3)]
    xv = numbers[9:]
    total = None
    for row in Wv:
        qk = row[0] * xv[0] + row[1] * xv[1] + row[2] * xv[2]
        total = qk ** 2 if total is None else total + qk ** 2
    return total

leaves = [Value(v) for v in [*W3.ravel(), *x3]]
f_of(*leaves).backward()
q3 = W3 @ x3
assert np.allclose([v.grad for v in leaves[:9]], (2 * np.outer(q3, x3)).ravel())
assert np.allclose([v.grad for v in leaves[9:]], 2 * W3.T @ q3)
result = gradcheck(f_of, [*W3.ravel(), *x3])
print("matrix formulas agree; gradcheck passed:", bool(result))
assert result

# %% [markdown]
# **Summary.** A vector gradient is just one scalar gradient per element. The engine multiplies
# upstream by local gradients edge by edge — which *is* the Jacobian-transpose-times-vector
# product, without ever storing the (mostly zero) Jacobian. The closed forms $2 q x^\top$ and
# $2 W^\top q$ are what a matrix library computes in one call (notebook 7 moves a network to
# PyTorch, which does exactly that).
