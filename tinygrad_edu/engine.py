"""The engine: ``Value`` nodes that remember their parents and local gradients, and ``backward``.

Every operation makes one node holding its value, its (at most two) parents and the local
derivative of the node with respect to each parent, all from the op table (``ops.py``).
``backward`` walks the graph once, from the output down, and applies the chain rule as the
slides write it: ``v̄_parent += v̄_node × ∂node/∂parent``, upstream gradient times local
gradient, summed over every use of a node ("copy gate: gradient adder").

``Value``'s operators and methods are bound from the rows of the table in one loop, which
``ops.register`` runs again for an op added later (``x.atan()``). Nodes keep parents and local
gradients in their own slots, not in tuples or closures: fewer objects for the garbage
collector to track, and no reference cycles.
"""
from __future__ import annotations

import inspect

from .checks import as_number, real, shown
from .ops import OPS, OpError, on_register
from .recording import collector_paused, is_recording, no_grad, switch

__all__ = ["Value", "Constant", "no_grad", "is_recording", "topological_order",
           "reverse_topological_order", "collector_paused"]


def _as_float(x, what="Value()"):
    """``x`` as a float (booleans are 0 and 1: the policy of ``checks``), else a TypeError."""
    return x if type(x) is float else real(x, what)  # the float test inline: the common case


class Value:
    """A scalar in a computation graph: ``data`` (v), ``grad`` (v̄), and how it was made.

    ``op`` names the op-table row that produced it ("" for an input or parameter: a leaf), and
    :attr:`parents` and :attr:`local_grads` are its edges. ``label`` is a name for pictures and
    tables. Booleans are accepted as numbers (True → 1.0), as Python's own arithmetic does.
    """

    __slots__ = ("data", "grad", "label", "op", "_parent0", "_local0", "_parent1", "_local1")

    def __init__(self, data, label=""):
        self.data = _as_float(data)
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self._parent0 = None
        self._local0 = 0.0
        self._parent1 = None
        self._local1 = 0.0

    # ------------------------------------------------------------------ reading the graph
    @property
    def parents(self) -> tuple:
        """The nodes this one was computed from, in operand order (empty for a leaf)."""
        return (self._parent0, self._parent1)[:self._arity()]

    @property
    def local_grads(self) -> tuple:
        """∂self/∂parent for each parent, in the same order as ``parents``."""
        return (self._local0, self._local1)[:self._arity()]

    def _arity(self) -> int:
        return 0 if self._parent0 is None else 1 if self._parent1 is None else 2

    @property
    def is_leaf(self) -> bool:
        """An input, parameter or constant: no parents, so its ``grad`` accumulates."""
        return self._parent0 is None

    # ------------------------------------------------------------------ the chain rule
    def backward(self, grad=1.0) -> None:
        """Reverse mode from this node: every node's ``grad`` becomes ∂self/∂node × ``grad``.

        Interior nodes get this pass's adjoint, computed fresh; leaves (inputs, parameters)
        accumulate across calls as in PyTorch, so calling it twice doubles leaf gradients.
        Iterative and linear in the size of the graph.
        """
        seed = _as_float(grad, "backward(grad=...)")
        with collector_paused():
            order, leaves = _interior_and_leaves(self)
            kept = [leaf.grad for leaf in leaves]  # what earlier passes left in the leaves
            for node in order:
                node.grad = 0.0
            for leaf in leaves:
                leaf.grad = 0.0
            self.grad += seed
            for node in order:  # each node's adjoint is complete before it is passed on
                upstream = node.grad
                node._parent0.grad += node._local0 * upstream
                parent = node._parent1
                if parent is not None:
                    parent.grad += node._local1 * upstream
            for leaf, before in zip(leaves, kept):  # add this pass's v̄ once: two passes double
                leaf.grad = before + leaf.grad

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on this node and every node below it."""
        for node in reverse_topological_order(self):
            node.grad = 0.0

    def detach(self) -> "Value":
        """A new leaf with the same value and label, cut off from this node's history."""
        return Value(self.data, self.label)

    # ------------------------------------------------------------------ plain Python
    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        text = f"Value({_short(self.data)}, grad={_short(self.grad)}"
        if self.op:
            text += f", op={self.op!r}"
        if self.label:
            text += f", label={self.label!r}"
        return text + ")"

    # comparisons look at data and record nothing; == stays identity (Values are dict keys)
    def __lt__(self, other):
        return self.data < _data_of(other)

    def __le__(self, other):
        return self.data <= _data_of(other)

    def __gt__(self, other):
        return self.data > _data_of(other)

    def __ge__(self, other):
        return self.data >= _data_of(other)


class Constant(Value):
    """A plain number that took part in an operation (the 3 in ``x * 3``): a leaf, which
    traces and pictures write as a number instead of numbering it as an input."""

    __slots__ = ()


def _short(x: float) -> str:
    text = f"{x:.5g}"
    return text if any(c in text for c in ".en") else text + ".0"


def _data_of(other) -> float:
    return other.data if isinstance(other, Value) else real(other, "comparison with a Value")


# ---------------------------------------------------------------- operators from the op table
# A node is made with object.__new__ and its slots filled in place: __init__'s checks (the op
# table gave a float) and the call through the class cost a third of the time of recording an
# op. The two node-building blocks below (unary, binary) repeat those eight lines on purpose:
# a shared helper would cost one more call per op.
_new = object.__new__


def _unary(op):
    name, forward = op.name, op.forward

    def method(self):
        try:
            out, local = forward(self.data)
        except OpError as err:
            raise err.again(operands=(self,)) from None  # nothing was recorded
        if not switch.recording:  # inside no_grad(): a value, no graph
            return Value(out)
        node = _new(Value)
        node.data = out
        node.grad = 0.0
        node.label = ""
        node.op = name
        node._parent0 = self
        node._local0 = local
        node._parent1 = None
        node._local1 = 0.0
        return node

    return _named(method, op)


