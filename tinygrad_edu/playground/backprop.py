"""Backprop mode: a small graph and its reverse adjoint trace, ready to be stepped through.

The rows are the library's backprop steps (``stepper.steps(y)``, one per row of
``trace(y).adjoint``), tied to the graph by :func:`describe`. The page only walks through
them; every number and every expression comes from the stepper, the trace and the op table —
the same steps that ``draw_dot(y, step=k)``, the GIF and the notebook widget show.
"""
from __future__ import annotations

import math
from functools import partial

from .. import checks, losses, nn
from ..checks import short_repr
from ..engine import Value
from ..expr import ExprError, parse
from ..graph import evaluation_order
from ..nn import MLP
from ..ops import OPS, OpError, format_number
from ..stepper import local_text, steps
from ..table import format_value

__all__ = ["BackpropError", "PRESETS", "build", "describe", "presets"]

MAX_NODES = 150
"""Larger graphs are refused: stepping through hundreds of rows teaches nothing."""
MAX_TEXT = 200
NETWORK_ACTIVATIONS = tuple(nn.ACTIVATIONS)
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

PRESETS = {
    "slide": {"title": "y = ln(x1) + x1·x2 − sin(x2)", "text": "ln(x1) + x1*x2 - sin(x2)",
              "values": {"x1": 2.0, "x2": 5.0}, "output": "",
              "note": "the evaluation trace of the slide \"Autodiff\" (Natasha Jaques)"},
    "chain": {"title": "f = (x + y)·z", "text": "(x + y) * z",
              "values": {"x": -2.0, "y": 5.0, "z": -4.0}, "output": "f",
              "note": "add distributes, mul swaps (Dacheng Xiu; CS231n)"},
    "neuron": {"title": "f = σ(w0·x0 + w1·x1 + w2)", "text": "sigmoid(w0*x0 + w1*x1 + w2)",
               "values": {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0},
               "output": "f", "note": "the sigmoid neuron (Dacheng Xiu; CS231n)"},
}
"""The worked examples of the decks; ``build(values)`` evaluates the text into a graph."""


class BackpropError(ValueError):
    """A request for a graph that cannot be built (bad expression, value or size)."""


def _evaluate(preset: dict, values: dict) -> Value:
    root = parse(preset["text"]).evaluate(values)[0]
    root.label = preset["output"]
    return root


for _entry in PRESETS.values():
    _entry["build"] = partial(_evaluate, _entry)


def presets() -> dict:
    return {"presets": {k: {key: p[key] for key in ("title", "text", "values", "note")}
                        for k, p in PRESETS.items()},
            "network_activations": list(NETWORK_ACTIVATIONS),
            "expressions": True,
            "max_nodes": MAX_NODES}


# ---------------------------------------------------------------- checking a request
def _checked(check, *args):
    """``check(*args)``, a ``tinygrad_edu.checks`` helper (the library's one policy: true and
    false are 1 and 0), its refusal a BackpropError."""
    try:
        return check(*args)
    except (TypeError, ValueError, OverflowError) as err:
        raise BackpropError(str(err)) from None


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
    return {n: _checked(checks.finite, values[n], f"the value of {n}") for n in names}


# ---------------------------------------------------------------- the graphs
def tiny_network(x, target, activation="tanh", hidden=2, seed=0) -> Value:
    """The loss of a 2–hidden–1 MLP on one example (x1, x2) with label ``target`` (0 or 1):
    sigmoid output with binary cross-entropy, computed from the logit z as
    softplus(z) − t·z. Weights are labelled as on the slides: w^(layer)_(to, from)."""
    if not isinstance(x, (list, tuple)) or len(x) != 2:
        raise BackpropError("network: x must be a pair [x1, x2]")
    x1, x2 = (_checked(checks.finite, v, f"network: x{i}") for i, v in enumerate(x, start=1))
    target = _checked(checks.whole, target, "network: the label", 0, 1)
    _checked(checks.one_of, activation, NETWORK_ACTIVATIONS, "network: activation")
    hidden = _checked(checks.whole, hidden, "network: the hidden neurons", 1, 3)
    seed = _checked(checks.whole, seed, "network: seed", 0, 2**31 - 1)
    model = MLP(2, [hidden, 1], activation=activation, seed=seed)
    for k, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons, start=1):
            where = str(k).translate(SUPERSCRIPTS) + str(j).translate(SUBSCRIPTS)
            for i, w in enumerate(neuron.w, start=1):
                w.label = f"w{where}{str(i).translate(SUBSCRIPTS)}"
            neuron.b.label = f"b{where}"
    z = model([Value(x1, "x1"), Value(x2, "x2")])
    loss = losses.binary_cross_entropy_with_logits([z], [target])
    loss.label = "L"
    return loss


