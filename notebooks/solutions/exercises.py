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
# # Exercises: backpropagation by hand, checked
#
# Each exercise has a cell for you (replace the `...`) and a **checker** cell below it. Run
# the checker: it compares your answer with `tinygrad_edu` and says "✓" when it is right, or
# shows the first thing that is wrong with a hint; while an answer is still `...` it says
# "not done yet". The notebook runs top to bottom in any state.
#
# The exercises follow the lecture decks: **"Neural Networks"** (Natasha Jaques), **"Deep
# Learning"**, **"Foundations of Neural Network and Deep Learning"** (BUSN 20800 Lecture 7,
# Dacheng Xiu) and **"Basic Artificial Neural Networks"** (Lecture 2, Lan Xu, ShanghaiTech).
# Notebooks 0–8 show how to do everything asked here.
#
# > **Solved copy.** This is `notebooks/solutions/exercises.ipynb`: every answer is filled in and every checker passes. Try `notebooks/exercises.ipynb` first.

# %%
import math

from tinygrad_edu import Value, losses, trace
from tinygrad_edu.exercises import (
    check_adjoint_trace,
    check_answer,
    check_engine,
    check_forward_trace,
    check_gradients,
    check_local_gradient,
    check_new_op,
)
from tinygrad_edu.ops import Op

# %% [markdown]
# ## Part 1 · Local gradients
#
# Every node of a graph knows the derivative of its value with respect to each operand — its
# *local gradient*. Backprop multiplies these by the upstream gradient.
#
# **Exercise 1.** The local gradient of $\sin x$: write `d_sin(x)` $= \frac{d}{dx}\sin x$.

# %%
def d_sin(x):
    ### BEGIN SOLUTION
    return math.cos(x)
    ### END SOLUTION

# %% tags=["checker"]
check_local_gradient("sin", d_sin)

# %% [markdown]
# **Exercise 2.** Division $a / b$ has two operands. Return the pair
# $\left(\frac{\partial (a/b)}{\partial a},\ \frac{\partial (a/b)}{\partial b}\right)$. Mind
# the sign of the second.

# %%
def d_div(a, b):
    ### BEGIN SOLUTION
    return 1 / b, -a / b ** 2
    ### END SOLUTION

# %% tags=["checker"]
check_local_gradient("/", d_div)

# %% [markdown]
# **Exercise 3.** The sigmoid $\sigma(x) = 1/(1 + e^{-x})$. The Xiu deck (slide "Another
# example") shows $\frac{d\sigma}{dx} = (1 - \sigma(x))\,\sigma(x)$ — derive it or use it.

# %%
def d_sigmoid(x):
    ### BEGIN SOLUTION
    s = 1 / (1 + math.exp(-x))
    return s * (1 - s)
    ### END SOLUTION

# %% tags=["checker"]
check_local_gradient("sigmoid", d_sigmoid)

# %% [markdown]
# **Exercise 4.** $\tanh x$. The "Deep Learning" deck writes it as $y = \tanh$, $y' = 1 - y^2$.

# %%
def d_tanh(x):
    ### BEGIN SOLUTION
    return 1 - math.tanh(x) ** 2
    ### END SOLUTION

# %% tags=["checker"]
check_local_gradient("tanh", d_tanh)

# %% [markdown]
# ## Part 2 · The slide's traces, by hand
#
# The "Autodiff" slide of the deck "Neural Networks" (Natasha Jaques):
# $y = \ln(x_1) + x_1 x_2 - \sin(x_2)$ at $x_1 = 2$, $x_2 = 5$. The rows of the two tables are
# listed below (without their values); fill in one number per row, to 3 decimals.

# %%
x1, x2 = Value(2.0, label="x1"), Value(5.0, label="x2")
y = x1.log() + x1 * x2 - x2.sin()
print("forward:", *[f"{r.name} = {r.expr}" for r in trace(y).forward], sep="\n  ")
print("adjoint (in the order backward runs):",
      *[f"{r.target} = {r.expr}" for r in trace(y).adjoint], sep="\n  ")

# %% [markdown]
# **Exercise 5.** The forward primal trace: the values of $v_{-1}, v_0, v_1, \dots, v_5, y$.

# %%
### BEGIN SOLUTION -> forward_values = [2, 5, ..., ..., ..., ..., ..., ...]
forward_values = [2, 5, 0.693, 10, -0.959, 10.693, 11.652, 11.652]
### END SOLUTION

# %% tags=["checker"]
check_forward_trace(y, forward_values)

# %% [markdown]
# **Exercise 6.** The reverse adjoint trace, in the order above: start from
# $\bar v_5 = \bar y = 1$ and apply *upstream × local* row by row. Two rows add a second
# contribution to an adjoint that already has one: $x_1$ and $x_2$ are each used twice.

# %%
### BEGIN SOLUTION -> adjoint_values = [1, ..., ..., ..., ..., ..., ..., ..., ..., ..., ...]
adjoint_values = [1, 1, -1, 1, 1, -0.284, 5, 1.716, 5.5, 5.5, 1.716]
### END SOLUTION

