"""The documentation site builds without a single warning, and shows what it promises.

The build is ``make docs``'s (Sphinx, myst-nb rendering the committed notebooks, furo), with
warnings as errors and ``-n`` (nitpicky: every reference inside the package, every internal
link and every toctree entry must resolve). Then the pages generated from the code are
checked against the code, and a headless browser (Playwright with the system's chromium, as
in test_playground_browser.py) opens the index, the ``Value`` reference and notebook 01.
"""
import argparse
import html
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import pytest
from browser import browser_fixture
from conftest import need

import tinygrad_edu

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "scripts"))
from run_notebooks import NOTEBOOKS, pairs  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site's folder: ``sphinx -W --keep-going -n -b html docs <tmp>``."""
    need("sphinx")
    need("myst_nb")
    need("furo")
    need("program:dot")
    out = tmp_path_factory.mktemp("site")
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q",
                          "-b", "html", "-d", str(out / ".doctrees"), str(DOCS), str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, f"the docs build failed or warned:\n{run.stderr[-6000:]}"
    print(f"docs built in {time.perf_counter() - start:.1f} s")
    return out


def _text(page: pathlib.Path) -> str:
    """The page's visible text, roughly: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def test_every_notebook_has_a_page(site):
    notebooks = [nb for _, nb in pairs() if nb.exists()]
    assert len(notebooks) >= 7
    for nb in notebooks:
        page = site / "notebooks" / nb.relative_to(NOTEBOOKS).with_suffix(".html")
        assert page.exists(), f"no page for {nb.relative_to(ROOT)}"
    assert (site / "notebooks" / "README.html").exists(), "the slide → notebook map"


def test_index_is_the_readme(site):
    index = _text(site / "index.html")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tagline = " ".join(readme.split("\n\n")[1].split()[:10])  # before any quote (smartquotes)
    assert tagline.startswith("Backpropagation") and tagline in " ".join(index.split())
    picture = re.search(r"!\[[^\]]*\]\((docs/img/[\w.]+)\)", readme).group(1)
    assert (site / "_images" / pathlib.Path(picture).name).exists(), "the README's picture"


def test_readme_picture_is_what_the_script_draws_today(tmp_path):
    """docs/img/slide_graph.svg has the text of a fresh drawing (scripts/readme_picture.py)."""
    need("program:dot")
    from readme_picture import PICTURE, main
    from test_notebooks import svg_texts

    main(tmp_path / "fresh.svg")
    fresh = svg_texts((tmp_path / "fresh.svg").read_text(encoding="utf-8"))
    assert {"v5 y", "grad 5.500", "grad 1.716", "1 / v-1 = 0.500"} <= set(fresh)  # 3 decimals
    assert svg_texts(PICTURE.read_text(encoding="utf-8")) == fresh, \
        "docs/img/slide_graph.svg is stale: run scripts/readme_picture.py"


def test_readme_adjoint_trace_is_what_the_command_prints():
    from tinygrad_edu.cli import SLIDE_EXPRESSION, SLIDE_VALUES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```text\n(Reverse adjoint trace\n.*?)```", readme, re.S).group(1)
    values = [f"{k}={v:g}" for k, v in SLIDE_VALUES.items()]
    run = subprocess.run([sys.executable, "-m", "tinygrad_edu", "trace", SLIDE_EXPRESSION,
                          *values], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert block in run.stdout, "the README's adjoint trace differs from the command's output"


def test_api_reference_lists_every_public_name(site):
    index = _text(site / "generated" / "api" / "index.html")
    for name in tinygrad_edu.__all__:
        assert name in index, name
    value = (site / "generated" / "api" / "tinygrad_edu.engine.html").read_text(encoding="utf-8")
    assert 'id="tinygrad_edu.engine.Value"' in value
    assert 'id="tinygrad_edu.engine.Value.backward"' in value


# The test session registers an extra op (conftest.py: atan); the docs build does not. So the
# expectations come from a fresh interpreter, as the build and the command line see the package.
_OPS_ROWS = """
import json
from tinygrad_edu.ops import OPS
rows = []
for key, op in OPS.items():
    names = ("a", "b")[:op.arity]
    rows.append([key, op.write(*names),
                 [f"∂y/∂{n} = {op.write_local(i, names, out='y')}" for i, n in enumerate(names)]])
print(json.dumps(rows))
"""


def _fresh(*args: str, **env) -> str:
    run = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, **env}, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_op_table_is_read_from_OPS(site):
    page = _text(site / "generated" / "ops.html")
    rows = json.loads(_fresh("-c", _OPS_ROWS))
    assert len(rows) >= 19
    for key, notation, local in rows:
        assert f"y = {notation}" in page, key
        for derivative in local:
            assert derivative in page, (key, derivative)


def test_cli_page_shows_every_help_text(site):
    from tinygrad_edu.cli import build_parser

    page = " ".join(_text(site / "generated" / "cli.html").split())
    commands = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    names = [[]] + [[name] for name in commands[0].choices]
    assert len(names) >= 4
    for name in names:
        text = _fresh("-m", "tinygrad_edu", *name, "--help", COLUMNS="100")
        assert " ".join(text.split()) in page, f"tinygrad-edu {' '.join(name)} --help"


def test_benchmarks_page(site):
    bench = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    title = next(line for line in bench.splitlines() if line.startswith("# "))[2:]
    assert title in _text(site / "benchmarks" / "README.html")


browser = browser_fixture()


def test_site_in_a_browser(site, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto((site / "index.html").as_uri())
    assert "tinygrad_edu" in page.title()
    page.get_by_role("link", name="API reference").first.click()
    page.get_by_role("link", name="Value", exact=True).first.click()
    signature = page.locator('[id="tinygrad_edu.engine.Value"]')
    signature.wait_for(state="visible")
    assert "Value" in signature.inner_text()

    page.goto((site / "notebooks" / "01_computation_graphs_and_traces.html").as_uri())
    table = page.locator("table", has_text="Reverse adjoint trace").first
    table.scroll_into_view_if_needed()
    assert table.is_visible()
    assert "v̄-1 + v̄1 / v-1" in " ".join(table.inner_text().split())
    picture = page.locator(".cell_output img").first
    picture.scroll_into_view_if_needed()
    assert picture.is_visible()
    size = picture.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
    assert size[0] and size[1] > 50 and size[2] > 50, f"the picture did not load: {size}"
    assert not errors, errors
    page.close()
