"""tinygrad_edu: a scalar reverse-mode autodiff engine that shows its work, as the slides do.

The engine and the op table load with the package. Everything else loads on first use
(``tinygrad_edu.fit``, ``from tinygrad_edu import draw_dot``), so ``import tinygrad_edu`` stays
light: no numpy, no Graphviz bindings, and a graph built in a fresh process does not share
Python's collector with objects it never uses (each full collection rescans them all).
"""
from importlib import import_module

# trace and gradcheck load now although they are light extras: a function named as its module
# would be shadowed by the module the first time anything imported it.
from .engine import Constant, Value, no_grad
from .gradcheck import gradcheck, numerical_grad
from .ops import OPS, DivisionByZero, DomainError, OpError, OpOverflow
from .trace import trace

__version__ = "0.1.0"

_WHERE = {
    "data": "data", "losses": "losses", "optim": "optim", "render_animation": "animate",
    "jvp": "forward", "grad": "higher", "hessian": "higher", "hvp": "higher", "steps": "stepper",
    "Tape": "tape", "compile": "tape", "fit": "train", "draw_dot": "viz", "render": "viz",
    "to_dot": "viz", "step_through": "widget",
}
"""Each public name that loads on first use → the module that defines it (its own name for the
modules ``data``, ``losses`` and ``optim``)."""

__all__ = ["Constant", "DivisionByZero", "DomainError", "OPS", "OpError", "OpOverflow", "Tape",
           "Value", "compile", "data", "draw_dot", "fit", "grad", "gradcheck", "hessian", "hvp",
           "jvp", "losses", "no_grad", "numerical_grad", "optim", "render", "render_animation",
           "step_through", "steps", "to_dot", "trace", "__version__"]


def __getattr__(name: str):
    """Load a public name's module the first time the name is asked for (PEP 562); a
    submodule's name (``tinygrad_edu.viz``) loads that module, as an eager import would."""
    if name in _WHERE:
        module = import_module(f".{_WHERE[name]}", __name__)
        value = module if name in ("data", "losses", "optim") else getattr(module, name)
        globals()[name] = value
        return value
    if not name.startswith("_"):
        try:
            return import_module(f".{name}", __name__)
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise  # the submodule exists but needs something missing: say so
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | set(__all__))
