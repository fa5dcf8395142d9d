"""Bad input gives a clear error at the operation that caused it, and nothing half-done.

SPEC's error list: an undefined forward value raises an ``OpError`` naming the op and the
operand; an undefined derivative is stored as PyTorch gives it (inf or nan) without error.
"""
import gc
import math

import pytest
from conftest import need

from tinygrad_edu import DivisionByZero, DomainError, OpError, OpOverflow, Value, no_grad
from tinygrad_edu.engine import is_recording


def value_children(node):
    """Values that hold ``node`` as a parent (found through the garbage collector)."""
    gc.collect()
    return [r for r in gc.get_referrers(node) if isinstance(r, Value)]


def shows(message, number):
    """The message shows the number, written with an ASCII or a true minus sign."""
    text = f"{number:g}"
    return text in message or text.replace("-", "−") in message


# (case id, operands, the failing operation, error class, op name, value the message names)
UNDEFINED = [
    ("log of 0", [0.0], lambda x: x.log(), DomainError, "ln", 0.0),
    ("log of negative", [-2.0], lambda x: x.log(), DomainError, "ln", -2.0),
    ("sqrt of negative", [-4.0], lambda x: x.sqrt(), DomainError, "sqrt", -4.0),
    ("Value / Value(0)", [3.0, 0.0], lambda x, y: x / y, DivisionByZero, "/", 3.0),
    ("1 / Value(0)", [0.0], lambda x: 1 / x, DivisionByZero, "/", 1.0),
    ("Value(1) / 0", [1.0], lambda x: x / 0, DivisionByZero, "/", 1.0),
    ("negative ** non-integer", [-8.0], lambda x: x ** (1 / 3), DomainError, "**", -8.0),
    ("negative ** Value(0.5)", [-2.0, 0.5], lambda x, p: x ** p, DomainError, "**", -2.0),
    ("0 ** negative", [0.0], lambda x: x ** -1, DivisionByZero, "**", -1.0),
    ("0 ** Value(negative)", [0.0, -2.0], lambda x, p: x ** p, DivisionByZero, "**", -2.0),
    ("exp overflow", [1000.0], lambda x: x.exp(), OpOverflow, "exp", 1000.0),
    ("pow overflow", [1e200], lambda x: x ** 2, OpOverflow, "**", 1e200),
    ("number ** Value overflow", [400.0], lambda p: 10 ** p, OpOverflow, "**", 400.0),
]


@pytest.mark.parametrize("case, xs, fn, error, op, shown", UNDEFINED,
                         ids=[c[0] for c in UNDEFINED])
def test_undefined_forward_value_raises_clear_error(case, xs, fn, error, op, shown):
    leaves = [Value(x) for x in xs]
    with pytest.raises(error) as info:
        fn(*leaves)
    message = str(info.value)
    assert isinstance(info.value, OpError)
    assert message.startswith(f"{op}:"), f"{case}: the message names the op first: {message}"
    assert shows(message, shown), f"{case}: the message names the operand {shown}: {message}"


def test_error_classes_are_the_standard_ones():
    assert issubclass(DomainError, ValueError) and issubclass(DomainError, OpError)
    assert issubclass(DivisionByZero, ZeroDivisionError) and issubclass(DivisionByZero, OpError)
    assert issubclass(OpOverflow, OverflowError) and issubclass(OpOverflow, OpError)


@pytest.mark.parametrize("case, xs, fn, error, op, shown", UNDEFINED,
                         ids=[c[0] for c in UNDEFINED])
def test_failed_operation_leaves_the_graph_untouched(case, xs, fn, error, op, shown):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    probe = leaves[0] * 1.0  # a graph that existed before the failure ...
    probe.backward()
    before = [(v.data, v.grad, v.parents, v.local_grads) for v in (*leaves, probe)]
    children = [len(value_children(v)) for v in leaves]
    with pytest.raises(error):
        fn(*leaves)
    after = [(v.data, v.grad, v.parents, v.local_grads) for v in (*leaves, probe)]
    assert after == before
    assert [len(value_children(v)) for v in leaves] == children  # no new node uses them
    assert is_recording()


def test_failure_inside_no_grad_restores_recording():
    with pytest.raises(DomainError):
        with no_grad():
            Value(-1.0).sqrt()
    assert is_recording()


def test_failure_in_the_middle_of_an_expression_keeps_earlier_nodes_intact():
    x = Value(2.0)
    h = x * 3.0 - 6.0  # h = 0
    with pytest.raises(DomainError) as info:
        (h + x).sin() * h.log()
    assert "ln" in str(info.value) and h.data == 0.0 and h.grad == 0.0 and x.grad == 0.0


# ---------------------------------------------------------------- value exists, derivative not
def torch_grads(torch, fn, xs):
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    y = fn(*ts)
    y.backward()
    return y.item(), [t.grad.item() for t in ts]


