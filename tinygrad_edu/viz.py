"""Pictures of computation graphs with Graphviz: one record per Value, one node per operation.

A record reads ``x1 | data 2.000 | grad 5.500``: the Value's label, v and v̄. Plain numbers
(the 1 in ``1 + e^−z``) are bare numbers beside the operation that used them. Local gradients
∂node/∂operand are written *inside* the operation's node, where the operand's edge comes in:
edge labels, placed by Graphviz, used to collide. The options are :func:`draw_dot`'s; without
Graphviz's ``dot``, rendering raises :class:`GraphvizNotFound` and :func:`to_dot` still works.
"""
from __future__ import annotations

import html
import math
import os
import unicodedata
from collections import deque
from pathlib import Path

import graphviz

from . import checks
from .engine import Constant, Value
from .graph import evaluation_order, number_nodes
from .ops import OPS, format_number
from .stepper import Step, local_text, steps
from .table import bar, dot, format_value

__all__ = ["draw_dot", "to_dot", "render", "GraphPicture", "GraphvizNotFound",
           "DEFAULT_MAX_NODES"]

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
EDGE_COLOR = "#374151"
# one step of backprop, in the playground's colours
TARGET_COLOR, TARGET_FILL = "#e8833a", "#fff4ea"      # the node being computed: orange
UPSTREAM_COLOR, UPSTREAM_FILL = "#2f6fb3", "#edf3fb"  # the node passing its v̄ down: blue
STEP_EDGE, LOCAL_FILL = "#7b3fb3", "#f3e8ff"          # the edge and its local gradient: purple
CAPTION_SIZE = 14


class GraphvizNotFound(graphviz.ExecutableNotFound):
    """Graphviz's ``dot`` program is missing: the message says how to install it.

    A ``RuntimeError`` (and a ``graphviz.ExecutableNotFound``), raised when a picture is
    rendered; building the graph and its DOT source (``to_dot``) work without ``dot``.
    """

    def __init__(self, message: str = INSTALL_HELP):
        RuntimeError.__init__(self, message)


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
            raise GraphvizNotFound() from None

    def render(self, *args, **kwargs):
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFound() from None

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound as err:
            text = f"{err}\n\n(The DOT source is in this object's .source.)"
            return {"text/plain": text,
                    "text/html": f"<pre style='white-space:pre-wrap'>{html.escape(text)}</pre>"}


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
def _text_width(text: str, size: float) -> float:
    """A generous estimate of the width of ``text`` in points (Helvetica-like font): the
    width :class:`_Frame` gives a changing cell."""
    narrow = " .,:;|!il"  # combining marks (the bar of v̄) take no width
    return size * sum(0.32 if c in narrow else 0.66
                      for c in text if not unicodedata.combining(c))


def _cell(text: str, fill: str, width: float | None = None, color: str | None = None,
          bold: bool = False, port: str | None = None, extra: str = "") -> str:
    attrs = f' bgcolor="{fill}"'
    if width is not None:
        attrs += f' width="{math.ceil(width)}"'
    if port:
        attrs += f' port="{port}"'
    body = html.escape(text) if text else " "
    if bold:
        body = f"<b>{body}</b>"
    if color:
        body = f'<font color="{color}">{body}</font>'
    return f"<td{attrs}{extra}>{body}</td>"


def _table(rows, border: int = 0, color: str | None = None, padding: int = 4) -> str:
    outline = f' border="{border}"' + (f' color="{color}"' if color else "")
    inner = "".join(f"<tr>{''.join(cells)}</tr>" for cells in rows)
    return (f'<<table{outline} cellborder="1" cellspacing="0" cellpadding="{padding}">'
            f"{inner}</table>>")


def _record(node: Value, name: str, fill: str, last_cell: str | None,
            frame_color: str | None = None) -> str:
    """An HTML-like label: a row of cells ``name | data … | grad …`` (same in LR and TB).

    In a step frame the record has a 3-point outline, white unless the node is the one
    computed (orange) or the upstream node (blue), so highlighting never changes its size.
    """
    cells = []
    if name:
        cells.append(_cell(name, fill, bold=True, extra=_ink(frame_color)))
    cells.append(_cell(f"data {format_value(node.data)}", fill, extra=_ink(frame_color)))
    if last_cell is not None:
        cells.append(last_cell)
    return _table([cells], border=3 if frame_color else 0, color=frame_color)


def _ink(frame_color):
    """Inner cells keep a dark border inside a coloured outline."""
    return f' color="{EDGE_COLOR}"' if frame_color else ""


