"""The ``tinygrad-edu`` command: trace any expression, train a small MLP, run the demo, serve
the playground (each command's ``--help`` shows its usage).

This module assembles the parser from the commands (``tinygrad_edu.commands``: each one
declares its own options) and turns every refusal into a one-line message and an exit code,
never a stack trace: the codes are ``commands.EXIT_CODES_HELP``, which ends every ``--help``.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys

from . import __version__, playground
from .commands import (
    EXIT_BUG,
    EXIT_CODES_HELP,
    EXIT_MISMATCH,
    EXIT_MISSING_TOOL,
    EXIT_OK,
    EXIT_USAGE,
    NEURON_EXPRESSION,
    NEURON_VALUES,
    SLIDE_EXPRESSION,
    SLIDE_VALUES,
    MissingTool,
    UsageError,
    add_command,
    status,
)
from .commands import demo as demo_command
from .commands import trace as trace_command
from .commands import train as train_command
from .expr import ExprError

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_BUG", "EXIT_USAGE", "EXIT_MISMATCH",
           "EXIT_MISSING_TOOL", "SLIDE_EXPRESSION", "SLIDE_VALUES", "NEURON_EXPRESSION",
           "NEURON_VALUES"]

COMMANDS = {"trace": trace_command, "train": train_command, "demo": demo_command}
"""Command name → its module (``add_parser`` and ``run``); ``playground`` is added apart."""


class _Parser(argparse.ArgumentParser):
    """argparse that reads an argument starting with '-' (as in ``trace -x**2 x=3``) as the
    expression when it is none of the command's options."""

    expression_first = False  # set on a command whose first positional is an expression

    def parse_known_args(self, args=None, namespace=None):
        if self.expression_first and args is not None:
            args = self._protect_leading_dashes(list(args))
        return super().parse_known_args(args, namespace)

    def _protect_leading_dashes(self, args: list) -> list:
        """An argument that starts with '-' but is none of this parser's options (argparse's
        own table of them) gets a leading space, so argparse takes it as a positional (the
        expression parser and the NAME=NUMBER parser both ignore the space). Everything after
        '--' is left alone."""
        fixed, i = [], 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                return fixed + args[i:]
            name, has_value, _ = arg.partition("=")
            action = self._option_string_actions.get(name)
            if action is not None or (arg.startswith("--") and len(arg) > 2):
                fixed.append(arg)
                takes_value = action is not None and action.nargs != 0
                if takes_value and not has_value and i + 1 < len(args):
                    fixed.append(args[i + 1])
                    i += 1
            else:
                fixed.append(" " + arg if arg.startswith("-") and len(arg) > 1 else arg)
            i += 1
        return fixed

    def error(self, message):
        if "unrecognized arguments: -" in message or "expected one argument" in message:
            message += ("\n(an expression that begins with '-' can follow '--': "
                        "tinygrad-edu trace -- '-x**2' x=3)")
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; built on every call, so the help lists the op table as it is
    now (with any op added by ``ops.register``)."""
    parser = _Parser(
        prog="tinygrad-edu",
        description="See backpropagation work: trace any expression through its forward "
                    "primal and reverse adjoint tables, train a small MLP, or run the demo.",
        epilog="examples:\n"
               f"  tinygrad-edu trace \"{SLIDE_EXPRESSION}\" x1=2 x2=5\n"
               "  tinygrad-edu train moons --hidden 16,16 --optimizer adam\n"
               "  tinygrad-edu demo --out out\n\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"tinygrad-edu {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS.values():
        command.add_parser(subcommands)
    playground.add_arguments(add_command(
        subcommands, "playground", description=playground.server.DESCRIPTION,
        help="a neural-network playground in your browser (a local server)"))
    return parser


def _safe_streams() -> None:
    """Never fail on a console that cannot show v̄ or ∂: replace what it cannot encode."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError, OSError):  # not a text stream
            stream.reconfigure(errors="backslashreplace")


def _run(args) -> int:
    """Run the chosen command, turning each kind of refusal into its message and exit code."""
    run = (playground.run_command if args.command == "playground"
           else COMMANDS[args.command].run)
    try:
        return run(args)
    except (ExprError, UsageError) as err:  # an expression's error underlines its place
        located = isinstance(err, ExprError) and err.col is not None
        status(err.render() if located else f"tinygrad-edu: error: {err}")
        return EXIT_USAGE
    except MissingTool as err:
        status(f"tinygrad-edu: missing tool: {err}")
        return EXIT_MISSING_TOOL
    except KeyboardInterrupt:
        status("tinygrad-edu: interrupted")
        return 130
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")
        return EXIT_OK


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    _safe_streams()
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exit_:  # --help, --version, or a usage error (argparse printed it)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return _run(args)
    except Exception as err:  # noqa: BLE001 - the last line of defence: no stack trace
        if os.environ.get("TINYGRAD_EDU_DEBUG"):
            raise
        status(f"tinygrad-edu: internal error: {type(err).__name__}: {err}\n"
               f"This is a bug; please report it with the command you ran "
               f"(TINYGRAD_EDU_DEBUG=1 shows the traceback).")
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
