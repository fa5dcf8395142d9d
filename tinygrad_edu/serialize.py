"""Model files: architecture and weights as JSON, written atomically, checked on reading.

A file looks like::

    {"format": "tinygrad_edu.model", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], ...},
     "parameters": {"layers[0].neurons[0].w[0]": 0.4417, ...},
     "sha256": "…"}

Writing goes to a temporary file in the same folder, is flushed to disk, then renamed over
the target in one step, so a crash leaves either the old file or the new one — never half
of one. Reading checks everything (format, architecture, parameter names, finite numbers,
checksum) before anything is handed back, so a bad file raises ``ModelFileError`` and the
model is left exactly as it was. This module knows nothing about modules or Values.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile

from . import checks

__all__ = ["ModelFileError", "ArchitectureMismatch", "save", "load", "document", "check_state",
           "atomic_write_text", "describe"]

FORMAT = "tinygrad_edu.model"
VERSION = 1


class ModelFileError(ValueError):
    """A model file that cannot be loaded: unreadable, truncated, corrupted or mismatched."""


class ArchitectureMismatch(ModelFileError):
    """The file holds weights for a model of another shape."""


def describe(arch) -> str:
    """An architecture dict as a short call: ``MLP(nin=2, nouts=[16, 1], activation='relu')``."""
    if not isinstance(arch, dict):
        return repr(arch)
    fields = ", ".join(f"{k}={describe(v) if isinstance(v, dict) else repr(v)}"
                       for k, v in arch.items() if k != "type")
    return f"{arch.get('type', '?')}({fields})"


def _checksum(architecture, parameters) -> str:
    text = json.dumps({"architecture": architecture, "parameters": parameters},
                      sort_keys=True, allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


MAX_DEPTH = 32
"""Model files nest a few levels (document → architecture → children); deeper is refused."""


def check_state(state, names) -> list:
    """The values of ``state`` in the order of ``names``, after checking that the names match
    exactly and every value is a finite real number; raises ``ModelFileError`` otherwise."""
    if not isinstance(state, dict):
        raise ModelFileError(f"a state dict must be a dict of parameter name → number, "
                             f"got {type(state).__name__}")
    missing = [n for n in names if n not in state]
    expected = set(names)
    extra = [n for n in state if n not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} (first: {missing[0]!r})")
        if extra:
            parts.append(f"unexpected {len(extra)} (first: {checks.short_repr(extra[0])})")
        raise ArchitectureMismatch("parameter names do not match this model: " + "; ".join(parts))
    values = []
    for name in names:
        try:
            value = checks.as_number(state[name])
        except OverflowError as err:
            raise ModelFileError(f"parameter {name!r}: {err}") from None
        if value is None:
            raise ModelFileError(f"parameter {name!r} is {checks.short_repr(state[name])} "
                                 f"({type(state[name]).__name__}), not a number")
        if not math.isfinite(value):
            raise ModelFileError(f"parameter {name!r} is {value}: weights must be finite "
                                 f"(was the model saved after training diverged?)")
        values.append(value)
    return values


def _file_path(path, who: str) -> str:
    try:
        return os.fspath(path)
    except TypeError:
        raise TypeError(f"{who}: the path must be a str or os.PathLike, "
                        f"got {type(path).__name__}") from None


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` so that ``path`` is never seen half-written."""
    path = _file_path(path, "save")
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                                suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)  # atomic on POSIX and Windows: old file or new, nothing between
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def document(architecture: dict, state: dict) -> dict:
    """A model file's contents, as ``save`` writes them; refuses a weight that is nan or inf."""
    parameters = dict(zip(state, check_state(state, list(state))))
    return {"format": FORMAT, "version": VERSION, "architecture": architecture,
            "parameters": parameters, "sha256": _checksum(architecture, parameters)}


def save(architecture: dict, state: dict, path) -> None:
    """Write a model file; refuses (writing nothing) if a weight is nan or inf."""
    text = json.dumps(document(architecture, state), indent=1, allow_nan=False) + "\n"
    atomic_write_text(path, text)


def load(path, architecture: dict, names, verify_checksum: bool = True) -> dict:
    """Read and check a model file for a model of ``architecture`` with parameter ``names``;
    returns its state dict. Raises ``ModelFileError`` (``ArchitectureMismatch`` for another
    shape) naming what is wrong; returns nothing half-checked."""
    path = _file_path(path, "load")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise
    except OSError as err:
        raise ModelFileError(f"cannot read model file {path!r}: {err}") from err
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ModelFileError(f"{path!r} is not a model file (not UTF-8 text: {err})") from None
    except json.JSONDecodeError as err:
        hint = " — the file looks truncated" if err.pos >= len(raw.rstrip()) else ""
        raise ModelFileError(f"{path!r} is corrupted: invalid JSON at line {err.lineno}, "
                             f"column {err.colno} ({err.msg}){hint}") from None
    except RecursionError:
        raise ModelFileError(f"{path!r} is not a model file: lists or objects nested "
                             f"thousands of levels deep") from None
    except ValueError as err:  # e.g. an integer of more digits than Python converts
        raise ModelFileError(f"{path!r} is not a model file: {err}") from None
    if checks.too_deep(document, MAX_DEPTH):
        raise ModelFileError(f"{path!r} is not a model file: nested more than {MAX_DEPTH} "
                             f"levels deep")
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{path!r} is not a tinygrad_edu model file "
                             f"(no \"format\": \"{FORMAT}\")")
    if document.get("version") != VERSION:
        raise ModelFileError(f"{path!r} has model-file version "
                             f"{checks.short_repr(document.get('version'))}; "
                             f"this tinygrad_edu reads version {VERSION}")
    for key in ("architecture", "parameters", "sha256"):
        if key not in document:
            raise ModelFileError(f"{path!r} is corrupted: the {key!r} entry is missing")
    stored = document["architecture"]
    if stored != architecture:
        raise ArchitectureMismatch(f"{path!r} holds a {describe(stored)}, but this model is a "
                                   f"{describe(architecture)}; nothing was loaded")
    parameters = document["parameters"]
    try:
        values = check_state(parameters, list(names))
    except ModelFileError as err:
        raise type(err)(f"{path!r}: {err}; nothing was loaded") from None
    if verify_checksum and document["sha256"] != _checksum(stored, parameters):
        raise ModelFileError(f"{path!r} is corrupted: its weights do not match its checksum "
                             f"(changed after saving). If you edited it by hand on purpose, "
                             f"use load(path, verify_checksum=False)")
    return dict(zip(names, values))