def build(request: dict):
    """(root Value, title) for a backprop-mode request; ``BackpropError`` if it is invalid."""
    if not isinstance(request, dict):
        raise BackpropError("the request must be a JSON object")
    source = request.get("source", "preset")
    if source == "expression":
        return _expression(request.get("text"), request.get("values", {}))
    try:  # a value that does not exist on the way: the op's own words, without the operands
        if source == "preset":
            return _preset(request)
        if source == "network":
            root = tiny_network(request.get("x", [1.0, -1.0]), request.get("target", 1),
                                request.get("activation", "tanh"), request.get("hidden", 2),
                                request.get("seed", 0))
            return root, "L = BCE(σ(z), t) of a tiny network on one example"
    except (OpError, ExprError) as err:  # "ln: the natural log needs a positive number, got 0"
        raise BackpropError(err.message) from None
    raise BackpropError(f"source must be 'preset', 'expression' or 'network', "
                        f"got {short_repr(source, 30)}")


def _preset(request: dict):
    key = request.get("preset", "slide")
    preset = PRESETS[_checked(checks.one_of, key, PRESETS, "the example")]
    values = _values(request.get("values", preset["values"]), list(preset["values"]),
                     preset["title"])
    return preset["build"](values), preset["title"]


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
        output = parsed.evaluate(values)[0] if parsed.variables else None
    except (ValueError, TypeError, ArithmeticError) as err:  # expr.ExprError is a ValueError
        raise BackpropError(err.message if isinstance(err, OpError) else str(err)) from None
    if output is None:
        raise BackpropError("the expression has no variable to differentiate by")
    return output, "y = " + text.strip()


# ---------------------------------------------------------------- the graph as JSON
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
    ids = {node: i for i, node in enumerate(order)}
    edges, edge_ids = _edges(order, ids, walk.names)
    return {"title": title, "output": ids[root], "nodes": _nodes(order, ids, walk),
            "edges": edges,
            "forward": [{"name": r.name, "expr": r.expr, **_number("value", r.value),
                         "node": ids[r.node]} for r in walk.table.forward],
            "adjoint": [_row(step, ids, edge_ids) for step in walk], "text": str(walk.table)}


def _number(key: str, x: float | None, text_key: str = "") -> dict:
    """``x`` twice: as a JSON number (None for nan, inf or no value) and as the table prints it."""
    text = None if x is None else format_value(x)
    return {key: x if x is not None and math.isfinite(x) else None,
            text_key or f"{key}_text": text}


def _nodes(order: list, ids: dict, walk) -> list:
    """Each node as the picture draws it, in column ``level``: its depth, except that an
    input or a constant stands just before the first node that uses it."""
    t = walk.table
    depth = t.numbering.depth
    first_use = {}
    for node in order:
        for p in node.parents:
            first_use[p] = min(first_use.get(p, depth[node]), depth[node])
    expr = {row.node: row.expr for row in reversed(t.forward)}  # a node's first row wins
    return [{"id": ids[node], "name": walk.names.get(node), "label": t.input_names.get(node, ""),
             "kind": "op" if node.parents else "input" if node in walk.names else "constant",
             "op": node.op, "symbol": OPS[node.op].symbol if node.op else "",
             "expr": expr.get(node, format_number(node.data)),
             **_number("value", node.data), **_number("grad", t.adjoints.get(node)),
             "level": depth[node] if node.parents or node not in first_use
             else first_use[node] - 1,
             "is_output": node is walk.output}
            for node in order]


def _edges(order: list, ids: dict, names) -> tuple:
    """(edges, their ids by (consumer, operand)): one edge per operand, in data-flow
    direction, labelled with its local gradient."""
    edges, edge_ids = [], {}
    for node in order:
        for i, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            edge_ids[node, i] = len(edges)
            edges.append({"id": len(edges), "from": ids[parent], "to": ids[node], "operand": i,
                          **_number("local", local, "local_value_text"),
                          "local_text": local_text(node, i, names)})
    return edges, edge_ids


def _row(step, ids: dict, edge_ids: dict) -> dict:
    """One row of the adjoint trace; an upstream × local step also names its upstream node,
    its edge, and the three numbers: v̄ of the upstream node, the local gradient, their product."""
    row = {"index": step.index, "target": step.name, "expr": step.expr,
           **_number("value", step.value), "node": ids[step.node], "upstream": None,
           "edge": None, "kind": step.kind}
    if step.kind == "step":
        term, = step.terms  # reverse mode: one upstream × local per row
        up = term.consumer
        row.update({"upstream": ids[up], "edge": edge_ids[up, term.operand],
                    "upstream_name": step.walk.names[up],
                    **_number("upstream_value", term.source_value),
                    **_number("local", term.local, "local_value_text"),
                    "local_text": term.local_text, **_number("contribution", term.value)})
    return row