def _binary(op, reflected: bool = False, dunder: bool = True):
    """``self (op) other``; ``reflected`` for ``other (op) self`` with a number on the left.

    A plain-number operand becomes a ``Constant``. Its local gradient is kept (∂(x·3)/∂3 = x)
    unless it is nan, which becomes 0: nobody asked for it, and for ``x ** 2`` at x < 0 the
    slope in the exponent, x² ln x, is nan and would only fill the constant's ``grad`` with nan.
    """
    name, forward = op.name, op.forward

    def method(self, other):
        number_given = False
        if not isinstance(other, Value):
            number_given = True
            number = other if type(other) is float else as_number(other)
            if number is None:
                if dunder:
                    return NotImplemented  # Python then names the unsupported operand types
                raise TypeError(f"{name}: needs a Value or a real number, got {shown(other)}")
            other = Constant(number)
        a, b = self, other
        if reflected:
            a, b = other, self
        try:
            out, local_a, local_b = forward(a.data, b.data)
        except OpError as err:
            raise err.again(operands=(a, b)) from None  # nothing was recorded
        if number_given:
            if reflected:
                if local_a != local_a:
                    local_a = 0.0
            elif local_b != local_b:
                local_b = 0.0
        if not switch.recording:  # inside no_grad(): a value, no graph
            return Value(out)
        node = _new(Value)
        node.data = out
        node.grad = 0.0
        node.label = ""
        node.op = name
        node._parent0 = a
        node._local0 = local_a
        node._parent1 = b
        node._local1 = local_b
        return node

    return _named(method, op)


def _named(method, op):
    """``method`` named and documented after its row (``Value.tanh``, for help and errors)."""
    method.__name__ = op.method or f"__{op.operator}__"
    method.__qualname__ = f"Value.{method.__name__}"
    x = ("x", "y")[:op.arity]
    local = ", ".join(f"∂/∂{n} = {op.write_local(i, x, 'out')}" for i, n in enumerate(x))
    method.__doc__ = f"out = {op.write(*x)}, {op.doc}: one '{op.name}' node; {local}."
    return method


def _keyword_method(op, method):
    """``method(self, other)`` with the second operand also passed by the row's name for it
    (``keyword``) and defaulting to the row's ``default``: ``x.leaky_relu()``,
    ``x.leaky_relu(0.2)``, ``x.leaky_relu(alpha=0.2)``. A call by keyword is bound by Python's
    own rules (``inspect.Signature``, which ``help`` shows too); the others go straight on."""
    P = inspect.Parameter
    default = () if op.default is None else (op.default,)
    second = P(op.keyword, P.POSITIONAL_OR_KEYWORD, default=op.default if default else P.empty)
    signature = inspect.Signature([P("self", P.POSITIONAL_ONLY), second])

    def with_keyword(self, *other, **by_name):
        if by_name:
            try:
                other = signature.bind(self, *other, **by_name).args[1:]
            except TypeError as err:
                raise TypeError(f"{method.__qualname__}(): {err}") from None
        return method(self, *(other or default))

    with_keyword.__signature__ = signature
    return _named(with_keyword, op)


def _bind(op) -> None:
    """Give ``Value`` the op's method and operator; a name that is taken is refused before
    anything changes."""
    binary = op.arity == 2
    functions = {}
    if op.operator:
        functions[f"__{op.operator}__"] = _binary(op) if binary else _unary(op)
        if binary:
            functions[f"__r{op.operator}__"] = _binary(op, reflected=True)
    if op.method:
        method = _binary(op, dunder=False) if binary else _unary(op)
        if binary and (op.keyword != "other" or op.default is not None):
            method = _keyword_method(op, method)
        functions[op.method] = method
    for attribute in functions:
        if hasattr(Value, attribute):
            raise ValueError(f"register({op.name!r}): method: Value.{attribute} exists already")
    for attribute, function in functions.items():
        setattr(Value, attribute, function)


for _op in list(OPS.values()):  # the built-in ops, bound the way register binds a new one
    _bind(_op)
on_register(_bind)


# ---------------------------------------------------------------- walking the graph
def reverse_topological_order(root: Value, leaves: bool = True) -> list:
    """Every node below ``root``, each one before its parents: the order backward runs in.

    So when backward reaches a node, its adjoint v̄ has received all of its contributions.
    The nodes operations made come first, then (unless ``leaves=False``) the leaves.
    """
    interior, leaf_nodes = _interior_and_leaves(root)
    return interior + leaf_nodes if leaves else interior


def _interior_and_leaves(root: Value):
    """(the op-made nodes below ``root`` in reverse topological order, the leaves below it).

    A depth-first walk lists a node once all of its parents are listed; the list reversed
    puts every node after all the nodes that use it. Leaves are collected on the side, in
    the order first met. Iterative (an explicit stack), so a 10^6-node chain is no problem.
    """
    if root._parent0 is None:
        return [], [root]
    visited, order, leaves = set(), [], []
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None:            # the marker pushed below: all of this node's parents are listed
            order.append(stack.pop())
        elif node not in visited:
            visited.add(node)
            stack.append(node)
            stack.append(None)
            for parent in (node._parent0, node._parent1):
                if parent is None:
                    break
                if parent not in visited:
                    if parent._parent0 is not None:
                        stack.append(parent)
                    else:
                        visited.add(parent)
                        leaves.append(parent)
    order.reverse()
    return order, leaves


def topological_order(root: Value) -> list:
    """Every node below ``root``, each one after its parents (inputs first)."""
    return reverse_topological_order(root)[::-1]
