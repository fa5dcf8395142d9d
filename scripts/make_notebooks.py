#!/usr/bin/env python3
"""Write the teaching notebooks in notebooks/ from the cell sources below (nbformat v4).

The notebooks are authored here, as plain text, so their cells stay clean and reviewable;
this script writes them without outputs. Then `make notebooks` (scripts/run_notebooks.py
--save) executes them in a clean kernel and saves the outputs that get committed.

    .venv/bin/python scripts/make_notebooks.py            # write all notebooks
    .venv/bin/python scripts/make_notebooks.py 01 04      # only those whose names start so
    .venv/bin/python scripts/run_notebooks.py --save      # then execute and save them

Cells tagged ``slide-numbers`` print the slides' numbers; tests/test_notebooks.py checks that
their text output in the committed notebook equals a fresh run's, so those cells print only
rounded, deterministic text (no timings, no object addresses).
"""
import pathlib
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SLIDE = "slide-numbers"

# "ȳ", "ẋ", "ẏ" typed on a keyboard are precomposed characters (U+0233, U+1E8B, U+1E8F); the
# traces write names as letter + combining mark (v̄ = v + U+0304, v̇ = v + U+0307). Code cells
# use the latter, so the asserts compare like with like.
_PRECOMPOSED = {"\u0233": "y\u0304", "\u1e8b": "x\u0307", "\u1e8f": "y\u0307"}


def md(text):
    return new_markdown_cell(text.strip("\n"))


def code(text, *tags):
    source = text.strip("\n")
    for composed, decomposed in _PRECOMPOSED.items():
        source = source.replace(composed, decomposed)
    cell = new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


SETUP_PLOTS = '''
import matplotlib.pyplot as plt
plt.rcParams.update({"figure.figsize": (6, 4), "figure.dpi": 80, "axes.grid": True,
                     "grid.alpha": 0.3})
'''

BOUNDARY_HELPERS = '''
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
'''


# ============================================================================ notebook 01
def nb01():
    return [
        md(r'''
# 1 · Computation graphs, the forward primal trace and the reverse adjoint trace

This notebook follows the **autodiff slides at the end of file 000** ("Backprop for this simple
network architecture is a special case of *reverse-mode auto-differentiation*"), which use
Baydin et al.'s evaluation-trace tables for

$$y = f(x_1, x_2) = \ln(x_1) + x_1 x_2 - \sin(x_2) \qquad\text{at } x_1 = 2,\; x_2 = 5 .$$

Steps: **(1)** build the computation graph from `Value` nodes and draw it; **(2)** read the
*forward primal trace* $v_{-1}, v_0, v_1, \dots, v_5$ off the graph, row by row; **(3)** run the
*reverse adjoint trace* $\bar v_i = \partial y / \partial v_i$ one step at a time — each step is
**upstream gradient × local gradient**; **(4)** get the same gradients from finite
differences, without any chain rule.

Notation as on the slide: the inputs are $v_{-1} = x_1$ and $v_0 = x_2$, intermediate results
$v_1 \dots v_5$, and $\bar v_i$ is the *adjoint* of $v_i$. Every number the slide prints is
checked by an `assert`: if the engine breaks, this notebook stops with an error.
'''),
        code('''
import math

import unicodedata

from tinygrad_edu import Value, draw_dot, gradcheck, numerical_grad, trace
from tinygrad_edu.ops import OPS, format_number
from tinygrad_edu.trace import bar, format_value, number_nodes
''' + SETUP_PLOTS),
        md(r'''
## 1. The computation graph

Every operation makes **one node**. The node stores its value, its parents (operands) and the
*local* derivative of its value with respect to each parent — the entries the slide's adjoint
table multiplies by. `a − b` is a single node with local gradients $(1, -1)$, exactly one row of
the table.
'''),
        code('''
x1 = Value(2.0, label="x1")
x2 = Value(5.0, label="x2")
y = x1.log() + x1 * x2 - x2.sin()
y.label = "y"

draw_dot(y, show_grad=False, trace_names=True)
'''),
        md(r'''
What each node stores, numbered as in the slide (inputs $v_{-1}, v_0$ in order of first use,
then $v_1 \dots v_5$ by depth):
'''),
        code('''
names = number_nodes(y)
for node in sorted(names, key=lambda n: int(names[n][1:])):
    if node.parents:
        parents = ", ".join(names[p] for p in node.parents)
        local = ", ".join(format_value(g) for g in node.local_grads)
        print(f"{names[node]:>3}: op {node.op!r:6} parents ({parents:8})  local gradients ({local})")
    else:
        print(f"{names[node]:>3}: input {node.label} = {node.data:g}")
''', SLIDE),
        md(r'''
## 2. The forward primal trace

Evaluate the nodes in topological order (every node after its parents). Each row applies one
operation to values that are already known; the middle column shows the operation with the
numbers put in, as the slide's third column does ($\ln 2$, $2 \times 5$, $0.693 + 10$, …).
'''),
        code('''
t = trace(y)

def with_numbers(node):
    """The node's operation with its operands' values written in (3 decimals)."""
    operands = []
    for p in node.parents:
        text = format_number(round(p.data, 3))
        operands.append(f"({text})" if text.startswith("−") else text)
    return OPS[node.op].write(*operands)

for row in t.forward:
    numbers = with_numbers(row.node) if row.node.parents and row.name != "y" else ""
    print(f"{row.name:>3} = {row.expr:<9} = {numbers:<17} = {format_value(row.value)}")

slide_forward = {"v-1": 2.0, "v0": 5.0, "v1": 0.693, "v2": 10.0, "v3": -0.959,
                 "v4": 10.693, "v5": 11.652, "y": 11.652}
assert {r.name: round(r.value, 3) for r in t.forward} == slide_forward
assert [r.expr for r in t.forward] == ["x1", "x2", "ln v-1", "v-1 × v0", "sin v0",
                                       "v1 + v2", "v4 − v3", "v5"]
''', SLIDE),
        md(r'''
## 3. The reverse adjoint trace, one step at a time

Start from the output, $\bar v_5 = \bar y = \partial y/\partial y = 1$, and visit the nodes from
$v_5$ down to $v_1$. A node passes **upstream × local** to each of its parents:

$$\bar v_{\text{parent}} \mathrel{+}= \bar v_{\text{node}} \cdot \frac{\partial v_{\text{node}}}{\partial v_{\text{parent}}} .$$

The first contribution to an adjoint is written $\bar v_i = \dots$, later ones
$\bar v_i = \bar v_i + \dots$: $x_1$ is used twice (in $\ln$ and in $\times$), so $\bar v_{-1}$
receives two contributions, and so does $\bar v_0$ — a *copy gate* adds gradients. The rows are
in execution order; the slide prints the same rows bottom-up, so read its table from the
bottom.
'''),
        code('''
def pad(text, width):
    """Left-justify, counting v̄ (a v and a combining bar) as one character."""
    return text + " " * (width - sum(not unicodedata.combining(c) for c in text))

for row in t.adjoint:
    line = f"{pad(row.target, 4)} = {pad(row.expr, 16)} = {format_value(row.value):>6}"
    if row.upstream is not None:
        up = row.upstream
        local = up.local_grads[up.parents.index(row.node)]
        upstream = t.adjoints[up]
        line += (f"   upstream {bar(names[up])} = {format_value(upstream)} × local "
                 f"∂{names[up]}/∂{names[row.node]} = {format_value(local)}"
                 f"  →  adds {format_value(upstream * local)}")
    print(line)

slide_adjoint = [("v̄5", "ȳ", 1.0), ("v̄4", "v̄5 × 1", 1.0), ("v̄3", "v̄5 × (−1)", -1.0),
                 ("v̄1", "v̄4 × 1", 1.0), ("v̄2", "v̄4 × 1", 1.0),
                 ("v̄0", "v̄3 × cos v0", -0.284), ("v̄-1", "v̄2 × v0", 5.0),
                 ("v̄0", "v̄0 + v̄2 × v-1", 1.716), ("v̄-1", "v̄-1 + v̄1 / v-1", 5.5),
                 ("x̄1", "v̄-1", 5.5), ("x̄2", "v̄0", 1.716)]
assert [(r.target, r.expr, round(r.value, 3)) for r in t.adjoint] == slide_adjoint
''', SLIDE),
        md(r'''
Both tables side by side (the trace object renders itself as HTML in a notebook;
`t.to_markdown()` and `t.to_latex()` give the same tables for lecture notes):
'''),
        code('''
t
'''),
        md(r'''
`trace` computed those adjoints by itself and left every `.grad` alone. `backward()` runs the
same reverse sweep on the graph and stores $\bar v_i$ in each node's `.grad`; the picture now
shows the gradients, and each edge its local gradient $\partial v_{\text{node}}/\partial
v_{\text{parent}}$.
'''),
        code('''
assert x1.grad == 0.0 and x2.grad == 0.0     # the trace never touches .grad
y.backward()
print(f"x̄1 = ∂y/∂x1 = {x1.grad:.3f}")
print(f"x̄2 = ∂y/∂x2 = {x2.grad:.3f}")
assert x1.grad == 5.5                        # 1/x1 + x2 = 0.5 + 5, exactly
assert round(x2.grad, 3) == 1.716            # x1 − cos x2
assert x2.grad == t.gradients["x2"]          # the same numbers as the trace
''', SLIDE),
        code('''
draw_dot(y, rankdir="TB", show_local_grads=True, trace_names=True)
'''),
        md(r'''
## 4. The same gradients from finite differences

Without any chain rule: nudge one input by $h$ each way and measure the change of $f$,

$$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h},$$

the *central difference*, whose error shrinks like $h^2$. First by hand, with plain floats:
'''),
        code('''
def f_float(a, b):
    return math.log(a) + a * b - math.sin(b)

h = 1e-5
d1 = (f_float(2 + h, 5) - f_float(2 - h, 5)) / (2 * h)
d2 = (f_float(2, 5 + h) - f_float(2, 5 - h)) / (2 * h)
print(f"∂y/∂x1 ≈ {d1:.6f}    ∂y/∂x2 ≈ {d2:.6f}")
assert round(d1, 3) == 5.5 and round(d2, 3) == 1.716
''', SLIDE),
        md(r'''
`numerical_grad(f, xs)` does the same for a function of `Value`s, and `gradcheck(f, xs)`
compares it with reverse mode input by input (PyTorch's tolerances: `atol=1e-5, rtol=1e-3`):
'''),
        code('''
def f(x1, x2):
    return x1.log() + x1 * x2 - x2.sin()

numeric = numerical_grad(f, [2.0, 5.0])
print("numerical_grad:", [round(g, 6) for g in numeric])
result = gradcheck(f, [2.0, 5.0])
print("gradcheck passed:", bool(result))
assert result and [round(g, 3) for g in numeric] == [5.5, 1.716]
''', SLIDE),
        code('''
print(result)   # the full report: reverse mode next to the numeric estimate, per input
'''),
        md(r'''
Why not always use finite differences? They cost two evaluations of $f$ **per input** (a
network has millions), and their accuracy depends on $h$: too large and the truncation error
($\propto h$ one-sided, $\propto h^2$ central) dominates; too small and floating-point
cancellation in $f(x+h) - f(x-h)$ takes over. Reverse mode gives every input's derivative in
one backward sweep, exact up to rounding.
'''),
        code('''
exact = 0.5 + 5.0                          # ∂y/∂x1 = 1/x1 + x2
hs = [10.0 ** -k for k in range(1, 13)]
one_sided = [abs((f_float(2 + h, 5) - f_float(2, 5)) / h - exact) for h in hs]
central = [abs((f_float(2 + h, 5) - f_float(2 - h, 5)) / (2 * h) - exact) for h in hs]

fig, ax = plt.subplots()
ax.loglog(hs, one_sided, "o-", label="one-sided  (f(x+h) − f(x)) / h")
ax.loglog(hs, central, "s-", label="central  (f(x+h) − f(x−h)) / 2h")
ax.set_xlabel("step h"); ax.set_ylabel("|error| in ∂y/∂x1")
ax.set_title("Finite differences: truncation error vs rounding error")
ax.legend()
plt.show()
'''),
        md(r'''
**Summary.** The graph records every operation with its local derivatives; the forward trace
computes the $v_i$; the reverse trace multiplies upstream by local gradients from the output
back, adding contributions where a value is used twice; finite differences agree to about six
digits. Notebook 7 runs the same expression in *forward* mode (tangents $\dot v_i$ instead of
adjoints).
'''),
    ]


