"""``tinygrad-edu demo``: the whole story, written to a folder (``make demo`` runs it): the
slide's expression, the sigmoid neuron and a moons run, as its ``--help`` says."""
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


def _drawn(y, path: str, kind: str, missing: list) -> bool:
    """Draw the graph of ``y`` into ``path`` as ``kind``; False, with the reason noted in
    ``missing``, when a tool is missing (Graphviz, or Pillow for a GIF)."""
    try:
        trace_command.draw(y, path, kind)
        return True
    except MissingTool as err:
        missing.append(str(err))
        return False


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
    graph = os.path.join(out, f"{stem}_graph")
    if _drawn(y, graph + ".svg", "svg", missing) and _drawn(y, graph + ".png", "png", missing):
        lines.append(f"    {graph}.svg  the computation graph (also {stem}_graph.png)")
    else:  # without Graphviz, the DOT source, which any Graphviz viewer draws
        from .. import viz
        write_text(graph + ".dot", viz.to_dot(y, trace_names=True, show_local_grads=True))
        lines.append(f"    {graph}.dot  the computation graph as DOT source (no picture: "
                     f"Graphviz's dot is missing)")
    gif = os.path.join(out, f"{stem}_backprop.gif")
    if animate and _drawn(y, gif, "gif", missing):
        lines.append(f"    {gif}  backprop step by step, one frame per adjoint row (for a slide)")
    elif animate:
        lines.append(f"    (no {gif}: a tool is missing, see the note at the end)")
    return t.gradients | {"value": t.value}, lines


def _example(number: int, title: str, stem: str, text: str, values: dict, output: str,
             digits: int, out: str, missing: list, animate: bool = False) -> None:
    """Write an expression's files and print its value and gradients to ``digits`` decimals."""
    r, lines = write_expression(out, stem, text, values, missing, animate)
    print(f"\n{number}. {title}  {output} = {text}  at {at(values)}")
    print(f"   {output} = {r['value']:.{digits}f}   " + "   ".join(
        f"∂{output}/∂{n} = {r[n]:.{digits}f}" for n in values))
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
    _example(1, "The slide's example", "slide", SLIDE_EXPRESSION, SLIDE_VALUES, "y", 3,
             args.out, missing, animate=True)
    _example(2, "The sigmoid neuron", "neuron", NEURON_EXPRESSION, NEURON_VALUES, "f", 2,
             args.out, missing)
    _moons(args.out, progress=not args.no_progress)
    for message in dict.fromkeys(missing):
        print(f"\nnote: {message}")
    print(f"\ndone in {time.perf_counter() - started:.1f} s")
    return EXIT_OK
