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
# # 2 · Backprop by hand: upstream gradient × local gradient
#
# This notebook follows the computational-graph examples of two decks — **"Foundations of
# Neural Network and Deep Learning"** (BUSN 20800 Lecture 7, Dacheng Xiu), slides
# **"Backpropagation: a simple example"**, **"Another example"** and **"Patterns in gradient
# flow"**, and **"Neural networks cont'd: learning via gradient descent, backpropagation"**,
# slides **"Chain Rule with a Computational Graph"** and **"Another example"** — the CS231n
# examples that the "cont'd" deck credits to Fei-Fei Li, Andrej Karpathy and Justin Johnson:
#
# 1. $f(x, y, z) = (x + y)\,z$ at $x = -2,\ y = 5,\ z = -4$ — the chain rule on a graph;
# 2. the sigmoid neuron $f(w, x) = \dfrac{1}{1 + e^{-(w_0 x_0 + w_1 x_1 + w_2)}}$, with the sigmoid
#    as one operation and as $\times(-1)$, $\exp$, $+1$, $1/x$ — the same gradients;
# 3. the *patterns in gradient flow*: **add** distributes, **mul** swaps, **copy** adds,
#    **max** routes.
#
# At every node the rule is the slide's: **[downstream gradient] = [upstream gradient] ×
# [local gradient]**, and a node used more than once adds up what comes back on each path.

# %%
from tinygrad_edu import Constant, Value, draw_dot
from tinygrad_edu.engine import topological_order

# %% [markdown]
# A reverse sweep written out in a few lines: visit the nodes from the output down (reverse
# topological order, so a node's gradient is complete before it is passed on), and send
# *upstream × local* along every edge. It prints each multiplication, as you would on paper.

# %%
def name(node):
    return node.label or f"{node.data:g}"

def backprop_by_hand(output, show=True):
    """Reverse mode, step by step: {node: ∂output/∂node}. Constants get no gradient."""
    grad = {output: 1.0}
    for node in reversed(topological_order(output)):
        for parent, local in zip(node.parents, node.local_grads):
            if isinstance(parent, Constant):
                continue
            upstream = grad[node]
            grad[parent] = grad.get(parent, 0.0) + upstream * local
            if show:
                print(f"{name(node):>4} → {name(parent):<4} upstream {upstream:6.2f} × "
                      f"local {local:6.2f} = {upstream * local:6.2f}")
    return grad


# %% [markdown]
# ## 1. $f(x, y, z) = (x + y)\,z$
#
# With $q = x + y$ and $f = q z$, the local gradients are
# $\partial q/\partial x = \partial q/\partial y = 1$ and
# $\partial f/\partial q = z$, $\partial f/\partial z = q$. The chain rule
# $\dfrac{\partial f}{\partial y} = \dfrac{\partial f}{\partial q}\dfrac{\partial q}{\partial y}$
# is one multiplication per edge.

# %% tags=["slide-numbers"]
x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
q = x + y;  q.label = "q"
f = q * z;  f.label = "f"
print(f"forward:  q = {q.data:g},  f = {f.data:g}")
grads = backprop_by_hand(f)
assert (q.data, f.data) == (3.0, -12.0)
assert (grads[x], grads[y], grads[z], grads[q]) == (-4.0, -4.0, 3.0, -4.0)

# %% [markdown]
# The engine's `backward()` does exactly this and leaves each result in `.grad`:

# %% tags=["slide-numbers"]
f.backward()
print(f"df/dx = {x.grad:g}, df/dy = {y.grad:g}, df/dz = {z.grad:g}, df/dq = {q.grad:g}")
assert all(node.grad == g for node, g in grads.items())

# %%
draw_dot(f, show_local_grads=True)


