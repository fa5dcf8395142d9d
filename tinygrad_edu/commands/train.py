"""``tinygrad-edu train``: train an MLP on a toy data set or the handwritten digits and write
its plots and model.

    tinygrad-edu train moons [--hidden 16,16] [--optimizer adam] [--epochs 40] [--out DIR]
    tinygrad-edu train digits                  # MLP(64, [32, 10]) through the fast tape

The toy data sets and their defaults (samples, noise, classes) are ``data.DATASETS``, the
digits ``data.digits``; the optimizers and their learning rates ``optim.OPTIMIZERS``. What is
the command's own is the recipe: the epochs and hidden layers each data set gets, whether it
trains through the engine or a tape, and the held-out accuracy that this reaches (stated in
``--help`` and checked by the tests).
"""
from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass
from functools import partial

from .. import checks
from . import EXIT_OK, MissingTool, UsageError, add_command, json_ready, make_dir

__all__ = ["add_parser", "run", "train_run", "RECIPES", "Recipe"]


@dataclass(frozen=True)
class Recipe:
    """How a data set is trained by default (epochs, hidden layers; through the engine, or a
    tape: ``fit(compiled=True, exact=...)``), what its held-out set is called, and the
    accuracy on it that the defaults (relu, adam, batch size 32, seed 0) reach."""

    epochs: int
    expected_accuracy: float
    hidden: tuple = (16, 16)
    compiled: bool = False
    exact: bool = True
    held_out: str = "validation"


RECIPES = {"moons": Recipe(40, 0.95), "circles": Recipe(40, 0.95), "xor": Recipe(30, 0.95),
           "spirals": Recipe(80, 0.90),
           "digits": Recipe(10, 0.95, hidden=(32,), compiled=True, exact=False,
                            held_out="test")}
"""The data sets ``train`` offers, each with its recipe."""


# ---------------------------------------------------------------- option types
def _option(check, text: str, **limits):
    """``text`` read as a number and checked by ``check`` (``checks.whole`` or
    ``checks.in_range``) within ``limits``; argparse shows what was refused."""
    try:
        number = int(text) if check is checks.whole else float(text)
    except ValueError:
        kind = "a whole number" if check is checks.whole else "a number"
        raise argparse.ArgumentTypeError(f"expected {kind}, got {text[:40]!r}") from None
    try:
        return check(number, "the value", **limits)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


_whole, _number_in = partial(_option, checks.whole), partial(_option, checks.in_range)


