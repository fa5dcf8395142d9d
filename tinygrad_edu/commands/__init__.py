"""The ``tinygrad-edu`` commands, one module each (``trace``, ``train``, ``demo``), and what
they share: the exit codes, the two kinds of refusal, and writing files.

Each command module has ``add_parser(subcommands)``, which declares its options once, and
``run(args)``, which returns an exit code. ``tinygrad_edu.cli`` assembles them and turns the
errors below into one-line messages.
"""
from __future__ import annotations

import argparse
import math
import os
import sys

__all__ = ["EXIT_OK", "EXIT_BUG", "EXIT_USAGE", "EXIT_MISMATCH", "EXIT_MISSING_TOOL",
           "EXIT_CODES_HELP", "add_command", "UsageError", "MissingTool", "status", "write_text",
           "make_dir", "json_ready", "full", "at", "SLIDE_EXPRESSION", "SLIDE_VALUES",
           "NEURON_EXPRESSION", "NEURON_VALUES"]

EXIT_OK, EXIT_BUG, EXIT_USAGE, EXIT_MISMATCH, EXIT_MISSING_TOOL = 0, 1, 2, 3, 4

EXIT_CODES_HELP = """exit codes:
  0  success
  1  an unexpected error (a bug: please report the command you ran)
  2  bad input: usage, the expression, a value, ln of 0 and the like, an unwritable file
  3  trace --check: a gradient disagrees with finite differences
  4  a needed tool is missing (Graphviz's dot for pictures, matplotlib for plots,
     scikit-learn for the digits)"""

SLIDE_EXPRESSION = "ln(x1) + x1*x2 - sin(x2)"
"""The worked example of the deck "Neural Networks" (Natasha Jaques): y at x1 = 2, x2 = 5."""
SLIDE_VALUES = {"x1": 2.0, "x2": 5.0}
NEURON_EXPRESSION = "1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"
"""The sigmoid neuron of the backpropagation slides: f = 0.73 at the values below."""
NEURON_VALUES = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}


def add_command(subcommands, name: str, help: str, description: str, epilog: str = ""):
    """A command's parser: its one-line help, its description, and an epilog (kept as
    written) that ends with the exit codes."""
    return subcommands.add_parser(
        name, help=help, description=description,
        epilog=(epilog + "\n\n" if epilog else "") + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter)


class UsageError(Exception):
    """Bad input found after argument parsing: printed as one line, exit code 2."""


class MissingTool(Exception):
    """A needed outside tool is missing: printed with how to install it, exit code 4."""


def status(message: str) -> None:
    """A message for the person at the terminal (stderr: stdout stays the result)."""
    print(message, file=sys.stderr)


def write_text(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except (OSError, ValueError) as err:
        raise UsageError(f"cannot write {path!r}: {_reason(err)}") from None


def make_dir(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except (OSError, ValueError) as err:
        raise UsageError(f"cannot create the folder {path!r}: {_reason(err)}") from None


def _reason(err: Exception) -> str:
    return getattr(err, "strerror", None) or str(err)


def json_ready(x):
    """Floats as JSON numbers; inf and nan (a derivative at a kink) as strings."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {k: json_ready(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_ready(v) for v in x]
    return x


def full(x: float) -> str:
    """A number with all the digits a reader may want to compare (10 significant)."""
    return f"{x:.10g}"


def at(values: dict) -> str:
    """``x1 = 2, x2 = 5``: where an expression is evaluated."""
    return ", ".join(f"{name} = {full(v)}" for name, v in values.items())