# %% tags=["checker"]
check_adjoint_trace(y, adjoint_values)

# %% [markdown]
# ## Part 3 · Gradients of the decks' examples
#
# **Exercise 7.** Xiu's "Backpropagation: a simple example": $f(x, y, z) = (x + y)\,z$ at
# $x = -2$, $y = 5$, $z = -4$. Give $\partial f/\partial x$, $\partial f/\partial y$,
# $\partial f/\partial z$.

# %%
### BEGIN SOLUTION -> simple_grads = {"x": ..., "y": ..., "z": ...}
simple_grads = {"x": -4, "y": -4, "z": 3}
### END SOLUTION

# %% tags=["checker"]
x, y_, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
check_gradients((x + y_) * z, simple_grads)

# %% [markdown]
# **Exercise 8.** Xiu's "Another example", the sigmoid neuron
# $f(w, x) = 1/(1 + e^{-(w_0 x_0 + w_1 x_1 + w_2)})$ at $w_0 = 2$, $x_0 = -1$, $w_1 = -3$,
# $x_1 = -2$, $w_2 = -3$. The slide rounds to 2 decimals; so does the checker.

# %%
### BEGIN SOLUTION -> neuron_grads = {"w0": ..., "x0": ..., "w1": ..., "x1": ..., "w2": ...}
f_value = 1 / (1 + math.exp(-(2 * -1 + -3 * -2 + -3)))
local = f_value * (1 - f_value)                         # σ' at the output: 0.20
neuron_grads = {"w0": -1 * local, "x0": 2 * local, "w1": -2 * local, "x1": -3 * local,
                "w2": local}
### END SOLUTION

# %% tags=["checker"]
w0, x0, w1, x1_, w2 = (Value(v, label=n) for v, n in
                       [(2.0, "w0"), (-1.0, "x0"), (-3.0, "w1"), (-2.0, "x1"), (-3.0, "w2")])
check_gradients((w0 * x0 + w1 * x1_ + w2).sigmoid(), neuron_grads, decimals=2)

# %% [markdown]
# **Exercise 9.** The "Deep Learning" deck's assignment: *compute
# $\partial L/\partial w^1_{13}$*. The worked example before it: $x \to z^1_1 = w^1_{11}x_1 +
# w^1_{12}x_2 + w^1_{13}x_3 + b^1 \to a^1_1 = \sigma(z^1_1) \to z^2_1 = w^2_{11} a^1_1 + b^2 \to
# \hat y = \sigma(z^2_1)$, binary cross-entropy with $y = 1$, and the slide's forward values
# $a^1_1 = 0.37$, $\hat y = 0.25$, $w^2_{11} = 12$. The slide gives $x_1 = 60$ but no $x_3$:
# take $x_3 = 10$.

# %%
### BEGIN SOLUTION -> dL_dw13 = ...
dL_dw13 = (0.25 - 1) * 12 * 0.37 * (1 - 0.37) * 10     # δ¹₁ · x3
### END SOLUTION

# %% tags=["checker"]
def logit(p):
    return math.log(p / (1 - p))

w13 = Value(0.0, label="w1_13")
a1 = (0.1 * 60 + w13 * 10 + (logit(0.37) - 6)).sigmoid()          # a1 = 0.37
y_hat = (12 * a1 + (logit(0.25) - 12 * 0.37)).sigmoid()             # ŷ = 0.25
check_gradients(losses.binary_cross_entropy(y_hat, 1), {"w1_13": dL_dw13})

# %% [markdown]
# **Exercise 10.** $\delta$ at the output, $\partial L/\partial z$ for the output's
# pre-activation $z$.
#
# (a) Sigmoid output and binary cross-entropy, $\hat y = \sigma(z) = 0.25$, $y = 1$ (the
# "Deep Learning" worked example).
#
# (b) Softmax output and cross-entropy on the three scores of Lan Xu's slide "Probabilistic
# outputs", cat 3.2, car 5.1, frog −1.7, when the true class is *cat*: one $\delta$ per score.

# %%
### BEGIN SOLUTION -> delta_sigmoid = ... ; delta_softmax = {"cat": ..., "car": ..., "frog": ...}
delta_sigmoid = 0.25 - 1                                 # ŷ − y
exps = [math.exp(s) for s in (3.2, 5.1, -1.7)]
p = [e / sum(exps) for e in exps]
delta_softmax = {"cat": p[0] - 1, "car": p[1], "frog": p[2]}   # ŷ − e(t)
### END SOLUTION

# %% tags=["checker"]
z_out = Value(logit(0.25), label="z")
check_gradients(losses.binary_cross_entropy(z_out.sigmoid(), 1), {"z": delta_sigmoid})

# %% tags=["checker"]
scores = [Value(3.2, label="cat"), Value(5.1, label="car"), Value(-1.7, label="frog")]
check_gradients(losses.cross_entropy([scores], [0]), delta_softmax)

