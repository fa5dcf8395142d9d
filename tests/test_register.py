"""``register``: a new op in one place works everywhere the op table is read.

``atan`` is not built in; conftest registers it (``atan_op.py``) before collection, so the
property tests of test_ops_properties and test_higher cover it like any built-in op. This
file checks the places one by one, and that a bad row is refused with a message naming the
field that is wrong.
"""
import contextlib
import dataclasses
import math
import pathlib
import re

import pytest

from tinygrad_edu import OPS, Value
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.higher import grad, hessian
from tinygrad_edu.ops import CALLS, Op, register

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def test_the_registered_op_is_in_the_tables(atan_op):
    assert OPS["atan"] is atan_op and CALLS["atan"] is atan_op
    assert atan_op.arity == 1 and atan_op.method == "atan"


def test_value_method_and_backward(atan_op):
    x = Value(0.5)
    y = x.atan()
    assert (y.op, y.parents, y.data) == ("atan", (x,), math.atan(0.5))
    y.backward()
    assert x.grad == 1 / (1 + 0.25)


def test_gradients_of_gradients(atan_op):
    x = Value(0.5)
    slope = grad(x.atan(), x, create_graph=True)
    assert slope.data == pytest.approx(0.8, rel=1e-15)
    # d²/dx² atan x = −2x / (1 + x²)²
    assert grad(slope, x) == pytest.approx(-1.0 / 1.5625, rel=1e-12)
    assert hessian(lambda v: v.atan() * v, [0.5])[0][0] == pytest.approx(
        2 / 1.25 - 2 * 0.5 * 0.5 / 1.5625, rel=1e-12)


def test_gradcheck(atan_op):
    assert gradcheck(lambda a, b: (a * b).atan() + a.atan(), [0.3, -1.7])


# ---------------------------------------------------------------- refusals name the field
def row(**changes):
    fields = dict(name="atan2x", symbol="atan2x", forward=lambda a: (math.atan(2 * a), 0.0),
                  notation="atan2x {0}", local=("0",), domain=((-1.0, 1.0),),
                  derivative=lambda xs, out, call: (0.0,), method="atan2x")
    fields.update(changes)
    return Op(**fields)


@pytest.mark.parametrize("changes, field", [
    (dict(name="sin", method="sin2"), "name"),
    (dict(local=("0", "0")), "domain"),
    (dict(local=("0", "0"), domain=((0, 1), (0, 1))), "notation"),
    (dict(notation="f({0}, {1})"), "notation"),
    (dict(local=("{1}",)), "local"),
    (dict(local=()), "local"),
    (dict(domain=((0.0, 1.0), (0.0, 1.0))), "domain"),
    (dict(forward=lambda a, b: (a, 1.0, 1.0)), "forward"),
    (dict(forward=lambda a: a), "forward"),
    (dict(derivative=lambda xs, out, call: (0.0, 0.0)), "derivative"),
    (dict(derivative=None), "derivative"),
    (dict(method="exp"), "method"),
    (dict(method="backward"), "method"),
    (dict(call_names=("ln",)), "call_names"),
    (dict(default=0.5), "default"),
    (dict(method=None), "method"),
    (dict(method=None, operator="+"), "operator"),
    (dict(method=None, operator="add"), "operator"),
], ids=lambda x: x if isinstance(x, str) else ",".join(x))
def test_a_bad_row_is_refused_naming_the_field_and_nothing_is_added(changes, field):
    before = (dict(OPS), dict(CALLS), set(dir(Value)))
    with pytest.raises(ValueError, match=rf"register\(.*\): {field}:"):
        register(row(**changes))
    assert (dict(OPS), dict(CALLS), set(dir(Value))) == before


def test_registering_atan_twice_is_refused(atan_op):
    with pytest.raises(ValueError, match="exists already"):
        register(dataclasses.replace(atan_op))
    with pytest.raises(TypeError, match="needs an Op"):
        register("atan")


# ---------------------------------------------------------------- the README's example
@contextlib.contextmanager
def without(op):
    """The table and Value as if ``op`` had never been registered; put back afterwards."""
    method = getattr(Value, op.method)
    del OPS[op.name], Value.atan
    for name in op.call_names:
        del CALLS[name]
    try:
        yield
    finally:
        for name in list(CALLS):
            if CALLS[name].name == op.name:
                del CALLS[name]
        OPS[op.name] = op
        CALLS.update({name: op for name in op.call_names})
        setattr(Value, op.method, method)


def test_the_readme_example_registers_atan_from_nothing(atan_op, capsys):
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Extending the engine"):]
    block = re.search(r"```py\n(.*?)```", section, re.S).group(1)
    with without(atan_op):
        assert "atan" not in OPS and not hasattr(Value, "atan")
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})  # noqa: S102
        assert OPS["atan"] is not atan_op and OPS["atan"].forward(0.5)[0] == math.atan(0.5)
    assert capsys.readouterr().out.strip() == "0.8"
    assert OPS["atan"] is atan_op and CALLS["atan"] is atan_op


# ---------------------------------------------------------------- every place that reads the table
def test_trace_picture_tape_forward_mode_and_parser_know_it(atan_op):
    from tinygrad_edu import compile, jvp, trace
    from tinygrad_edu.expr import parse
    from tinygrad_edu.viz import to_dot

    def f(v):
        return v.atan() * v

    x = Value(0.5, label="x")
    y = f(x)
    table = trace(y)
    assert [row.expr for row in table.forward][1] == "atan v0"
    assert "v̄1 × (1 / (1 + v0²))" in [row.expr for row in table.adjoint][3]
    assert "atan" in to_dot(y)
    slope = math.atan(0.5) + 0.5 * 0.8                       # d/dx x·atan x
    assert jvp(f, [0.5], [1.0]) == (y.data, pytest.approx(slope, rel=1e-15))
    tape = compile(f, 0.5)
    assert tape(0.5) == y.data
    tape.backward()
    assert tape.input_grads() == [pytest.approx(slope, rel=1e-15)]
    root, _ = parse("atan(x) * x").evaluate({"x": 0.5})
    assert root.data == y.data and root.parents[0].op == "atan"


def test_an_array_form_that_is_not_callable_is_refused():
    row = dataclasses.replace(OPS["tanh"], name="tanh_array_check", call_names=(),
                              method="tanh_array_check", operator=None, array="np.tanh")
    with pytest.raises(ValueError, match=r"register\('tanh_array_check'\): array: a function"):
        register(row)
    assert "tanh_array_check" not in OPS
