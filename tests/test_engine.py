"""The engine's promises: one node per op, bound from the table; backward's chain rule.

Copy gates add, backward is linear in the seed, a second backward doubles the leaves and
refreshes the interior, a 10^6-node chain works, ``detach`` cuts the history; Values behave as
plain Python expects (comparisons, hashing, repr). ``no_grad`` is tested in test_recording.py,
bad input in test_bad_input.py, the slides' worked examples in test_slides_engine.py.
"""
import gc
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import FLOAT, programs, value_fn

from tinygrad_edu import OPS, Constant, Value, no_grad
from tinygrad_edu.engine import topological_order


def value_children(node):
    """Values that hold ``node`` as a parent (found through the garbage collector)."""
    gc.collect()
    return [r for r in gc.get_referrers(node) if isinstance(r, Value)]


# ---------------------------------------------------------------- one node per op, from the table
@pytest.mark.parametrize("name", list(OPS))
def test_every_op_is_bound_from_its_row_and_makes_one_node(name):
    op = OPS[name]
    assert op.method or op.operator, f"{name}: neither a Value method nor an operator"
    operands = [Value((lo + hi) / 2) for lo, hi in op.domain]
    node = value_fn(op)(*operands)
    value, *local = op.forward(*(v.data for v in operands))
    assert (node.op, node.parents, node.data, list(node.local_grads)) == \
        (name, tuple(operands), value, local)
    if op.operator and op.arity == 2:           # a number on the left: the reflected operator
        reflected = getattr(Value, f"__r{op.operator}__")(operands[1], operands[0].data)
        assert reflected.op == name and type(reflected.parents[0]) is Constant
        assert reflected.parents[1] is operands[1] and reflected.data == value


@given(programs())
def test_the_engine_computes_what_the_op_tables_float_math_computes(program):
    _, y = program.values()
    assert y.data == program.build(program.point, FLOAT)


def test_a_method_default_lives_in_the_row():
    assert Value(-2.0).leaky_relu().data == -2.0 * OPS["leaky_relu"].default
    assert Value(-2.0).leaky_relu(alpha=0.5).data == -1.0
    assert Value(-2.0).leaky_relu(0.25).data == -0.5


def test_a_plain_number_operand_keeps_its_local_gradient_unless_it_is_nan():
    x = Value(2.0)
    assert (x * 3).local_grads == (3.0, 2.0)            # ∂(x·3)/∂3 = x
    assert (Value(-2.0) ** 2).local_grads == (-4.0, 0.0)  # x² ln x is nan at x < 0: nobody asked


# ---------------------------------------------------------------- backward: the chain rule
def test_copy_gate_shared_interior_node_adds_its_paths():
    x, w = Value(0.7), Value(-1.3)
    a = x * w  # used three times below
    b = a.sin()
    c = a * b + a
    c.backward()
    av = 0.7 * -1.3
    dc_da = math.sin(av) + av * math.cos(av) + 1.0  # ∂(a·b)/∂a via b, via a, and the "+ a"
    assert a.grad == pytest.approx(dc_da, rel=1e-14)
    assert x.grad == pytest.approx(dc_da * -1.3, rel=1e-14)
    assert w.grad == pytest.approx(dc_da * 0.7, rel=1e-14)


@given(x=st.floats(-3, 3), copies=st.integers(1, 30))
def test_copy_gate_sum_of_copies(x, copies):
    v = Value(x)
    u = v.tanh()
    total = u
    for _ in range(copies - 1):
        total = total + u
    total.backward()
    assert u.grad == copies
    assert v.grad == pytest.approx(copies * (1 - math.tanh(x) ** 2), rel=1e-12)


def scale(y, attr="data"):
    return 1.0 + max(abs(getattr(n, attr)) for n in topological_order(y))


seeds = st.one_of(st.just(0.0), st.floats(1e-3, 10.0), st.floats(-10.0, -1e-3))  # no subnormals


@given(program=programs(), seed=seeds)
def test_backward_is_linear_in_the_seed(program, seed):
    leaves1, y1 = program.values()
    leaves2, y2 = program.values()
    y1.backward()
    y2.backward(seed)
    assert y2.grad == seed
    cancellation = 1e-12 * abs(seed) * scale(y1, "grad")  # paths that cancel leave roundoff
    for a, b in zip(leaves1, leaves2):
        assert b.grad == pytest.approx(seed * a.grad, rel=1e-12, abs=cancellation)