# ============================================================================ notebook 02
def nb02():
    return [
        md(r'''
# 2 · Backprop by hand: upstream gradient × local gradient

This notebook follows the **computational-graph examples of files 002 and 003** (the CS231n
examples that file 003 credits to Fei-Fei Li, Andrej Karpathy and Justin Johnson):

1. $f(x, y, z) = (x + y)\,z$ at $x = -2,\ y = 5,\ z = -4$ — the chain rule on a graph;
2. the sigmoid neuron $f(w, x) = \dfrac{1}{1 + e^{-(w_0 x_0 + w_1 x_1 + w_2)}}$, with the sigmoid
   as one operation and as $\times(-1)$, $\exp$, $+1$, $1/x$ — the same gradients;
3. the *patterns in gradient flow*: **add** distributes, **mul** swaps, **copy** adds,
   **max** routes.

At every node the rule is the slide's: **[downstream gradient] = [upstream gradient] ×
[local gradient]**, and a node used more than once adds up what comes back on each path.
'''),
        code('''
from tinygrad_edu import Constant, Value, draw_dot
from tinygrad_edu.engine import topological_order
'''),
        md(r'''
A reverse sweep written out in a few lines: visit the nodes from the output down (reverse
topological order, so a node's gradient is complete before it is passed on), and send
*upstream × local* along every edge. It prints each multiplication, as you would on paper.
'''),
        code('''
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
'''),
        md(r'''
## 1. $f(x, y, z) = (x + y)\,z$

With $q = x + y$ and $f = q z$, the local gradients are
$\partial q/\partial x = \partial q/\partial y = 1$ and
$\partial f/\partial q = z$, $\partial f/\partial z = q$. The chain rule
$\dfrac{\partial f}{\partial y} = \dfrac{\partial f}{\partial q}\dfrac{\partial q}{\partial y}$
is one multiplication per edge.
'''),
        code('''
x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
q = x + y;  q.label = "q"
f = q * z;  f.label = "f"
print(f"forward:  q = {q.data:g},  f = {f.data:g}")
grads = backprop_by_hand(f)
assert (q.data, f.data) == (3.0, -12.0)
assert (grads[x], grads[y], grads[z], grads[q]) == (-4.0, -4.0, 3.0, -4.0)
''', SLIDE),
        md(r'''
The engine's `backward()` does exactly this and leaves each result in `.grad`:
'''),
        code('''
f.backward()
print(f"df/dx = {x.grad:g}, df/dy = {y.grad:g}, df/dz = {z.grad:g}, df/dq = {q.grad:g}")
assert all(node.grad == g for node, g in grads.items())
''', SLIDE),
        code('''
draw_dot(f, show_local_grads=True)
'''),
        md(r'''
## 2. The sigmoid neuron, two ways

$$f(w, x) = \frac{1}{1 + e^{-(w_0 x_0 + w_1 x_1 + w_2)}} \qquad
w_0 = 2,\ x_0 = -1,\ w_1 = -3,\ x_1 = -2,\ w_2 = -3 .$$

**(a) The sigmoid as one operation.** Its local gradient is
$\dfrac{d\sigma(x)}{dx} = (1 - \sigma(x))\,\sigma(x)$, so with upstream gradient 1 the slide
computes $(1.00) \times [(1 - 0.73)(0.73)] = 0.20$.
'''),
        code('''
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
''', SLIDE),
        md(r'''
The slide rounds $\sigma = 0.73$ before multiplying; the engine keeps the unrounded
$0.19661$, and its gradients round to the slide's printed values ($x_0 \cdot 0.19661 =
-0.19661 \to -0.20$, $w_0 \cdot 0.19661 = 0.393 \to 0.39$, …).

**(b) The same function from simpler gates**, as on the slide: $\times(-1)$, $\exp$, $+1$,
$1/x$, with local gradients $-1$, $e^x$, $1$, $-1/x^2$.
'''),
        code('''
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
''', SLIDE),
        code('''
f2.backward()
decomposed = {v.label: v.grad for v in (w0b, x0b, w1b, x1b, w2b)}
for v in (w0, x0, w1, x1, w2):
    print(f"d f/d {v.label}: one op {v.grad:+.5f}   four gates {decomposed[v.label]:+.5f}")
    assert abs(v.grad - decomposed[v.label]) < 1e-12
''', SLIDE),
        md(r'''
Both graphs compute the same function and the same gradients; the one with a sigmoid node is
shorter because its local gradient $(1-\sigma)\sigma$ is easy to write down — the slide's
advice: *choose a graph where local gradients at each node can be easily expressed*.
'''),
        code('''
draw_dot(f1, rankdir="TB", show_local_grads=True)
'''),
        code('''
draw_dot(f2, rankdir="TB", show_local_grads=True)
'''),
        md(r'''
## 3. Patterns in gradient flow

Each gate below receives the upstream gradient $2$ (passed as `backward(grad=2.0)`, as if the
gate sat inside a larger graph).

* **add gate — gradient distributor:** local gradients $(1, 1)$, both inputs get the upstream
  gradient unchanged.
* **mul gate — "swap multiplier":** $\partial(ab)/\partial a = b$, so each input gets the
  upstream gradient times the *other* input.
* **copy gate — gradient adder:** a value used twice gets the *sum* of the gradients from both
  uses.
* **max gate — gradient router:** the larger input gets the whole upstream gradient, the other
  gets 0 (on a tie each gets half, as in PyTorch).
'''),
        code('''
a, b = Value(3.0, "a"), Value(-4.0, "b")
add = a + b;  add.label = "a+b"
add.backward(grad=2.0)
print(f"add: a̅ = {a.grad:g}, b̅ = {b.grad:g}")
assert (a.grad, b.grad) == (2.0, 2.0)
''', SLIDE),
        code('''
draw_dot(add, show_local_grads=True)
'''),
        code('''
a, b = Value(3.0, "a"), Value(-4.0, "b")
mul = a * b;  mul.label = "a·b"
mul.backward(grad=2.0)
print(f"mul: a̅ = 2 × b = {a.grad:g}, b̅ = 2 × a = {b.grad:g}")
assert (a.grad, b.grad) == (-8.0, 6.0)
''', SLIDE),
        code('''
draw_dot(mul, show_local_grads=True)
'''),
        code('''
a = Value(3.0, "a")
u = a * 4;   u.label = "4a"
v = a + 5;   v.label = "a+5"
out = u + v; out.label = "out"
out.backward(grad=2.0)
print(f"copy: a̅ = 2 × 4 + 2 × 1 = {a.grad:g}")
assert a.grad == 10.0
''', SLIDE),
        code('''
draw_dot(out, show_local_grads=True)
'''),
        code('''
a, b = Value(2.0, "a"), Value(-1.0, "b")
m = a.max(b);  m.label = "max"
m.backward(grad=2.0)
print(f"max: a̅ = {a.grad:g} (the larger), b̅ = {b.grad:g}")
assert (a.grad, b.grad) == (2.0, 0.0)

c, d = Value(1.0, "c"), Value(1.0, "d")
c.max(d).backward(grad=2.0)
print(f"max on a tie: c̅ = {c.grad:g}, d̅ = {d.grad:g}")
assert (c.grad, d.grad) == (1.0, 1.0)
''', SLIDE),
        code('''
draw_dot(m, show_local_grads=True)
'''),
        md(r'''
Three of the patterns in one graph — $f = 2\,(x y + \max(z, w))$ at $x = 3,\ y = -4,\ z = 2,\
w = -1$: the $\times 2$ gate sends 2 back, the add gate distributes it, the mul gate swaps it
onto $x$ and $y$ ($2y = -8$, $2x = 6$), the max gate routes it to $z$.
'''),
        code('''
x, y, z, w = Value(3.0, "x"), Value(-4.0, "y"), Value(2.0, "z"), Value(-1.0, "w")
xy = x * y;          xy.label = "xy"
mx = z.max(w);       mx.label = "max"
s = xy + mx;         s.label = "s"
f = s * 2;           f.label = "f"
f.backward()
print(f"f = {f.data:g};  x̅ = {x.grad:g}, y̅ = {y.grad:g}, z̅ = {z.grad:g}, w̅ = {w.grad:g}")
assert (f.data, x.grad, y.grad, z.grad, w.grad) == (-20.0, -8.0, 6.0, 2.0, 0.0)
''', SLIDE),
        code('''
draw_dot(f, rankdir="TB", show_local_grads=True)
'''),
        md(r'''
**Summary.** Backprop never needs the whole formula: each node only needs its local gradients
and the gradient arriving from above. Add, mul, copy and max are the patterns you will see
again inside every layer of a network (notebook 4 writes them as the backprop equations).
'''),
    ]