def _with_value(written: str, value: float) -> str:
    """A local gradient as the slides write it and its value, ``cos v0 = 0.284``; one that is
    written as its own number (``1``, ``−1``, a constant's ``3``) is shown once."""
    return written if written == format_number(value) else f"{written} = {format_value(value)}"


def _local_text(node: Value, k: int, names: dict) -> str:
    """∂node/∂operand k as a picture writes it: ``cos v0 = 0.284`` with trace names, else 0.284."""
    if node.op in OPS and node in names:
        return _with_value(local_text(node, k, names), node.local_grads[k])
    return format_value(node.local_grads[k])


def _check_options(root, rankdir, format, max_nodes) -> int | None:
    """Refuse a bad option; returns ``max_nodes`` as an int (None: no limit)."""
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot() needs a Value, got {type(root).__name__}")
    if not (isinstance(rankdir, str) and rankdir in ("LR", "TB", "RL", "BT")):
        raise ValueError(f"draw_dot: rankdir must be 'LR' (left to right) or 'TB' (top to "
                         f"bottom), or 'RL'/'BT'; got {checks.short_repr(rankdir)}")
    if not (isinstance(format, str) and format in graphviz.FORMATS):
        raise ValueError(f"draw_dot: unknown picture format {checks.short_repr(format)} "
                         f"(use 'svg', 'png' or 'pdf')")
    return None if max_nodes is None else checks.whole(max_nodes, "draw_dot: max_nodes", low=1)


def draw_dot(root: Value, rankdir: str = "LR", show_grad: bool = True,
             show_local_grads: bool = False, format: str = "svg",
             max_nodes: int | None = DEFAULT_MAX_NODES,
             trace_names: bool = False, step=None) -> GraphPicture:
    """The computation graph below ``root`` as a :class:`graphviz.Digraph` (displays in Jupyter).

    One record per Value (``label | data | grad``, 3 decimals as in the trace tables), one
    small circle per operation with its symbol from the op table, edges in data-flow direction.

    * ``rankdir``: "LR" (inputs on the left) or "TB" (inputs on top).
    * ``show_grad``: show each Value's ``.grad``, which the picture reads and never changes:
      draw after ``y.backward()`` to see the gradients.
    * ``show_local_grads``: write each local gradient ∂node/∂operand inside the operation's
      node, in the cell its operand's edge enters (with ``trace_names`` as the slides write
      it: ``cos v0 = 0.284``); a plain-number operand is written in its cell, not drawn.
    * ``format``: what ``.render()`` and ``.pipe()`` produce by default (svg, png, pdf).
    * ``max_nodes``: draw at most this many Values, the ones nearest the output; a note says
      how many were left out and ``⋯`` marks where the graph continues. ``None`` draws all
      (Graphviz gets slow beyond a few thousand nodes).
    * ``trace_names``: prefix each Value with its name in ``trace(root)`` (v-1, v0, v1, …),
      which needs a walk of the whole graph.
    * ``step``: draw one step of backprop (:mod:`tinygrad_edu.stepper`): an int k is row k of
      ``trace(root).adjoint``, or pass a ``Step`` (of the forward tangent trace, say). The node
      computed is outlined orange, the upstream node blue, the edge and its local gradient
      purple (the playground's colours); each record shows the adjoint v̄ known so far (``?``
      before it is computed), and a caption writes the row. A frame draws the whole graph with
      trace names and local gradients; all frames of one walk have the same size and layout,
      so they make an animation (``render_animation``).

    Same graph, same DOT source: node ids and order depend only on the graph's structure.
    """
    max_nodes = _check_options(root, rankdir, format, max_nodes)
    frame = None if step is None else _Frame(root, step)
    if frame is not None:  # every Value (no max_nodes), with trace names and local gradients
        show_grad = show_local_grads = trace_names = True
        max_nodes = None
    kept, left_out, exact = _nearest(root, max_nodes)
    order = evaluation_order(root, keep=kept)  # each Value after its operands
    names = number_nodes(root) if trace_names else {}
    ids = {node: f"n{i}" for i, node in enumerate(order)}

    g = GraphPicture(name="computation_graph", format=format, encoding="utf-8")
    g.attr(rankdir=rankdir, nodesep="0.25", ranksep="0.35", fontname=FONT)
    g.attr("node", fontname=FONT, fontsize="12")
    g.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.7", color=EDGE_COLOR)

    hidden = {}  # a Value left out → its "⋯" stub (one per Value, shared by its uses)
    for node in order:
        fill = OUTPUT_FILL if node is root else NODE_FILL if node.parents else INPUT_FILL
        name = " ".join(t for t in (names.get(node, ""), node.label) if t)
        if frame is not None:
            label = frame.record(node, name, fill, names)
        else:
            grad = _cell(f"grad {format_value(node.grad)}", fill, color=GRAD_COLOR)
            label = _record(node, name, fill, grad if show_grad else None)
        g.node(ids[node], label, shape="plain")
        if node.parents:
            _draw_operation(g, node, ids, names, hidden, show_local_grads, rankdir, frame)

    g.nodes_shown = len(order)
    g.nodes_left_out = left_out
    g.left_out_is_exact = exact
    if frame is not None:
        g.attr(label=frame.caption(), labelloc="b", labeljust="l")
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


