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
# # 1 · Computation graphs, the forward primal trace and the reverse adjoint trace
#
# This notebook follows the slide **"Autodiff"** at the end of the deck **"Neural Networks"**
# (Natasha Jaques) ("Backprop for this simple network architecture is a special case of
# *reverse-mode auto-differentiation*"), which uses Baydin et al.'s evaluation-trace tables for
#
# $$y = f(x_1, x_2) = \ln(x_1) + x_1 x_2 - \sin(x_2) \qquad\text{at } x_1 = 2,\; x_2 = 5 .$$
#
# Steps: **(1)** build the computation graph from `Value` nodes and draw it; **(2)** read the
# *forward primal trace* $v_{-1}, v_0, v_1, \dots, v_5$ off the graph, row by row; **(3)** run the
# *reverse adjoint trace* $\bar v_i = \partial y / \partial v_i$ one step at a time — each step is
# **upstream gradient × local gradient**; **(4)** get the same gradients from finite
# differences, without any chain rule.
#
# Notation as on the slide: the inputs are $v_{-1} = x_1$ and $v_0 = x_2$, intermediate results
# $v_1 \dots v_5$, and $\bar v_i$ is the *adjoint* of $v_i$. Every number the slide prints is
# checked by an `assert`: if the engine breaks, this notebook stops with an error.

# %%
import math
import unicodedata

import matplotlib.pyplot as plt

from tinygrad_edu import Value, draw_dot, gradcheck, numerical_grad, step_through, steps, trace
from tinygrad_edu.ops import OPS, format_number
from tinygrad_edu.trace import bar, format_value, number_nodes

plt.rcParams.update({"figure.figsize": (6, 4), "figure.dpi": 80, "axes.grid": True,
                     "grid.alpha": 0.3})

# %% [markdown]
# ## 1. The computation graph
#
# Every operation makes **one node**. The node stores its value, its parents (operands) and the
# *local* derivative of its value with respect to each parent — the entries the slide's adjoint
# table multiplies by. `a − b` is a single node with local gradients $(1, -1)$, exactly one row of
# the table.

# %%
x1 = Value(2.0, label="x1")
x2 = Value(5.0, label="x2")
y = x1.log() + x1 * x2 - x2.sin()
y.label = "y"

draw_dot(y, show_grad=False, trace_names=True)

# %% [markdown]
# What each node stores, numbered as in the slide (inputs $v_{-1}, v_0$ in order of first use,
# then $v_1 \dots v_5$ by depth):

# %% tags=["slide-numbers"]
names = number_nodes(y)
for node in sorted(names, key=lambda n: int(names[n][1:])):
    if node.parents:
        parents = ", ".join(names[p] for p in node.parents)
        local = ", ".join(format_value(g) for g in node.local_grads)
        print(f"{names[node]:>3}: op {node.op!r:6} parents ({parents:8})  local gradients ({local})")
    else:
        print(f"{names[node]:>3}: input {node.label} = {node.data:g}")

# %% [markdown]
# ## 2. The forward primal trace
#
# Evaluate the nodes in topological order (every node after its parents). Each row applies one
# operation to values that are already known; the middle column shows the operation with the
# numbers put in, as the slide's third column does ($\ln 2$, $2 \times 5$, $0.693 + 10$, …).
#
# One entry of that column reads differently on the slide: for $v_5 = v_4 - v_3$ it prints
# $10.693 + 0.959$. That is the same number — $v_3 = \sin 5 = -0.959$ was substituted with its
# sign folded in, so the subtraction shows as "$+\,0.959$" — but the node is still a
# *subtraction*, $v_4 - v_3$, whose local gradient with respect to $v_3$ is $-1$ (the adjoint
# row $\bar v_3 = \bar v_5 \times (-1)$ below). Our column writes $10.693 - (-0.959)$.

# %% tags=["slide-numbers"]
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


# %% [markdown]
# ## 3. The reverse adjoint trace, one step at a time
#
# Start from the output, $\bar v_5 = \bar y = \partial y/\partial y = 1$, and visit the nodes from
# $v_5$ down to $v_1$. A node passes **upstream × local** to each of its parents:
#
# $$\bar v_{\text{parent}} \mathrel{+}= \bar v_{\text{node}} \cdot \frac{\partial v_{\text{node}}}{\partial v_{\text{parent}}} .$$
#
# The first contribution to an adjoint is written $\bar v_i = \dots$, later ones
# $\bar v_i = \bar v_i + \dots$: $x_1$ is used twice (in $\ln$ and in $\times$), so $\bar v_{-1}$
# receives two contributions, and so does $\bar v_0$ — a *copy gate* adds gradients. The rows are
# in execution order; the slide prints the same rows bottom-up, so read its table from the
# bottom.

# %% tags=["slide-numbers"]
def pad(text, width):
    """Left-justify, counting v̄ (a v and a combining bar) as one character."""
    return text + " " * (width - sum(not unicodedata.combining(c) for c in text))

for step in steps(y):   # one step per row of t.adjoint, tied to the graph
    line = f"{pad(step.name, 4)} = {pad(step.expr, 16)} = {format_value(step.value):>6}"
    if step.kind == "step":
        term, = step.terms  # the upstream node's v̄ × the local gradient on the edge
        up, node = names[term.consumer], names[step.node]
        line += (f"   upstream {bar(up)} = {format_value(term.source_value)} × local "
                 f"∂{up}/∂{node} = {format_value(term.local)}"
                 f"  →  adds {format_value(term.value)}")
    print(line)