# ============================================================================ notebook 03
def nb03():
    return [
        md(r'''
# 3 · Vectors, built from scalars

This notebook follows **"Backpropagation with vectors" in file 002**: the loss $L$ is still a
scalar, and the gradient with respect to a vector (or matrix) has the **same shape as the
vector**, one number per element: *for each element, how much does it influence $L$?*

1. ReLU on a 4-vector with an *upstream gradient* vector $\partial L/\partial z$;
2. $f(x, W) = \lVert W x \rVert^2$, whose gradients the slide derives as
   $\nabla_W f = 2 q\, x^\top$ and $\nabla_x f = 2 W^\top q$ (with $q = Wx$).

Here every vector is a list of scalar `Value`s, so the engine never forms a Jacobian — it does
the slide's *implicit multiplication* edge by edge — and we check its answers against the
matrix formulas.
'''),
        code('''
import numpy as np

from tinygrad_edu import Value, draw_dot, gradcheck
'''),
        md(r'''
## 1. ReLU with an upstream gradient

$z = \max(0, x)$ elementwise on $x = [1, -2, 3, -1]$, and the layer above has sent back
$\partial L/\partial z = [4, -1, 5, 9]$. `z_i.backward(grad=g_i)` starts the reverse sweep at
$z_i$ with upstream gradient $g_i$; the input gradients add up across the calls.
'''),
        code('''
x = [Value(v, f"x{i + 1}") for i, v in enumerate([1.0, -2.0, 3.0, -1.0])]
z = [xi.relu() for xi in x]
upstream = [4.0, -1.0, 5.0, 9.0]
for zi, g in zip(z, upstream):
    zi.backward(grad=g)

print("z     =", [zi.data for zi in z])
print("dL/dx =", [xi.grad for xi in x])
assert [zi.data for zi in z] == [1.0, 0.0, 3.0, 0.0]
assert [xi.grad for xi in x] == [4.0, 0.0, 5.0, 0.0]
''', SLIDE),
        md(r'''
The slide writes the same thing with the Jacobian $\partial z/\partial x$: a $4\times 4$ matrix
that is diagonal, with $1$ where $x_i > 0$ and $0$ elsewhere, so
$\partial L/\partial x = (\partial z/\partial x)^\top\, \partial L/\partial z$. Building it from
the nodes' local gradients confirms the answer — and shows why nobody builds it: 12 of its 16
entries are always zero.
'''),
        code('''
J = np.diag([zi.local_grads[0] for zi in z])
print("Jacobian dz/dx =\\n", J)
print("Jᵀ · upstream =", J.T @ np.array(upstream))
assert (J.T @ np.array(upstream)).tolist() == [xi.grad for xi in x]
''', SLIDE),
        md(r'''
Equivalently, $L = \sum_i g_i z_i$ is a scalar whose gradient with respect to $z$ is exactly
the upstream vector; one `backward()` from it gives the same $\partial L/\partial x$:
'''),
        code('''
x = [Value(v, f"x{i + 1}") for i, v in enumerate([1.0, -2.0, 3.0, -1.0])]
z = [xi.relu() for xi in x]
L = z[0] * upstream[0]
for zi, g in zip(z[1:], upstream[1:]):
    L = L + zi * g
L.label = "L"
L.backward()
assert [xi.grad for xi in x] == [4.0, 0.0, 5.0, 0.0]
draw_dot(L, rankdir="TB")
'''),
        md(r'''
## 2. $f(x, W) = \lVert W x \rVert^2$

$$W = \begin{bmatrix} 0.1 & 0.5 \\ -0.3 & 0.8 \end{bmatrix}, \quad
x = \begin{bmatrix} 0.2 \\ 0.4 \end{bmatrix}, \quad
q = W x, \quad f(q) = \lVert q \rVert^2 = \sum_i q_i^2 .$$

Every entry is a scalar `Value`; $q_k = \sum_j W_{kj} x_j$ and $f = \sum_k q_k^2$ are sums of
products.
'''),
        code('''
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
''', SLIDE),
        md(r'''
**The matrix formulas.** With $\partial f/\partial q_i = 2 q_i$ and
$\partial q_k/\partial W_{ij} = \mathbb 1_{k=i}\, x_j$, the chain rule summed over $k$ gives
$\partial f/\partial W_{ij} = 2 q_i x_j$, i.e. $\nabla_W f = 2 q\, x^\top$; with
$\partial q_k/\partial x_i = W_{ki}$ it gives $\partial f/\partial x_i = \sum_k 2 q_k W_{ki}$,
i.e. $\nabla_x f = 2 W^\top q$. Check the engine against them with NumPy — and the slide's
"always check": each gradient has the shape of its variable.
'''),
        code('''
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
''', SLIDE),
        code('''
draw_dot(f, rankdir="TB")
'''),
        md(r'''
The same check on a random $3\times 3$ example, and `gradcheck` of $f$ as a function of all
twelve numbers against finite differences:
'''),
        code('''
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
''', SLIDE),
        md(r'''
**Summary.** A vector gradient is just one scalar gradient per element. The engine multiplies
upstream by local gradients edge by edge — which *is* the Jacobian-transpose-times-vector
product, without ever storing the (mostly zero) Jacobian. The closed forms $2 q x^\top$ and
$2 W^\top q$ are what a matrix library computes in one call (notebook 7 moves a network to
PyTorch, which does exactly that).
'''),
    ]


