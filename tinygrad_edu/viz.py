"""Pictures of computation graphs with Graphviz: one record per Value, one circle per operation.

``draw_dot(y)`` returns a :class:`graphviz.Digraph` that a notebook displays inline. Each
Value is a record ``x1 | data 2.000 | grad 5.500`` (its label, its value v and its adjoint v̄,
4 significant digits); each operation is a small circle with the op table's symbol
(``ln``, ``×``, ``−``); edges run the way the data flows, inputs to output. Plain numbers
in an expression (the 1 in ``1 + e^−z``) are drawn as bare numbers next to the operation that
used them. Options add the trace's names (``v-1``, ``v0``, ``v1`` …, the same numbering as
``trace(y)``, so a picture and a table of the same graph can be read together) and each
edge's local gradient ∂node/∂operand.

The picture shows whatever ``.grad`` holds and never changes it: draw after
``y.backward()`` to see the gradients (before it they are all 0).

Large graphs stay usable: ``max_nodes`` keeps the Values nearest the output (a breadth-first
walk from it, which stops as soon as it has enough) and a note says how many were left out;
``⋯`` marks each place where the graph continues. Every walk is iterative.

Turning the description into a picture needs Graphviz's ``dot`` program. Without it,
rendering raises :class:`GraphvizNotFound` saying how to install it, a notebook shows that
message instead of the picture, and ``to_dot(y)`` (the DOT source) still works.
"""
from __future__ import annotations

import html
import math
import os
import shutil
from collections import deque

import graphviz

from .engine import Constant, Value
from .graph import evaluation_order, number_nodes
from .ops import OPS, format_number
from .table import operand_text

__all__ = ["draw_dot", "to_dot", "render", "GraphPicture", "GraphvizNotFound",
           "format_number_4", "DEFAULT_MAX_NODES"]

DEFAULT_MAX_NODES = 500
"""Values drawn unless ``max_nodes`` says otherwise: dot draws that many in under a second."""

COUNT_LIMIT = 100_000
"""Past ``max_nodes``, the walk goes on only to count what is left out, up to this many Values."""

RENDER_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
SOURCE_SUFFIXES = (".dot", ".gv")

INSTALL_HELP = ("Graphviz's 'dot' program is needed to draw the picture, and it was not found "
                "on PATH. Install Graphviz: Debian/Ubuntu 'sudo apt-get install graphviz', "
                "Fedora 'sudo dnf install graphviz', macOS 'brew install graphviz', Windows "
                "'winget install graphviz' (then open a new terminal). Without it, "
                "to_dot(y) still gives the DOT source, which any Graphviz viewer can draw.")

FONT = "Helvetica"
INPUT_FILL = "#dbeafe"    # inputs and parameters: light blue
OUTPUT_FILL = "#fde68a"   # the output: light amber
NODE_FILL = "#ffffff"
OP_FILL = "#e5e7eb"
GRAD_COLOR = "#b91c1c"    # the backward pass's numbers (grad, local gradients): dark red
HIDDEN_COLOR = "#6b7280"


class GraphvizNotFound(graphviz.ExecutableNotFound):
    """Graphviz's ``dot`` program is missing: the message says how to install it.

    A ``RuntimeError`` (and a ``graphviz.ExecutableNotFound``), raised when a picture is
    rendered; building the graph and its DOT source (``to_dot``) work without ``dot``.
    """

    def __init__(self, message: str = INSTALL_HELP):
        RuntimeError.__init__(self, message)


def _dot_missing() -> GraphvizNotFound:
    return GraphvizNotFound()


class GraphPicture(graphviz.Digraph):
    """The :class:`graphviz.Digraph` that ``draw_dot`` returns.

    It renders and displays like any Digraph; a missing ``dot`` raises
    :class:`GraphvizNotFound`, and a notebook then shows that message instead of a traceback.
    ``nodes_shown`` and ``nodes_left_out`` count Values (constants not included);
    ``left_out_is_exact`` is False when counting stopped at ``COUNT_LIMIT``.
    """

    nodes_shown = None
    nodes_left_out = 0
    left_out_is_exact = True

    def pipe(self, *args, **kwargs):
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise _dot_missing() from None

    def render(self, *args, **kwargs):
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise _dot_missing() from None

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound as err:
            text = f"{err}\n\n(The DOT source is in this object's .source.)"
            return {"text/plain": text,
                    "text/html": f"<pre style='white-space:pre-wrap'>{html.escape(text)}</pre>"}