def _hidden(text: str) -> list:
    try:
        sizes = [int(p.strip()) for p in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer sizes like 16,16, got {text[:40]!r}") \
            from None
    if not 1 <= len(sizes) <= 8 or not all(1 <= s <= 256 for s in sizes):
        raise argparse.ArgumentTypeError(f"expected 1 to 8 hidden layers of 1 to 256 neurons, "
                                         f"got {text[:40]!r}")
    return sizes


# ---------------------------------------------------------------- the parser
def _datasets_help() -> str:
    from .. import data
    lines = []
    for name, r in RECIPES.items():
        spec = data.DATASETS.get(name)
        what = (f"{spec.description}: {spec.samples} samples, noise {spec.noise}" if spec else
                "scikit-learn's 8×8 handwritten digits")
        lines.append(f"  {name:8} {what}, {r.epochs} epochs; {r.held_out} accuracy "
                     f"≥ {r.expected_accuracy:.0%}")
    return "\n".join(lines) + """
           (1,797 images, --val-fraction of them the test set; hidden 32: MLP(64, [32, 10])
           with softmax cross-entropy, trained through the fast tape, fit(compiled=True,
           exact=False), about 0.3 s per epoch; needs pip install 'tinygrad_edu[data]')"""


def add_parser(subcommands) -> argparse.ArgumentParser:
    from .. import nn, optim
    p = add_command(
        subcommands, "train", help="train an MLP on a toy data set or the digits, with plots",
        description="Train a multilayer perceptron on a toy data set or scikit-learn's "
                    "handwritten digits with a progress bar; print the final training and "
                    "held-out accuracy and the time per epoch, and write a loss curve, "
                    "pictures (PNG) and the saved model to --out.",
        epilog="data sets (with the defaults: hidden 16,16, relu, adam, batch size 32, seed 0):\n"
               + _datasets_help() +
               "\n\nfiles written to --out DIR (default out/DATASET):\n"
               "  loss.png               training and held-out loss and accuracy per epoch\n"
               "  decision_boundary.png  the classifier's regions over the data (toy sets)\n"
               "  misclassified.png      digits: the test images it got wrong, true and "
               "predicted\n"
               "  confusion_matrix.png   digits: test images by true (rows) and predicted "
               "digit\n"
               "  model.json             the trained weights (MLP.load reads it back)\n"
               "  run.json               the settings, the history and the accuracies")
    p.add_argument("dataset", choices=tuple(RECIPES), metavar="DATASET",
                   help=f"one of {', '.join(RECIPES)}")
    p.add_argument("--hidden", type=_hidden, metavar="SIZES",
                   help="hidden layer sizes, comma separated (default: 16,16; 32 for digits)")
    activations = tuple(a for a in nn.ACTIVATIONS if a != "linear")
    p.add_argument("--activation", choices=activations, default="relu",
                   help="hidden activation (default: relu)")
    p.add_argument("--optimizer", choices=tuple(optim.OPTIMIZERS), default="adam",
                   help="; ".join(f"{name}: {label}" for name, (label, _, _)
                                  in optim.OPTIMIZERS.items()) + " (default: adam)")
    p.add_argument("--lr", type=partial(_number_in, low=0.0, high=10.0, low_open=True),
                   metavar="RATE", help="learning rate (default: " + ", ".join(
                       f"{n} {lr:g}" for n, (_, lr, _) in optim.OPTIMIZERS.items()) + ")")
    p.add_argument("--epochs", type=partial(_whole, low=1, high=100_000), metavar="N",
                   help="passes over the training data (default: per data set, see below)")
    p.add_argument("--batch-size", type=partial(_whole, low=1, high=1_000_000), default=32,
                   metavar="N", help="minibatch size (default: 32)")
    p.add_argument("--samples", type=partial(_whole, low=8, high=100_000), metavar="N",
                   help="data set size (default: per data set, see below)")
    p.add_argument("--noise", type=partial(_number_in, low=0.0, high=10.0), metavar="SIGMA",
                   help="Gaussian noise of the data (default: per data set)")
    p.add_argument("--val-fraction", default=0.2, metavar="F",
                   type=partial(_number_in, low=0.0, high=1.0, low_open=True, high_open=True),
                   help="share of the data held out for validation (digits: for the test) "
                        "(default: 0.2)")
    p.add_argument("--seed", type=partial(_whole, low=-(2**63), high=2**63 - 1), default=0,
                   help="seed for data, initialisation and shuffling (default: 0)")
    p.add_argument("--out", metavar="DIR", help="where to write the files (default: out/DATASET)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


# ---------------------------------------------------------------- training and its files
def _load(dataset: str, samples, noise, val_fraction: float, seed: int) -> tuple:
    """``(X, y, X_held_out, y_held_out)`` and the settings that made them (samples, noise,
    classes): a toy set drawn and split, or the digits' seeded train/test split."""
    from .. import data
    spec = data.DATASETS.get(dataset)
    if spec is not None:
        samples = spec.samples if samples is None else samples
        noise = spec.noise if noise is None else noise
        X, y = data.make(dataset, samples, noise=noise, seed=seed)
        split = data.train_val_split(X, y, val_fraction, seed=seed)
        return split, {"samples": samples, "noise": noise, "classes": spec.classes}
    if samples is not None or noise is not None:
        raise UsageError(f"{dataset} are scikit-learn's 1,797 images: --samples and --noise "
                         f"do not apply")
    try:
        train, test = (data.digits(part, val_fraction, seed) for part in ("train", "test"))
    except ImportError as err:  # scikit-learn, which ships the images, is not installed
        raise MissingTool(str(err)) from None
    return (*train, *test), {"samples": len(train[0]) + len(test[0]), "noise": None,
                             "classes": 10}


def _figures(s: dict, model, history, split, predicted) -> dict:
    """File name → a function that draws it: the curves, then the regions over the plane (2
    inputs) or, for images, the test images it got wrong and the confusion matrix."""
    from .. import plots
    title = f"{s['dataset']}: {s['model']}, {s['optimizer']} lr={s['lr']:g}, {s['epochs']} epochs"
    accuracy = f"{s['dataset']}: {s['held_out']} accuracy {s['val_accuracy']:.1%}"
    figures = {"loss.png": lambda: plots.history(history, title, held_out=s["held_out"])}
    if predicted is None:
        figures["decision_boundary.png"] = lambda: plots.decision_boundary(
            model, *split, classes=s["classes"], title=accuracy)
    else:
        figures["misclassified.png"] = lambda: plots.misclassified(split[2], split[3], predicted)
        figures["confusion_matrix.png"] = lambda: plots.confusion_matrix(
            split[3], predicted, s["classes"], accuracy)
    return figures


def _write_files(out: str, summary: dict, model, figures: dict) -> None:
    """The model, run.json, then each figure (``draw()`` returns it)."""
    from .. import plots
    files = summary["files"]
    try:
        model.save(files["model.json"])
        with open(files["run.json"], "w", encoding="utf-8") as f:
            json.dump(json_ready(summary), f, indent=1)
            f.write("\n")
        for name, draw in figures.items():
            plots.save(draw(), files[name])
    except plots.PlotsUnavailable as err:
        raise MissingTool(str(err)) from None
    except OSError as err:  # name the file (a rename's: its destination, not the temporary)
        path = err.filename2 or err.filename or out
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None


def train_run(dataset: str, out: str, hidden=None, activation="relu", optimizer="adam",
              lr=None, epochs=None, batch_size=32, samples=None, noise=None, val_fraction=0.2,
              seed=0, progress=True) -> dict:
    """Train an MLP on a data set of ``RECIPES`` and write loss.png, the pictures (toy sets:
    decision_boundary.png; digits: misclassified.png and confusion_matrix.png), model.json
    and run.json to ``out``; returns a summary (accuracies, files, seconds)."""
    from .. import optim, plots
    from ..nn import MLP
    from ..train import fit, predict_labels
    recipe = RECIPES[dataset]
    hidden = list(recipe.hidden if hidden is None else hidden)
    epochs = recipe.epochs if epochs is None else epochs
    lr = optim.OPTIMIZERS[optimizer][1] if lr is None else lr
    started = time.perf_counter()
    split, settings = _load(dataset, samples, noise, val_fraction, seed)
    make_dir(out)
    classes, inputs = settings["classes"], len(split[0][0])
    outputs = 1 if classes == 2 else classes
    model = MLP(inputs, [*hidden, outputs], activation=activation, seed=seed)
    fitting = time.perf_counter()
    try:
        history = fit(model, split[0], split[1], epochs=epochs, batch_size=batch_size,
                      optimizer=optim.make(optimizer, model.parameters(), lr=lr),
                      val=(split[2], split[3]), progress=progress, seed=seed,
                      compiled=recipe.compiled, exact=recipe.exact)
    except FloatingPointError as err:
        raise UsageError(f"training diverged: {err}") from None
    epoch_seconds = (time.perf_counter() - fitting) / history.epochs
    summary = {
        "dataset": dataset, "model": f"MLP({inputs}, {[*hidden, outputs]}, "
                                     f"activation={activation!r})",
        "optimizer": optimizer, "lr": lr, "epochs": epochs, "batch_size": batch_size,
        "val_fraction": val_fraction, "seed": seed, **settings, "hidden": hidden,
        "activation": activation, "outputs": outputs, "parameters": len(model.parameters()),
        "compiled": recipe.compiled, "exact": recipe.exact, "held_out": recipe.held_out,
        "train_accuracy": history.accuracy[-1], "val_accuracy": history.val_accuracy[-1],
        "train_loss": history.loss[-1], "val_loss": history.val_loss[-1],
        "train_seconds": round(time.perf_counter() - started, 2),
        "epoch_seconds": round(epoch_seconds, 3),
        "history": history.to_dict(),
    }
    predicted = None
    if inputs != 2:  # images: the test set's predicted digits and their confusion counts
        predicted = predict_labels(model, split[2])
        summary["confusion"] = plots.confusion_counts(split[3], predicted, classes)
    figures = _figures(summary, model, history, split, predicted)
    summary["files"] = {name: os.path.join(out, name) for name in
                        (*figures, "model.json", "run.json")}
    _write_files(out, summary, model, figures)
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return summary


def run(args) -> int:
    out = os.path.join("out", args.dataset) if args.out is None else args.out
    s = train_run(args.dataset, out, args.hidden, args.activation, args.optimizer, args.lr,
                  args.epochs, args.batch_size, args.samples, args.noise, args.val_fraction,
                  args.seed, progress=not args.no_progress)
    print(f"{s['dataset']}: {s['model']}, {s['parameters']} parameters, {s['optimizer']} "
          f"lr={s['lr']:g}, {s['epochs']} epochs, batch size {s['batch_size']}")
    print(f"train accuracy       {s['train_accuracy']:.1%}   (loss {s['train_loss']:.4f})")
    print(f"{s['held_out'] + ' accuracy':20} {s['val_accuracy']:.1%}   "
          f"(loss {s['val_loss']:.4f})")
    print(f"time per epoch       {s['epoch_seconds']:.2f} s" + (
        "" if not s["compiled"] else " (through the tape)" if s["exact"] else
        " (through the fast tape)"))
    for path in s["files"].values():
        print(f"wrote {path}")
    return EXIT_OK
