#!/usr/bin/env python3
"""Execute the notebooks in notebooks/ from a clean kernel; with --save, write the outputs back.

`make notebooks` runs this with --save after a change to the engine or a notebook, so the
committed notebooks show fresh outputs. Without --save it only checks that each one runs.
"""
import argparse
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def execute(path: pathlib.Path, timeout: int = 300):
    """The notebook at ``path`` after running every cell in a fresh kernel (cwd = its folder)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--save", action="store_true", help="write the executed notebooks back")
    parser.add_argument("names", nargs="*", help="notebook file names (default: all)")
    args = parser.parse_args(argv)
    paths = [NOTEBOOKS / n for n in args.names] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        start = time.perf_counter()
        nb = execute(path)
        if args.save:
            nbformat.write(nb, path)
        print(f"{path.name}: ran in {time.perf_counter() - start:.1f} s"
              + (" (saved)" if args.save else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