# ---------------------------------------------------------------- numbers
def format_number_4(x: float) -> str:
    """4 significant digits, trailing zeros kept: 2.000, 10.00, −0.9589, 1.235e4, nan, ∞."""
    if x != x:
        return "nan"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        x = 0.0                                   # no "−0.000"
    mantissa, _, exponent = f"{x:#.4g}".partition("e")
    text = mantissa.rstrip(".")                   # "1235." → "1235"
    if exponent:
        text += f"e{int(exponent)}"
    return text.replace("-", "−")


# ---------------------------------------------------------------- choosing what to draw
def _is_constant(node: Value) -> bool:
    return isinstance(node, Constant) and not node.parents


def _nearest(root: Value, max_nodes):
    """The Values nearest ``root`` (breadth first, at most ``max_nodes``; constants not counted).

    Returns (kept set, how many Values were left out, whether that count is exact). Once
    ``max_nodes`` are kept the walk goes on only to count, and stops at ``COUNT_LIMIT``.
    """
    kept = {root}
    seen = {root}
    queue = deque((root,))
    left_out = 0
    limit = math.inf if max_nodes is None else max_nodes
    while queue:
        for parent in queue.popleft().parents:
            if parent in seen or _is_constant(parent):
                continue
            seen.add(parent)
            if len(kept) < limit:
                kept.add(parent)
            else:
                left_out += 1
                if len(seen) >= COUNT_LIMIT:
                    return kept, left_out, False
            queue.append(parent)
    return kept, left_out, True


# ---------------------------------------------------------------- the picture
def _record(node: Value, name: str, show_grad: bool, fill: str) -> str:
    """An HTML-like label: a row of cells ``name | data … | grad …`` (same in LR and TB)."""
    cells = []
    if name:
        cells.append(f'<td bgcolor="{fill}"><b>{html.escape(name)}</b></td>')
    cells.append(f'<td bgcolor="{fill}">data {format_number_4(node.data)}</td>')
    if show_grad:
        cells.append(f'<td bgcolor="{fill}"><font color="{GRAD_COLOR}">'
                     f'grad {format_number_4(node.grad)}</font></td>')
    return ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="4"><tr>'
            + "".join(cells) + "</tr></table>>")


def _is_number(text: str) -> bool:
    try:
        float(text.replace("−", "-"))
    except ValueError:
        return False
    return True


def _check_options(root, rankdir, format, max_nodes):
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot() needs a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_dot: rankdir must be 'LR' (left to right) or 'TB' (top to "
                         f"bottom), or 'RL'/'BT'; got {rankdir!r}")
    if format not in graphviz.FORMATS:
        raise ValueError(f"draw_dot: unknown picture format {format!r} "
                         f"(use 'svg', 'png' or 'pdf')")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)
                                  or max_nodes < 1):
        raise ValueError(f"draw_dot: max_nodes must be a positive whole number or None, "
                         f"got {max_nodes!r}")


def draw_dot(root: Value, rankdir: str = "LR", show_grad: bool = True,
             show_local_grads: bool = False, format: str = "svg",
             max_nodes: int | None = DEFAULT_MAX_NODES,
             trace_names: bool = False) -> GraphPicture:
    """The computation graph below ``root`` as a :class:`graphviz.Digraph` (displays in Jupyter).

    One record per Value (``label | data | grad``, 4 significant digits), one small circle
    per operation with its symbol from the op table, edges in data-flow direction.

    * ``rankdir``: "LR" (inputs on the left) or "TB" (inputs on top).
    * ``show_grad``: show each Value's ``.grad``. The picture only reads ``.grad``, it never
      changes it: draw after ``y.backward()`` to see the gradients.
    * ``show_local_grads``: label each operand's edge with the local gradient ∂node/∂operand
      (with ``trace_names`` also as the slides write it: ``cos v0 = 0.2837``).
    * ``format``: what ``.render()`` and ``.pipe()`` produce by default (svg, png, pdf).
    * ``max_nodes``: draw at most this many Values, the ones nearest the output; a note says
      how many were left out and ``⋯`` marks where the graph continues. ``None`` draws all
      (Graphviz gets slow beyond a few thousand nodes).
    * ``trace_names``: prefix each Value with its name in ``trace(root)`` (v-1, v0, v1, …).
      The numbering needs the whole graph, so this walks all of it.

    Same graph, same DOT source: node ids and order depend only on the graph's structure.
    """
    _check_options(root, rankdir, format, max_nodes)
    kept, left_out, exact = _nearest(root, max_nodes)
    order = evaluation_order(root, keep=kept)  # each Value after its operands
    names = {}
    if trace_names:
        names = number_nodes(root)
    ids = {node: f"n{i}" for i, node in enumerate(order)}

    g = GraphPicture(name="computation_graph", format=format, encoding="utf-8")
    g.attr(rankdir=rankdir, nodesep="0.25", ranksep="0.35", fontname=FONT)
    g.attr("node", fontname=FONT, fontsize="12")
    g.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.7", color="#374151")

    hidden = {}  # a Value left out → its "⋯" stub (one per Value, shared by its uses)
    for node in order:
        fill = OUTPUT_FILL if node is root else NODE_FILL if node.parents else INPUT_FILL
        name = " ".join(t for t in (names.get(node, ""), node.label) if t)
        g.node(ids[node], _record(node, name, show_grad, fill), shape="plain")
        if node.parents:
            _draw_operation(g, node, ids, names, hidden, show_local_grads)

    g.nodes_shown = len(order)
    g.nodes_left_out = left_out
    g.left_out_is_exact = exact
    if left_out:
        with g.subgraph() as beside_output:  # the note stands by the output, where one starts
            beside_output.attr(rank="same")
            beside_output.node(ids[root])
            more = f"{left_out:,}" if exact else f"more than {left_out:,}"
            beside_output.node("note", graphviz.nohtml(
                f"Showing the {len(order):,} Values nearest the output "
                f"(max_nodes={max_nodes:,}).\\l{more} further Values are not drawn;\\l"
                f"⋯ marks where the graph continues.\\l"),
                shape="note", style="filled", fillcolor="#fef9c3", fontsize="12")
    return g


