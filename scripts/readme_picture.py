#!/usr/bin/env python3
"""Draw the README's picture: the slide's graph y = ln(x1) + x1·x2 − sin(x2) at x1 = 2, x2 = 5.

After ``backward``, with the trace's node names (v-1 … v5) and each edge's local gradient, so
the picture reads like the slide's two tables. tests/test_docs.py checks that the committed
file is what this script draws today; re-run it when the pictures change:

    .venv/bin/python scripts/readme_picture.py          # writes docs/img/slide_graph.svg
"""
import pathlib
import sys

from tinygrad_edu import Value, render

PICTURE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "img" / "slide_graph.svg"


def slide_graph() -> Value:
    """y after ``backward()``, every input and node labelled as in the slide."""
    x1, x2 = Value(2.0, label="x1"), Value(5.0, label="x2")
    y = x1.log() + x1 * x2 - x2.sin()
    y.label = "y"
    y.backward()
    return y


def main(path: pathlib.Path = PICTURE) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    render(slide_graph(), path, show_local_grads=True, trace_names=True)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else PICTURE))