# ============================================================================ notebook 04
def nb04():
    return [
        md(r'''
# 4 · Losses and the backpropagation equations

This notebook follows the **loss-function and backpropagation slides of file 001**, the
**stable softmax of file 002**, and the **"implementation perspective", MLP example and
computation-cost slides of file 004**:

1. information content, entropy and cross-entropy on file 001's example;
2. why squared error stalls a sigmoid output and cross-entropy does not;
3. $\delta$ at the output: $\partial L/\partial z = \hat y - y$ for sigmoid + binary
   cross-entropy, and $\hat y - e(t)$ for softmax + cross-entropy;
4. file 001's worked numeric example ($w_{11}^2 \to 12.0028$, $\partial L/\partial w_{11}^1 =
   -125.874$, $w_{11}^1 \to 1.35874$);
5. the stable softmax;
6. logistic least squares with an L2 penalty, backward pass in error signals $\delta$;
7. the two-layer MLP backward equations, checked against the engine;
8. counting the work: backward costs about two multiply-adds per weight to forward's one.

Logs in the library's losses are natural logs; the slides' $\log_2$ only rescales a loss by
$1/\ln 2$.
'''),
        code('''
import math

from tinygrad_edu import Value, draw_dot, losses, optim
from tinygrad_edu.nn import MLP
''' + SETUP_PLOTS),
        md(r'''
## 1. Information content, entropy, cross-entropy

File 001: the information content of an event is $IC(A) = -\log_2 p(A)$ (likely events carry
little information); entropy is the expected information content,
$-\sum_i p_i \log_2 p_i$; cross-entropy $-\sum_i p_i \log_2 q_i$ measures how well an estimated
distribution $q$ matches the true one $p$. The slide's example: team B wins,
$y = [0, 1, 0, 0]$, and we predicted $\hat y = [0.2, 0.1, 0.4, 0.3]$.
'''),
        code('''
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
''', SLIDE),
        md(r'''
With a one-hot $y$ only the true class $t$ survives: $L = -\log \hat y_t$. The library's
`losses.cross_entropy` takes logits $z$ (scores before the softmax); feeding it
$z = \ln \hat y$ (whose softmax is $\hat y$, since $\hat y$ sums to 1) gives the same loss in
nats, $\ln 10 = 3.322 \times \ln 2$:
'''),
        code('''
logits = [Value(math.log(p)) for p in y_hat]
L = losses.cross_entropy([logits], [1])          # one sample, true class t = 1 (team B)
print(f"cross_entropy = {L.data:.4f} nats = {L.data / math.log(2):.3f} bits")
assert abs(L.data - math.log(10)) < 1e-12
assert round(L.data / math.log(2), 3) == round(cross_entropy_bits, 3)
''', SLIDE),
        code('''
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3))
teams = ["A", "B (won)", "C", "D"]
ax1.bar(teams, y_hat, color=["C0", "C3", "C0", "C0"])
ax1.set_title("prediction ŷ")
ax2.bar(teams, ic, color=["C0", "C3", "C0", "C0"])
ax2.set_title("information content −log2 ŷ (bits)")
ax2.axhline(entropy_pred, color="k", ls="--", lw=1, label=f"entropy {entropy_pred:.2f}")
ax2.legend()
plt.tight_layout(); plt.show()
'''),
        md(r'''
## 2. Why squared error stalls a sigmoid output

File 001: with $\hat y = \sigma(z)$ and squared error $L = \tfrac12(\hat y - y)^2$,

$$\frac{\partial L}{\partial w} = (\hat y - y)\,\hat y\,(1 - \hat y)\,x ,$$

so if $y = 1$ and $\hat y \approx 0$ (a confidently wrong output) the factor $\hat y(1-\hat y)$
is $\approx 0$ and "weight updation becomes very slow". With binary cross-entropy the
$\hat y (1 - \hat y)$ cancels (section 3): $\partial L/\partial z = \hat y - y \approx -1$. The
engine measures both, for target $y = 1$, across $z$:
'''),
        code('''
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
'''),
        code('''
for z in (-6.0, 0.0):
    print(f"z = {z:+.0f}:  squared error ∂L/∂z = {output_gradient(z, 'squared error'):+.5f}   "
          f"cross-entropy ∂L/∂z = {output_gradient(z, 'cross-entropy'):+.5f}")
assert abs(output_gradient(-6.0, "squared error")) < 0.01 * abs(output_gradient(-6.0, "cross-entropy"))
''', SLIDE),
        md(r'''
The same in training: one sigmoid neuron $\hat y = \sigma(w x + b)$ with $x = 1$, $y = 1$,
starting confidently wrong at $w = -6,\ b = 0$, 60 steps of gradient descent with
$\eta = 0.5$ on each loss:
'''),
        code('''
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
'''),
        md(r'''
## 3. $\delta$ at the output

**Sigmoid + binary cross-entropy** (file 001): with $L = -y\log\hat y - (1-y)\log(1-\hat y)$
and $\hat y = \sigma(z)$,

$$\frac{\partial L}{\partial z} = \frac{\partial L}{\partial \hat y}\,\frac{\partial \hat y}{\partial z}
= \left(\frac{-y}{\hat y} + \frac{1-y}{1-\hat y}\right)\hat y(1-\hat y) = \hat y - y .$$

The engine knows nothing of this simplification: it multiplies the local gradients of $\ln$,
$-$, $\sigma$ … and lands on $\hat y - y$ anyway.
'''),
        code('''
for z_value in (-2.0, 0.5, 3.0):
    for y in (0, 1):
        z = Value(z_value, "z")
        y_hat = z.sigmoid()
        L = -(y * y_hat.log() + (1 - y) * (1 - y_hat).log())   # written out, op by op
        L.backward()
        print(f"z = {z_value:+.1f}, y = {y}:  ∂L/∂z = {z.grad:+.6f}   ŷ − y = {y_hat.data - y:+.6f}")
        assert abs(z.grad - (y_hat.data - y)) < 1e-12
''', SLIDE),
        md(r'''
**Softmax + cross-entropy** (file 001): $L = -\log \hat y_t$ with $\hat y = \mathrm{softmax}(z)$
gives $\partial L/\partial z_i = -(\mathbb 1_{t=i} - \hat y_i)$, i.e.
$\partial L/\partial z = \hat y - e(t)$. On file 004's three-class scores (cat 3.2, car 5.1,
frog −1.7 → probabilities 0.13, 0.87, 0.00) with the true class *cat*:
'''),
        code('''
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
''', SLIDE),
        md(r'''
## 4. File 001's worked example

Network $x_1 \to z_1 = w_{11}^1 x_1 + b_1 \to a_1 = \sigma(z_1) \to z_2 = w_{11}^2 a_1 + b_2
\to \hat y = \sigma(z_2)$, binary cross-entropy with $y = 1$; $x_1 = 60$, $w_{11}^1 = 0.1$,
$w_{11}^2 = 12$, $\eta = 0.01$.

The slide *gives* the forward results $a_1 = 0.37$ and $\hat y = 0.25$ rather than computing
them (it also says $z_1 = 0.5$, but $\sigma(0.5) = 0.622$, and without biases
$\sigma(0.1 \cdot 60) = 0.998$). So we **choose the biases to produce the slide's numbers**:
$b_1 = \sigma^{-1}(0.37) - 0.1 \cdot 60$ and $b_2 = \sigma^{-1}(0.25) - 12 \cdot 0.37$.
Everything after that is the engine's own arithmetic.
'''),
        code('''
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
''', SLIDE),
        md(r'''
One gradient-descent step $w \leftarrow w - \eta\,\partial L/\partial w$ with $\eta = 0.01$:
'''),
        code('''
optim.SGD([w1, w2], lr=0.01).step()
print(f"w2 = 12 − 0.01 · (−0.2775)   = {w2.data:.6f} ≈ {w2.data:.4f}")
print(f"w1 = 0.1 − 0.01 · (−125.874) = {w1.data:.5f}")
assert round(w2.data, 4) == 12.0028
assert round(w1.data, 5) == 1.35874
''', SLIDE),
        md(r'''
$w_{11}^1 = 0.1 + 1.25874 = 1.35874$; the slide prints $1.35$, the same number truncated to two
decimals. The graph, with each node's gradient (taken before the update):
'''),
        code('''
draw_dot(L, rankdir="TB")
'''),
        md(r'''
## 5. The stable softmax

File 002: $e^{z}$ overflows for large scores, so implementations compute
$g(z)_i = e^{z_i - z_m} / \sum_j e^{z_j - z_m}$ with $z_m = \max_j z_j$ — the same values (the
factor $e^{-z_m}$ cancels), but every exponent is $\le 0$. File 001's example
$z = [10, 20, -30]$, and $[1000, 1001]$, where the naive formula fails:
'''),
        code('''
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
''', SLIDE),
        md(r'''
## 6. Logistic least squares with an L2 penalty

File 004's univariate example, forward pass

$$z = wx + b,\quad y = \sigma(z),\quad \mathcal L = \tfrac12 (y - t)^2,\quad
\mathcal R = \tfrac12 w^2,\quad \mathcal L_{\text{reg}} = \mathcal L + \lambda \mathcal R,$$

and the backward pass in *error signals* $\delta_v := \partial \mathcal L_{\text{reg}}/\partial
v$ — the slide leaves the right-hand sides blank; filled in:

$$\delta_{\mathcal L_{\text{reg}}} = 1,\quad \delta_{\mathcal R} = \lambda\,\delta_{\mathcal L_{\text{reg}}},\quad
\delta_{\mathcal L} = \delta_{\mathcal L_{\text{reg}}},\quad \delta_y = \delta_{\mathcal L}(y - t),\quad
\delta_z = \delta_y\,\sigma'(z),\quad \delta_w = \delta_z x + \delta_{\mathcal R} w,\quad \delta_b = \delta_z .$$

$w$ is used twice (in $z$ and in $\mathcal R$), so $\delta_w$ is a sum — the multivariate chain
rule $\delta_t = \delta_x \frac{dx}{dt} + \delta_y \frac{dy}{dt}$ of the slide.
'''),
        code('''
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
''', SLIDE),
        code('''
draw_dot(L_reg, rankdir="TB")
'''),
        md(r'''
## 7. The two-layer MLP backward equations

File 004's multilayer perceptron with sigmoid hidden units and squared error:

| forward | backward |
|---|---|
| $z_i = \sum_j w^{(1)}_{ij} x_j + b^{(1)}_i$ | $\bar{\mathcal L} = 1$ |
| $h_i = \sigma(z_i)$ | $\bar y_k = \bar{\mathcal L}\,(y_k - t_k)$ |
| $y_k = \sum_i w^{(2)}_{ki} h_i + b^{(2)}_k$ | $\bar w^{(2)}_{ki} = \bar y_k h_i,\quad \bar b^{(2)}_k = \bar y_k$ |
| $\mathcal L = \tfrac12 \sum_k (y_k - t_k)^2$ | $\bar h_i = \sum_k \bar y_k w^{(2)}_{ki}$ |
| | $\bar z_i = \bar h_i\,\sigma'(z_i),\quad \bar w^{(1)}_{ij} = \bar z_i x_j,\quad \bar b^{(1)}_i = \bar z_i$ |

(File 001 writes the same recursion as $\delta^l = ((W^{l+1})^\top \delta^{l+1}) \odot
\sigma'(z^l)$, $\partial L/\partial b^l_j = \delta^l_j$, $\partial L/\partial w^l_{jk} =
a^{l-1}_k \delta^l_j$.) Below: the equations in NumPy, on the weights of an engine `MLP`,
against the engine's `backward()`.
'''),
        code('''
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
print("ȳ =", y_bar.round(4).tolist(), "  z̄ =", z_bar.round(4).tolist())
''', SLIDE),
        md(r'''
## 8. Counting the work

File 004: *"Forward pass: one add-multiply operation per weight. Backward pass: two add-multiply
operations per weight."* In the graph a weight $w$ appears in exactly one product node
$w \cdot a$ (followed by one sum node). Forward computes that product once. Backward sends
*upstream × local* along **both** of its edges: $\bar w \mathrel{+}= \bar{(wa)}\cdot a$ (the
weight's gradient) and $\bar a \mathrel{+}= \bar{(wa)}\cdot w$ (passed on to the layer below).
We measure it: count the operations of a forward pass, then run a reverse sweep that counts
its multiply-adds, node type by node type.
'''),
        code('''
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
''', SLIDE),
        md(r'''
(The sum nodes' backward steps have local gradient 1 — they only *add* the upstream gradient,
no multiplication; the activations cost one step per unit.) The slide adds: *for a multilayer
network the cost is linear in the number of layers, quadratic in the number of units per
layer* — counted below for width $n$ and depth $L$ (`MLP(n, [n] * L + [1])`):
'''),
        code('''
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
'''),
        md(r'''
**Summary.** Cross-entropy with its matching output activation sends back the simplest
possible error signal, $\delta = \hat y - y$ (or $\hat y - e(t)$), which never saturates; the
backprop equations are the chain rule written layer by layer, and the engine reproduces them
to the last digit; a backward pass costs about twice a forward pass.
'''),
    ]


