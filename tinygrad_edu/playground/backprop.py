"""Backprop mode: a small graph and its reverse adjoint trace, ready to be stepped through.

The rows are the library's backprop steps (``stepper.steps(y)``, one per row of
``trace(y).adjoint`` — the very rows the trace table prints), and each one is tied to the
graph: the node whose adjoint v̄ it updates, the node whose adjoint is passed down (the
upstream gradient), and the edge between them, labelled with the local gradient
∂upstream/∂node it multiplies. The page only walks through these steps; every number and
every expression comes from the stepper, the trace and the op table — the same steps that
``draw_dot(y, step=k)``, the GIF and the notebook widget show.
"""
from __future__ import annotations

import math
import numbers

from .. import losses
from ..engine import Value
from ..expr import parse
from ..graph import evaluation_order
from ..nn import MLP
from ..ops import OPS, OpError, format_number
from ..stepper import local_text, steps
from ..table import format_value

__all__ = ["BackpropError", "PRESETS", "build", "describe", "presets"]

MAX_NODES = 150
"""Larger graphs are refused: stepping through hundreds of rows teaches nothing."""
MAX_TEXT = 200
NETWORK_ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "linear")


class BackpropError(ValueError):
    """A request for a graph that cannot be built (bad expression, value or size)."""


def _slide(v):
    x1, x2 = Value(v["x1"], "x1"), Value(v["x2"], "x2")
    return x1.log() + x1 * x2 - x2.sin()


def _chain(v):
    x, y, z = Value(v["x"], "x"), Value(v["y"], "y"), Value(v["z"], "z")
    f = (x + y) * z
    f.label = "f"
    return f


def _neuron(v):
    w0, x0 = Value(v["w0"], "w0"), Value(v["x0"], "x0")
    w1, x1 = Value(v["w1"], "w1"), Value(v["x1"], "x1")
    w2 = Value(v["w2"], "w2")
    f = (w0 * x0 + w1 * x1 + w2).sigmoid()
    f.label = "f"
    return f


PRESETS = {
    "slide": {"title": "y = ln(x1) + x1·x2 − sin(x2)", "text": "ln(x1) + x1*x2 - sin(x2)",
              "values": {"x1": 2.0, "x2": 5.0}, "build": _slide,
              "note": "the evaluation trace of the slide \"Autodiff\" (Natasha Jaques)"},
    "chain": {"title": "f = (x + y)·z", "text": "(x + y) * z",
              "values": {"x": -2.0, "y": 5.0, "z": -4.0}, "build": _chain,
              "note": "add distributes, mul swaps (Dacheng Xiu; CS231n)"},
    "neuron": {"title": "f = σ(w0·x0 + w1·x1 + w2)", "text": "sigmoid(w0*x0 + w1*x1 + w2)",
               "values": {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0},
               "build": _neuron, "note": "the sigmoid neuron (Dacheng Xiu; CS231n)"},
}


def presets() -> dict:
    return {"presets": {k: {key: p[key] for key in ("title", "text", "values", "note")}
                        for k, p in PRESETS.items()},
            "network_activations": list(NETWORK_ACTIVATIONS),
            "expressions": True,
            "max_nodes": MAX_NODES}


def _finite(value, what: str) -> float:
    """``value`` as a float, or a BackpropError naming ``what`` (a 400-digit integer too)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise BackpropError(f"{what} must be a finite number, got {_short(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise BackpropError(f"{what} must be a finite number, got {_short(value)}") from None
    if not math.isfinite(number):
        raise BackpropError(f"{what} must be a finite number, got {_short(value)}")
    return number


def _short(value) -> str:
    """``value`` for a message: at most 40 characters (a 5,000-digit number is not shown)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a {len(str(abs(value)))}-digit integer"
    return f"{value!r:.40}"


