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
# # 0 · Build it yourself: a reverse-mode autodiff engine in under 120 lines
#
# Before using `tinygrad_edu`, build the heart of it. By the end of this notebook you will have
# written a class `MyValue` that computes the slide example of the deck **"Neural Networks"
# (Natasha Jaques)**, slide **"Autodiff"**,
#
# $$y = \ln(x_1) + x_1 x_2 - \sin(x_2) \quad\text{at } x_1 = 2,\ x_2 = 5,$$
#
# and its gradients $\partial y/\partial x_1 = 5.5$, $\partial y/\partial x_2 = 1.716$ — and a
# checker will run your class against `tinygrad_edu` on hundreds of random graphs. The steps:
#
# 1. the derivative as a slope, found numerically;
# 2. `+` and `×`, and backprop **by hand** on $(x + y)\,z$;
# 3. the bug when a node is used twice, and its fix;
# 4. an iterative topological order, so `backward()` runs by itself on any graph;
# 5. `exp`, `log` and `sin`;
# 6. the slide's expression with the home-made class, checked and compared with
#    `tinygrad_edu.Value` and its trace tables.
#
# Every cell runs as it is. Change things and re-run: the asserts tell you when a number moves.

# %%
import math

# %% [markdown]
# ## 1. The derivative as a slope
#
# The derivative of $f$ at $x$ is the slope of $f$ there: nudge $x$ by a small $h$ and see how
# much $f$ moves, per unit of nudge. Take $f(x) = x^3 - 2x$ at $x = 1.5$; calculus says
# $f'(x) = 3x^2 - 2 = 4.75$.

# %% tags=["slide-numbers"]
def f(x):
    return x ** 3 - 2 * x

x = 1.5
for h in (0.1, 0.01, 0.001, 1e-6):
    forward_slope = (f(x + h) - f(x)) / h
    central_slope = (f(x + h) - f(x - h)) / (2 * h)
    print(f"h = {h:<6g}  (f(x+h) − f(x))/h = {forward_slope:.6f}   "
          f"(f(x+h) − f(x−h))/2h = {central_slope:.6f}")
assert abs((f(x + 1e-6) - f(x - 1e-6)) / 2e-6 - 4.75) < 1e-6

# %% [markdown]
# The one-sided slope is off by about $3x \cdot h$; the central one by about $h^2$. This is how
# we will *check* derivatives. But it costs two evaluations of $f$ per input, and a network has
# millions of inputs (its weights). Reverse mode gets all of them in one backward sweep.
#
# ## 2. `+` and `×`, and backprop by hand
#
# A node remembers its value, its **parents** (the operands it was made from) and the **local
# gradient** of its value with respect to each parent. For $a + b$ both local gradients are 1;
# for $a \cdot b$ they are $b$ and $a$ ("add distributes, mul swaps").