# %% [markdown]
# **Exercise 11.** A tower from two sigmoids ("Deep Learning", "Multilayer Network": *take two
# such sigmoid functions, with different b's, and subtract them*). Write `tower(x, w, b1, b2)`
# with `Value` operations, rising from 0 to 1 at $x = b_1$ and falling back at $x = b_2$,
# $w$ the steepness.

# %%
def tower(x, w, b1, b2):
    ### BEGIN SOLUTION
    return (w * (x - b1)).sigmoid() - (w * (x - b2)).sigmoid()
    ### END SOLUTION

# %% tags=["checker"]
def steep_tower(x):
    return tower(Value(x), 100.0, 0.3, 0.6)

check_answer(steep_tower, {(0.1,): 0.0, (0.3,): 0.5, (0.45,): 1.0, (0.6,): 0.5, (0.9,): 0.0})

# %% [markdown]
# **Exercise 12.** An L2-penalised gradient, Lan Xu's "univariate logistic least square
# regression": $z = wx + b$, $y = \sigma(z)$, $\mathcal L = \frac12(y - t)^2$,
# $\mathcal R = \frac12 w^2$, $\mathcal L_{\text{reg}} = \mathcal L + \lambda\mathcal R$, at
# $x = 1.5$, $t = 1$, $w = 0.5$, $b = -1$, $\lambda = 0.1$. Compute
# $\delta_w = \partial\mathcal L_{\text{reg}}/\partial w$ and $\delta_b$ with plain Python
# floats, following the slide's backward pass ($w$ is used twice).

# %%
### BEGIN SOLUTION -> l2_grads = {"w": ..., "b": ...}
x_, t_, w_, b_, lam = 1.5, 1.0, 0.5, -1.0, 0.1
s = 1 / (1 + math.exp(-(w_ * x_ + b_)))
delta_z = (s - t_) * s * (1 - s)
l2_grads = {"w": delta_z * x_ + lam * w_, "b": delta_z}
### END SOLUTION

# %% tags=["checker"]
w, b = Value(0.5, label="w"), Value(-1.0, label="b")
L_reg = 0.5 * ((w * 1.5 + b).sigmoid() - 1.0) ** 2 + 0.1 * (0.5 * w ** 2)
check_gradients(L_reg, l2_grads, decimals=4)

# %% [markdown]
# ## Part 4 · Engines
#
# **Exercise 13.** Fix an engine. `BrokenValue` below is a small engine with two classic
# mistakes. `check_engine` finds them: read its report, then write `FixedValue` (a subclass
# that overrides what is wrong is enough).

# %%
class BrokenValue:
    def __init__(self, data, parents=(), local_grads=()):
        self.data, self.grad = float(data), 0.0
        self.parents, self.local_grads = parents, local_grads

    def __add__(self, other):
        return BrokenValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        return BrokenValue(self.data * other.data, (self, other), (other.data, self.data))

    def cos(self):
        return BrokenValue(math.cos(self.data), (self,), (math.sin(self.data),))

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack += [(node, True)] + [(p, False) for p in node.parents]
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad = local * node.grad

print(check_engine(BrokenValue))

# %%
### BEGIN SOLUTION -> FixedValue = ...  # a corrected copy of BrokenValue
class FixedValue(BrokenValue):
    def __add__(self, other):
        return FixedValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        return FixedValue(self.data * other.data, (self, other), (other.data, self.data))

    def cos(self):
        return FixedValue(math.cos(self.data), (self,), (-math.sin(self.data),))

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack += [(node, True)] + [(p, False) for p in node.parents]
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad
### END SOLUTION

# %% tags=["checker"]
check_engine(FixedValue)

# %% [markdown]
# **Exercise 14.** Add a new op. Every op of `tinygrad_edu` is one row of the op table
# (`tinygrad_edu.ops`): its float math with its local gradient, its notation, and its
# derivative as an expression. Add *softsign*, $\operatorname{softsign}(x) = x / (1 + |x|)$, a
# smooth squashing function like $\tanh$: write its float math, returning the value and the
# local gradient $\frac{d}{dx}\operatorname{softsign}(x)$. The row around it is given. The
# checker compares your local gradient with a central difference at 20 points and only then
# registers the row with `ops.register` — after which `Value(x).softsign()` works, and the
# trace tables and pictures write it.

# %%
def softsign(x):
    ### BEGIN SOLUTION
    value = x / (1 + abs(x))
    return value, 1 / (1 + abs(x)) ** 2
    ### END SOLUTION


softsign_op = Op("softsign", "softsign", softsign, "softsign {0}", ("(1 − |{out}|)²",),
                 method="softsign", call_names=("softsign",), domain=((-4.0, 4.0),),
                 doc="x / (1 + |x|)",
                 derivative=lambda xs, out, call: ((1 - call("abs", out)) ** 2,))

# %% tags=["checker"]
check_new_op(softsign_op)