def _values(values, names, who: str) -> dict:
    if not isinstance(values, dict):
        raise BackpropError(f"{who}: values must be an object name → number")
    missing = [n for n in names if n not in values]
    if missing:
        raise BackpropError(f"{who}: no value given for {', '.join(missing)}")
    extra = [n for n in values if n not in names]
    if extra:
        raise BackpropError(f"{who}: {extra[0]!r} is not a variable of the expression "
                            f"(its variables: {', '.join(names)})")
    return {n: _finite(values[n], f"the value of {n}") for n in names}


def _superscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _subscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def tiny_network(x, target, activation="tanh", hidden=2, seed=0) -> Value:
    """The loss of a 2–hidden–1 MLP on one example (x1, x2) with label ``target`` (0 or 1):
    sigmoid output with binary cross-entropy, computed from the logit z as
    softplus(z) − t·z. Weights are labelled as on the slides: w^(layer)_(to, from)."""
    if not isinstance(x, (list, tuple)) or len(x) != 2:
        raise BackpropError("network: x must be a pair [x1, x2]")
    x1, x2 = (_finite(v, f"x{i}") for i, v in enumerate(x, start=1))
    if target not in (0, 1) or isinstance(target, bool):
        raise BackpropError(f"network: the label must be 0 or 1, got {target!r:.20}")
    if activation not in NETWORK_ACTIVATIONS:
        raise BackpropError(f"network: activation must be one of "
                            f"{', '.join(NETWORK_ACTIVATIONS)}, got {activation!r:.20}")
    if isinstance(hidden, bool) or not isinstance(hidden, int) or not 1 <= hidden <= 3:
        raise BackpropError(f"network: a tiny network has 1 to 3 hidden neurons, "
                            f"got {hidden!r:.20}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
        raise BackpropError(f"network: seed must be a whole number ≥ 0, got {seed!r:.20}")
    model = MLP(2, [hidden, 1], activation=activation, seed=seed)
    for k, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons, start=1):
            for i, w in enumerate(neuron.w, start=1):
                w.label = f"w{_superscript(k)}{_subscript(j)}{_subscript(i)}"
            neuron.b.label = f"b{_superscript(k)}{_subscript(j)}"
    z = model([Value(x1, "x1"), Value(x2, "x2")])
    loss = losses.binary_cross_entropy_with_logits([z], [int(target)])
    loss.label = "L"
    return loss


def build(request: dict):
    """(root Value, title) for a backprop-mode request; ``BackpropError`` if it is invalid."""
    if not isinstance(request, dict):
        raise BackpropError("the request must be a JSON object")
    source = request.get("source", "preset")
    if source == "preset":
        key = request.get("preset", "slide")
        if not isinstance(key, str) or key not in PRESETS:
            raise BackpropError(f"unknown example {_short(key)}; choose one of "
                                f"{', '.join(PRESETS)}")
        preset = PRESETS[key]
        values = request.get("values", preset["values"])
        values = _values(values, list(preset["values"]), preset["title"])
        try:
            return preset["build"](values), preset["title"]
        except OpError as err:  # "ln: the natural log needs a positive number, got 0"
            raise BackpropError(err.message) from None
    if source == "expression":
        return _expression(request.get("text"), request.get("values", {}))
    if source == "network":
        root = tiny_network(request.get("x", [1.0, -1.0]), request.get("target", 1),
                            request.get("activation", "tanh"), request.get("hidden", 2),
                            request.get("seed", 0))
        return root, "L = BCE(σ(z), t) of a tiny network on one example"
    raise BackpropError(f"source must be 'preset', 'expression' or 'network', got {source!r:.30}")


