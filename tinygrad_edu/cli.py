"""The ``tinygrad-edu`` command: trace any expression, train a small MLP, run the demo.

    tinygrad-edu trace "ln(x1) + x1*x2 - sin(x2)" x1=2 x2=5 [--format ...] [--svg F] [--check]
    tinygrad-edu train moons [--hidden 16,16] [--optimizer adam] [--epochs 40] [--out DIR]
    tinygrad-edu demo [--out out]

Exit codes: 0 success; 1 an unexpected error (a bug: please report it); 2 bad input (usage,
the expression, a value, a value that does not exist such as ln 0, a file that cannot be
written); 3 ``--check`` found a gradient that disagrees with finite differences; 4 a tool that
is needed is missing (Graphviz's ``dot`` for ``--svg``/``--png``, matplotlib for plots).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass

from . import __version__, playground
from .expr import FUNCTIONS, MAX_LENGTH, ExprError, parse, parse_assignments
from .ops import format_number

__all__ = ["main", "EXIT_OK", "EXIT_BUG", "EXIT_USAGE", "EXIT_MISMATCH", "EXIT_MISSING_TOOL",
           "DATASETS", "SLIDE_EXPRESSION", "SLIDE_VALUES", "NEURON_EXPRESSION", "NEURON_VALUES"]

EXIT_OK, EXIT_BUG, EXIT_USAGE, EXIT_MISMATCH, EXIT_MISSING_TOOL = 0, 1, 2, 3, 4

SLIDE_EXPRESSION = "ln(x1) + x1*x2 - sin(x2)"
SLIDE_VALUES = {"x1": 2.0, "x2": 5.0}
NEURON_EXPRESSION = "1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"
NEURON_VALUES = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}


class UsageError(Exception):
    """Bad input found after argument parsing: printed as one line, exit code 2."""


class MissingTool(Exception):
    """A needed outside tool is missing: printed with how to install it, exit code 4."""


# ---------------------------------------------------------------- data sets for train and demo
@dataclass(frozen=True)
class DatasetSpec:
    """How ``train`` makes a data set, its default schedule, and the validation accuracy that
    the defaults reach (stated in ``--help`` and checked by the tests)."""

    name: str
    description: str
    samples: int
    noise: float
    epochs: int
    classes: int
    expected_accuracy: float

    def make(self, samples: int, noise: float, seed: int):
        from . import data
        if self.name == "spirals":
            return data.spirals(max(2, samples // self.classes), k=self.classes, noise=noise,
                                seed=seed)
        return getattr(data, self.name)(samples, noise=noise, seed=seed)


DATASETS = {spec.name: spec for spec in (
    DatasetSpec("moons", "two interleaving half circles", 200, 0.1, 40, 2, 0.95),
    DatasetSpec("circles", "a circle inside a ring", 200, 0.05, 40, 2, 0.95),
    DatasetSpec("xor", "the four XOR corners, with noise", 200, 0.1, 30, 2, 0.95),
    DatasetSpec("spirals", "three interleaved spiral arms", 300, 0.2, 80, 3, 0.90),
)}

DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "adam": 0.02}
ACTIVATIONS = ("relu", "tanh", "sigmoid")


# ---------------------------------------------------------------- argument parsing
class _Parser(argparse.ArgumentParser):
    """argparse with a hint for expressions that begin with a minus sign."""

    def error(self, message):
        if "unrecognized arguments: -" in message or "expected one argument" in message:
            message += ("\n(an expression that begins with '-' can follow '--': "
                        "tinygrad-edu trace -- '-x**2' x=3)")
        super().error(message)


def _positive_int(text: str, largest: int = 1_000_000) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= largest:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {largest:,}, "
                                         f"got {value}")
    return value


def _epochs(text):
    return _positive_int(text, 100_000)


def _samples(text):
    value = _positive_int(text, 100_000)
    if value < 8:
        raise argparse.ArgumentTypeError(f"expected at least 8 samples, got {value}")
    return value


def _finite(text: str, low: float = 0.0, low_open: bool = True, high: float | None = None,
            high_open: bool = True) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    too_low = value <= low if low_open else value < low
    too_high = high is not None and (value >= high if high_open else value > high)
    if not math.isfinite(value) or too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        upper = "∞" if high is None else format_number(high)
        raise argparse.ArgumentTypeError(f"expected a number in {left}{format_number(low)}, "
                                         f"{upper}{right}, got {text!r}")
    return value


def _learning_rate(text):
    return _finite(text, 0.0, True, 10.0, False)


def _noise(text):
    return _finite(text, 0.0, False, 10.0, False)


def _fraction(text):
    return _finite(text, 0.0, True, 1.0, True)


def _hidden(text: str) -> list:
    parts = [p.strip() for p in text.split(",")]
    try:
        sizes = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer sizes like 16,16, got {text!r}") \
            from None
    if not 1 <= len(sizes) <= 8 or not all(1 <= s <= 256 for s in sizes):
        raise argparse.ArgumentTypeError(f"expected 1 to 8 hidden layers of 1 to 256 neurons, "
                                         f"got {text!r}")
    return sizes


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


_EXIT_CODES = """exit codes:
  0  success
  1  an unexpected error (a bug: please report the command you ran)
  2  bad input: usage, the expression, a value, ln of 0 and the like, an unwritable file
  3  trace --check: a gradient disagrees with finite differences
  4  a needed tool is missing (Graphviz's dot for pictures, matplotlib for plots)"""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tinygrad-edu",
        description="See backpropagation work: trace any expression through its forward "
                    "primal and reverse adjoint tables, train a small MLP, or run the demo.",
        epilog="examples:\n"
               f"  tinygrad-edu trace \"{SLIDE_EXPRESSION}\" x1=2 x2=5\n"
               "  tinygrad-edu train moons --hidden 16,16 --optimizer adam\n"
               "  tinygrad-edu demo --out out\n\n" + _EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"tinygrad-edu {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    functions = ", ".join(FUNCTIONS)
    p = commands.add_parser(
        "trace", help="the forward and adjoint trace tables of an expression",
        description="Evaluate an expression at the given values and show how reverse mode "
                    "runs through it: the forward primal trace, the reverse adjoint trace, "
                    "the value and the gradient with respect to each variable.",
        epilog="the expression language:\n"
               "  numbers (2, -3, 0.5, 1e-3), variable names (x, x1, w_2), + - * / **,\n"
               "  unary minus, parentheses, and the functions\n"
               f"  {functions}\n"
               "  (ln and log are both the natural log; leaky_relu(x) or leaky_relu(x, alpha)).\n"
               "  Use ** for powers (not ^). Variables are named letters, digits and _,\n"
               "  starting with a letter. At most "
               f"{MAX_LENGTH:,} characters. Nothing is ever eval'ed.\n\n"
               "values: NAME=NUMBER for every variable, in Python's float syntax\n"
               "  (x=2, x=-3, x=1e-3); nan and inf are refused.\n\n"
               "examples:\n"
               f"  tinygrad-edu trace \"{SLIDE_EXPRESSION}\" x1=2 x2=5\n"
               f"  tinygrad-edu trace \"{NEURON_EXPRESSION}\" \\\n"
               "      w0=2 x0=-1 w1=-3 x1=-2 w2=-3 --check --svg neuron.svg\n"
               "  tinygrad-edu trace \"x**2 + 3*x\" x=1 --format json\n"
               "  tinygrad-edu trace -- \"-x**2\" x=3    (an expression starting with -)\n\n"
               + _EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("expression", metavar="EXPRESSION", help="e.g. \"ln(x1) + x1*x2 - sin(x2)\"")
    p.add_argument("values", metavar="NAME=NUMBER", nargs="*", default=[],
                   help="a value for each variable")
    p.add_argument("--format", choices=("text", "markdown", "latex", "json"),
                   default="text", help="how to print the tables (default: text)")
    p.add_argument("--svg", metavar="FILE", help="also draw the computation graph as SVG")
    p.add_argument("--png", metavar="FILE", help="also draw the computation graph as PNG")
    p.add_argument("--check", action="store_true",
                   help="compare each gradient with central finite differences "
                        "(exit code 3 if one disagrees)")

    lines = "\n".join(f"  {s.name:8} {s.description}: {s.samples} samples, noise {s.noise}, "
                      f"{s.epochs} epochs; validation accuracy ≥ {s.expected_accuracy:.0%}"
                      for s in DATASETS.values())
    p = commands.add_parser(
        "train", help="train an MLP on a toy data set, with plots",
        description="Train a multilayer perceptron on a toy data set with a progress bar; "
                    "print the final training and validation accuracy and write a loss "
                    "curve, a decision-boundary plot (PNG) and the saved model to --out.",
        epilog="data sets (with the defaults: hidden 16,16, relu, adam, seed 0):\n" + lines +
               "\n\nfiles written to --out DIR (default out/DATASET):\n"
               "  loss.png               training and validation loss and accuracy per epoch\n"
               "  decision_boundary.png  the classifier's regions over the data\n"
               "  model.json             the trained weights (MLP.load reads it back)\n"
               "  run.json               the settings, the history and the accuracies\n\n"
               + _EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dataset", choices=tuple(DATASETS), metavar="DATASET",
                   help=f"one of {', '.join(DATASETS)}")
    p.add_argument("--hidden", type=_hidden, default=[16, 16], metavar="SIZES",
                   help="hidden layer sizes, comma separated (default: 16,16)")
    p.add_argument("--activation", choices=ACTIVATIONS, default="relu",
                   help="hidden activation (default: relu)")
    p.add_argument("--optimizer", choices=tuple(DEFAULT_LR), default="adam",
                   help="sgd, momentum (SGD with momentum 0.9) or adam (default: adam)")
    p.add_argument("--lr", type=_learning_rate, metavar="RATE",
                   help="learning rate (default: sgd 0.1, momentum 0.05, adam 0.02)")
    p.add_argument("--epochs", type=_epochs, metavar="N",
                   help="passes over the training data (default: per data set, see below)")
    p.add_argument("--batch-size", type=_positive_int, default=32, metavar="N",
                   help="minibatch size (default: 32)")
    p.add_argument("--samples", type=_samples, metavar="N",
                   help="data set size (default: per data set, see below)")
    p.add_argument("--noise", type=_noise, metavar="SIGMA",
                   help="Gaussian noise of the data (default: per data set)")
    p.add_argument("--val-fraction", type=_fraction, default=0.2, metavar="F",
                   help="share of the data kept for validation (default: 0.2)")
    p.add_argument("--seed", type=_seed, default=0,
                   help="seed for data, initialisation and shuffling (default: 0)")
    p.add_argument("--out", metavar="DIR", help="where to write the files (default: out/DATASET)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = commands.add_parser(
        "demo", help="the slide trace, the sigmoid neuron and a moons run, written to a folder",
        description="Run the whole story and write it to a folder: the slide's expression "
                    "with its trace tables and graph, the sigmoid neuron with its trace and "
                    "graph, and a moons training run with its plots and model. Prints what "
                    "was written where.",
        epilog=_EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", metavar="DIR", default="out", help="output folder (default: out)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = commands.add_parser(
        "playground", help="a neural-network playground in your browser (a local server)",
        description="Serve the playground on http://127.0.0.1:PORT/ and open nothing else: "
                    "pick a data set and a network, press Play and watch it learn, or step "
                    "through backprop one adjoint row at a time. Ctrl-C stops the server.",
        epilog=_EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    playground.add_arguments(p)
    return parser


def _expression_argument_fix(argv: list) -> list:
    """``trace -x**2 x=3``: a first positional that starts with '-' but is no option is the
    expression; prefix it with a space so argparse takes it as one (the parser skips it)."""
    if not argv or argv[0] != "trace":
        return argv
    options = {"-h", "--help", "--format", "--svg", "--png", "--check"}
    takes_value = {"--format", "--svg", "--png"}
    fixed, i = [argv[0]], 1
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return fixed + argv[i:]
        name = arg.split("=", 1)[0]
        if name in options or (arg.startswith("--") and len(arg) > 2):
            fixed.append(arg)
            if name in takes_value and "=" not in arg and i + 1 < len(argv):
                fixed.append(argv[i + 1])
                i += 1
        elif arg.startswith("-") and len(arg) > 1:
            fixed.append(" " + arg)
        else:
            fixed.append(arg)
        i += 1
    return fixed


# ---------------------------------------------------------------- trace
def _status(message: str) -> None:
    print(message, file=sys.stderr)


def _json_ready(x):
    """Floats as JSON numbers; inf and nan (a derivative at a kink) as strings."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {k: _json_ready(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_ready(v) for v in x]
    return x


def _full(x: float) -> str:
    return f"{x:.10g}"


def _at(values: dict) -> str:
    return ", ".join(f"{name} = {_full(v)}" for name, v in values.items())


def _check(expression, values: dict):
    from .gradcheck import gradcheck
    if not expression.variables:
        return None
    try:
        return gradcheck(expression.as_function(), [values[n] for n in expression.variables])
    except (ArithmeticError, ValueError) as err:
        raise UsageError(f"--check: {err}") from None


def _check_dict(result) -> dict | None:
    if result is None:
        return {"passed": True, "inputs": []}
    return {"passed": bool(result), "eps": 1e-6, "atol": 1e-5, "rtol": 1e-3,
            "inputs": [{"name": c.label, "x": c.x, "reverse_mode": c.reverse_mode,
                        "numeric": c.numeric, "error": c.error, "ok": c.ok}
                       for c in result.inputs]}


def _draw(root, path: str, kind: str) -> None:
    """Draw the graph below ``root`` into ``path`` as ``kind`` (svg or png), with the trace's
    names (v-1, v0, …) and each edge's local gradient, so it reads next to the tables."""
    from . import viz
    try:
        viz.render(root, path, trace_names=True, show_local_grads=True)
    except viz.GraphvizNotFound as err:
        raise MissingTool(str(err)) from None
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None


def run_trace(args) -> int:
    for path, kind in ((args.svg, "svg"), (args.png, "png")):
        if path is not None and not path.lower().endswith("." + kind):
            raise UsageError(f"--{kind} needs a file name ending in .{kind}, got {path!r}")
    expression = parse(args.expression)
    values = parse_assignments(args.values)
    y, inputs = expression.evaluate(values)
    from .trace import trace
    t = trace(y)
    values = {name: values[name] for name in expression.variables}
    result = _check(expression, values) if args.check else None
    text = args.expression.strip()

    if args.format == "json":
        document = {"expression": text, "values": values, **t.to_dict()}
        if args.check:
            document["check"] = _check_dict(result)
        print(json.dumps(_json_ready(document), indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        print(f"`{t.output_name} = {text}`" + (f" at {_at(values)}" if values else "") + "\n")
        print(t.to_markdown())
        print(f"**Result**: {t.output_name} = {_full(t.value)}" +
              "".join(f"; ∂{t.output_name}/∂{n} = {_full(g)}" for n, g in t.gradients.items()))
    elif args.format == "latex":
        print(f"% {t.output_name} = {text}" + (f" at {_at(values)}" if values else ""))
        print(t.to_latex(), end="")
        print(f"% {t.output_name} = {_full(t.value)}" +
              "".join(f"; d{t.output_name}/d{n} = {_full(g)}" for n, g in t.gradients.items()))
    else:
        print(f"{t.output_name} = {text}" + (f"    at {_at(values)}" if values else "") + "\n")
        print(t)
        print(f"value     {t.output_name} = {_full(t.value)}")
        for i, (name, grad) in enumerate(t.gradients.items()):
            print(f"{'gradient' if i == 0 else '':9} ∂{t.output_name}/∂{name} = {_full(grad)}")
    if args.check and args.format != "json":
        note = "%" if args.format == "latex" else ""
        print()
        lines = (["nothing to check: the expression has no variables"] if result is None
                 else ["finite-difference check (central differences, eps = 1e-06):"]
                 + str(result).split("\n"))
        print("\n".join(f"{note} {line}" if note else line for line in lines))

    if args.svg or args.png:
        y.backward()  # so the picture shows each node's gradient
    for path, kind in ((args.svg, "svg"), (args.png, "png")):
        if path:
            _draw(y, path, kind)
            _status(f"wrote {path}")
    return EXIT_MISMATCH if result is not None and not result else EXIT_OK


# ---------------------------------------------------------------- train
def _save_figure(draw, path: str) -> None:
    """Draw a figure (``draw()`` returns it) and write it to ``path``."""
    from . import plots
    try:
        plots.save(draw(), path)
    except plots.PlotsUnavailable as err:
        raise MissingTool(str(err)) from None
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None


def _make_dir(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot create the folder {path}: {err.strerror or err}") from None


def train_run(dataset: str, out: str, hidden=(16, 16), activation="relu", optimizer="adam",
              lr=None, epochs=None, batch_size=32, samples=None, noise=None, val_fraction=0.2,
              seed=0, progress=True) -> dict:
    """Train an MLP on a toy data set and write loss.png, decision_boundary.png, model.json
    and run.json to ``out``; returns a summary (accuracies, files, seconds)."""
    from . import data, optim
    from .nn import MLP
    from .train import fit
    spec = DATASETS[dataset]
    samples = spec.samples if samples is None else samples
    noise = spec.noise if noise is None else noise
    epochs = spec.epochs if epochs is None else epochs
    lr = DEFAULT_LR[optimizer] if lr is None else lr
    _make_dir(out)
    started = time.perf_counter()
    X, y = spec.make(samples, noise, seed)
    X_train, y_train, X_val, y_val = data.train_val_split(X, y, val_fraction, seed=seed)
    outputs = 1 if spec.classes == 2 else spec.classes
    model = MLP(2, [*hidden, outputs], activation=activation, seed=seed)
    params = model.parameters()
    if optimizer == "adam":
        opt = optim.Adam(params, lr=lr)
    else:
        opt = optim.SGD(params, lr=lr, momentum=0.9 if optimizer == "momentum" else 0.0)
    try:
        history = fit(model, X_train, y_train, optimizer=opt, epochs=epochs,
                      batch_size=batch_size, val=(X_val, y_val), progress=progress, seed=seed)
    except FloatingPointError as err:
        raise UsageError(f"training diverged: {err}") from None
    trained = time.perf_counter() - started
    arch = f"MLP(2, {[*hidden, outputs]}, activation={activation!r})"
    files = {name: os.path.join(out, name) for name in
             ("loss.png", "decision_boundary.png", "model.json", "run.json")}
    summary = {
        "dataset": dataset, "model": arch, "optimizer": optimizer, "lr": lr, "epochs": epochs,
        "batch_size": batch_size, "samples": samples, "noise": noise,
        "val_fraction": val_fraction, "seed": seed, "hidden": list(hidden),
        "activation": activation, "outputs": outputs, "parameters": len(params),
        "train_accuracy": history.accuracy[-1], "val_accuracy": history.val_accuracy[-1],
        "train_loss": history.loss[-1], "val_loss": history.val_loss[-1],
        "train_seconds": round(trained, 2), "history": history.to_dict(), "files": files,
    }
    try:
        model.save(files["model.json"])
        with open(files["run.json"], "w", encoding="utf-8") as f:
            json.dump(_json_ready(summary), f, indent=1)
            f.write("\n")
    except OSError as err:
        raise UsageError(f"cannot write to {out}: {err.strerror or err}") from None
    from . import plots
    title = f"{dataset}: {arch}, {optimizer} lr={lr:g}, {epochs} epochs"
    _save_figure(lambda: plots.history(history, title), files["loss.png"])
    accuracy = f"{dataset}: validation accuracy {history.val_accuracy[-1]:.1%}"
    _save_figure(lambda: plots.decision_boundary(model, X_train, y_train, X_val, y_val,
                                                 classes=spec.classes, title=accuracy),
                 files["decision_boundary.png"])
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return summary


def run_train(args) -> int:
    out = args.out or os.path.join("out", args.dataset)
    s = train_run(args.dataset, out, args.hidden, args.activation, args.optimizer, args.lr,
                  args.epochs, args.batch_size, args.samples, args.noise, args.val_fraction,
                  args.seed, progress=not args.no_progress)
    print(f"{s['dataset']}: {s['model']}, {s['parameters']} parameters, {s['optimizer']} "
          f"lr={s['lr']:g}, {s['epochs']} epochs, batch size {s['batch_size']}")
    print(f"train accuracy       {s['train_accuracy']:.1%}   (loss {s['train_loss']:.4f})")
    print(f"validation accuracy  {s['val_accuracy']:.1%}   (loss {s['val_loss']:.4f})")
    for name, path in s["files"].items():
        print(f"wrote {path}")
    return EXIT_OK


# ---------------------------------------------------------------- demo
def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None


def _demo_expression(out: str, stem: str, text: str, values: dict, lines: list,
                     missing: list) -> dict:
    from .trace import trace
    expression = parse(text)
    y, _ = expression.evaluate(values)
    t = trace(y)
    header = f"{t.output_name} = {text}    at {_at(values)}\n\n"
    _write(os.path.join(out, f"{stem}_trace.txt"), header + str(t))
    _write(os.path.join(out, f"{stem}_trace.md"),
           f"`{t.output_name} = {text}` at {_at(values)}\n\n" + t.to_markdown())
    lines.append(f"    {os.path.join(out, stem + '_trace.txt')}  forward and adjoint trace "
                 f"tables (also {stem}_trace.md)")
    y.backward()
    picture = os.path.join(out, f"{stem}_graph.svg")
    try:
        _draw(y, picture, "svg")
        _draw(y, picture[:-4] + ".png", "png")
        lines.append(f"    {picture}  the computation graph (also {stem}_graph.png)")
    except MissingTool as err:
        from . import viz
        source = picture[:-4] + ".dot"
        _write(source, viz.to_dot(y, trace_names=True, show_local_grads=True))
        lines.append(f"    {source}  the computation graph as DOT source (no picture: "
                     f"Graphviz's dot is missing)")
        missing.append(str(err))
    return t.gradients | {"value": t.value}


def run_demo(args) -> int:
    out = args.out
    started = time.perf_counter()
    _make_dir(out)
    lines, missing = [], []
    print(f"tinygrad-edu demo: writing to {out}{os.sep}")

    r = _demo_expression(out, "slide", SLIDE_EXPRESSION, SLIDE_VALUES, lines, missing)
    print(f"\n1. The slide's example  y = {SLIDE_EXPRESSION}  at {_at(SLIDE_VALUES)}")
    print(f"   y = {r['value']:.3f}   ∂y/∂x1 = {r['x1']:.3f}   ∂y/∂x2 = {r['x2']:.3f}")
    print("\n".join(lines))

    lines.clear()
    r = _demo_expression(out, "neuron", NEURON_EXPRESSION, NEURON_VALUES, lines, missing)
    print(f"\n2. The sigmoid neuron  f = {NEURON_EXPRESSION}  at {_at(NEURON_VALUES)}")
    print(f"   f = {r['value']:.2f}   " + "   ".join(f"∂f/∂{n} = {r[n]:.2f}"
                                                     for n in NEURON_VALUES))
    print("\n".join(lines))

    print("\n3. Training an MLP on moons", flush=True)
    s = train_run("moons", os.path.join(out, "moons"), progress=not args.no_progress)
    print(f"   {s['model']}, {s['optimizer']} lr={s['lr']:g}, {s['epochs']} epochs: "
          f"train accuracy {s['train_accuracy']:.1%}, validation accuracy "
          f"{s['val_accuracy']:.1%} ({s['train_seconds']:.1f} s)")
    files = s["files"]
    print(f"    {files['loss.png']}  loss and accuracy per epoch")
    print(f"    {files['decision_boundary.png']}  the decision boundary over the data")
    print(f"    {files['model.json']}  the trained model (MLP.load reads it)")
    print(f"    {files['run.json']}  settings and history")
    for message in dict.fromkeys(missing):
        print(f"\nnote: {message}")
    print(f"\ndone in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


# ---------------------------------------------------------------- main
def _safe_streams() -> None:
    """Never fail on a console that cannot show v̄ or ∂: replace what it cannot encode."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    _safe_streams()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(_expression_argument_fix(argv))
    except SystemExit as exit_:  # --help, --version, or a usage error (argparse printed it)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    run = {"trace": run_trace, "train": run_train, "demo": run_demo,
           "playground": playground.run_command}[args.command]
    try:
        return run(args)
    except ExprError as err:
        _status(err.render() if err.col is not None else f"tinygrad-edu: error: {err.message}")
        return EXIT_USAGE
    except UsageError as err:
        _status(f"tinygrad-edu: error: {err}")
        return EXIT_USAGE
    except MissingTool as err:
        _status(f"tinygrad-edu: missing tool: {err}")
        return EXIT_MISSING_TOOL
    except KeyboardInterrupt:
        _status("tinygrad-edu: interrupted")
        return 130
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_OK
    except Exception as err:  # noqa: BLE001 - the last line of defence: no stack trace
        if os.environ.get("TINYGRAD_EDU_DEBUG"):
            raise
        _status(f"tinygrad-edu: internal error: {type(err).__name__}: {err}\n"
                f"This is a bug; please report it with the command you ran "
                f"(TINYGRAD_EDU_DEBUG=1 shows the traceback).")
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
