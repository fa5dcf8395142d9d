"""Step through backprop in a notebook: the graph and the trace table, row by row.

``step_through(y)`` shows, side by side, the picture of the current step
(``draw_dot(y, step=k)``) and the trace table with the current row highlighted, under
Back / Next buttons and a slider. It needs ipywidgets (the ``notebooks`` extra) and a running
kernel; where widgets cannot run — a notebook rendered on GitHub or in documentation — the
same output carries the animated GIF of all the steps (``render_animation``).

:class:`StepState` is the part with rules (where you are, what Next and Back do at the ends);
it knows nothing about widgets, so it is tested without a browser.
"""
from __future__ import annotations

import base64
import html
import os
import tempfile

from . import checks
from .stepper import steps
from .table import format_value
from .viz import TARGET_COLOR, TARGET_FILL, draw_dot

__all__ = ["StepState", "StepThrough", "step_through"]

WIDGETS_HELP = ("Back/Next buttons need ipywidgets in a running notebook: "
                "pip install 'tinygrad_edu[notebooks]'. Below is the animation instead.")


class StepState:
    """The position in a walk of ``count`` steps: 0 … count − 1, starting at ``start``.

    ``next()`` and ``back()`` move one row and stop at the ends (a click past the end does
    nothing); ``go(k)`` jumps to row k and refuses a row that does not exist.
    """

    def __init__(self, count: int, start: int = 0):
        self.count = checks.whole(count, "StepState: the number of steps", low=1)
        self.position = 0
        self.go(start)

    @property
    def at_start(self) -> bool:
        return self.position == 0

    @property
    def at_end(self) -> bool:
        return self.position == self.count - 1

    def next(self) -> int:
        self.position = min(self.position + 1, self.count - 1)
        return self.position

    def back(self) -> int:
        self.position = max(self.position - 1, 0)
        return self.position

    def go(self, k) -> int:
        self.position = checks.whole(k, "step", 0, self.count - 1)
        return self.position


