"""``tinygrad-edu train digits``: real data through the tape, its pictures and their data.

The figures' numbers are tested on hand-computed examples (``plots.confusion_counts``,
the titles and pixels of ``plots.misclassified``); the command is run end to end, and its
confusion counts are checked against the saved model's own predictions.
"""
import contextlib
import io
import json
import struct
import sys
from collections import Counter

import pytest
from conftest import need

from tinygrad_edu import data, plots
from tinygrad_edu.cli import EXIT_MISSING_TOOL, EXIT_OK, EXIT_USAGE, main
from tinygrad_edu.commands.train import RECIPES
from tinygrad_edu.nn import MLP
from tinygrad_edu.train import accuracy, predict_labels

FILES = ("loss.png", "misclassified.png", "confusion_matrix.png", "model.json", "run.json")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def png_size(path) -> tuple:
    """(width, height) from a PNG file's header."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def train_digits(tmp_path, *extra):
    need("sklearn")
    need("matplotlib")
    out = tmp_path / "digits"
    code, stdout, err = run("train", "digits", "--out", str(out), "--no-progress", *extra)
    assert code == EXIT_OK, err
    return out, stdout, json.loads((out / "run.json").read_text())


# ---------------------------------------------------------------- the figures' data
def test_confusion_counts_of_a_hand_computed_example():
    true = [0, 0, 1, 2, 2, 2, 1]
    pred = [0, 1, 1, 2, 0, 2, 1]
    # rows: true 0 (one right, one as 1), true 1 (both right), true 2 (two right, one as 0)
    assert plots.confusion_counts(true, pred) == [[1, 1, 0], [0, 2, 0], [1, 0, 2]]
    assert plots.confusion_counts(true, pred, classes=4)[3] == [0, 0, 0, 0]
    assert plots.confusion_counts([], []) == []


@pytest.mark.parametrize("true, pred, classes, message", [
    ([0, 1], [0], None, "equally long"),
    ([0, 3], [0, 1], 3, r"labels must be 0 … 2, got true 3"),
    ([0, -1], [0, 1], None, "got true -1"),
])
def test_confusion_counts_refuses_bad_labels(true, pred, classes, message):
    with pytest.raises(ValueError, match=message):
        plots.confusion_counts(true, pred, classes)


def test_confusion_matrix_writes_each_count_in_its_cell_true_on_the_rows():
    need("matplotlib")
    figure = plots.confusion_matrix([0, 0, 1, 2, 2, 2, 1], [0, 1, 1, 2, 0, 2, 1], title="t")
    ax = figure.axes[0]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
             for t in ax.texts}
    assert cells == {(0, 0): "1", (0, 1): "1", (0, 2): "0", (1, 0): "0", (1, 1): "2",
                     (1, 2): "0", (2, 0): "1", (2, 1): "0", (2, 2): "2"}
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == \
        ("predicted label", "true label", "t")


def test_misclassified_shows_the_wrong_images_with_true_and_predicted_labels():
    need("matplotlib")
    images = [[k / 4] * 4 for k in range(5)]       # five 2×2 images, each one grey level
    figure = plots.misclassified(images, [0, 1, 2, 3, 4], [0, 7, 2, 5, 6], columns=2)
    shown = [ax for ax in figure.axes if ax.images]
    assert [ax.get_title() for ax in shown] == ["true 1, pred 7", "true 3, pred 5",
                                                "true 4, pred 6"]
    assert [ax.images[0].get_array().tolist() for ax in shown] == \
        [[[0.25, 0.25], [0.25, 0.25]], [[0.75, 0.75], [0.75, 0.75]], [[1.0, 1.0], [1.0, 1.0]]]
    assert tuple(figure.get_size_inches()) == (2, 2.5)   # 2 columns, 2 rows, a title strip
    assert figure._suptitle.get_text() == "misclassified: 3 of 5 images"
    limited = plots.misclassified(images, [0, 1, 2, 3, 4], [0, 7, 2, 5, 6], limit=1)
    assert limited._suptitle.get_text() == "misclassified: 3 of 5 images (the first 1 shown)"
    with pytest.raises(ValueError, match="side × side"):
        plots.image_grid([[0.0] * 5])


# ---------------------------------------------------------------- the command
def test_train_digits_help_states_the_recipe_and_its_accuracy():
    code, out, _ = run("train", "--help")
    assert code == EXIT_OK
    line = next(line for line in out.splitlines() if line.startswith("  digits "))
    assert line.rstrip().endswith(f"test accuracy ≥ {RECIPES['digits'].expected_accuracy:.0%}")
    assert "MLP(64, [32, 10])" in out and "through the fast tape" in out
    assert "tinygrad_edu[data]" in out


def test_train_digits_one_epoch_writes_its_files_and_says_where(tmp_path):
    out, stdout, info = train_digits(tmp_path, "--epochs", "1")
    lines = stdout.splitlines()
    assert lines[0] == ("digits: MLP(64, [32, 10], activation='relu'), 2410 parameters, "
                        "adam lr=0.02, 1 epochs, batch size 32")
    assert f"test accuracy        {info['val_accuracy']:.1%}   " in stdout
    assert f"time per epoch       {info['epoch_seconds']:.2f} s (through the fast tape)" \
        in stdout
    assert lines[-len(FILES):] == [f"wrote {out / name}" for name in FILES]
    assert info["held_out"] == "test" and info["compiled"] is True and info["exact"] is False
    assert info["samples"] == 1797 and info["val_accuracy"] > 0.5
    assert png_size(out / "confusion_matrix.png") == (600, 500)
    assert png_size(out / "loss.png") == (1000, 400)
    assert png_size(out / "misclassified.png")[0] == 1000
    assert not (out / "decision_boundary.png").exists()


def test_train_digits_takes_the_usual_options(tmp_path):
    out, stdout, info = train_digits(tmp_path, "--epochs", "1", "--hidden", "8,8", "--optimizer",
                                     "sgd", "--activation", "tanh", "--batch-size", "64",
                                     "--val-fraction", "0.5", "--seed", "3")
    assert info["model"] == "MLP(64, [8, 8, 10], activation='tanh')"
    assert info["parameters"] == (64 * 8 + 8) + (8 * 8 + 8) + (8 * 10 + 10)
    assert (info["optimizer"], info["batch_size"], info["seed"]) == ("sgd", 64, 3)
    X_test, y_test = data.digits("test", test_fraction=0.5, seed=3)
    assert sum(map(sum, info["confusion"])) == len(y_test) == round(1797 * 0.5)
    model = MLP(64, [8, 8, 10], activation="tanh").load(out / "model.json")
    assert accuracy(model, X_test, y_test) == info["val_accuracy"]


def test_train_digits_refuses_toy_set_options(tmp_path):
    code, out, err = run("train", "digits", "--samples", "100", "--out", str(tmp_path / "d"))
    assert code == EXIT_USAGE and out == "" and "Traceback" not in err
    assert "--samples and --noise do not apply" in err


def test_train_digits_without_scikit_learn_names_the_data_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)           # the import now fails
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    data._digits_all.cache_clear()
    try:
        code, out, err = run("train", "digits", "--out", str(tmp_path / "d"), "--no-progress")
    finally:
        data._digits_all.cache_clear()
    assert code == EXIT_MISSING_TOOL and out == "" and "Traceback" not in err
    assert "pip install 'tinygrad_edu[data]'" in err
    assert not (tmp_path / "d").exists()                       # refused before writing


@pytest.mark.slow
def test_train_digits_reaches_95_percent_and_its_confusion_matrix_adds_up(tmp_path):
    """The default recipe from seed 0: ≥ 95 % of the held-out images right. The confusion
    counts in run.json are those of the saved model's predictions, they sum to the test set's
    size and their diagonal is the accuracy printed."""
    out, stdout, info = train_digits(tmp_path)
    assert info["epochs"] == 10 and info["hidden"] == [32]
    X_test, y_test = data.digits("test", seed=0)
    model = MLP(64, [32, 10], seed=123).load(out / "model.json")
    assert accuracy(model, X_test, y_test) == info["val_accuracy"] >= 0.95
    assert f"test accuracy        {info['val_accuracy']:.1%}" in stdout

    counts = info["confusion"]
    pairs = Counter(zip(y_test, predict_labels(model, X_test)))
    assert counts == [[pairs[(t, p)] for p in range(10)] for t in range(10)]
    assert sum(map(sum, counts)) == len(y_test) == 359
    right = sum(counts[k][k] for k in range(10))
    assert right / len(y_test) == info["val_accuracy"]

    wrong_rows = -(-(len(y_test) - right) // 10)               # ten images a row
    assert png_size(out / "misclassified.png") == (1000, round(100 * (wrong_rows + 0.5)))
    assert png_size(out / "confusion_matrix.png") == (600, 500)
    assert png_size(out / "loss.png") == (1000, 400)
