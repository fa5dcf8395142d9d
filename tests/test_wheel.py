"""A real package: ``python -m build`` makes an sdist and a wheel, and the wheel works alone.

The wheel (built from the sdist, as ``build`` does, so the sdist is complete too) goes into a
fresh virtualenv — no ``--system-site-packages``: its dependencies come from the package index,
so a dependency missing from pyproject.toml fails here. Every command runs from an empty
folder with no PYTHONPATH, so nothing can be imported from this checkout.
"""
import email
import os
import pathlib
import re
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile

import pytest
from conftest import need

import tinygrad_edu

ROOT = pathlib.Path(__file__).resolve().parent.parent
STATIC = ROOT / "tinygrad_edu" / "playground" / "static"


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "PYTHONNOUSERSITE": "1", **extra}


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    need("build")
    out = tmp_path_factory.mktemp("dist")
    run = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                         capture_output=True, text=True, timeout=600, env=_clean_env())
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory):
    """(bin folder, empty working folder) of a fresh virtualenv with the wheel and its extras."""
    home = tmp_path_factory.mktemp("wheel_venv")
    venv.create(home / "venv", with_pip=True)
    bin_ = home / "venv" / ("Scripts" if os.name == "nt" else "bin")
    wheel = next(dist.glob("*.whl"))
    run = subprocess.run([str(bin_ / "python"), "-m", "pip", "install", "-q",
                          f"{wheel}[plot]"], capture_output=True, text=True, timeout=900,
                         cwd=home, env=_clean_env())
    assert run.returncode == 0, run.stderr[-3000:]
    work = home / "work"
    work.mkdir()
    return bin_, work


def _run(installed, *args, timeout=300):
    bin_, work = installed
    return subprocess.run([str(bin_ / "tinygrad-edu"), *args], capture_output=True, text=True,
                          cwd=work, timeout=timeout, env=_clean_env())


def test_sdist_and_wheel_are_built_with_the_package_and_its_files(dist):
    version = tinygrad_edu.__version__
    assert len(list(dist.glob(f"tinygrad_edu-{version}.tar.gz"))) == 1
    wheel = next(dist.glob(f"tinygrad_edu-{version}-py3-none-any.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = email.message_from_bytes(zf.read(f"tinygrad_edu-{version}.dist-info/METADATA"))
    for module in ("__init__", "engine", "ops", "trace", "viz", "cli", "__main__"):
        assert f"tinygrad_edu/{module}.py" in names
    for static in STATIC.iterdir():
        assert f"tinygrad_edu/playground/static/{static.name}" in names, static.name
    assert not any(n.startswith(("tests/", "notebooks/", "docs/")) for n in names)
    assert meta["Requires-Python"] == ">=3.10"
    pythons = {c.rsplit(":: ", 1)[1] for c in meta.get_all("Classifier")
               if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in pythons
    assert {"graphviz", "numpy", "tqdm"} <= {re.split(r"[<>=\[; ]", r)[0]
                                              for r in meta.get_all("Requires-Dist")}


def test_installed_wheel_is_what_runs(installed):
    bin_, work = installed
    where = subprocess.run([str(bin_ / "python"), "-c",
                            "import tinygrad_edu; print(tinygrad_edu.__file__)"],
                           capture_output=True, text=True, cwd=work, env=_clean_env())
    assert where.returncode == 0, where.stderr
    path = pathlib.Path(where.stdout.strip())
    assert bin_.parent in path.parents and ROOT not in path.parents


def test_version(installed):
    run = _run(installed, "--version")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"tinygrad-edu {tinygrad_edu.__version__}"


def test_trace_the_slide_expression(installed):
    run = _run(installed, "trace", "ln(x1) + x1*x2 - sin(x2)", "x1=2", "x2=5")
    assert run.returncode == 0, run.stderr
    out = " ".join(run.stdout.split())  # the tables align their columns with spaces
    assert "v5 = v4 − v3 = 11.652" in out
    assert "v̄-1 = v̄-1 + v̄1 / v-1 = 5.500" in out and "v̄0 = v̄0 + v̄2 × v-1 = 1.716" in out


def test_demo(installed):
    need("program:dot")
    run = _run(installed, "demo", "--out", "out", "--no-progress", timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    out = installed[1] / "out"
    for name in ("slide_trace.txt", "slide_graph.svg", "neuron_graph.svg",
                 "moons/loss.png", "moons/decision_boundary.png", "moons/model.json"):
        assert (out / name).stat().st_size > 100, name
    assert "v4 − v3" in (out / "slide_trace.txt").read_text(encoding="utf-8")


def test_playground_serves_its_page_and_files(installed):
    bin_, work = installed
    server = subprocess.Popen([str(bin_ / "tinygrad-edu"), "playground", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              cwd=work, env=_clean_env(PYTHONUNBUFFERED="1"))
    try:
        deadline, url, seen = time.monotonic() + 60, None, []
        while url is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            seen.append(line)
            found = re.search(r"http://127\.0\.0\.1:\d+/", line)
            url = found and found.group(0)
        assert url, f"the playground printed no address: {''.join(seen)}"
        with urllib.request.urlopen(url, timeout=10) as page:
            body = page.read().decode()
        assert page.status == 200 and "<html" in body.lower()
        for static in sorted(STATIC.iterdir()):
            if static.name == "index.html":
                continue
            with urllib.request.urlopen(f"{url}static/{static.name}", timeout=10) as got:
                assert got.status == 200 and got.read() == static.read_bytes(), static.name
    finally:
        server.terminate()
        server.wait(timeout=10)
