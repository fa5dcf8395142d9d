"""Every notebook runs top to bottom in a clean kernel, and its committed outputs are current.

Cells whose metadata carries the tag ``slide-numbers`` print the slides' numbers; their text
output in the committed notebook must equal a fresh run's (text only: SVG and PNG bytes
differ from run to run). Each notebook must finish within a minute.
"""
import pathlib
import sys
import time

import pytest
from conftest import need

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "scripts"))


def _text_outputs(cell) -> list:
    texts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            texts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "text/plain" in data and not any(k.startswith("image/") for k in data):
                texts.append(data["text/plain"])
    return texts


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 6, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_matches_its_committed_outputs(path):
    nbformat = need("nbformat")
    need("nbclient")
    need("ipykernel")
    from run_notebooks import execute

    committed = nbformat.read(path, as_version=4)
    code_cells = [c for c in committed.cells if c.cell_type == "code"]
    assert code_cells, "a notebook without code"
    assert all(c.get("execution_count") for c in code_cells), \
        "commit notebooks executed (make notebooks): a code cell has no execution count"
    assert any(c.get("outputs") for c in code_cells), "commit notebooks with their outputs"

    start = time.perf_counter()
    fresh = execute(path)
    elapsed = time.perf_counter() - start
    assert elapsed < 60, f"{path.name} took {elapsed:.0f} s; keep each notebook under a minute"

    checked = 0
    for old, new in zip(committed.cells, fresh.cells):
        if "slide-numbers" in old.get("metadata", {}).get("tags", []):
            assert _text_outputs(old) == _text_outputs(new), \
                f"{path.name}: outputs of a slide-numbers cell changed; run make notebooks"
            checked += 1
    assert checked >= 1, f"{path.name}: tag at least one cell that prints slide numbers"