# %%
class MyValue:
    """A number that remembers how it was made: parents and ∂self/∂parent for each."""

    def __init__(self, data, parents=(), local_grads=(), op=""):
        self.data = float(data)
        self.grad = 0.0                 # ∂(output)/∂(this node), filled in by backprop
        self.parents = parents
        self.local_grads = local_grads
        self.op = op

    def __repr__(self):
        return f"MyValue({self.data:.4g}, grad={self.grad:.4g})"

    def __add__(self, other):
        other = other if isinstance(other, MyValue) else MyValue(other)
        return MyValue(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        other = other if isinstance(other, MyValue) else MyValue(other)
        return MyValue(self.data * other.data, (self, other), (other.data, self.data), "×")

    __radd__ = __add__
    __rmul__ = __mul__

# %% [markdown]
# The example of the deck **"Foundations of Neural Network and Deep Learning"** (BUSN 20800
# Lecture 7, Dacheng Xiu), slide **"Backpropagation: a simple example"**: $f(x, y, z) = (x + y)z$
# at $x = -2,\ y = 5,\ z = -4$. Forward, then backward **by hand**: start with
# $\partial f/\partial f = 1$ and, going back, give each parent *upstream gradient × local
# gradient*.

# %% tags=["slide-numbers"]
x, y, z = MyValue(-2.0), MyValue(5.0), MyValue(-4.0)
q = x + y
f = q * z
print("forward:  q =", q.data, "  f =", f.data)

f.grad = 1.0
q.grad = f.grad * f.local_grads[0]      # upstream 1 × local ∂f/∂q = z = −4
z.grad = f.grad * f.local_grads[1]      # upstream 1 × local ∂f/∂z = q = 3
x.grad = q.grad * q.local_grads[0]      # upstream −4 × local ∂q/∂x = 1
y.grad = q.grad * q.local_grads[1]      # upstream −4 × local ∂q/∂y = 1
print("backward: ∂f/∂x =", x.grad, " ∂f/∂y =", y.grad, " ∂f/∂z =", z.grad)
assert (q.data, f.data) == (3.0, -12.0) and (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)

# %% [markdown]
# Every step has the same shape: for a node, for each of its parents,
# `parent.grad = node.grad * local`. Let a method do it for one node:

# %%
def _backward_step(self):
    """Send this node's gradient to its parents: upstream × local (first version)."""
    for parent, local in zip(self.parents, self.local_grads):
        parent.grad = self.grad * local

MyValue._backward_step = _backward_step

# %% [markdown]
# ## 3. A node used twice
#
# Try $g = a \cdot a + a$ at $a = 3$: $g' = 2a + 1 = 7$. Running the steps from the output down:

# %% tags=["slide-numbers"]
a = MyValue(3.0)
square = a * a
g = square + a
g.grad = 1.0
g._backward_step()          # g = square + a: sends 1 to square and 1 to a
square._backward_step()     # square = a · a: sends 1 · 3 to a ... twice
print("a.grad =", a.grad, "   but dg/da = 2a + 1 =", 2 * 3 + 1)
assert a.grad == 3.0        # wrong!

# %% [markdown]
# `a` receives three contributions (one through `+`, two through `×`), and each `=` overwrote
# the one before. The slide's rule for a value used more than once (the same deck's **"Patterns
# in gradient flow"**: *copy gate: gradient adder*) is to **add** the contributions of all its
# uses. The fix is one character: `+=`.

# %% tags=["slide-numbers"]
def _backward_step(self):
    """Send this node's gradient to its parents: upstream × local, *added* to what is there."""
    for parent, local in zip(self.parents, self.local_grads):
        parent.grad += self.grad * local

MyValue._backward_step = _backward_step

a = MyValue(3.0)
g = a * a + a
g.grad = 1.0
g._backward_step()
g.parents[0]._backward_step()
print("a.grad =", a.grad)
assert a.grad == 7.0

# %% [markdown]
# ## 4. An iterative topological order
#
# Calling the steps by hand needs the right order: a node may pass its gradient on only after
# *all* of its own contributions have arrived, i.e. after every node that uses it. That is the
# reverse of a **topological order** (every node after its parents). We find one with a
# depth-first walk. The walk uses an explicit stack instead of recursion: a recursive walk
# stops with `RecursionError` on a graph about 1,000 nodes deep, and a training graph is
# deeper than that.

# %%
def topological_order(root):
    """Every node below ``root``, each after all of its parents (iterative depth-first walk)."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)          # all its parents are already in the list
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))  # come back to it after its parents
            stack.extend((p, False) for p in node.parents)
    return order


def backward(self):
    """∂self/∂node for every node below: one backward step per node, output first."""
    order = topological_order(self)
    for node in order:
        node.grad = 0.0
    self.grad = 1.0
    for node in reversed(order):
        node._backward_step()

MyValue.backward = backward

# %% tags=["slide-numbers"]
a = MyValue(3.0)
g = a * a + a
g.backward()
print("g = a · a + a:  ∂g/∂a =", a.grad)
assert a.grad == 7.0

b = MyValue(1.0)
chain = b
for _ in range(5000):               # a graph 5,000 nodes deep
    chain = chain + b
chain.backward()
print("b + b + … + b (5,001 terms):  ∂/∂b =", b.grad)
assert b.grad == 5001.0

# %% [markdown]
# ## 5. More operations: −, /, powers, exp, log, sin
#
# Each new op is one method: compute the value, and give the local gradient for each parent.
# Subtraction and division are their own nodes with their own local gradients — $(1, -1)$ and
# $(1/b,\ -a/b^2)$ — so the trace will show `v5 = v4 − v3` exactly as the slide does.

# %%
def _lift(x):
    return x if isinstance(x, MyValue) else MyValue(x)


def _sub(self, other):
    other = _lift(other)
    return MyValue(self.data - other.data, (self, other), (1.0, -1.0), "−")


def _truediv(self, other):
    other = _lift(other)
    a, b = self.data, other.data
    return MyValue(a / b, (self, other), (1.0 / b, -a / b ** 2), "/")


def _neg(self):
    return MyValue(-self.data, (self,), (-1.0,), "neg")


def _pow(self, n):
    """self ** n for a plain number n: local gradient n·xⁿ⁻¹."""
    return MyValue(self.data ** n, (self,), (n * self.data ** (n - 1),), "**")


def _exp(self):
    e = math.exp(self.data)
    return MyValue(e, (self,), (e,), "exp")          # (eˣ)' = eˣ


def _log(self):
    return MyValue(math.log(self.data), (self,), (1.0 / self.data,), "ln")   # (ln x)' = 1/x


def _sin(self):
    return MyValue(math.sin(self.data), (self,), (math.cos(self.data),), "sin")  # (sin x)' = cos x


MyValue.__sub__, MyValue.__rsub__ = _sub, lambda self, other: _sub(_lift(other), self)
MyValue.__truediv__ = _truediv
MyValue.__rtruediv__ = lambda self, other: _truediv(_lift(other), self)
MyValue.__neg__, MyValue.__pow__ = _neg, _pow
MyValue.exp, MyValue.log, MyValue.sin = _exp, _log, _sin

# %% [markdown]
# ## 6. The slide's expression with the home-made class

# %% tags=["slide-numbers"]
x1, x2 = MyValue(2.0), MyValue(5.0)
y = x1.log() + x1 * x2 - x2.sin()
y.backward()
print(f"y = {y.data:.3f}   ∂y/∂x1 = {x1.grad:.3f}   ∂y/∂x2 = {x2.grad:.3f}")
assert round(y.data, 3) == 11.652 and round(x1.grad, 3) == 5.5 and round(x2.grad, 3) == 1.716

# %% [markdown]
# ### Watch backprop step by step
#
# Your `backward()` just did one `+=` per edge, from the output down. `step_through` shows
# those steps one at a time on the same graph built with the library's `Value`: the node whose
# gradient is being updated is outlined orange, the node passing its gradient down (the
# upstream node) blue, and the edge with its local gradient purple; the table on the right is
# the reverse adjoint trace with the current row highlighted. Press **Next** and **Back**, or
# drag the slider. (Where buttons cannot run, on GitHub for instance, the steps play as an
# animation.) Notebook 1 reads the same steps as rows of the slide's reverse adjoint trace.

# %%
from tinygrad_edu import Value, step_through

X1, X2 = Value(2.0, label="x1"), Value(5.0, label="x2")
step_through(X1.log() + X1 * X2 - X2.sin())

# %% [markdown]
# ### Checked against the reference
#
# `check_engine` finds out which operations `MyValue` supports by trying them, then runs the
# slide expression, nodes used two and three times, a 5,000-node chain and 200 random
# expression graphs with shared parts on your class and on `tinygrad_edu.Value`, and compares
# the value and every input's gradient (to 9 significant digits). On a mismatch it shrinks the
# case to the smallest failing sub-expression and names the classic mistake. Try it: change
# `+=` back to `=` in section 3 (and re-run the cells below it), or flip the sign of `_sin`'s
# local gradient.

# %% tags=["slide-numbers"]
from tinygrad_edu.exercises import check_engine

report = check_engine(MyValue)
print(report)
assert report

# %% [markdown]
# ### The same with `tinygrad_edu.Value`
#
# The library's `Value` is the same idea with more care: every op is declared once in an op
# table (`tinygrad_edu.ops`) with its float math, local gradients and notation; nodes keep their
# parents in slots instead of tuples (cheaper for big graphs); errors are clear (`ln` of a
# negative number says so); and the graph can be drawn and printed as the slide's trace tables.

# %% tags=["slide-numbers"]
from tinygrad_edu import Value, trace

X1, X2 = Value(2.0, label="x1"), Value(5.0, label="x2")
Y = X1.log() + X1 * X2 - X2.sin()
Y.backward()
assert (Y.data, X1.grad, X2.grad) == (y.data, x1.grad, x2.grad)   # the very same floats
print(trace(Y))

# %% [markdown]
# The forward primal trace lists the nodes $v_{-1}, v_0$ (inputs) and $v_1 \dots v_5$ in order;
# the reverse adjoint trace is exactly what `backward` did, one `+=` per row: the rows
# `v̄0 = v̄0 + v̄2 × v-1` and `v̄-1 = v̄-1 + v̄1 / v-1` are the second contributions to the two
# inputs, each used twice. Notebook 1 takes this trace apart row by row; the exercises
# (`notebooks/exercises.ipynb`) ask you to fill it in by hand.
