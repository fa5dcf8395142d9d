#!/usr/bin/env python3
"""The notebooks' text twins → executed notebooks: find the pairs, check them, run them.

Every notebook under notebooks/ (subfolders included) is a pair: ``name.py`` in jupytext's
percent format is the source people edit, review and diff; ``name.ipynb`` next to it carries
the executed outputs. ``make notebooks`` runs this script with ``--save``: for every pair it
reads the text twin, executes it in a clean kernel (working directory = its folder) and writes
the ``.ipynb`` with the outputs. Without ``--save`` it only checks that each one runs.

    .venv/bin/python scripts/run_notebooks.py --save                 # every pair
    .venv/bin/python scripts/run_notebooks.py --save 02 exercises/   # names or folders that match

tests/test_notebooks.py imports ``pairs``, ``cells_of`` and ``execute`` from here.
"""
import argparse
import pathlib
import sys
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
FORMATS = "ipynb,py:percent"  # the same as [tool.jupytext] in pyproject.toml


def _skipped(path: pathlib.Path) -> bool:
    return any(part.startswith((".", "_")) for part in path.relative_to(NOTEBOOKS).parts)


def pairs(root: pathlib.Path = NOTEBOOKS) -> list[tuple[pathlib.Path, pathlib.Path]]:
    """Every (text twin, notebook) under ``root``, sorted; a side may not exist yet.

    A ``.py`` or ``.ipynb`` anywhere below notebooks/ counts, except in folders or files whose
    names start with "." or "_" (checkpoints, caches).
    """
    stems = {p.with_suffix("") for pattern in ("*.py", "*.ipynb") for p in root.rglob(pattern)
             if not _skipped(p)}
    return [(s.with_suffix(".py"), s.with_suffix(".ipynb")) for s in sorted(stems)]


def read_text(path: pathlib.Path):
    """The notebook (no outputs) that the text twin at ``path`` describes."""
    import jupytext

    nb = jupytext.read(path, fmt="py:percent")
    nb.metadata.setdefault("jupytext", {})["formats"] = FORMATS
    nb.metadata.setdefault("kernelspec", {"display_name": "Python 3", "language": "python",
                                          "name": "python3"})
    return nb


def cells_of(nb) -> list[tuple[str, str, tuple]]:
    """What a pair must agree on: each cell's type, source and tags, in order."""
    return [(c.cell_type, c.source, tuple(c.get("metadata", {}).get("tags", [])))
            for c in nb.cells]


def execute(nb, folder: pathlib.Path, timeout: int = 300):
    """``nb`` after running every cell in a fresh kernel whose working directory is ``folder``."""
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    client.execute()
    return nb


def _selected(all_pairs, names):
    if not names:
        return all_pairs
    chosen = [pair for pair in all_pairs
              if any(str(pair[0].relative_to(NOTEBOOKS)).startswith(n) for n in names)]
    if not chosen:
        raise SystemExit(f"no notebook under notebooks/ starts with {' or '.join(names)}")
    return chosen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true",
                        help="write each executed notebook to the .ipynb next to its text twin")
    parser.add_argument("names", nargs="*",
                        help="run only the pairs whose path under notebooks/ starts so")
    args = parser.parse_args(argv)
    for text, notebook in _selected(pairs(), args.names):
        if not text.exists():
            raise SystemExit(f"{notebook.relative_to(ROOT)} has no text twin; create it with\n"
                             f"  jupytext --set-formats {FORMATS} {notebook.relative_to(ROOT)}")
        start = time.perf_counter()
        nb = execute(read_text(text), text.parent)
        if args.save:
            nbformat.write(nb, notebook)
        print(f"{text.relative_to(NOTEBOOKS)}: ran in {time.perf_counter() - start:.1f} s"
              + (f" → {notebook.name}" if args.save else ""), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
