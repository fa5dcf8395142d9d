"""tinygrad_edu: a scalar reverse-mode autodiff engine that shows its work, as the slides do."""
from .engine import Value, Constant, no_grad
from .ops import OPS, OpError, DomainError, DivisionByZero, OpOverflow
from .trace import trace

__version__ = "0.1.0"