class StepThrough:
    """The graph of ``y`` and its trace, one step at a time (see :func:`step_through`).

    ``state`` is the :class:`StepState`; ``next()``, ``back()`` and ``go(k)`` move it and
    redraw. ``widget`` is the ipywidgets box (None without ipywidgets).
    """

    def __init__(self, y, mode: str = "reverse", seed=None, rankdir: str = "TB",
                 start: int = 0):
        self.y = y
        self.mode, self.seed, self.rankdir = mode, seed, rankdir
        self.walk = steps(y, mode=mode, seed=seed)
        self.state = StepState(len(self.walk), start)
        self._svg = {}
        self.widget = self._build_widget()

    # ------------------------------------------------------------- what is shown
    @property
    def step(self):
        return self.walk[self.state.position]

    def picture(self):
        """The graph at the current step (a ``graphviz.Digraph``)."""
        return draw_dot(self.y, step=self.step, rankdir=self.rankdir)

    def _picture_html(self) -> str:
        k = self.state.position
        if k not in self._svg:
            try:
                svg = self.picture().pipe(format="svg", encoding="utf-8")
                self._svg[k] = svg[svg.find("<svg"):]  # inline in HTML: no XML prolog
            except RuntimeError as err:  # Graphviz missing: say so where the picture goes
                self._svg[k] = f"<pre style='white-space:pre-wrap'>{html.escape(str(err))}</pre>"
        return self._svg[k]

    def table_html(self) -> str:
        """The trace table: rows done, the current row highlighted, rows to come greyed."""
        here = self.state.position
        current = f"background:{TARGET_FILL};font-weight:bold;outline:2px solid {TARGET_COLOR}"
        rows = []
        for step in self.walk:
            style = "" if step.index < here else current if step.index == here else "color:#9ca3af"
            value = format_value(step.value) if step.index <= here else "…"
            cells = (html.escape(step.name), "=", html.escape(step.expr), "=", value)
            rows.append(f"<tr style='{style}'>" + "".join(
                f"<td style='padding:1px 6px;white-space:nowrap;"
                f"text-align:{'right' if i == 4 else 'left'}'>{c}</td>"
                for i, c in enumerate(cells)) + "</tr>")
        return (f"<table style='border-collapse:collapse;font-family:monospace'>"
                f"<caption style='text-align:left;font-weight:bold'>"
                f"{self.walk.table.second_title}</caption>{''.join(rows)}</table>")

    # ------------------------------------------------------------- moving
    def next(self) -> int:
        self.state.next()
        return self._show()

    def back(self) -> int:
        self.state.back()
        return self._show()

    def go(self, k: int) -> int:
        self.state.go(k)
        return self._show()

    def _show(self) -> int:
        if self.widget is not None:
            self._slider.value = self.state.position  # (observer: no-op when unchanged)
            self._graph.value = self._picture_html()
            self._table.value = self.table_html()
            self._back.disabled = self.state.at_start
            self._next.disabled = self.state.at_end
            self._where.value = f"row {self.state.position + 1} of {self.state.count}"
        return self.state.position

    def _build_widget(self):
        try:
            import ipywidgets as w
        except ImportError:
            return None
        self._back = w.Button(description="◀ Back", layout=w.Layout(width="90px"))
        self._next = w.Button(description="Next ▶", layout=w.Layout(width="90px"))
        self._slider = w.IntSlider(value=0, min=0, max=self.state.count - 1,
                                   description="step", continuous_update=True,
                                   readout=False)
        self._where = w.Label()
        self._graph = w.HTML()
        self._table = w.HTML()
        self._back.on_click(lambda _: self.back())
        self._next.on_click(lambda _: self.next())
        self._slider.observe(self._slid, names="value")
        controls = w.HBox([self._back, self._next, self._slider, self._where])
        body = w.HBox([self._graph, self._table],
                      layout=w.Layout(align_items="flex-start", grid_gap="24px"))
        self.widget = w.VBox([controls, body])
        self._show()
        return self.widget

    def _slid(self, change) -> None:
        if change["new"] != self.state.position:
            self.go(change["new"])

    # ------------------------------------------------------------- display
    def gif(self, dpi: int = 80) -> bytes:
        """All the steps as an animated GIF (the fallback where widgets do not run)."""
        from .animate import render_animation
        with tempfile.TemporaryDirectory() as folder:
            path = render_animation(self.y, os.path.join(folder, "steps.gif"), mode=self.mode,
                                    seed=self.seed, rankdir=self.rankdir, dpi=dpi)
            with open(path, "rb") as f:
                return f.read()

    def _repr_mimebundle_(self, **kwargs):
        bundle = {}
        if self.widget is not None:
            bundle.update(self.widget._repr_mimebundle_(**kwargs) or {})
            bundle["text/plain"] = (f"step_through: {self.state.count} steps "
                                    f"(open in Jupyter for Back/Next; the GIF shows them all)")
        else:
            bundle["text/plain"] = WIDGETS_HELP
        try:
            bundle["image/gif"] = base64.b64encode(self.gif()).decode("ascii")
        except (ImportError, RuntimeError) as err:  # no Pillow or no dot: say so, show text
            bundle["text/plain"] += f"\n({err})"
        return bundle

    def __repr__(self) -> str:
        return f"<StepThrough: step {self.state.position + 1} of {self.state.count}>"


def step_through(y, mode: str = "reverse", seed=None, rankdir: str = "TB",
                 start: int = 0) -> StepThrough:
    """Show backprop on ``y`` step by step in a notebook: graph and trace table, Back/Next.

    ``mode="forward"`` steps through the forward tangent trace instead (``seed`` gives the
    inputs' tangents, default ẋ1 = 1). Display the result (last line of a cell). Without a
    running kernel the output shows the animated GIF of all the steps.
    """
    return StepThrough(y, mode=mode, seed=seed, rankdir=rankdir, start=start)
