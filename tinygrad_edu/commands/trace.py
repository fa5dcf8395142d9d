"""``tinygrad-edu trace``: an expression's forward primal trace and reverse adjoint trace.

    tinygrad-edu trace "ln(x1) + x1*x2 - sin(x2)" x1=2 x2=5 [--format F] [--svg F] [--check]

The expression goes through the safe parser (``expr``); ``--help`` lists the options. The
pictures carry the trace's names and each edge's local gradient, so they read next to the
tables.
"""
from __future__ import annotations

import argparse
import json
import os

from ..expr import MAX_LENGTH, function_names, parse, parse_assignments
from . import (
    EXIT_MISMATCH,
    EXIT_OK,
    NEURON_EXPRESSION,
    SLIDE_EXPRESSION,
    MissingTool,
    UsageError,
    add_command,
    at,
    full,
    json_ready,
    status,
)

__all__ = ["add_parser", "run", "draw", "PICTURES"]

PICTURES = {
    "svg": "also draw the computation graph as SVG",
    "png": "also draw the computation graph as PNG",
    "gif": "also write backprop as an animated GIF for a slide: one frame per row of the "
           "adjoint trace (the node computed, the upstream adjoint, the local gradient)",
}
"""The picture options: ``--svg FILE`` writes an SVG, and so on (the option is the format)."""

FORMATS = ("text", "markdown", "latex", "json")


def _language_help() -> str:
    """The expression language, with the op table's function names as they are now (an op
    added with ``ops.register`` is listed too)."""
    return ("the expression language:\n"
            "  numbers (2, -3, 0.5, 1e-3), variable names (x, x1, w_2), + - * / **,\n"
            "  unary minus, parentheses, and the functions\n"
            f"  {', '.join(function_names())}\n"
            "  (ln and log are both the natural log; leaky_relu(x) or leaky_relu(x, alpha)).\n"
            "  Use ** for powers (not ^). Variables are named letters, digits and _,\n"
            f"  starting with a letter. At most {MAX_LENGTH:,} characters. Nothing is ever "
            "eval'ed.\n\n"
            "values: NAME=NUMBER for every variable, in Python's float syntax\n"
            "  (x=2, x=-3, x=1e-3); nan and inf are refused.\n\n"
            "examples:\n"
            f"  tinygrad-edu trace \"{SLIDE_EXPRESSION}\" x1=2 x2=5\n"
            f"  tinygrad-edu trace \"{NEURON_EXPRESSION}\" \\\n"
            "      w0=2 x0=-1 w1=-3 x1=-2 w2=-3 --check --svg neuron.svg\n"
            "  tinygrad-edu trace \"x**2 + 3*x\" x=1 --format json\n"
            "  tinygrad-edu trace -- \"-x**2\" x=3    (an expression starting with -)")


def add_parser(subcommands) -> argparse.ArgumentParser:
    p = add_command(
        subcommands, "trace", help="the forward and adjoint trace tables of an expression",
        description="Evaluate an expression at the given values and show how reverse mode "
                    "runs through it: the forward primal trace, the reverse adjoint trace, "
                    "the value and the gradient with respect to each variable.",
        epilog=_language_help())
    p.expression_first = True  # "-x**2" is the expression, not an unknown option
    p.add_argument("expression", metavar="EXPRESSION", help="e.g. \"ln(x1) + x1*x2 - sin(x2)\"")
    p.add_argument("values", metavar="NAME=NUMBER", nargs="*", default=[],
                   help="a value for each variable")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="how to print the tables (default: text)")
    for kind, what in PICTURES.items():
        p.add_argument(f"--{kind}", metavar="FILE", help=what)
    p.add_argument("--check", action="store_true",
                   help="compare each gradient with central finite differences "
                        "(exit code 3 if one disagrees)")
    return p


# ---------------------------------------------------------------- pictures
def check_picture_path(path: str, kind: str) -> None:
    """Refuse, before any work, a file name that does not end in ``.kind`` after a name
    (``.svg`` alone is a hidden file without an extension, as ``os.path`` reads it)."""
    base = os.path.basename(path)
    stem, suffix = os.path.splitext(base)
    if suffix.lower() != "." + kind or not stem:
        raise UsageError(f"--{kind} needs a file name ending in .{kind} (like graph.{kind}), "
                         f"got {path!r}")
    if "\0" in path:
        raise UsageError(f"--{kind}: a file name cannot contain a null character")


