"""Sphinx configuration for the documentation site (``make docs`` → docs/_build/html).

The pages that can drift are generated here at every build, from the code itself, into
docs/generated/ (not committed): the API reference (one page per module, from the docstrings,
for every public name), the op table (read from ``OPS``) and the command line's ``--help``
texts (printed by its own parser). The notebooks are rendered from their committed outputs
(myst-nb, never re-executed), copied at every build into docs/notebooks/ (also not
committed), so every notebook under notebooks/ gets a page by itself.
"""
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import generate  # noqa: E402  (docs/generate.py, next to this file)

import tinygrad_edu  # noqa: E402

project = "tinygrad_edu"
author = "the tinygrad_edu authors"
copyright = "the tinygrad_edu authors (MIT licence)"
release = version = tinygrad_edu.__version__

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.mathjax", "sphinx.ext.napoleon"]
exclude_patterns = ["_build", "**/.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
html_theme = "furo"
html_title = f"tinygrad_edu {release}"
html_static_path = []

# The committed notebooks carry their outputs: render them, never run them here.
nb_execution_mode = "off"
# step_through's output is a live widget in Jupyter and carries an animated GIF of the same
# steps for places where widgets cannot run, like this static site: show the GIF here.
nb_mime_priority_overrides = [("*", "image/gif", 5)]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
# A notebook's headings follow its story, not a strict level ladder.
suppress_warnings = ["myst.header"]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"no-value": True}  # OPS and the like: their type, not a huge repr
# Every reference inside the package must resolve; a type from outside it (float, numpy,
# graphviz ...) has no page here, and intersphinx would need the network at build time.
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(?!tinygrad_edu\b).*"),
                        (r"py:.*", r"tinygrad_edu\..*\._\w+")]

generate.copy_sources(HERE.parent, HERE)
generate.write_all(HERE / "generated")


def setup(app):
    app.connect("autodoc-process-docstring", generate.escape_bars)
