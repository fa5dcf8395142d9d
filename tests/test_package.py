"""The package's front door: every public name resolves, and `import tinygrad_edu` is light."""
import importlib
import subprocess
import sys

import pytest

import tinygrad_edu


def test_every_public_name_is_the_object_its_module_defines():
    for name in tinygrad_edu.__all__:
        value = getattr(tinygrad_edu, name)
        if name in ("data", "losses", "optim"):
            assert value is importlib.import_module(f"tinygrad_edu.{name}")
        elif name == "OPS":
            assert value is importlib.import_module("tinygrad_edu.ops").OPS
        elif name != "__version__":
            module = importlib.import_module(value.__module__)
            assert getattr(module, name) is value, name


def test_trace_stays_the_function_when_its_module_is_imported():
    import tinygrad_edu.trace  # noqa: F401 - binds the submodule on the package, if allowed
    from tinygrad_edu import trace
    assert callable(trace) and trace.__module__ == "tinygrad_edu.trace"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'fitt'"):
        tinygrad_edu.fitt  # noqa: B018
    with pytest.raises(ImportError):
        from tinygrad_edu import fitt  # noqa: F401


def test_importing_the_package_loads_neither_numpy_nor_the_pictures():
    """What the engine alone needs loads with the package; numpy (the tape, the optimizers)
    and graphviz (the pictures) load when first used."""
    code = ("import sys, tinygrad_edu; x = tinygrad_edu.Value(2.0); (x * x).backward(); "
            "print(sorted(m for m in ('numpy', 'graphviz', 'matplotlib', 'tinygrad_edu.train') "
            "if m in sys.modules)); tinygrad_edu.fit; print('numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "True"