def draw(root, path: str, kind: str) -> None:
    """Draw the graph below ``root`` into ``path`` as ``kind``: an svg or png with the trace's
    names (v-1, v0, …) and each op's local gradient, or a gif of the reverse sweep, one frame
    per adjoint row."""
    import graphviz

    from .. import viz
    try:
        if kind == "gif":
            from ..animate import render_animation
            render_animation(root, path, mode="reverse")
        else:
            viz.render(root, path, trace_names=True, show_local_grads=True)
    except (graphviz.ExecutableNotFound, ImportError) as err:  # dot, or Pillow for the GIF
        raise MissingTool(str(err)) from None  # (the message says how to install it)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None


# ---------------------------------------------------------------- --check
def _gradcheck(expression, values: dict):
    """gradcheck over the expression's variables, or None when it has none."""
    from ..gradcheck import gradcheck
    if not expression.variables:
        return None
    try:
        return gradcheck(expression.as_function(), [values[n] for n in expression.variables])
    except (ArithmeticError, ValueError) as err:
        raise UsageError(f"--check: {err}") from None


def _tolerances() -> dict:
    """gradcheck's own defaults (eps, atol, rtol), read from its signature, not copied."""
    from inspect import signature

    from ..gradcheck import gradcheck
    return {name: p.default for name, p in signature(gradcheck).parameters.items()
            if p.default is not p.empty}


def _check_dict(result) -> dict:
    if result is None:
        return {"passed": True, "inputs": []}
    return {"passed": bool(result), **_tolerances(),
            "inputs": [{"name": c.label, "x": c.x, "reverse_mode": c.reverse_mode,
                        "numeric": c.numeric, "error": c.error, "ok": c.ok}
                       for c in result.inputs]}


def _print_check(result, comment: str) -> None:
    eps = _tolerances()["eps"]
    lines = (["nothing to check: the expression has no variables"] if result is None
             else [f"finite-difference check (central differences, eps = {eps:g}):"]
             + str(result).split("\n"))
    print()
    print("\n".join(f"{comment} {line}" if comment else line for line in lines))


# ---------------------------------------------------------------- the four formats
def _print_tables(t, text: str, values: dict, form: str) -> None:
    """The expression, where it is evaluated, the two tables, the value and the gradients."""
    y, where = t.output_name, f"at {at(values)}" if values else ""
    gradients = t.gradients.items()
    if form == "markdown":
        print(f"`{y} = {text}` {where}".rstrip() + "\n")
        print(t.to_markdown())
        print(f"**Result**: {y} = {full(t.value)}" +
              "".join(f"; ∂{y}/∂{n} = {full(g)}" for n, g in gradients))
    elif form == "latex":
        print(f"% {y} = {text} {where}".rstrip())
        print(t.to_latex(), end="")
        print(f"% {y} = {full(t.value)}" +
              "".join(f"; d{y}/d{n} = {full(g)}" for n, g in gradients))
    else:
        print(f"{y} = {text}    {where}".rstrip() + "\n")
        print(t)
        print(f"value     {y} = {full(t.value)}")
        for i, (name, grad) in enumerate(gradients):
            print(f"{'gradient' if i == 0 else '':9} ∂{y}/∂{name} = {full(grad)}")


# ---------------------------------------------------------------- the command
def run(args) -> int:
    from ..trace import trace
    pictures = [(getattr(args, kind), kind) for kind in PICTURES if getattr(args, kind)]
    for path, kind in pictures:
        check_picture_path(path, kind)
    expression = parse(args.expression)
    values = parse_assignments(args.values)
    y, _ = expression.evaluate(values)
    t = trace(y)
    values = {name: values[name] for name in expression.variables}
    check = _gradcheck(expression, values) if args.check else None
    text = args.expression.strip()
    if args.format == "json":
        document = {"expression": text, "values": values, **t.to_dict()}
        if args.check:
            document["check"] = _check_dict(check)
        print(json.dumps(json_ready(document), indent=2, ensure_ascii=False))
    else:
        _print_tables(t, text, values, args.format)
        if args.check:
            _print_check(check, "%" if args.format == "latex" else "")
    if pictures:
        y.backward()  # so the picture shows each node's gradient
    for path, kind in pictures:
        draw(y, path, kind)
        status(f"wrote {path}")
    return EXIT_MISMATCH if check is not None and not check else EXIT_OK