EDGES = [
    ("sqrt at 0", [0.0], lambda x: x.sqrt(), lambda t, x: t.sqrt(x)),
    ("x ** 0.5 at 0", [0.0], lambda x: x ** 0.5, lambda t, x: t.pow(x, 0.5)),
    ("x ** 1.5 at 0", [0.0], lambda x: x ** 1.5, lambda t, x: t.pow(x, 1.5)),
    ("0 ** Value(2)", [0.0, 2.0], lambda x, p: x ** p, lambda t, x, p: t.pow(x, p)),
    ("0 ** Value(0)", [0.0, 0.0], lambda x, p: x ** p, lambda t, x, p: t.pow(x, p)),
    ("0 ** Value(0.5)", [0.0, 0.5], lambda x, p: x ** p, lambda t, x, p: t.pow(x, p)),
    ("(−2) ** Value(2)", [-2.0, 2.0], lambda x, p: x ** p, lambda t, x, p: t.pow(x, p)),
    ("(−2) ** Value(3)", [-2.0, 3.0], lambda x, p: x ** p, lambda t, x, p: t.pow(x, p)),
    ("abs at 0", [0.0], lambda x: x.abs(), lambda t, x: t.abs(x)),
]


@pytest.mark.parametrize("case, xs, fn, torch_fn", EDGES, ids=[c[0] for c in EDGES])
def test_undefined_derivative_is_stored_like_pytorch(case, xs, fn, torch_fn):
    torch = need("torch")
    leaves = [Value(x) for x in xs]
    y = fn(*leaves)  # no error
    y.backward()  # no error either: inf and nan are just numbers here
    value, grads = torch_grads(torch, lambda *ts: torch_fn(torch, *ts), xs)
    assert y.data == value
    got = [leaf.grad for leaf in leaves]
    assert [math.isnan(g) for g in got] == [math.isnan(g) for g in grads], f"{case}: {got}"
    assert [g for g in got if not math.isnan(g)] == [g for g in grads if not math.isnan(g)]


def test_tiny_divisor_is_not_a_division_by_zero():
    torch = need("torch")
    a, b = Value(1.0), Value(1e-200)
    y = a / b  # 1e200 is a float: the forward value exists
    y.backward()
    value, grads = torch_grads(torch, lambda x, z: x / z, [1.0, 1e-200])
    assert y.data == value and [a.grad, b.grad] == grads  # ∂/∂b = −inf, as PyTorch


def test_sqrt_at_zero_has_an_infinite_local_gradient():
    y = Value(0.0).sqrt()
    assert y.data == 0.0 and y.local_grads == (math.inf,)


def test_negative_base_to_value_power_has_nan_exponent_gradient():
    x, p = Value(-2.0), Value(2.0)
    y = x ** p
    assert y.data == 4.0 and y.local_grads[0] == -4.0 and math.isnan(y.local_grads[1])


# ---------------------------------------------------------------- stable activations
@pytest.mark.parametrize("x", [1000.0, -1000.0, 745.0, -745.0, 50.0, -50.0])
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softplus"])
def test_saturating_activations_never_overflow(name, x):
    torch = need("torch")
    v = Value(x)
    y = getattr(v, name)()
    y.backward()
    torch_fn = {"sigmoid": torch.sigmoid, "tanh": torch.tanh,
                "softplus": torch.nn.functional.softplus}[name]
    value, (grad,) = torch_grads(torch, torch_fn, [x])
    assert math.isfinite(y.data) and math.isfinite(v.grad)
    assert y.data == pytest.approx(value, rel=1e-15, abs=1e-300)
    assert v.grad == pytest.approx(grad, rel=1e-12, abs=1e-300)


def test_saturated_values_at_thousand():
    assert Value(1000.0).sigmoid().data == 1.0 and Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).tanh().data == 1.0 and Value(-1000.0).tanh().data == -1.0
    assert Value(1000.0).softplus().data == 1000.0 and Value(-1000.0).softplus().data == 0.0
    assert Value(-1000.0).softplus().local_grads == (0.0,)
    assert Value(1000.0).softplus().local_grads == (1.0,)


# ---------------------------------------------------------------- not a number at all
@pytest.mark.parametrize("bad, type_name", [("abc", "str"), (None, "NoneType"),
                                            (1j, "complex"), ([1], "list")])
def test_value_of_a_non_number_is_a_type_error_naming_the_type(bad, type_name):
    with pytest.raises(TypeError) as info:
        Value(bad)
    assert type_name in str(info.value)


def test_value_of_a_value_is_refused():
    with pytest.raises(TypeError, match="Value"):
        Value(Value(1.0))


@pytest.mark.parametrize("make", [lambda v: v + "a", lambda v: "a" + v, lambda v: v * None,
                                  lambda v: v / [2], lambda v: v ** "2", lambda v: v - 1j],
                         ids=["v + str", "str + v", "v * None", "v / list", "v ** str",
                              "v - complex"])
def test_operator_with_a_non_number_is_a_type_error(make):
    v = Value(1.0)
    with pytest.raises(TypeError) as info:
        make(v)
    assert "Value" in str(info.value)
    assert value_children(v) == []


@pytest.mark.parametrize("method", ["max", "min", "leaky_relu"])
def test_method_with_a_non_number_is_a_type_error(method):
    with pytest.raises(TypeError) as info:
        getattr(Value(1.0), method)("a")
    assert "str" in str(info.value)


def test_backward_seed_must_be_a_number():
    with pytest.raises(TypeError, match="str"):
        Value(1.0).exp().backward("1")


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


@pytest.mark.parametrize("make", [lambda: Value(10 ** 400), lambda: Value(1.0) * 10 ** 5000,
                                  lambda: 10 ** 400 - Value(1.0)])
def test_an_integer_too_large_for_a_float_is_refused_clearly(make):
    with pytest.raises(OverflowError, match="too large for a float"):
        make()
