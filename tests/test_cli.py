"""The tinygrad-edu command line: trace, train, demo, and clean refusals with exit code 2."""
import contextlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree

import pytest
from conftest import need
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import trace
from tinygrad_edu.cli import (
    EXIT_MISMATCH,
    EXIT_OK,
    EXIT_USAGE,
    NEURON_EXPRESSION,
    NEURON_VALUES,
    SLIDE_EXPRESSION,
    main,
)
from tinygrad_edu.commands.train import RECIPES
from tinygrad_edu.expr import evaluate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLIDE_ARGS = ["trace", SLIDE_EXPRESSION, "x1=2", "x2=5"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(*argv):
    """main(argv) with stdout and stderr captured: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def assert_clean_refusal(code, out, err, says=None):
    assert code == EXIT_USAGE, (code, out, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.rstrip("\n").split("\n")
    assert 1 <= len(lines) <= 2, err
    if len(lines) == 2:  # the text, then a caret line that ends with the message
        assert lines[1].lstrip().startswith("^"), err
    if says:
        assert says in lines[-1], err


def assert_png(path, min_size=5_000):
    import matplotlib.image
    with open(path, "rb") as f:
        assert f.read(8) == PNG_MAGIC
    assert os.path.getsize(path) > min_size
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 300
    assert float(pixels.std()) > 0.05  # not a blank image


# ---------------------------------------------------------------- trace
def test_trace_prints_the_slide_tables_value_and_gradients():
    code, out, err = run(*SLIDE_ARGS)
    assert code == EXIT_OK and err == ""
    assert "Forward primal trace" in out and "Reverse adjoint trace" in out
    for row in ("v1  = ln v-1   = 0.693", "v2  = v-1 × v0 = 10.000", "v3  = sin v0   = −0.959",
                "v4  = v1 + v2  = 10.693", "v5  = v4 − v3  = 11.652",
                "v̄0  = v̄3 × cos v0    = −0.284", "v̄-1 = v̄2 × v0        = 5.000",
                "v̄0  = v̄0 + v̄2 × v-1  = 1.716", "v̄-1 = v̄-1 + v̄1 / v-1 = 5.500",
                "x̄1  = v̄-1            = 5.500", "x̄2  = v̄0             = 1.716"):
        assert row in out, row
    assert "y = 11.65207146" in out
    assert "∂y/∂x1 = 5.5\n" in out and "∂y/∂x2 = 1.716337815" in out
    assert out.index("Forward primal trace") < out.index("Reverse adjoint trace")


def test_trace_json_round_trips_into_the_same_numbers():
    code, out, _ = run(*SLIDE_ARGS, "--format", "json")
    assert code == EXIT_OK
    document = json.loads(out)
    y, _ = evaluate(SLIDE_EXPRESSION, {"x1": 2, "x2": 5})
    expected = trace(y).to_dict()
    assert document["expression"] == SLIDE_EXPRESSION
    assert document["values"] == {"x1": 2.0, "x2": 5.0}
    assert document["forward"] == expected["forward"]
    assert document["adjoint"] == expected["adjoint"]
    assert document["output"]["value"] == y.data == expected["output"]["value"]
    assert document["gradients"]["x1"] == 5.5
    assert document["gradients"]["x2"] == pytest.approx(1.7163378145367738, abs=1e-15)
    forward = {row["name"]: row["value"] for row in document["forward"]}
    assert round(forward["v1"], 3) == 0.693 and round(forward["v3"], 3) == -0.959
    assert round(forward["v5"], 3) == 11.652


def test_trace_markdown_and_latex():
    code, out, _ = run(*SLIDE_ARGS, "--format", "markdown")
    assert code == EXIT_OK
    assert "| v1 | ln v-1 | 0.693 |" in out and "| x̄2 | v̄0 | 1.716 |" in out
    assert "**Result**: y = 11.65207146; ∂y/∂x1 = 5.5; ∂y/∂x2 = 1.716337815" in out
    code, out, _ = run(*SLIDE_ARGS, "--format", "latex")
    assert code == EXIT_OK
    assert r"v_{1} & = \ln v_{-1} & = 0.693 \\" in out
    assert r"\bar{x}_{1} & = \bar{v}_{-1} & = 5.500 \\" in out
    assert out.count(r"\begin{array}") == 2


def test_trace_check_passes_on_the_slide_and_fails_at_a_kink():
    code, out, _ = run(*SLIDE_ARGS, "--check")
    assert code == EXIT_OK
    assert "gradcheck passed" in out and "x1" in out.split("finite-difference check")[1]
    code, out, _ = run("trace", "relu(x)", "x=0", "--check")
    assert code == EXIT_MISMATCH
    assert "MISMATCH" in out and "numeric 0.5" in out
    code, out, _ = run("trace", "2 * 3", "--check")
    assert code == EXIT_OK and "nothing to check" in out


def test_trace_check_in_json():
    code, out, _ = run(*SLIDE_ARGS, "--check", "--format", "json")
    assert code == EXIT_OK
    check = json.loads(out)["check"]
    assert check["passed"] is True
    assert [i["name"] for i in check["inputs"]] == ["x1", "x2"]
    assert check["inputs"][0]["reverse_mode"] == 5.5
    assert check["inputs"][0]["numeric"] == pytest.approx(5.5, abs=1e-6)


def test_trace_check_too_close_to_the_edge_of_the_domain_is_a_clean_refusal():
    assert_clean_refusal(*run("trace", "ln(x)", "x=1e-7", "--check"), says="--check")


def test_trace_json_writes_inf_as_a_string():
    code, out, _ = run("trace", "sqrt(x)", "x=0", "--format", "json")
    assert code == EXIT_OK
    document = json.loads(out)
    assert document["gradients"]["x"] == "inf"
    assert document["output"]["value"] == 0.0


def test_the_sigmoid_neuron_of_the_slides():
    values = [f"{k}={v:g}" for k, v in NEURON_VALUES.items()]
    code, out, _ = run("trace", NEURON_EXPRESSION, *values, "--format", "json")
    assert code == EXIT_OK
    document = json.loads(out)
    assert round(document["output"]["value"], 2) == 0.73
    grads = {k: round(v, 2) for k, v in document["gradients"].items()}
    assert grads == {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}


def test_an_expression_that_begins_with_a_minus_sign():
    code, out, _ = run("trace", "-x**2", "x=3", "--format", "json")
    assert code == EXIT_OK and json.loads(out)["gradients"] == {"x": -6.0}
    code, out, _ = run("trace", "--format", "json", "--", "-x*2", "x=3")
    assert code == EXIT_OK and json.loads(out)["gradients"] == {"x": -2.0}
    code, out, _ = run("trace", "-x", "x=-3", "--format", "json")
    assert code == EXIT_OK and json.loads(out)["output"]["value"] == 3.0


def test_trace_svg_writes_valid_svg(tmp_path):
    need("program:dot")
    path = tmp_path / "slide.svg"
    code, out, err = run(*SLIDE_ARGS, "--svg", str(path))
    assert code == EXIT_OK and f"wrote {path}" in err
    root = ElementTree.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = " ".join(t for t in root.itertext())
    assert "x1" in text and "x2" in text and "ln" in text
    assert "11.65" in text and "5.500" in text  # the output's value, x1's gradient


def test_trace_png_writes_a_png(tmp_path):
    need("program:dot")
    path = tmp_path / "slide.png"
    code, _, _ = run(*SLIDE_ARGS, "--png", str(path))
    assert code == EXIT_OK
    with open(path, "rb") as f:
        assert f.read(8) == PNG_MAGIC


def test_trace_svg_into_a_missing_folder_is_a_clean_refusal(tmp_path):
    need("program:dot")
    code, out, err = run(*SLIDE_ARGS, "--svg", str(tmp_path / "no" / "such" / "g.svg"))
    assert code == EXIT_USAGE and "Traceback" not in err and "cannot write" in err


# ---------------------------------------------------------------- refusals
HOSTILE = [
    ("__import__('os').system('true')", "not allowed"),
    ("x.__class__", "attribute access"),
    ("(lambda: 1)()", "lambda"),
    ("[1][0]", "subscripts"),
    ("9**9**9**9", "overflows"),
    ("(" * 100_000 + "1" + ")" * 100_000, "too long"),
    ("(" * 500 + "1" + ")" * 500, "nested too deeply"),
    ("9" * 1000, "too large"),
    ("open('/etc/passwd').read()", "attribute access"),
    ("globals()", "unknown function globals"),
    ("x^2", "use ** for powers"),
    ("ln(0)", "positive number"),
    ("1/0", "division by zero"),
    ("exp(1000)", "overflows"),
    ("", "empty"),
]


@pytest.mark.parametrize("text, says", HOSTILE, ids=[t[:20] or "empty" for t, _ in HOSTILE])
def test_hostile_expressions_are_refused_with_exit_code_2(text, says):
    values = ["x=1"] if text in ("x^2", "x.__class__") else []
    assert_clean_refusal(*run("trace", text, *values), says=says)


def test_the_caret_is_under_the_offending_call():
    code, out, err = run("trace", "x + ln(y)", "x=1", "y=0")
    assert_clean_refusal(code, out, err)
    assert err == "x + ln(y)\n    ^^^^^ ln: the natural log needs a positive number, got 0\n"


@pytest.mark.parametrize("values, says", [
    (["x1=2"], "no value given for x2"),
    (["x1=2", "x2=5", "x3=1"], "x3"),
    (["x1=2", "x2=five"], "'five' is not a number"),
    (["x1=2", "x2=nan"], "nan"),
    (["x1=2", "x2=inf"], "too large"),
    (["x1=2", "x2"], "NAME=NUMBER"),
    (["x1=2", "x1=3", "x2=1"], "twice"),
    (["x1=2", "sin=3", "x2=1"], "is a function"),
])
def test_bad_values_are_refused_with_exit_code_2(values, says):
    assert_clean_refusal(*run("trace", SLIDE_EXPRESSION, *values), says=says)


def test_values_in_float_syntax():
    code, out, _ = run("trace", "a + b + c", "a=-3", "b=1e-3", "c=.5", "--format", "json")
    assert code == EXIT_OK and json.loads(out)["output"]["value"] == pytest.approx(-2.499)


@pytest.mark.parametrize("argv", [
    [], ["frobnicate"], ["trace"], ["trace", "x", "--format", "html"], ["train"],
    ["train", "mnist"], ["train", "xor", "--hidden", "16,abc"], ["train", "xor", "--lr", "-1"],
    ["train", "xor", "--lr", "nan"], ["train", "xor", "--epochs", "0"],
    ["train", "xor", "--batch-size", "x"], ["train", "xor", "--val-fraction", "1"],
    ["train", "xor", "--hidden", "100000"], ["demo", "--bogus"],
])
def test_usage_errors_exit_2(argv):
    code, out, err = run(*argv)
    assert code == EXIT_USAGE and "usage" in err and "Traceback" not in err


@pytest.mark.parametrize("command", [[], ["trace"], ["train"], ["demo"]])
def test_help_on_every_subcommand(command):
    code, out, err = run(*command, "--help")
    assert code == EXIT_OK and out.startswith("usage: tinygrad-edu")
    assert "exit codes" in out


def test_trace_help_lists_the_op_tables_functions():
    from tinygrad_edu.ops import CALLS
    _, out, _ = run("trace", "--help")
    for name in CALLS:
        assert name in out


@given(st.text(max_size=200), st.lists(st.sampled_from(["x=1", "y=-2.5", "z=0", "x=nan",
                                                          "q", "=1"]), max_size=3))
def test_fuzz_any_text_gives_a_result_or_a_clean_refusal(text, values):
    code, out, err = run("trace", text, *values)
    assert code in (EXIT_OK, EXIT_USAGE), (code, err)
    assert "Traceback" not in err and "internal error" not in err
    if code == EXIT_USAGE:
        assert err and out == ""


# ---------------------------------------------------------------- the real command
def _command(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "tinygrad_edu", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def test_python_dash_m_exit_codes():
    done = _command(*SLIDE_ARGS)
    assert done.returncode == 0 and "11.652" in done.stdout
    done = _command("trace", "__import__('os').system('true')")
    assert done.returncode == 2 and done.stdout == "" and "^" in done.stderr
    assert "Traceback" not in done.stderr
    done = _command("trace", "relu(x)", "x=0", "--check")
    assert done.returncode == 3
    assert _command("--version").stdout.startswith("tinygrad-edu ")


def test_console_script_is_installed():
    script = shutil.which("tinygrad-edu", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("the package is not installed in this environment (pip install -e .)")
    done = subprocess.run([script, "trace", "x*y", "x=3", "y=4", "--format", "json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and json.loads(done.stdout)["gradients"] == {"x": 4.0, "y": 3.0}


# ---------------------------------------------------------------- train
def _train(tmp_path, dataset, *extra):
    out = tmp_path / dataset
    code, stdout, err = run("train", dataset, "--out", str(out), "--no-progress", *extra)
    assert code == EXIT_OK, err
    return out, stdout


def _stated_accuracy(dataset) -> float:
    """The validation accuracy that ``train --help`` promises for ``dataset``."""
    _, out, _ = run("train", "--help")
    line = next(line for line in out.splitlines() if line.strip().startswith(dataset + " "))
    return float(line.rsplit("≥", 1)[1].strip().rstrip("%")) / 100


@pytest.mark.parametrize("dataset", ["xor", "moons"])
def test_train_reaches_the_accuracy_stated_in_its_help(tmp_path, dataset):
    promised = _stated_accuracy(dataset)
    assert promised == RECIPES[dataset].expected_accuracy
    out, stdout = _train(tmp_path, dataset)
    run_info = json.loads((out / "run.json").read_text())
    assert run_info["val_accuracy"] >= promised
    assert f"validation accuracy  {run_info['val_accuracy']:.1%}" in stdout
    assert f"train accuracy       {run_info['train_accuracy']:.1%}" in stdout
    assert_png(out / "loss.png")
    assert_png(out / "decision_boundary.png")
    # the saved model loads into the same architecture and predicts the same accuracy
    from tinygrad_edu import data
    from tinygrad_edu.nn import MLP
    from tinygrad_edu.train import accuracy
    model = MLP(2, [16, 16, 1], seed=123).load(out / "model.json")
    X, y = data.make(dataset, seed=0)
    _, _, X_val, y_val = data.train_val_split(X, y, 0.2, seed=0)
    assert accuracy(model, X_val, y_val) == run_info["val_accuracy"]
    with pytest.raises(ValueError):
        MLP(2, [8, 1]).load(out / "model.json")


@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
def test_train_with_the_other_optimizers(tmp_path, optimizer):
    out, stdout = _train(tmp_path, "xor", "--optimizer", optimizer, "--epochs", "3",
                         "--samples", "40", "--hidden", "4", "--activation", "tanh")
    run_info = json.loads((out / "run.json").read_text())
    assert run_info["optimizer"] == optimizer and run_info["epochs"] == 3
    assert run_info["model"] == "MLP(2, [4, 1], activation='tanh')"
    assert len(run_info["history"]["loss"]) == 3
    assert f"{optimizer} lr=" in stdout
    assert (out / "model.json").exists() and (out / "loss.png").exists()


def test_train_spirals_has_three_outputs(tmp_path):
    out, _ = _train(tmp_path, "spirals", "--epochs", "2", "--samples", "60")
    run_info = json.loads((out / "run.json").read_text())
    assert run_info["outputs"] == 3 and run_info["parameters"] == (2 * 16 + 16) + (16 * 16 + 16) \
        + (16 * 3 + 3)
    assert_png(out / "decision_boundary.png")


def test_train_into_a_file_path_is_a_clean_refusal(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, out, err = run("train", "xor", "--out", str(blocker / "sub"), "--no-progress")
    assert code == EXIT_USAGE and "cannot create" in err and "Traceback" not in err


# ---------------------------------------------------------------- demo
def test_demo_end_to_end(tmp_path):
    out = tmp_path / "demo"
    started = time.perf_counter()
    code, stdout, err = run("demo", "--out", str(out), "--no-progress")
    seconds = time.perf_counter() - started
    assert code == EXIT_OK, err
    assert seconds < 60
    slide = (out / "slide_trace.txt").read_text(encoding="utf-8")
    for number in ("0.693", "10.693", "−0.959", "11.652", "−0.284", "1.716", "5.500"):
        assert number in slide
    neuron = (out / "neuron_trace.txt").read_text(encoding="utf-8")
    assert "0.731" in neuron and "w0" in neuron
    assert "| v1 | ln v-1 | 0.693 |" in (out / "slide_trace.md").read_text(encoding="utf-8")
    if shutil.which("dot"):
        for stem in ("slide", "neuron"):
            root = ElementTree.parse(out / f"{stem}_graph.svg").getroot()
            assert root.tag.endswith("svg")
            assert (out / f"{stem}_graph.png").read_bytes()[:8] == PNG_MAGIC
        assert len(gif_frames(out / "slide_backprop.gif")) == 11  # one per adjoint row
        assert str(out / "slide_backprop.gif") in stdout
    else:
        assert "digraph" in (out / "slide_graph.dot").read_text()
    assert_png(out / "moons" / "loss.png")
    assert_png(out / "moons" / "decision_boundary.png")
    run_info = json.loads((out / "moons" / "run.json").read_text())
    assert run_info["val_accuracy"] >= RECIPES["moons"].expected_accuracy
    # the summary says what was written where
    assert "y = 11.652   ∂y/∂x1 = 5.500   ∂y/∂x2 = 1.716" in stdout
    assert "f = 0.73" in stdout and "∂f/∂x1 = -0.59" in stdout
    for path in (out / "slide_trace.txt", out / "neuron_trace.txt", out / "moons" / "loss.png",
                 out / "moons" / "decision_boundary.png", out / "moons" / "model.json"):
        assert str(path) in stdout
    assert "done in" in stdout
    assert math.isfinite(run_info["val_loss"])


# ---------------------------------------------------------------- without Graphviz
def test_trace_svg_without_dot_says_how_to_install_it_and_exits_4(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on PATH
    code, out, err = run(*SLIDE_ARGS, "--svg", str(tmp_path / "g.svg"))
    assert code == 4
    assert "11.652" in out  # the tables still come first
    assert "Graphviz" in err and "install" in err and "Traceback" not in err
    assert not (tmp_path / "g.svg").exists()


def test_trace_svg_needs_an_svg_file_name(tmp_path):
    code, out, err = run(*SLIDE_ARGS, "--svg", str(tmp_path / "g.png"))
    assert_clean_refusal(code, out, err, says="--svg needs a file name ending in .svg")
    code, out, err = run(*SLIDE_ARGS, "--png", str(tmp_path / "g.svg"))
    assert_clean_refusal(code, out, err, says="--png needs a file name ending in .png")


def test_demo_without_dot_writes_the_dot_source_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    import tinygrad_edu.commands.train as train_command
    monkeypatch.setattr(train_command, "train_run", lambda *a, **k: _fake_training(tmp_path))
    code, out, err = run("demo", "--out", str(tmp_path / "demo"), "--no-progress")
    assert code == EXIT_OK, err
    source = (tmp_path / "demo" / "slide_graph.dot").read_text(encoding="utf-8")
    assert source.startswith("digraph") and "v-1 x1" in source
    assert (tmp_path / "demo" / "neuron_graph.dot").exists()
    assert not (tmp_path / "demo" / "slide_graph.svg").exists()
    assert "DOT source" in out and "note: Graphviz's 'dot' program is needed" in out


def _fake_training(tmp_path):
    files = {name: str(tmp_path / name) for name in
             ("loss.png", "decision_boundary.png", "model.json", "run.json")}
    return {"model": "MLP(2, [16, 16, 1])", "optimizer": "adam", "lr": 0.02, "epochs": 1,
            "train_accuracy": 1.0, "val_accuracy": 1.0, "train_seconds": 0.0, "files": files}


def test_an_unexpected_error_is_exit_code_1_without_a_traceback(monkeypatch):
    trace_module = sys.modules["tinygrad_edu.trace"]  # the package's `trace` is the function

    def broken(y, *args, **kwargs):
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(trace_module, "trace", broken)
    code, out, err = run(*SLIDE_ARGS)
    assert code == 1 and "Traceback" not in err
    assert "internal error: RuntimeError: something nobody expected" in err
    monkeypatch.setenv("TINYGRAD_EDU_DEBUG", "1")
    with pytest.raises(RuntimeError):
        run(*SLIDE_ARGS)


def test_train_without_matplotlib_names_the_plot_extra_and_exits_4(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import now fails
    code, out, err = run("train", "xor", "--out", str(tmp_path / "x"), "--no-progress",
                         "--epochs", "1", "--samples", "16", "--hidden", "2")
    assert code == 4 and "Traceback" not in err
    assert "tinygrad_edu[plot]" in err
    assert (tmp_path / "x" / "model.json").exists()  # the model was saved before the plots


# ---------------------------------------------------------------- hostile arguments
def test_a_picture_path_without_a_name_is_a_clean_refusal(tmp_path):
    """Issue 13, item 9: ``--svg .svg`` was an internal error (exit 1)."""
    for path in (".svg", str(tmp_path / ".svg")):
        code, out, err = run("trace", "x", "x=1", "--svg", path)
        assert_clean_refusal(code, out, err, says="--svg needs a file name ending in .svg")
    code, out, err = run("trace", "x", "x=1", "--png", str(tmp_path / ".PNG"))
    assert_clean_refusal(code, out, err, says="--png needs a file name ending in .png")
    code, out, err = run("trace", "x", "x=1", "--gif", str(tmp_path / "a.png"))
    assert_clean_refusal(code, out, err, says="--gif needs a file name ending in .gif")


HOSTILE_NUMBERS = ["1e999", "-1e999", "nan", "-nan", "inf", "-inf", "0", "-0", "1e-400",
                   "9" * 30, "9" * 5000, "-" + "9" * 400, "1_0", "0x1f", "", " ", "١٢", "１",
                   "½", "1e308", "-1", "True", "None", "1,5", "2 3", "\0", "e", ".", "-"]
HOSTILE_NAMES = ["x", "v0", "v1", "_x", "x1", "é", "sin", "ln", "X" * 300, "1x", "x.y", "",
                 "v-1", "y", "inf", "nan", "__import__"]


def hostile_paths(folder):
    """File and folder names that must be written or refused cleanly, never crash."""
    blocker = os.path.join(folder, "file")
    if not os.path.exists(blocker):
        with open(blocker, "w") as f:
            f.write("a file where a folder is expected")
        os.mkdir(os.path.join(folder, "folder.svg"))  # a folder where a file is expected
    return st.sampled_from([
        "", ".", "/", ".svg", ".png", "a.svg", "a.png", "a.SVG", "a.svg.png", "dir/",
        os.path.join(blocker, "a.svg"), os.path.join(blocker, "sub"), "x" * 300 + ".svg",
        "a\0b.svg", "/proc/none/a.svg", "-", "--", "~/a.svg", folder, "a b.svg", "é.svg",
        "a.gif", ".gif", "a\0.gif",
        "folder.svg", "folder.svg/",
    ]).map(lambda p: p if os.path.isabs(p) or p in ("", "--") else os.path.join(folder, p))


@given(data=st.data())
def test_hostile_trace_arguments_exit_0_or_2_never_1(data, tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hostile"))
    name = data.draw(st.sampled_from(HOSTILE_NAMES))
    number = data.draw(st.sampled_from(HOSTILE_NUMBERS))
    expression = data.draw(st.sampled_from([name, f"{name} * 2", f"ln({name})", "3",
                                            f"sqrt({name})", f"{name}**{number}"]))
    argv = ["trace", expression, f"{name}={number}"]
    for option in data.draw(st.lists(st.sampled_from(["--svg", "--png", "--gif", "--format",
                                                       "--check"]), max_size=2, unique=True)):
        if option == "--check":
            argv.append(option)
        elif option == "--format":
            argv += [option, data.draw(st.sampled_from(["json", "latex", "html", ""]))]
        else:
            argv += [option, data.draw(hostile_paths(folder))]
    code, out, err = run(*argv)
    assert code in (EXIT_OK, EXIT_USAGE, EXIT_MISMATCH), (argv, code, err)
    assert "Traceback" not in err and "internal error" not in err, (argv, err)


TRAIN_OPTIONS = ["--epochs", "--samples", "--batch-size", "--lr", "--noise", "--val-fraction",
                 "--seed", "--hidden"]


@given(data=st.data())
def test_hostile_train_arguments_exit_0_or_2_never_1(data, tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hostile"))
    settings = {"--epochs": "1", "--samples": "16", "--hidden": "2"}
    option = data.draw(st.sampled_from(TRAIN_OPTIONS))
    settings[option] = data.draw(st.sampled_from(HOSTILE_NUMBERS))
    if option in ("--epochs", "--samples", "--batch-size") and settings[option].isdigit() \
            and len(settings[option]) < 6 and int(settings[option]) > 64:
        settings[option] = "64"  # valid and fast: the refusals are what is under test
    out_dir = data.draw(hostile_paths(folder))
    argv = ["train", "xor", "--no-progress", "--out", out_dir]
    for key, value in settings.items():
        argv += [key, value]
    from tinygrad_edu import plots
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plots, "decision_boundary", lambda *a, **k: None)  # slow; tested above
        patch.setattr(plots, "save", lambda figure, path: None)
        code, out, err = run(*argv)
    assert code in (EXIT_OK, EXIT_USAGE), (argv, code, err)
    assert "Traceback" not in err and "internal error" not in err, (argv, err)


@pytest.mark.parametrize("out", ["", "/proc/none", "x" * 300, "a\0b"])
def test_demo_into_an_impossible_folder_is_a_clean_refusal(out):
    code, stdout, err = run("demo", "--out", out, "--no-progress")
    assert code == EXIT_USAGE and "Traceback" not in err and "cannot create" in err, err


# ---------------------------------------------------------------- backprop as a GIF
def gif_frames(path) -> list:
    """The frames of a GIF, read back with Pillow, as (width, height) sizes."""
    from PIL import Image
    with Image.open(path) as image:
        sizes = []
        for index in range(image.n_frames):
            image.seek(index)
            sizes.append(image.size)
    return sizes


def test_trace_gif_has_one_frame_per_adjoint_row(tmp_path):
    need("program:dot")
    need("PIL")
    path = tmp_path / "backprop.gif"
    code, out, err = run(*SLIDE_ARGS, "--gif", str(path))
    assert code == EXIT_OK and f"wrote {path}" in err
    y, _ = evaluate(SLIDE_EXPRESSION, {"x1": 2, "x2": 5})
    rows = trace(y).adjoint
    sizes = gif_frames(path)
    assert len(sizes) == len(rows) == 11  # v̄5 = ȳ … x̄2 = v̄0, as on the slide
    assert len(set(sizes)) == 1 and sizes[0][0] > 300  # one canvas, big enough for a slide


def test_trace_gif_without_pillow_names_the_extra_and_exits_4(tmp_path, monkeypatch):
    need("program:dot")
    monkeypatch.setitem(sys.modules, "PIL", None)  # import now fails
    code, out, err = run(*SLIDE_ARGS, "--gif", str(tmp_path / "b.gif"))
    assert code == 4 and "Pillow" in err and "Traceback" not in err


# ---------------------------------------------------------------- an op added with register
def test_a_registered_op_is_traced_by_the_command_line(atan_op):
    code, out, err = run("trace", "atan(x)", "x=0.5", "--format", "json")
    assert code == EXIT_OK, err
    document = json.loads(out)
    assert document["output"]["value"] == pytest.approx(math.atan(0.5), rel=1e-15)
    assert document["gradients"]["x"] == pytest.approx(1 / 1.25, rel=1e-15)
    code, out, _ = run("trace", "atan(x)", "x=0.5")
    assert "atan v0" in out
    assert "atan" in run("trace", "--help")[1]