def _expression(text, values):
    if not isinstance(text, str) or not text.strip():
        raise BackpropError("type an expression, e.g. ln(x1) + x1*x2 - sin(x2)")
    if len(text) > MAX_TEXT:
        raise BackpropError(f"the expression is too long ({len(text)} characters; at most "
                            f"{MAX_TEXT} in backprop mode)")
    if not isinstance(values, dict):
        raise BackpropError("values must be an object name → number, e.g. {\"x1\": 2}")
    try:
        parsed = parse(text)
        if not parsed.variables:
            raise BackpropError("the expression has no variable to differentiate by")
        output, _inputs = parsed.evaluate(values)
    except (ValueError, TypeError, ArithmeticError) as err:  # expr.ExprError is a ValueError
        if isinstance(err, BackpropError):
            raise
        raise BackpropError(err.message if isinstance(err, OpError) else str(err)) from None
    return output, "y = " + text.strip()


def describe(root: Value, title: str = "") -> dict:
    """The graph below ``root`` with its forward trace and its backprop steps, as JSON.

    ``adjoint`` rows are ``stepper.steps(root)`` in order; each names (by id) the node whose
    adjoint it updates (``node``), the node it comes from (``upstream``) and the ``edge``
    between them, with the upstream adjoint, the local gradient and their product.
    """
    order = evaluation_order(root)
    if len(order) > MAX_NODES:
        raise BackpropError(f"this graph has {len(order)} nodes; backprop mode steps through "
                            f"at most {MAX_NODES}")
    walk = steps(root)
    t = walk.table
    names = walk.names
    ids = {node: i for i, node in enumerate(order)}
    depth = t.numbering.depth
    consumers = {}
    for node in order:
        for p in node.parents:
            consumers.setdefault(p, []).append(node)
    forward_expr = {}
    for row in t.forward:
        forward_expr.setdefault(row.node, row.expr)

    nodes, edges = [], []
    edge_of = {}
    for node in order:
        if node in names and not node.parents:
            kind = "input"
        elif not node.parents:
            kind = "constant"
        else:
            kind = "op"
        if node.parents or node not in consumers:
            level = depth[node]
        else:  # an input or constant: drawn just before the first node that uses it
            level = min(depth[c] for c in consumers[node]) - 1
        grad = t.adjoints.get(node)
        nodes.append({
            "id": ids[node], "name": names.get(node), "label": t.input_names.get(node, ""),
            "kind": kind, "op": node.op, "symbol": OPS[node.op].symbol if node.op else "",
            "expr": forward_expr.get(node, format_number(node.data)),
            "value": _json_number(node.data), "value_text": format_value(node.data),
            "grad": _json_number(grad) if grad is not None else None,
            "grad_text": format_value(grad) if grad is not None else None,
            "level": level, "is_output": node is root,
        })
        for i, (p, local) in enumerate(zip(node.parents, node.local_grads)):
            edge_of[(node, i)] = len(edges)
            edges.append({"id": len(edges), "from": ids[p], "to": ids[node], "operand": i,
                          "local": _json_number(local), "local_value_text": format_value(local),
                          "local_text": local_text(node, i, names)})

    rows = []
    for step in walk:
        entry = {"index": step.index, "target": step.name, "expr": step.expr,
                 "value": _json_number(step.value), "value_text": format_value(step.value),
                 "node": ids[step.node], "upstream": None, "edge": None, "kind": step.kind}
        if step.kind == "step":
            term, = step.terms  # reverse mode: one upstream × local per row
            up = term.consumer
            entry.update({"upstream": ids[up], "edge": edge_of[(up, term.operand)],
                          "upstream_name": names[up],
                          "upstream_value": _json_number(term.source_value),
                          "upstream_value_text": format_value(term.source_value),
                          "local": _json_number(term.local),
                          "local_value_text": format_value(term.local),
                          "local_text": term.local_text,
                          "contribution": _json_number(term.value),
                          "contribution_text": format_value(term.value)})
        rows.append(entry)

    return {"title": title, "output": ids[root], "nodes": nodes, "edges": edges,
            "forward": [{"name": r.name, "expr": r.expr, "value": _json_number(r.value),
                         "value_text": format_value(r.value), "node": ids[r.node]}
                        for r in t.forward],
            "adjoint": rows, "text": str(t)}


def _json_number(x: float):
    return x if math.isfinite(x) else None