_ENTRY = {"LR": "w", "RL": "e", "TB": "n", "BT": "s"}


def _draw_operation(g, node, ids, names, hidden, show_local_grads, rankdir, frame) -> None:
    """The operation below ``node``'s record and an edge from each operand into it.

    An operand is a drawn Value (its record), a plain number (a small number node for this
    use, or its own cell when local gradients are shown) or a Value left out by
    ``max_nodes`` (a dashed edge from a "⋯" stub).
    """
    nid = ids[node]
    op_id = f"{nid}op"
    op = OPS.get(node.op)
    symbol = op.symbol if op else node.op
    if show_local_grads:
        _operation_with_locals(g, node, op_id, symbol, names, rankdir, frame)
    else:
        binary = {"ordering": "in"} if len(node.parents) > 1 else {}  # operands in order
        g.node(op_id, graphviz.nohtml(symbol),
               shape="circle" if len(symbol) <= 2 else "ellipse", style="filled",
               fillcolor=OP_FILL, width="0.3", height="0.3", margin="0.03", fontsize="13",
               **binary)
    g.edge(op_id, nid)
    for k, parent in enumerate(node.parents):
        head = f"{op_id}:i{k}:{_ENTRY[rankdir]}" if show_local_grads else op_id
        edge = frame.edge(node, k) if frame is not None else {}
        if parent in ids:
            g.edge(ids[parent], head, **edge)
        elif _is_constant(parent):
            if not show_local_grads:  # else the number is written in its own cell
                g.node(f"{nid}c{k}", graphviz.nohtml(format_number(parent.data)),
                       shape="plaintext", fontsize="11", width="0", height="0", margin="0.02")
                g.edge(f"{nid}c{k}", op_id)
        else:
            if parent not in hidden:
                hidden[parent] = f"h{len(hidden)}"
                g.node(hidden[parent], "⋯", shape="plaintext", fontcolor=HIDDEN_COLOR,
                       width="0", height="0", margin="0.02")
            g.edge(hidden[parent], head, style="dashed", color=HIDDEN_COLOR)


def _operation_with_locals(g, node, op_id, symbol, names, rankdir, frame) -> None:
    """The op as a small table: one cell per operand holding ∂node/∂operand, and its symbol.

    Left to right, the operands' cells are stacked on the side the edges come in and the
    symbol stands on the side the result leaves; top to bottom, they sit side by side on
    top. A plain-number operand's cell shows the number itself (it has no gradient to show).
    """
    cells = []
    for k, parent in enumerate(node.parents):
        if _is_constant(parent):
            text, fill, color = format_number(parent.data), NODE_FILL, None
        elif frame is not None and frame.highlights(node, k):  # not bold: same size
            text, fill, color = _local_text(node, k, names), LOCAL_FILL, STEP_EDGE
        else:
            text, fill, color = _local_text(node, k, names), NODE_FILL, GRAD_COLOR
        cells.append(_cell(text, fill, color=color, port=f"i{k}"))
    n = len(cells)
    if rankdir in ("LR", "RL"):
        sym = _cell(symbol, OP_FILL, extra=f' rowspan="{n}"')
        rows = [[cells[0], sym] if rankdir == "LR" else [sym, cells[0]]]
        rows += [[c] for c in cells[1:]]
    else:
        sym = [_cell(symbol, OP_FILL, extra=f' colspan="{n}"')]
        rows = [cells, sym] if rankdir == "TB" else [sym, cells]
    g.node(op_id, _table(rows, padding=3), shape="plain", fontsize="11")