# ============================================================================ notebook 05
def nb05():
    return [
        md(r'''
# 5 · Neurons, layers and MLPs

This notebook follows the **perceptron and Boolean-function slides of file 002**, the
**feed-forward network and parameter-count slides of file 001**, the **single-layer networks
and "limitations of single layer networks" of file 004**, and the **universal-approximation
pulse and one-vs-rest slides of file 000**:

1. the perceptron learning rule: it succeeds on linearly separable data and fails on XOR;
2. Boolean functions with hand-set weights, and XOR $= (X \lor Y) \land (\lnot X \lor \lnot Y)$;
3. `Neuron`, `Layer`, `MLP` and their parameter counts;
4. XOR *learned* with one hidden layer;
5. a pulse from 4 ReLUs, and a sum of pulses approximating a curve;
6. multi-class: one-vs-rest against softmax.
'''),
        code('''
import math

from tinygrad_edu import Value, data, draw_dot, fit, losses, no_grad, optim
from tinygrad_edu.nn import MLP, Layer, Neuron
from tinygrad_edu.train import accuracy
''' + SETUP_PLOTS + BOUNDARY_HELPERS),
        md(r'''
## 1. The perceptron learning rule

Rosenblatt's perceptron (file 002) outputs $\hat y = 1$ if $\theta_0 + \sum_i \theta_i x_i > 0$,
else $0$. Its learning rule needs no gradient: for each misclassified sample,
$\theta \leftarrow \theta + \eta\,(y - \hat y)\,x$ (and $\theta_0 \leftarrow \theta_0 + \eta\,(y -
\hat y)$). If the classes can be separated by a line, it stops making mistakes after finitely
many updates (file 004: a single neuron "can solve linearly separable problems").
'''),
        code('''
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
''', SLIDE),
        code('''
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
'''),
        md(r'''
Minsky's objection (file 002): *how to represent XOR?* No line puts $(0,1), (1,0)$ on one side
and $(0,0), (1,1)$ on the other, so the perceptron keeps cycling.

## 2. Boolean functions by hand-set weights

A neuron with a steep sigmoid $\sigma(k \cdot (\text{weights}\cdot x + b))$ behaves like a
perceptron: AND has $w = (1, 1),\ b = -1.5$; OR has $w = (1, 1),\ b = -0.5$; NAND (that is,
$\lnot X \lor \lnot Y$) has $w = (-1, -1),\ b = 1.5$. File 002's construction
$X \oplus Y = (X \lor Y) \land (\lnot X \lor \lnot Y)$ is a network with one hidden layer: an OR
unit and a NAND unit, then an AND unit on top. We set the weights of an engine `MLP` by hand
($k = 20$):
'''),
        code('''
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
''', SLIDE),
        code('''
draw_dot(xor_net([1.0, 0.0]), rankdir="TB", show_grad=False)   # the network for input (1, 0)
'''),
        md(r'''
## 3. `Neuron`, `Layer`, `MLP` and counting parameters

A `Neuron(nin)` computes $a = g(\sum_i w_i x_i + b)$; a `Layer(nin, nout)` is `nout` neurons
reading the same inputs; an `MLP(nin, [n1, n2, …])` stacks layers (hidden activation ReLU by
default, last layer linear). A layer from $s_j$ to $s_{j+1}$ units has
$s_{j+1} \times (s_j + 1)$ parameters (file 000: $\Theta^{(j)}$ has dimension
$s_{j+1} \times (s_j + 1)$, the $+1$ being the bias), so an MLP has
$\sum_l (n^{l-1} n^l + n^l)$.
'''),
        code('''
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
''', SLIDE),
        md(r'''
**A caution about file 001's closed formula.** File 001 counts, for $L$ layers with $n^i$
neurons in hidden layer $i$ and $k$ outputs, weights $(L-1)\cdot(n^{i-1} n^i) + n\cdot k$ and
biases $(L-1)\cdot n^i + k$. That is exact only when every layer — the input included — has the
same width $n$. For deeper networks with different widths it **undercounts**: a single
$n^{i-1} n^i$ term cannot stand for every layer, and reading it with the first layer's
$n^0 n^1$ misses the large hidden-to-hidden matrices.
'''),
        code('''
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
''', SLIDE),
        md(r'''
## 4. XOR learned with a hidden layer

Instead of setting weights by hand, let gradient descent find them: `MLP(2, [4, 1])` with tanh
hidden units, binary cross-entropy on the logit, Adam. A single neuron (`MLP(2, [1])`, no hidden
layer) trained the same way cannot get all four points right.
'''),
        code('''
learned = MLP(2, [4, 1], activation="tanh", seed=0)
history = fit(learned, X_xor, y_xor, epochs=150, optimizer=optim.Adam(learned.parameters(), lr=0.1),
              progress=False)
single = MLP(2, [1], seed=0)
history_single = fit(single, X_xor, y_xor, epochs=150, optimizer=optim.Adam(single.parameters(), lr=0.1),
                     progress=False)
print(f"hidden layer of 4: accuracy {accuracy(learned, X_xor, y_xor):.2f}, loss {history.loss[-1]:.4f}")
print(f"single neuron:     accuracy {accuracy(single, X_xor, y_xor):.2f}, loss {history_single.loss[-1]:.4f}")
assert accuracy(learned, X_xor, y_xor) == 1.0 and accuracy(single, X_xor, y_xor) < 1.0
''', SLIDE),
        code('''
fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(10, 3))
plot_boundary(single, X_xor, y_xor, ax1, "single neuron: one line")
plot_boundary(learned, X_xor, y_xor, ax2, "one hidden layer (4 tanh)")
ax3.plot(history_single.loss, label="single neuron"); ax3.plot(history.loss, label="hidden layer")
ax3.set_xlabel("epoch"); ax3.set_ylabel("loss"); ax3.legend(); ax3.set_title("training loss")
plt.tight_layout(); plt.show()
'''),
        md(r'''
## 5. Universal approximation: a pulse from 4 ReLUs

File 000's proof sketch. With $g(x) = \max(0, x)$ and $a(x) = g(mx + b)$:
*combine two ReLUs to get a function stepping up*,
$\;\text{step}_a(x) = g(m(x - a)) - g(m(x - a) - 1)$, which is 0 left of $a$ and 1 right of
$a + 1/m$; *getting it to step back down takes another two*,
$\;\text{pulse}(x) = h\,[\text{step}_a(x) - \text{step}_c(x)]$; *now scale it so they're really
squished together* (large $m$). As a network: one hidden layer of 4 ReLU units with input
weights $m$ and biases $-ma,\ -ma - 1,\ -mc,\ -mc - 1$, and a linear output with weights
$h\cdot(1, -1, -1, 1)$.
'''),
        code('''
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
'''),
        code('''
with no_grad():
    net = pulse_network([0.3], [0.8], [1.0], 50)
    inside, before, after = net(0.5).data, net(0.2).data, net(1.0).data
print(f"pulse(0.5) = {inside:g} (height), pulse(0.2) = {before:g}, pulse(1.0) = {after:g}")
assert (inside, before, after) == (1.0, 0.0, 0.0)
''', SLIDE),
        md(r'''
*Put together many of these to approximate any function*: $N$ side-by-side pulses, each as
high as the target at its middle, all in **one** hidden layer of $4N$ ReLUs — a two-layer
network, as in the theorem. More pulses, smaller error (the caveats on the slide still apply:
how many neurons, and will training find them?).
'''),
        code('''
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
'''),
        code('''
for n_pulses, err in errors.items():
    print(f"{n_pulses:3d} pulses: max error {err:.3f}")
assert errors[5] > errors[15] > errors[40] and errors[40] < 0.1
''', SLIDE),
        md(r'''
## 6. Several classes: one-vs-rest or softmax

File 000 shows two ways to get $K$ outputs. **One-vs-rest**: $K$ separate binary classifiers
("pedestrian or not", "car or not", …), each a sigmoid unit trained on its own yes/no labels,
and the prediction is the class whose classifier is most confident. **Softmax** (files 000,
001, 004): one layer of $K$ scores turned into a probability distribution,
$P(y = c_j \mid x) = e^{w_j^\top x} / \sum_{j'} e^{w_{j'}^\top x}$, trained with
cross-entropy. Three blobs in a row, linear models in both cases:
'''),
        code('''
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
''', SLIDE),
        code('''
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
three = MLP(2, [3])                                     # pack the 3 units into one layer to plot
for neuron, clf in zip(three.layers[0].neurons, one_vs_rest):
    unit = clf.layers[0].neurons[0]
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = unit.w[0].data, unit.w[1].data, unit.b.data
plot_boundary(three, X3, y3, ax1, "one-vs-rest (argmax of 3 sigmoids)")
plot_boundary(softmax_model, X3, y3, ax2, "softmax regression")
plt.tight_layout(); plt.show()
'''),
        md(r'''
Both find the three regions here; the differences are in what the outputs mean. One-vs-rest
outputs are $K$ unrelated probabilities (file 001: "sigmoid — probabilities will be
$0 < p < 1$ but sum not equal to 1"), and each classifier may face an impossible task of its
own (the middle blob against the rest); softmax outputs one distribution, trained jointly,
with the simple output error $\hat y - e(t)$ of notebook 4.

**Summary.** A single neuron draws one line; one hidden layer can represent XOR, and — by
stacking pulses — any continuous function on an interval. Counting parameters layer by layer
is always exact.
'''),
    ]