slide_adjoint = [("v̄5", "ȳ", 1.0), ("v̄4", "v̄5 × 1", 1.0), ("v̄3", "v̄5 × (−1)", -1.0),
                 ("v̄1", "v̄4 × 1", 1.0), ("v̄2", "v̄4 × 1", 1.0),
                 ("v̄0", "v̄3 × cos v0", -0.284), ("v̄-1", "v̄2 × v0", 5.0),
                 ("v̄0", "v̄0 + v̄2 × v-1", 1.716), ("v̄-1", "v̄-1 + v̄1 / v-1", 5.5),
                 ("x̄1", "v̄-1", 5.5), ("x̄2", "v̄0", 1.716)]
assert [(r.target, r.expr, round(r.value, 3)) for r in t.adjoint] == slide_adjoint

# %% [markdown]
# Both tables side by side (the trace object renders itself as HTML in a notebook;
# `t.to_markdown()` and `t.to_latex()` give the same tables for lecture notes):

# %%
t

# %% [markdown]
# ### Watch it, row by row
#
# `step_through(y)` shows the graph and the adjoint trace side by side, one row at a time: the
# node whose adjoint the row computes is outlined **orange**, the upstream node that passes its
# $\bar v$ down **blue**, and the edge with its local gradient **purple**; every record shows the
# adjoint known so far (`?` until its row). Press **Next** / **Back** or drag the slider. Where
# the buttons cannot run (this notebook rendered on GitHub or in the docs) the same steps play
# as an animation.
#
# For a slide, `render_animation(y, "backprop.gif")` writes that animation as a GIF, one frame
# per row with a pause on the last (`tinygrad-edu trace … --gif` does it from the command
# line); `mode="forward"` steps through the forward tangent trace instead.

# %%
step_through(y)

# %% [markdown]
# `trace` computed those adjoints by itself and left every `.grad` alone. `backward()` runs the
# same reverse sweep on the graph and stores $\bar v_i$ in each node's `.grad`; the picture now
# shows the gradients, and each operation its local gradients $\partial v_{\text{node}}/\partial
# v_{\text{parent}}$, each in the cell where that parent's edge comes in.

# %% tags=["slide-numbers"]
assert x1.grad == 0.0 and x2.grad == 0.0     # the trace never touches .grad
y.backward()
print(f"x̄1 = ∂y/∂x1 = {x1.grad:.3f}")
print(f"x̄2 = ∂y/∂x2 = {x2.grad:.3f}")
assert x1.grad == 5.5                        # 1/x1 + x2 = 0.5 + 5, exactly
assert round(x2.grad, 3) == 1.716            # x1 − cos x2
assert x2.grad == t.gradients["x2"]          # the same numbers as the trace

# %%
draw_dot(y, rankdir="TB", show_local_grads=True, trace_names=True)


# %% [markdown]
# ## 4. The same gradients from finite differences
#
# Without any chain rule: nudge one input by $h$ each way and measure the change of $f$,
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h},$$
#
# the *central difference*, whose error shrinks like $h^2$. First by hand, with plain floats:

# %% tags=["slide-numbers"]
def f_float(a, b):
    return math.log(a) + a * b - math.sin(b)

h = 1e-5
d1 = (f_float(2 + h, 5) - f_float(2 - h, 5)) / (2 * h)
d2 = (f_float(2, 5 + h) - f_float(2, 5 - h)) / (2 * h)
print(f"∂y/∂x1 ≈ {d1:.6f}    ∂y/∂x2 ≈ {d2:.6f}")
assert round(d1, 3) == 5.5 and round(d2, 3) == 1.716


# %% [markdown]
# `numerical_grad(f, xs)` does the same for a function of `Value`s, and `gradcheck(f, xs)`
# compares it with reverse mode input by input (PyTorch's tolerances: `atol=1e-5, rtol=1e-3`):

# %% tags=["slide-numbers"]
def f(x1, x2):
    return x1.log() + x1 * x2 - x2.sin()

numeric = numerical_grad(f, [2.0, 5.0])
print("numerical_grad:", [round(g, 6) for g in numeric])
result = gradcheck(f, [2.0, 5.0])
print("gradcheck passed:", bool(result))
assert result and [round(g, 3) for g in numeric] == [5.5, 1.716]

# %%
print(result)   # the full report: reverse mode next to the numeric estimate, per input

# %% [markdown]
# Why not always use finite differences? They cost two evaluations of $f$ **per input** (a
# network has millions), and their accuracy depends on $h$: too large and the truncation error
# ($\propto h$ one-sided, $\propto h^2$ central) dominates; too small and floating-point
# cancellation in $f(x+h) - f(x-h)$ takes over. Reverse mode gives every input's derivative in
# one backward sweep, exact up to rounding.

# %%
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

# %% [markdown]
# **Summary.** The graph records every operation with its local derivatives; the forward trace
# computes the $v_i$; the reverse trace multiplies upstream by local gradients from the output
# back, adding contributions where a value is used twice; finite differences agree to about six
# digits. Notebook 7 runs the same expression in *forward* mode (tangents $\dot v_i$ instead of
# adjoints).
