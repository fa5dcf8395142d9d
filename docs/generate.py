"""Write the documentation pages that are read from the code, so they can never drift.

* ``api/`` — one page per module of the package, from its docstrings (autodoc, the module's
  ``__all__``), and an index of every name in ``tinygrad_edu.__all__`` linked to its page;
* ``ops.rst`` — the op table: name, notation, local derivatives, sampled domain, from ``OPS``;
* ``cli.rst`` — ``tinygrad-edu --help`` and each command's ``--help``, printed by the parser;

and ``copy_sources`` copies the notebooks (every ``.ipynb`` under notebooks/, and the slide →
notebook map) and the benchmarks' README into docs/notebooks/ and docs/benchmarks/, where the
README's links expect them. conf.py calls both at every build; none of it is committed.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import io
import os
import pathlib
import pkgutil
import re
import shutil
from contextlib import redirect_stdout

import tinygrad_edu
from tinygrad_edu.ops import OPS

OPERANDS = ("a", "b")


def _title(text: str, mark: str = "=") -> str:
    return f"{text}\n{mark * len(text)}\n"


def _indent(text: str, by: str = "   ") -> str:
    return "\n".join(by + line if line.strip() else "" for line in text.splitlines())


def modules() -> list[str]:
    """Every importable module of the package, sorted, except the ``python -m`` entry points."""
    names = ["tinygrad_edu"]
    for info in pkgutil.walk_packages(tinygrad_edu.__path__, "tinygrad_edu."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            names.append(info.name)
    return sorted(names)


def _home(name: str, obj) -> tuple[str, str]:
    """(role, target) of a public name: a module's page, or the object in its defining module."""
    if inspect.ismodule(obj):
        return "mod", obj.__name__
    module = getattr(obj, "__module__", None)
    if (inspect.isclass(obj) or inspect.isfunction(obj)) and module:
        return "obj", f"{module}.{obj.__qualname__}"
    for candidate in modules():  # data: the first module that lists it in its __all__
        mod = importlib.import_module(candidate)
        if candidate != "tinygrad_edu" and name in getattr(mod, "__all__", ()):
            return "obj", f"{candidate}.{name}"
    return "", name


def _summary(obj) -> str:
    doc = inspect.getdoc(obj) if not isinstance(obj, (dict, str)) else ""
    return (doc or "").strip().split("\n\n")[0].replace("\n", " ")


def api_pages(out: pathlib.Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in tinygrad_edu.__all__:
        obj = getattr(tinygrad_edu, name)
        role, target = _home(name, obj)
        link = f":py:{role}:`{name} <{target}>`" if role else f"``{name}``"
        rows.append(f"   * - {link}\n     - {_summary(obj) or ' '}")
    names = modules()
    index = [_title("API reference"),
             "Every public name of the package, from its docstrings. ``from tinygrad_edu import "
             "...`` gives the names below; each links to the module that defines it.\n",
             ".. list-table::\n   :header-rows: 1\n   :widths: 20 80\n\n   * - name\n"
             "     - what it is\n" + "\n".join(rows) + "\n",
             _title("Modules", "-"),
             ".. toctree::\n   :maxdepth: 1\n\n" + "\n".join(f"   {n}" for n in names) + "\n"]
    (out / "index.rst").write_text("\n".join(index), encoding="utf-8")
    for name in names:
        body = [_title(f"``{name}``"), f".. automodule:: {name}"]
        if name != "tinygrad_edu":  # the package re-exports; each name is documented at home
            body += ["   :members:", "   :show-inheritance:"]
        (out / f"{name}.rst").write_text("\n".join(body) + "\n", encoding="utf-8")


def _domain(interval) -> str:
    low, high = interval
    return f"[{low:g}, {high:g}]"


def ops_page(path: pathlib.Path) -> None:
    rows = []
    for key, op in OPS.items():
        names = OPERANDS[:op.arity]
        local = "; ".join(f"∂y/∂{n} = {op.write_local(i, names, out='y')}"
                          for i, n in enumerate(names))
        domain = ", ".join(f"{n} ∈ {_domain(d)}" for n, d in zip(names, op.domain))
        rows.append(f"   * - ``{key}``\n     - ``y = {op.write(*names)}``\n"
                    f"     - {local and f'``{local}``'}\n     - {domain}\n     - {op.doc}")
    text = [_title("The op table"),
            "Every operation the engine knows, read from ``tinygrad_edu.ops.OPS`` at build time: "
            "the row the trace tables, the graph labels, the expression parser and the property "
            "tests all use. ``y`` is the node, ``a`` and ``b`` its operands; the local "
            "derivatives are what the reverse adjoint trace multiplies the upstream gradient "
            "by. The domain is where the tests sample each operand against finite "
            "differences.\n",
            ".. list-table::\n   :header-rows: 1\n   :widths: 10 20 40 20 30\n\n"
            "   * - op\n     - notation\n     - local derivatives\n     - domain (sampled)\n"
            "     - what it is\n" + "\n".join(rows) + "\n"]
    path.write_text("\n".join(text), encoding="utf-8")


def _help(parser: argparse.ArgumentParser) -> str:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        parser.print_help()
    return buffer.getvalue()


def cli_page(path: pathlib.Path) -> None:
    from tinygrad_edu.cli import build_parser

    os.environ["COLUMNS"] = "100"  # wrap as a terminal 100 characters wide would
    parser = build_parser()
    text = [_title("The command line"),
            "``tinygrad-edu`` (or ``python -m tinygrad_edu``). These are its own ``--help`` "
            "texts, printed by its parser at build time.\n",
            ".. code-block:: text\n\n" + _indent(_help(parser)) + "\n"]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                text += [_title(f"tinygrad-edu {name}", "-"),
                         ".. code-block:: text\n\n" + _indent(_help(sub)) + "\n"]
    path.write_text("\n".join(text), encoding="utf-8")


def copy_sources(root: pathlib.Path, docs: pathlib.Path) -> None:
    """notebooks/ and benchmarks/ → docs/, without the text twins, scripts and checkpoints."""
    for folder, keep in (("notebooks", ("*.ipynb", "*.md", "*.png", "*.svg")),
                         ("benchmarks", ("*.md", "*.png", "*.svg"))):
        target = docs / folder
        shutil.rmtree(target, ignore_errors=True)
        for pattern in keep:
            for path in (root / folder).rglob(pattern):
                relative = path.relative_to(root / folder)
                if any(part.startswith((".", "_")) for part in relative.parts):
                    continue
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / relative)


_CODE = re.compile(r"(`+[^`]*`+)")


def escape_bars(app, what, name, obj, options, lines: list[str]) -> None:
    """``autodoc-process-docstring``: read a bar as a bar. Docstrings here write |x| for an
    absolute value, which reStructuredText takes for a substitution reference; escape each
    ``|`` outside code, literal blocks and grid tables (the docstrings use no substitutions).
    """
    literal_indent = None
    for i, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None:
            if not line.strip() or indent > literal_indent:
                continue
            literal_indent = None
        if line.rstrip().endswith("::"):
            literal_indent = indent
        stripped = line.strip()
        if "|" not in line or stripped[:1] in "|+" and stripped[-1:] in "|+":
            continue
        parts = _CODE.split(line)
        lines[i] = "".join(part if k % 2 else part.replace("|", "\\|")
                           for k, part in enumerate(parts))


def write_all(out: pathlib.Path) -> None:
    api_pages(out / "api")
    ops_page(out / "ops.rst")
    cli_page(out / "cli.rst")