# %% [markdown]
# ## 2. The sigmoid neuron, two ways
#
# $$f(w, x) = \frac{1}{1 + e^{-(w_0 x_0 + w_1 x_1 + w_2)}} \qquad
# w_0 = 2,\ x_0 = -1,\ w_1 = -3,\ x_1 = -2,\ w_2 = -3 .$$
#
# **(a) The sigmoid as one operation.** Its local gradient is
# $\dfrac{d\sigma(x)}{dx} = (1 - \sigma(x))\,\sigma(x)$, so with upstream gradient 1 the slide
# computes $(1.00) \times [(1 - 0.73)(0.73)] = 0.20$.

# %% tags=["slide-numbers"]
def neuron_inputs():
    return (Value(2.0, "w0"), Value(-1.0, "x0"), Value(-3.0, "w1"), Value(-2.0, "x1"),
            Value(-3.0, "w2"))

w0, x0, w1, x1, w2 = neuron_inputs()
s = w0 * x0 + w1 * x1 + w2;  s.label = "s"
f1 = s.sigmoid();  f1.label = "f"
f1.backward()

print(f"f = σ({s.data:.2f}) = {f1.data:.2f}")
print(f"local gradient at the sigmoid: (1 − {f1.data:.2f})({f1.data:.2f}) = "
      f"{(1 - f1.data) * f1.data:.5f} ≈ {f1.local_grads[0]:.2f}")
one_op = {v.label: round(v.grad, 2) for v in (w0, x0, w1, x1, w2)}
print("gradients:", one_op)

assert round(f1.data, 2) == 0.73 and round(f1.local_grads[0], 2) == 0.20
assert one_op == {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}

# %% [markdown]
# The slide rounds $\sigma = 0.73$ before multiplying; the engine keeps the unrounded
# $0.19661$, and its gradients round to the slide's printed values ($x_0 \cdot 0.19661 =
# -0.19661 \to -0.20$, $w_0 \cdot 0.19661 = 0.393 \to 0.39$, …).
#
# **(b) The same function from simpler gates**, as on the slide: $\times(-1)$, $\exp$, $+1$,
# $1/x$, with local gradients $-1$, $e^x$, $1$, $-1/x^2$.

# %% tags=["slide-numbers"]
w0b, x0b, w1b, x1b, w2b = neuron_inputs()
s = w0b * x0b + w1b * x1b + w2b;  s.label = "s"
neg = s * -1;       neg.label = "−s"
e = neg.exp();      e.label = "exp"
d = e + 1;          d.label = "1+exp"
f2 = 1 / d;         f2.label = "f"

chain = [s, neg, e, d, f2]
print("forward: ", "  ".join(f"{n.label} = {n.data:.2f}" for n in chain))
grads = backprop_by_hand(f2, show=False)
print("backward:", "  ".join(f"{n.label}: {grads[n]:.2f}" for n in reversed(chain)))

assert [round(n.data, 2) for n in chain] == [1.00, -1.00, 0.37, 1.37, 0.73]
assert [round(grads[n], 2) for n in reversed(chain)] == [1.00, -0.53, -0.53, -0.20, 0.20]

# %% tags=["slide-numbers"]
f2.backward()
decomposed = {v.label: v.grad for v in (w0b, x0b, w1b, x1b, w2b)}
for v in (w0, x0, w1, x1, w2):
    print(f"d f/d {v.label}: one op {v.grad:+.5f}   four gates {decomposed[v.label]:+.5f}")
    assert abs(v.grad - decomposed[v.label]) < 1e-12

# %% [markdown]
# Both graphs compute the same function and the same gradients; the one with a sigmoid node is
# shorter because its local gradient $(1-\sigma)\sigma$ is easy to write down — the slide's
# advice: *choose a graph where local gradients at each node can be easily expressed*.

# %%
draw_dot(f1, rankdir="TB", show_local_grads=True)

# %%
draw_dot(f2, rankdir="TB", show_local_grads=True)