# ============================================================================ notebook 06
def nb06():
    return [
        md(r'''
# 6 · Training: optimizers, gradients and regularization

This notebook follows the **optimization and regularization slides of file 002** (gradient
descent, minibatches and epochs, learning-rate decay, Adam, dropout, L1/L2, early stopping),
the **"common training issues" of file 000** (vanishing and exploding gradients, ReLU vs
sigmoid, gradient clipping), and the **L1-vs-L2 and SGD slides of file 004**, on two toy data
sets, *moons* and *spirals*:

1. full-batch gradient descent vs minibatch SGD;
2. learning-rate decay $\eta_0 e^{-\kappa t}$ and $\eta_0/(1 + \kappa t)$;
3. momentum and Adam, on one plot;
4. vanishing gradients: gradient size per layer, deep sigmoid vs ReLU;
5. gradient clipping;
6. dropout, and early stopping with training and validation curves;
7. L1 vs L2: file 004's example, and the sparsity they give trained weights;
8. decision boundaries throughout.

Every run is seeded, so the numbers below are the same on every machine and every run.
'''),
        code('''
import math
import random

from tinygrad_edu import data, fit, losses, optim, Value
from tinygrad_edu.nn import MLP
from tinygrad_edu.train import accuracy
''' + SETUP_PLOTS + BOUNDARY_HELPERS),
        code('''
X_moons, y_moons = data.moons(100, noise=0.15, seed=0)
X_spiral, y_spiral = data.spirals(n_per_class=30, k=3, noise=0.2, seed=0)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.5))
for ax, (X, y, title) in zip((ax1, ax2), [(X_moons, y_moons, "moons (2 classes)"),
                                          (X_spiral, y_spiral, "spirals (3 classes)")]):
    X = np.array(X)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=14, cmap="viridis", edgecolors="k", linewidths=0.4)
    ax.set_title(title)
plt.tight_layout(); plt.show()
'''),
        md(r'''
## 1. Full-batch gradient descent vs minibatch SGD

Gradient descent $\theta_{t+1} = \theta_t - \eta\,\nabla L(\theta_t)$ uses the whole data set
for every step. File 002: *because data sets are typically huge … calculate the gradient on a
random subset* — a **minibatch** — and *cycle through subsets without replacement; a single
pass through the entire training sample is called an epoch*. Per epoch both do the same
arithmetic, but minibatch SGD takes 10 steps where full-batch takes one. Same network, same
initial weights, same $\eta$:
'''),
        code('''
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
''', SLIDE),
        code('''
fig, axes = plt.subplots(1, 3, figsize=(11, 3))
for name, (model, history) in runs.items():
    axes[0].plot(history.loss, label=name.split(" (")[0])
axes[0].set_xlabel("epoch"); axes[0].set_ylabel("training loss"); axes[0].legend()
for ax, (name, (model, history)) in zip(axes[1:], runs.items()):
    plot_boundary(model, X_moons, y_moons, ax, name.split(" (")[0])
plt.tight_layout(); plt.show()
'''),
        md(r'''
## 2. Learning-rate decay

File 002: *shrink the learning rate toward zero … because the true gradient, when it is small,
will be dominated by SGD noise*: $\eta = \eta_0 \exp(-\kappa t)$ or $\eta = \eta_0 (1 +
\kappa t)^{-1}$, with $t$ the epoch. `fit(..., lr_schedule=...)` sets $\eta$ at the start of
every epoch. With a large $\eta_0 = 1$ a constant rate keeps the loss bouncing from minibatch to
minibatch; both decays let it settle.
'''),
        code('''
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
''', SLIDE),
        code('''
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3))
for name, h in decay_runs.items():
    ax1.plot(h.lr, label=name)
    ax2.plot(h.loss, label=name)
ax1.set_xlabel("epoch t"); ax1.set_ylabel("η"); ax1.legend(); ax1.set_title("schedules")
ax2.set_xlabel("epoch"); ax2.set_ylabel("training loss"); ax2.set_title("minibatch SGD on moons")
plt.tight_layout(); plt.show()
'''),
        md(r'''
## 3. Momentum and Adam

Plain gradient descent steps along $-\nabla L$. **Momentum** keeps a running velocity,
$v \leftarrow \mu v + \nabla L,\ \theta \leftarrow \theta - \eta v$, so steps build up along
consistent directions and cancel across oscillating ones. **Adam** (Kingma & Ba, named in file
002) keeps running means of $g$ and $g^2$ and gives each parameter its own step size,
$\theta \leftarrow \theta - \eta\,\hat m/(\sqrt{\hat v} + \epsilon)$. On the spirals, from the
same initial weights, full batch:
'''),
        code('''
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
''', SLIDE),
        code('''
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for name, (model, history) in optimizer_runs.items():
    axes[0].plot(history.loss, label=name)
axes[0].set_xlabel("epoch"); axes[0].set_ylabel("cross-entropy"); axes[0].legend()
axes[0].set_title("spirals: SGD, momentum, Adam")
plot_boundary(optimizer_runs["Adam (η = 0.02)"][0], X_spiral, y_spiral, axes[1], "Adam after 60 epochs")
plt.tight_layout(); plt.show()
'''),
        md(r'''
## 4. Vanishing gradients: sigmoid vs ReLU

File 000: *a history of optimizing NNs has learned ReLU > sigmoid … sigmoid: gradient saturates
easily; ReLU: good gradients forever*; and *for large networks, gradients can blow up or go to
zero*. Backprop multiplies $\delta$ by $W^\top$ and by $g'(z)$ at every layer
($\delta^l = ((W^{l+1})^\top \delta^{l+1}) \odot g'(z^l)$); the sigmoid's $g'(z) =
\sigma(z)(1 - \sigma(z))$ is at most $1/4$, ReLU's is 1 on every active unit. Gradient size per
layer in a 7-layer network, at the initial weights, on the moons:
'''),
        code('''
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
''', SLIDE),
        code('''
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
'''),
        md(r'''
## 5. Gradient clipping

The other failure, exploding gradients, has a blunt remedy (file 000: *this can be helped by
gradient clipping …*): if $\lVert\nabla\theta\rVert > c$, rescale it to length $c$ before the
step — same direction, bounded size. `optim.clip_grad_norm` does this (and returns the norm
before clipping); `fit(..., clip_norm=c)` applies it at every step.
'''),
        code('''
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
''', SLIDE),
        md(r'''
With a far too large step (SGD, $\eta = 3$, momentum 0.9) the unclipped run jumps to a useless
region and stays there; the same run with `clip_norm=1` trains:
'''),
        code('''
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
''', SLIDE),
        md(r'''
## 6. Overfitting: dropout and early stopping

A small, noisy training set (30 points) and a network with 337 parameters: it can memorise the
training set. We hold out a **validation set** (40 points) and watch both losses.

**Dropout** (Srivastava et al., named in file 002): in training mode every hidden unit is
zeroed with probability $p$ (the others scaled by $1/(1-p)$), a different random subset at
every forward pass; in evaluation mode it does nothing.
'''),
        code('''
X_small, y_small = data.moons(130, noise=0.3, seed=1)
X_train, y_train, X_val, y_val = data.train_val_split(X_small, y_small, val_fraction=100 / 130, seed=0)
X_val, y_val = X_val[:40], y_val[:40]
print(f"{len(X_train)} training points, {len(X_val)} validation points")

demo = MLP(2, [16, 16, 1], dropout=0.3, seed=0)
demo.train()
print("train mode, same input, three forward passes:", [round(demo([0.5, 0.0]).data, 3) for _ in range(3)])
demo.eval()
print("eval mode,  same input, three forward passes:", [round(demo([0.5, 0.0]).data, 3) for _ in range(3)])
''', SLIDE),
        code('''
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
''', SLIDE),
        md(r'''
**Early stopping** (file 002: *ending the parameter search early by monitoring the loss
function in the validation sample*): stop when the validation loss has not improved for
`patience` epochs and restore the weights of the best epoch. `fit(..., early_stopping=20)`:
'''),
        code('''
stopped = MLP(2, [16, 16, 1], seed=0)
early = fit(stopped, X_train, y_train, epochs=100, val=(X_val, y_val), early_stopping=20,
            optimizer=optim.Adam(stopped.parameters(), lr=0.02), progress=False)
restored = losses.binary_cross_entropy_with_logits([stopped(x) for x in X_val], y_val).data
print(f"stopped after {early.epochs} epochs; best epoch {early.best_epoch}; "
      f"validation loss of the restored weights {restored:.3f}")
assert early.stopped_early and early.best_epoch == best
assert abs(restored - plain.val_loss[best]) < 1e-12
''', SLIDE),
        code('''
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(plain.loss, "C0", label="train, no dropout")
ax.plot(plain.val_loss, "C0--", label="validation, no dropout")
ax.plot(dropped.loss, "C1", label="train, dropout 0.3")
ax.plot(dropped.val_loss, "C1--", label="validation, dropout 0.3")
ax.axvline(early.best_epoch, color="k", lw=1, ls=":", label="early stopping's best epoch")
ax.set_ylim(0, 1.5); ax.set_xlabel("epoch"); ax.set_ylabel("loss")
ax.legend(fontsize=8); ax.set_title("training vs validation loss")
plt.show()

fig, axes = plt.subplots(1, 3, figsize=(10, 3))
plot_boundary(overfit_runs[0.0][0], X_train, y_train, axes[0], "100 epochs, no dropout")
plot_boundary(stopped, X_train, y_train, axes[1], f"early stopped (epoch {early.best_epoch})")
plot_boundary(overfit_runs[0.3][0], X_train, y_train, axes[2], "100 epochs, dropout 0.3")
plt.tight_layout(); plt.show()
'''),
        md(r'''
## 7. L1 vs L2 regularization

File 004: add $\lambda R(W)$ to the loss, with $R(W) = \sum w^2$ (L2), $\sum |w|$ (L1) or
$\sum \beta w^2 + |w|$ (elastic net). Its example: with $x = [1, 1, 1, 1]$ the three weight
vectors below give the **same output** $w^\top x = 1$ and the **same L1 penalty** 1, but L2
penalties $1$, $1/4$ and $1/2$ — **L2 prefers weights spread out**, L1 is indifferent to
spreading and (below) pushes weights to exactly zero.
'''),
        code('''
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
''', SLIDE),
        md(r'''
**The sparsity they give trained weights.** A linear classifier on 10 features of which only
the first two matter (the label is the sign of $2x_1 - 3x_2$ plus noise), trained without a
penalty, with $0.02 \sum |w|$ and with $0.02 \sum w^2$ (`fit(..., penalty=...)`). The gradient
of $|w|$ is $\pm 1$ however small $w$ is, so L1 keeps pushing useless weights all the way to
(about) zero; the gradient of $w^2$ is $2w$, which fades as $w$ shrinks, so L2 only makes them
small.
'''),
        code('''
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
''', SLIDE),
        code('''
fig, ax = plt.subplots(figsize=(7, 3.2))
for i, (name, ws) in enumerate(trained.items()):
    ax.bar(np.arange(10) + (i - 1) * 0.27, ws, width=0.27, label=name)
ax.axhline(0, color="k", lw=0.8)
ax.set_xticks(range(10)); ax.set_xticklabels([f"w{i + 1}" for i in range(10)])
ax.set_title("trained weights: only w1 and w2 carry signal"); ax.legend()
plt.show()
'''),
        md(r'''
**Summary.** Minibatches buy many cheap steps per epoch; a decaying $\eta$ calms the noise at
the end; momentum and Adam get through ravines that stall plain SGD. Deep sigmoid stacks starve
their early layers of gradient, ReLU does not; clipping caps a runaway step. With little data
a network memorises: validation curves show it, and dropout, early stopping or a penalty hold
it back — L2 by keeping weights small and spread out, L1 by switching useless ones off.
'''),
    ]


