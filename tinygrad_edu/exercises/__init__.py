"""Checked exercises: a learner's engine, local gradients and hand-filled traces, compared with
tinygrad_edu (the reference) and explained in the slides' words.

Each checker returns a :class:`Report` that is truthy only when everything passed.
``check_engine(MyValue)`` runs a micrograd-style class on the slide expression, on nodes used
more than once, on a 5,000-node chain and on random expression graphs with shared parts; when
a case fails it shrinks it to the smallest failing sub-expression and names the classic
mistake behind the symptom — ``=`` where ``+=`` belongs (the copy gate is a gradient
*adder*), a flipped sign in a local derivative, a recursive backward. The others check a
learner's local derivative (``check_local_gradient``) and numbers worked out by hand
(``check_adjoint_trace``, ``check_forward_trace``, ``check_gradients``, ``check_answer``).

A checker given a blank exercise (``...`` or ``None``, or a function that returns ``...`` or
raises ``NotImplementedError``) reports "not done yet: …" instead of raising, so a notebook of
blank exercises runs top to bottom.
"""
from .by_hand import check_adjoint_trace, check_answer, check_forward_trace, check_gradients
from .engine_check import check_engine
from .local import check_local_gradient, check_new_op
from .report import Failure, Report

__all__ = ["check_engine", "check_local_gradient", "check_adjoint_trace",
           "check_forward_trace", "check_gradients", "check_answer", "check_new_op", "Report",
           "Failure"]
