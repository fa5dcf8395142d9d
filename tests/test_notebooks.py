"""Every notebook is a pair in sync, runs top to bottom in a clean kernel, and shows current output.

* The text twin (``.py``, jupytext percent format) and the ``.ipynb`` hold the same cells:
  type, source and tags. Edit the ``.py``, then ``make notebooks``.
* Cells tagged ``slide-numbers`` print the slides' numbers; their text output in the committed
  notebook must equal a fresh run's. Every numbered lesson (notebooks/NN_*.py) has one.
* Every picture must have the structure of a fresh run's: an SVG (the graphs) the same text
  elements in the same order, so a stale label or number fails; a PNG (matplotlib) the same
  width and height — its pixels differ with the font rasteriser, so they are not compared.
* Each notebook finishes within a minute (on a busy machine: a minute × load per core).
"""
import base64
import copy
import os
import pathlib
import re
import struct
import sys
import time
import xml.etree.ElementTree as ET

import pytest
from conftest import need

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from run_notebooks import NOTEBOOKS, cells_of, execute, pairs, read_text  # noqa: E402

PAIRS = pairs()
IDS = [str(text.relative_to(NOTEBOOKS).with_suffix("")) for text, _ in PAIRS]
LESSON = re.compile(r"\d\d_")


def _text_outputs(cell) -> list:
    """The cell's printed text, with consecutive stream chunks joined (the kernel may split a
    print into several chunks, differently from run to run)."""
    texts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            name, text = out.get("name"), out.get("text", "")
            if texts and texts[-1][0] == name:
                texts[-1] = (name, texts[-1][1] + text)
            else:
                texts.append((name, text))
        elif out.get("output_type") in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "text/plain" in data and not any(k.startswith("image/") for k in data):
                texts.append(("result", data["text/plain"]))
    return texts


def time_budget(seconds: float = 60.0) -> float:
    """``seconds`` on an idle machine, stretched by how many runnable processes share each core."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return seconds * max(1.0, load / (os.cpu_count() or 1))


def svg_texts(svg: str) -> list[str]:
    """The text elements of an SVG picture, in document order (graphviz writes one per label)."""
    root = ET.fromstring(svg)
    return ["".join(el.itertext()) for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "text"]


def png_size(data: str) -> tuple[int, int]:
    """(width, height) read from a base64 PNG's header chunk."""
    raw = base64.b64decode(data)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", raw[16:24])


def picture_structure(cell) -> list:
    """One entry per picture the cell shows: ("svg", its texts) or ("png", its size)."""
    pictures = []
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if "image/svg+xml" in data:
            pictures.append(("svg", svg_texts(data["image/svg+xml"])))
        elif "image/png" in data:
            pictures.append(("png", png_size(data["image/png"])))
    return pictures


def test_there_are_notebooks():
    lessons = [text for text, _ in PAIRS if LESSON.match(text.name) and text.parent == NOTEBOOKS]
    assert len(lessons) >= 7, IDS


def test_svg_texts_and_png_size_read_real_pictures():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg"><g><text x="1">v1</text>'
           '<text>ln <tspan>v-1</tspan></text></g></svg>')
    assert svg_texts(svg) == ["v1", "ln v-1"]
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 480, 320)
    assert png_size(base64.b64encode(header + b"\0" * 9).decode()) == (480, 320)


@pytest.mark.parametrize("text, notebook", PAIRS, ids=IDS)
def test_pair_is_in_sync(text, notebook):
    nbformat = need("nbformat")
    need("jupytext")
    name = text.relative_to(ROOT).with_suffix("")
    assert text.exists(), f"{name}.ipynb has no text twin (.py); see notebooks/README.md"
    assert notebook.exists(), f"{name}.py has no .ipynb: run make notebooks"
    want, have = cells_of(read_text(text)), cells_of(nbformat.read(notebook, as_version=4))
    for i, (a, b) in enumerate(zip(want, have)):
        assert a == b, (f"{name}: cell {i} differs between the .py and the .ipynb "
                        f"(edit the .py, then run make notebooks)\n.py:    {a}\n.ipynb: {b}")
    assert len(want) == len(have), \
        f"{name}: {len(want)} cells in the .py, {len(have)} in the .ipynb: run make notebooks"


@pytest.mark.parametrize("text, notebook", PAIRS, ids=IDS)
def test_notebook_runs_and_matches_its_committed_outputs(text, notebook):
    nbformat = need("nbformat")
    need("nbclient")
    need("ipykernel")
    name = text.relative_to(ROOT).with_suffix("")
    if not notebook.exists():
        pytest.fail(f"{name}.py has no .ipynb: run make notebooks")
    committed = nbformat.read(notebook, as_version=4)
    code_cells = [c for c in committed.cells if c.cell_type == "code"]
    assert code_cells, "a notebook without code"
    assert all(c.get("execution_count") for c in code_cells), \
        "commit notebooks executed (make notebooks): a code cell has no execution count"
    assert any(c.get("outputs") for c in code_cells), "commit notebooks with their outputs"

    start = time.perf_counter()
    fresh = execute(copy.deepcopy(committed), notebook.parent)
    elapsed, budget = time.perf_counter() - start, time_budget()
    assert elapsed < budget, \
        f"{name} took {elapsed:.0f} s (budget {budget:.0f} s); keep each notebook under a minute"

    tagged = 0
    for i, (old, new) in enumerate(zip(committed.cells, fresh.cells)):
        if "slide-numbers" in old.get("metadata", {}).get("tags", []):
            assert _text_outputs(old) == _text_outputs(new), \
                f"{name}: cell {i} (slide-numbers) prints other text now; run make notebooks"
            tagged += 1
        assert picture_structure(old) == picture_structure(new), \
            f"{name}: cell {i}'s committed picture is stale; run make notebooks"
    if LESSON.match(text.name) and text.parent == NOTEBOOKS:
        assert tagged >= 1, f"{name}: tag at least one cell that prints slide numbers"
