"""``tinygrad-edu demo``: the whole story, written to a folder (``make demo`` runs it).

1. the slide's expression ln(x1) + x1·x2 − sin(x2): its trace tables, its graph, and its
   backprop as an animated GIF for a slide (``slide_backprop.gif``);
2. the sigmoid neuron: its trace tables and graph;
3. an MLP trained on moons: loss curves, decision boundary, the model.
"""
from __future__ import annotations

import argparse
import os
import time

from . import (
    EXIT_OK,
    NEURON_EXPRESSION,
    NEURON_VALUES,
    SLIDE_EXPRESSION,
    SLIDE_VALUES,
    MissingTool,
    add_command,
    at,
    make_dir,
    write_text,
)
from . import trace as trace_command
from . import train as train_command

__all__ = ["add_parser", "run", "write_expression"]


def add_parser(subcommands) -> argparse.ArgumentParser:
    p = add_command(
        subcommands, "demo",
        help="the slide trace, the sigmoid neuron and a moons run, written to a folder",
        description="Run the whole story and write it to a folder: the slide's expression "
                    "with its trace tables and graph, the sigmoid neuron with its trace and "
                    "graph, and a moons training run with its plots and model. Prints what "
                    "was written where.")
    p.add_argument("--out", metavar="DIR", default="out", help="output folder (default: out)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _write_graph(y, out: str, stem: str, missing: list) -> str:
    """The graph as SVG and PNG, or as DOT source when Graphviz is missing (noted in
    ``missing``); returns the line that says what was written."""
    picture = os.path.join(out, f"{stem}_graph.svg")
    try:
        trace_command.draw(y, picture, "svg")
        trace_command.draw(y, picture[:-4] + ".png", "png")
        return f"    {picture}  the computation graph (also {stem}_graph.png)"
    except MissingTool as err:
        from .. import viz
        source = picture[:-4] + ".dot"
        write_text(source, viz.to_dot(y, trace_names=True, show_local_grads=True))
        missing.append(str(err))
        return (f"    {source}  the computation graph as DOT source (no picture: "
                f"Graphviz's dot is missing)")


def _write_animation(y, out: str, stem: str, missing: list) -> str:
    """Backprop as an animated GIF, one frame per adjoint row; returns the line that says
    what was written (or why not: Graphviz or Pillow missing, noted in ``missing``)."""
    path = os.path.join(out, f"{stem}_backprop.gif")
    try:
        trace_command.draw(y, path, "gif")
    except MissingTool as err:
        missing.append(str(err))
        return f"    (no {path}: a tool is missing, see the note at the end)"
    return f"    {path}  backprop step by step, one frame per adjoint row (for a slide)"


def write_expression(out: str, stem: str, text: str, values: dict, missing: list,
                     animate: bool = False) -> tuple:
    """Trace ``text`` at ``values`` into ``stem_trace.txt``/``.md``, draw its graph (and,
    with ``animate``, its backprop as a GIF); returns ({"value": y, name: gradient, …}, the
    lines saying what was written)."""
    from ..expr import parse
    from ..trace import trace
    y, _ = parse(text).evaluate(values)
    t = trace(y)
    write_text(os.path.join(out, f"{stem}_trace.txt"),
               f"{t.output_name} = {text}    at {at(values)}\n\n{t}")
    write_text(os.path.join(out, f"{stem}_trace.md"),
               f"`{t.output_name} = {text}` at {at(values)}\n\n" + t.to_markdown())
    lines = [f"    {os.path.join(out, stem + '_trace.txt')}  forward and adjoint trace "
             f"tables (also {stem}_trace.md)"]
    y.backward()  # the picture shows each node's gradient
    lines.append(_write_graph(y, out, stem, missing))
    if animate:
        lines.append(_write_animation(y, out, stem, missing))
    return t.gradients | {"value": t.value}, lines


def _slide(out: str, missing: list) -> None:
    r, lines = write_expression(out, "slide", SLIDE_EXPRESSION, SLIDE_VALUES, missing,
                                animate=True)
    print(f"\n1. The slide's example  y = {SLIDE_EXPRESSION}  at {at(SLIDE_VALUES)}")
    print(f"   y = {r['value']:.3f}   ∂y/∂x1 = {r['x1']:.3f}   ∂y/∂x2 = {r['x2']:.3f}")
    print("\n".join(lines))


def _neuron(out: str, missing: list) -> None:
    r, lines = write_expression(out, "neuron", NEURON_EXPRESSION, NEURON_VALUES, missing)
    print(f"\n2. The sigmoid neuron  f = {NEURON_EXPRESSION}  at {at(NEURON_VALUES)}")
    print(f"   f = {r['value']:.2f}   " + "   ".join(f"∂f/∂{n} = {r[n]:.2f}"
                                                     for n in NEURON_VALUES))
    print("\n".join(lines))


def _moons(out: str, progress: bool) -> None:
    print("\n3. Training an MLP on moons", flush=True)
    s = train_command.train_run("moons", os.path.join(out, "moons"), progress=progress)
    print(f"   {s['model']}, {s['optimizer']} lr={s['lr']:g}, {s['epochs']} epochs: "
          f"train accuracy {s['train_accuracy']:.1%}, validation accuracy "
          f"{s['val_accuracy']:.1%} ({s['train_seconds']:.1f} s)")
    files = s["files"]
    print(f"    {files['loss.png']}  loss and accuracy per epoch")
    print(f"    {files['decision_boundary.png']}  the decision boundary over the data")
    print(f"    {files['model.json']}  the trained model (MLP.load reads it)")
    print(f"    {files['run.json']}  settings and history")


def run(args) -> int:
    started = time.perf_counter()
    make_dir(args.out)
    missing = []
    print(f"tinygrad-edu demo: writing to {args.out}{os.sep}")
    _slide(args.out, missing)
    _neuron(args.out, missing)
    _moons(args.out, progress=not args.no_progress)
    for message in dict.fromkeys(missing):
        print(f"\nnote: {message}")
    print(f"\ndone in {time.perf_counter() - started:.1f} s")
    return EXIT_OK