# ---------------------------------------------------------------- one step of backprop
class _Frame:
    """What one step changes in the picture: outlines, the v̄ (or v̇) cells, one edge, a caption.

    Everything that changes between frames has the same size in every frame of the walk
    (cells get the width of the widest text any frame puts there), so dot lays every frame
    out identically: the nodes of an animation never jump.
    """

    def __init__(self, root: Value, step):
        if not isinstance(step, Step):  # a row number, by checks' policy (True is row 1)
            walk = steps(root)
            step = walk[checks.whole(step, "draw_dot: step (a row of the adjoint trace, or a "
                                           "stepper.Step)", 0, len(walk) - 1)]
        elif step.walk.output is not root:
            raise ValueError("draw_dot: this step belongs to another graph; take it from "
                             "steps(y) of the Value you draw")
        self.step = step
        walk = step.walk
        self.mark = bar if step.mode == "reverse" else dot
        self.known = step.known
        self.sources = set(step.sources)
        self.edges = {(t.consumer, t.operand) for t in step.terms}
        widest = max(_text_width(f"{self.mark(walk.names[s.node])} = {format_value(s.value)}",
                                 12) for s in walk)
        self.value_width = widest + 16
        self.caption_width = max(_text_width("".join(text for text, _ in line), CAPTION_SIZE)
                                 for s in walk for line in _caption_lines(s)) + 12

    def highlights(self, node: Value, operand: int) -> bool:
        return (node, operand) in self.edges

    def edge(self, node: Value, operand: int) -> dict:
        return {"color": STEP_EDGE, "penwidth": "3"} if self.highlights(node, operand) else {}

    def record(self, node: Value, name: str, fill: str, names: dict) -> str:
        if node is self.step.node:
            outline, fill = TARGET_COLOR, TARGET_FILL
        elif node in self.sources:
            outline, fill = UPSTREAM_COLOR, UPSTREAM_FILL
        else:
            outline = "transparent"
        label = self.mark(names.get(node, self.step.walk.output_name))  # a constant output
        value = self.known.get(node)  # None: not computed yet
        text = f"{label} = {'?' if value is None else format_value(value)}"
        last = _cell(text, fill, width=self.value_width, extra=_ink(outline),
                     color=HIDDEN_COLOR if value is None else GRAD_COLOR)
        return _record(node, name, fill, last, frame_color=outline)

    def caption(self) -> str:
        rows = ""
        for line in _caption_lines(self.step):
            body = "".join(f'<font color="{color}">{html.escape(text)}</font>' if color
                           else html.escape(text) for text, color in line)
            rows += (f'<tr><td align="left" balign="left" width="{math.ceil(self.caption_width)}">'
                     f'<font point-size="{CAPTION_SIZE}">{body}</font></td></tr>')
        return f'<<table border="0" cellspacing="0" cellpadding="2">{rows}</table>>'


def _caption_lines(step):
    """The caption of a frame as two lines of (text, colour) pieces."""
    names, output = step.walk.names, step.walk.output_name
    head = [(f"Step {step.index + 1} of {len(step.walk)}:   ", None),
            (f"{step.name} = {step.expr} = {format_value(step.value)}", TARGET_COLOR)]
    reverse = step.mode == "reverse"
    if step.kind == "seed":
        if reverse:
            return head, [(f"The seed: the output's own adjoint, ∂{output}/∂{output} = "
                           f"{format_value(step.value)}.", None)]
        return head, [("The seed: the tangent of this input, the direction the inputs move.",
                       None)]
    if step.kind == "result":
        what = step.walk.input_names.get(step.node, names[step.node])
        if reverse:
            return head, [(f"Done for this input: {step.name} = ∂{output}/∂{what}.", None)]
        return head, [(f"Done: {step.name} is the derivative of {output} along the seed.", None)]
    mark, word = (bar, "upstream ") if reverse else (dot, "")
    second = []
    for i, term in enumerate(step.terms):
        source, consumer, parent = (names[n] for n in (term.source, term.consumer, term.parent))
        local = _with_value(term.local_text, term.local)
        if i:
            second.append(("   +   ", None))
        second += [(f"{word}{mark(source)} = {format_value(term.source_value)}", UPSTREAM_COLOR),
                   ("  ×  ", None),
                   (f"local ∂{consumer}/∂{parent} = {local}", STEP_EDGE)]
    if reverse:
        second.append((f"   →  {format_value(step.terms[0].value)}", None))
        if step.expr.startswith(step.name + " + "):
            second.append((f", added to what {step.name} held (gradients add up)", None))
    return head, second


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
        Path(path).write_text(to_dot(root, **options), encoding="utf-8")
        return path
    if suffix not in RENDER_FORMATS:
        raise ValueError(f"render: cannot tell the picture format from {path!r}; end the "
                         f"file name with .svg, .png or .pdf (or .dot for the DOT source)")
    fmt = RENDER_FORMATS[suffix]
    options.pop("format", None)
    picture = draw_dot(root, format=fmt, **options)
    if fmt == "png":
        picture.attr(dpi=str(dpi or 144))
    Path(path).write_bytes(picture.pipe(format=fmt))  # GraphvizNotFound without dot: no file
    return path