# ============================================================================ notebook 07
def nb07():
    return [
        md(r'''
# 7 · Forward mode, higher-order derivatives, and PyTorch

Notebook 1 ran **file 000's** example $y = \ln(x_1) + x_1 x_2 - \sin(x_2)$ in reverse mode.
The same evaluation-trace tables (Baydin et al., whose reverse table the slide reproduces)
have a **forward-mode** twin, where each node carries a *tangent*
$\dot v_i = \partial v_i/\partial x$ for one chosen input direction. This notebook:

1. the forward tangent trace: $\dot y = 5.5$ with $\dot x_1 = 1$ and $\dot y = 1.716$ with
   $\dot x_2 = 1$ — the same numbers as $\bar x_1, \bar x_2$;
2. `jvp`, and when forward mode beats reverse mode;
3. gradients of gradients: `grad(..., create_graph=True)`, `hessian`, `hvp`;
4. Newton's method, which needs the Hessian;
5. moving an MLP to PyTorch and back (`to_torch`, `from_torch`): same predictions, same
   gradients (file 000: *why are packages like PyTorch … synonymous with deep learning? 1.
   automatic differentiation, 2. convenient libraries, 3. GPU support*).
'''),
        code('''
import math

import numpy as np
from tinygrad_edu import Value, data, fit, grad, hessian, hvp, jvp, losses, optim, trace
from tinygrad_edu.bridge import from_torch, to_torch
from tinygrad_edu.nn import MLP
from tinygrad_edu.train import accuracy, predict
''' + SETUP_PLOTS),
        md(r'''
## 1. The forward tangent trace

Seed the inputs' tangents ($\dot x_1 = 1,\ \dot x_2 = 0$ asks for $\partial/\partial x_1$) and
push them forward with the same local derivatives reverse mode uses, in the same order as the
values:

$$\dot v_{\text{node}} = \sum_{\text{parents}} \frac{\partial v_{\text{node}}}{\partial v_{\text{parent}}}\,\dot v_{\text{parent}} .$$
'''),
        code('''
x1, x2 = Value(2.0, "x1"), Value(5.0, "x2")
y = x1.log() + x1 * x2 - x2.sin()

t1 = trace(y, mode="forward", seed={x1: 1.0})
for row in t1.tangent:
    print(f"{row.name:>4} = {row.expr:<20} = {row.value:.3f}")

assert [(r.name, r.expr, round(r.value, 3)) for r in t1.tangent] == [
    ("v̇-1", "ẋ1", 1.0), ("v̇0", "ẋ2", 0.0), ("v̇1", "v̇-1 / v-1", 0.5),
    ("v̇2", "v̇-1 × v0 + v̇0 × v-1", 5.0), ("v̇3", "v̇0 × cos v0", 0.0),
    ("v̇4", "v̇1 + v̇2", 5.5), ("v̇5", "v̇4 − v̇3", 5.5), ("ẏ", "v̇5", 5.5)]
''', SLIDE),
        code('''
t2 = trace(y, mode="forward", seed={x2: 1.0})
print(f"ẋ1 = 1: ẏ = ∂y/∂x1 = {t1.derivative:.3f}")
print(f"ẋ2 = 1: ẏ = ∂y/∂x2 = {t2.derivative:.3f}")
reverse = trace(y).gradients
print(f"reverse mode, one sweep: x̄1 = {reverse['x1']:.3f}, x̄2 = {reverse['x2']:.3f}")
assert t1.derivative == 5.5 and round(t2.derivative, 3) == 1.716
assert abs(t2.derivative - reverse["x2"]) < 1e-15
''', SLIDE),
        code('''
t2    # both tables, as HTML
'''),
        md(r'''
## 2. `jvp`, and forward vs reverse

`jvp(f, xs, ẋ)` returns $f(x)$ and the directional derivative $J\dot x$ — one forward sweep
per direction. For $f:\mathbb R^n \to \mathbb R$ the full gradient needs $n$ forward sweeps but
only **one** reverse sweep: that is why training (millions of parameters, one loss) uses
reverse mode. For $f:\mathbb R \to \mathbb R^m$ it is the other way round: one forward sweep
gives the derivative of all $m$ outputs.
'''),
        code('''
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
''', SLIDE),
        md(r'''
## 3. Gradients of gradients

`grad(y, xs)` returns $\partial y/\partial x$ for each $x$ without touching `.grad`. With
`create_graph=True` the backward sweep is itself recorded: each local derivative is rebuilt as
a small graph ($\cos v$ for $\sin$, $1/v$ for $\ln$, …), so the gradient is a `Value` that can
be differentiated again. For our $y$: $\partial^2 y/\partial x_1^2 = -1/x_1^2 = -0.25$,
$\partial^2 y/\partial x_1 \partial x_2 = 1$, $\partial^2 y/\partial x_2^2 = \sin x_2 = -0.959$.
'''),
        code('''
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
''', SLIDE),
        md(r'''
A picture: $\sin x$ and its first two derivatives, each computed by the engine
($\frac{d}{dx}\sin = \cos$, $\frac{d^2}{dx^2}\sin = -\sin$):
'''),
        code('''
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
'''),
        md(r'''
## 4. Newton's method

Gradient descent uses the slope only; Newton's method also uses the curvature:
$\theta \leftarrow \theta - H^{-1}\nabla f(\theta)$. On Rosenbrock's banana valley
$f(a, b) = (1 - a)^2 + 100\,(b - a^2)^2$ (minimum at $(1, 1)$), from the classic start
$(-1.2, 1)$:
'''),
        code('''
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
''', SLIDE),
        code('''
A, B = np.meshgrid(np.linspace(-1.6, 1.6, 200), np.linspace(-3.5, 2.0, 200))
fig, ax = plt.subplots()
ax.contour(A, B, np.log1p(rosenbrock(A, B)), levels=25, cmap="gray", linewidths=0.6)
ax.plot(*np.array(descent).T, ".-", ms=2, lw=1, label="gradient descent, 2000 steps")
ax.plot(*np.array(newton).T, "o-", label="Newton, 10 steps")
ax.plot(1, 1, "r*", ms=14, label="minimum (1, 1)")
ax.legend(fontsize=8); ax.set_title("Rosenbrock: Newton vs gradient descent"); plt.show()
'''),
        md(r'''
## 5. The same MLP in PyTorch, and back

`to_torch(mlp)` builds a `torch.nn.Sequential` of `Linear` layers and activations with a copy
of the weights (neuron $j$'s weights become row $j$ of `Linear.weight`), in float64 like the
engine; `from_torch(seq)` reads one back. PyTorch computes each layer as one matrix product —
the $2qx^\top$ of notebook 3 instead of one node per multiplication.
'''),
        code('''
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
''', SLIDE),
        md(r'''
Same gradients: the engine's `backward()` on the batch loss, and PyTorch's autograd on the same
loss, for every parameter.
'''),
        code('''
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
''', SLIDE),
        md(r'''
Train further in PyTorch (its own optimizer and loop, as in file 000's code slide), then bring
the weights back into the engine, where every $\delta$ can be printed:
'''),
        code('''
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
'''),
        md(r'''
**Summary.** Forward mode pushes tangents along with values (one sweep per input direction),
reverse mode pulls adjoints back (one sweep per output); recording the backward sweep gives
second derivatives, Hessian-vector products and Newton's method. A matrix library does the same
arithmetic per layer instead of per scalar — and gets the same numbers.
'''),
    ]


NOTEBOOK_CELLS = {
    "01_computation_graphs_and_traces.ipynb": nb01,
    "02_backprop_by_hand.ipynb": nb02,
    "03_vectors_with_scalars.ipynb": nb03,
    "04_backprop_equations.ipynb": nb04,
    "05_neurons_layers_mlps.ipynb": nb05,
    "06_training.ipynb": nb06,
    "07_forward_mode_higher_order_and_pytorch.ipynb": nb07,
}


def build(name: str):
    nb = new_notebook(cells=NOTEBOOK_CELLS[name]())
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main(argv=None) -> int:
    prefixes = (argv if argv is not None else sys.argv[1:]) or [""]
    NOTEBOOKS.mkdir(exist_ok=True)
    for name in NOTEBOOK_CELLS:
        if any(name.startswith(p) for p in prefixes):
            nb = build(name)
            nbformat.validate(nb)
            nbformat.write(nb, NOTEBOOKS / name)
            print(f"wrote notebooks/{name} ({len(nb.cells)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
