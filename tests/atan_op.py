"""An op that is not built in — atan — registered the way a user would register one.

``conftest.py`` registers it before the tests are collected, so every test that iterates over
the op table (the property tests, the tape's random programs, the parser's fuzzing) checks it
too, and the ``atan_op`` fixture hands the row to tests that check one place by hand.
"""
import math

from tinygrad_edu.ops import OPS, Op, register


def _atan(a):
    return math.atan(a), 1.0 / (1.0 + a * a)


def _d_atan(xs, out, call):
    (a,) = xs
    return (1.0 / (1.0 + a * a),)


ATAN = Op(name="atan", symbol="atan", forward=_atan, notation="atan {0}",
          local=("1 / (1 + {0}²)",), call_names=("atan",), method="atan",
          domain=((-3.0, 3.0),), doc="inverse tangent", derivative=_d_atan,
          latex=r"\arctan {0}")


def torch_atan(torch, a):
    """PyTorch's reference, for the tests that compare every op with PyTorch."""
    return torch.atan(a)


def registered() -> Op:
    """ATAN, in the table: registered on the first call, found on later ones."""
    if OPS.get("atan") is not ATAN:
        register(ATAN)
    return ATAN