# %% [markdown]
# ## 3. Patterns in gradient flow
#
# Each gate below receives the upstream gradient $2$ (passed as `backward(grad=2.0)`, as if the
# gate sat inside a larger graph).
#
# * **add gate — gradient distributor:** local gradients $(1, 1)$, both inputs get the upstream
#   gradient unchanged.
# * **mul gate — "swap multiplier":** $\partial(ab)/\partial a = b$, so each input gets the
#   upstream gradient times the *other* input.
# * **copy gate — gradient adder:** a value used twice gets the *sum* of the gradients from both
#   uses.
# * **max gate — gradient router:** the larger input gets the whole upstream gradient, the other
#   gets 0 (on a tie each gets half, as in PyTorch).

# %% tags=["slide-numbers"]
a, b = Value(3.0, "a"), Value(-4.0, "b")
add = a + b;  add.label = "a+b"
add.backward(grad=2.0)
print(f"add: a̅ = {a.grad:g}, b̅ = {b.grad:g}")
assert (a.grad, b.grad) == (2.0, 2.0)

# %%
draw_dot(add, show_local_grads=True)

# %% tags=["slide-numbers"]
a, b = Value(3.0, "a"), Value(-4.0, "b")
mul = a * b;  mul.label = "a·b"
mul.backward(grad=2.0)
print(f"mul: a̅ = 2 × b = {a.grad:g}, b̅ = 2 × a = {b.grad:g}")
assert (a.grad, b.grad) == (-8.0, 6.0)

# %%
draw_dot(mul, show_local_grads=True)

# %% tags=["slide-numbers"]
a = Value(3.0, "a")
u = a * 4;   u.label = "4a"
v = a + 5;   v.label = "a+5"
out = u + v; out.label = "out"
out.backward(grad=2.0)
print(f"copy: a̅ = 2 × 4 + 2 × 1 = {a.grad:g}")
assert a.grad == 10.0

# %%
draw_dot(out, show_local_grads=True)

# %% tags=["slide-numbers"]
a, b = Value(2.0, "a"), Value(-1.0, "b")
m = a.max(b);  m.label = "max"
m.backward(grad=2.0)
print(f"max: a̅ = {a.grad:g} (the larger), b̅ = {b.grad:g}")
assert (a.grad, b.grad) == (2.0, 0.0)

c, d = Value(1.0, "c"), Value(1.0, "d")
c.max(d).backward(grad=2.0)
print(f"max on a tie: c̅ = {c.grad:g}, d̅ = {d.grad:g}")
assert (c.grad, d.grad) == (1.0, 1.0)

# %%
draw_dot(m, show_local_grads=True)

# %% [markdown]
# Three of the patterns in one graph — $f = 2\,(x y + \max(z, w))$ at $x = 3,\ y = -4,\ z = 2,\
# w = -1$: the $\times 2$ gate sends 2 back, the add gate distributes it, the mul gate swaps it
# onto $x$ and $y$ ($2y = -8$, $2x = 6$), the max gate routes it to $z$.

# %% tags=["slide-numbers"]
x, y, z, w = Value(3.0, "x"), Value(-4.0, "y"), Value(2.0, "z"), Value(-1.0, "w")
xy = x * y;          xy.label = "xy"
mx = z.max(w);       mx.label = "max"
s = xy + mx;         s.label = "s"
f = s * 2;           f.label = "f"
f.backward()
print(f"f = {f.data:g};  x̅ = {x.grad:g}, y̅ = {y.grad:g}, z̅ = {z.grad:g}, w̅ = {w.grad:g}")
assert (f.data, x.grad, y.grad, z.grad, w.grad) == (-20.0, -8.0, 6.0, 2.0, 0.0)

# %%
draw_dot(f, rankdir="TB", show_local_grads=True)

# %% [markdown]
# **Summary.** Backprop never needs the whole formula: each node only needs its local gradients
# and the gradient arriving from above. Add, mul, copy and max are the patterns you will see
# again inside every layer of a network (notebook 4 writes them as the backprop equations).