def _draw_operation(g, node, ids, names, hidden, show_local_grads) -> None:
    """The op circle below ``node``'s record and an edge from each operand into it.

    An operand is a drawn Value (its record), a plain number (a small number node for this
    use) or a Value left out by ``max_nodes`` (a dashed edge from a "⋯" stub).
    """
    nid = ids[node]
    op_id = f"{nid}op"
    op = OPS.get(node.op)
    symbol = op.symbol if op else node.op
    binary = {"ordering": "in"} if len(node.parents) > 1 else {}  # operands in order: a − b
    g.node(op_id, graphviz.nohtml(symbol), shape="circle" if len(symbol) <= 2 else "ellipse",
           style="filled", fillcolor=OP_FILL, width="0.3", height="0.3", margin="0.03",
           fontsize="13", **binary)
    g.edge(op_id, nid)
    operands = [operand_text(p, names) for p in node.parents]
    for k, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
        edge = {}
        if show_local_grads and not _is_constant(parent):  # a number has no gradient to show
            text = format_number_4(local)
            if op and names:  # as the slides write it: cos v0 = 0.2837
                written = op.write_local(k, operands, names.get(node, ""))
                text = written if _is_number(written) else f"{written} = {text}"
            edge = {"label": graphviz.nohtml(text), "fontcolor": GRAD_COLOR}
        if parent in ids:
            g.edge(ids[parent], op_id, **edge)
        elif _is_constant(parent):
            g.node(f"{nid}c{k}", graphviz.nohtml(format_number(parent.data)),
                   shape="plaintext", fontsize="11", width="0", height="0", margin="0.02")
            g.edge(f"{nid}c{k}", op_id, **edge)
        else:
            if parent not in hidden:
                hidden[parent] = f"h{len(hidden)}"
                g.node(hidden[parent], "⋯", shape="plaintext", fontcolor=HIDDEN_COLOR,
                       width="0", height="0", margin="0.02")
            g.edge(hidden[parent], op_id, style="dashed", color=HIDDEN_COLOR, **edge)


def to_dot(root: Value, **options) -> str:
    """The DOT source of ``draw_dot(root, **options)``: works without the ``dot`` program."""
    return draw_dot(root, **options).source


def render(root: Value, path, dpi: int | None = None, **options) -> str:
    """Draw the graph below ``root`` into ``path``; the extension picks the format.

    ``.svg``, ``.png`` and ``.pdf`` need Graphviz's ``dot`` (else :class:`GraphvizNotFound`);
    ``.dot`` / ``.gv`` write the DOT source and need nothing. ``dpi`` sets a PNG's resolution
    (default 144, sharp on slides and screens). Options are ``draw_dot``'s. Returns ``path``.
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix in SOURCE_SUFFIXES:
        with open(path, "w", encoding="utf-8") as f:
            f.write(to_dot(root, **options))
        return path
    if suffix not in RENDER_FORMATS:
        raise ValueError(f"render: cannot tell the picture format from {path!r}; end the "
                         f"file name with .svg, .png or .pdf (or .dot for the DOT source)")
    fmt = RENDER_FORMATS[suffix]
    options.pop("format", None)
    picture = draw_dot(root, format=fmt, **options)
    if fmt == "png":
        picture.attr(dpi=str(dpi or 144))
    if shutil.which("dot") is None:
        raise _dot_missing()
    data = picture.pipe(format=fmt)
    with open(path, "wb") as f:
        f.write(data)
    return path
