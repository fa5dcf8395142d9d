"""tinygrad_edu: a scalar reverse-mode autodiff engine that shows its work, as the slides do."""
from . import data, losses, optim
from .animate import render_animation
from .engine import Constant, Value, no_grad
from .forward import jvp
from .gradcheck import gradcheck, numerical_grad
from .higher import grad, hessian, hvp
from .ops import OPS, DivisionByZero, DomainError, OpError, OpOverflow
from .stepper import steps
from .tape import Tape, compile
from .trace import trace
from .train import fit
from .viz import draw_dot, render, to_dot
from .widget import step_through

__version__ = "0.1.0"

__all__ = ["Constant", "DivisionByZero", "DomainError", "OPS", "OpError", "OpOverflow", "Tape",
           "Value", "compile", "data", "draw_dot", "fit", "grad", "gradcheck", "hessian", "hvp",
           "jvp", "losses", "no_grad", "numerical_grad", "optim", "render", "render_animation",
           "step_through", "steps", "to_dot", "trace", "__version__"]