@given(programs())
def test_second_backward_doubles_leaves_and_refreshes_interior(program):
    _, y = program.values()
    nodes = topological_order(y)
    y.backward()
    first = [n.grad for n in nodes]
    y.backward()
    for node, g in zip(nodes, first):
        if node.parents:
            assert node.grad == g, f"interior {node!r}: this pass's adjoint, not a sum"
        else:  # each pass adds its whole v̄ once, so shared leaves double exactly too
            assert node.grad == 2 * g or (g != g and node.grad != node.grad), \
                f"leaf {node!r} accumulates across passes"


def test_second_backward_exactly_doubles_a_leaf_used_twice():
    x = Value(1.0)
    y = x * 0.2 + x * 0.1  # two paths into x: its adjoint is a sum
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad == 2 * first


def test_interior_adjoint_is_this_pass_when_a_node_joins_a_new_graph():
    x = Value(3.0)
    h = x * x
    y = h * 2.0
    y.backward()
    assert (h.grad, x.grad) == (2.0, 12.0)
    z = h * 5.0  # the same interior node in a second graph
    z.backward()
    assert h.grad == 5.0  # this pass's adjoint only
    assert x.grad == 12.0 + 30.0


def test_backward_on_a_million_node_chain():
    x, one = Value(0.5), Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + one
    y.backward()
    assert y.data == 0.5 + 1_000_000
    assert x.grad == 1.0
    assert one.grad == 1_000_000.0  # the copy gate, a million times


def test_backward_on_a_deep_chain_of_unary_ops():
    x = Value(0.3)
    y = x
    for _ in range(200_000):
        y = -y
    y.backward()
    assert (y.data, x.grad) == (0.3, 1.0)


def test_graph_recorded_before_no_grad_still_backpropagates():
    x = Value(2.0)
    y = x * x
    with no_grad():
        y.backward()
    assert x.grad == 4.0


def test_detach_cuts_the_history():
    x = Value(3.0, label="x")
    d = (x * 2.0).detach()
    assert d.data == 6.0 and d.parents == () and d.op == ""
    y = x * x.detach()  # the stop-gradient: only one path reaches x
    y.backward()
    assert x.grad == 3.0  # not 2x = 6
    z = x.detach()
    assert z is not x and z.data == x.data and z.label == x.label and z.grad == 0.0


# ---------------------------------------------------------------- plain Python behaviour
def test_comparisons_return_bool_and_record_nothing():
    a, b = Value(2.0), Value(3.0)
    results = [a < b, a <= b, a > b, a >= b, a < 3, 1 < a, a >= 2.0, b > 2]
    assert results == [True, True, False, False, True, True, True, True]
    assert all(type(r) is bool for r in results)
    assert value_children(a) == [] and value_children(b) == []


def test_comparing_with_a_non_number_is_a_type_error():
    with pytest.raises(TypeError):
        Value(1.0) < "a"


def test_equality_is_identity_and_values_are_hashable():
    a, b = Value(1.0), Value(1.0)
    assert a == a and not (a == b) and a != b
    assert not (a == 1.0)
    assert len({a, b}) == 2
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"


def test_bools_convert_to_one_and_zero():
    assert Value(True).data == 1.0 and type(Value(True).data) is float
    assert Value(False).data == 0.0
    assert (Value(2.0) + True).data == 3.0
    assert "bool" in Value.__doc__.lower()  # the choice is documented


def test_ints_are_stored_as_floats():
    v = Value(3)
    assert v.data == 3.0 and type(v.data) is float and float(v) == 3.0


def test_repr_is_short_and_readable():
    x1, x2 = Value(2.0), Value(5.0)
    y = x1.log() + x1 * x2 - x2.sin()
    y.backward()
    assert repr(y) == "Value(11.652, grad=1.0, op='−')"
    assert repr(Value(2.0)) == "Value(2.0, grad=0.0)"
    assert "label='w'" in repr(Value(0.5, label="w"))
