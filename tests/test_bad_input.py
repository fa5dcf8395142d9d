"""Bad input gives a clear error at the operation that caused it, and nothing half-done.

SPEC's error list: an undefined forward value raises an ``OpError`` naming the op and the
operand; an undefined derivative is stored as PyTorch gives it (inf or nan) without error.
"""
import gc
import math
import pickle

import pytest
from conftest import need
from hypothesis import given
from hypothesis import strategies as st
from strategies import value_fn

from tinygrad_edu import (
    OPS,
    DivisionByZero,
    DomainError,
    OpError,
    OpOverflow,
    Value,
    checks,
    data,
    nn,
    no_grad,
    optim,
)
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


@pytest.mark.parametrize("make", [lambda: Value(10 ** 400), lambda: Value(1.0) * 10 ** 5000,
                                  lambda: 10 ** 400 - Value(1.0)])
def test_an_integer_too_large_for_a_float_is_refused_clearly(make):
    with pytest.raises(OverflowError, match="too large for a float"):
        make()


HUGE = 10 ** 5000       # Python refuses to write an int of more than 4,300 digits


@pytest.mark.parametrize("call, words", [
    (lambda: data.make(HUGE), "xor, spirals, blobs, got a 5,001-digit integer"),
    (lambda: data.make("moons", classes=HUGE), "classes=a 5,001-digit integer"),
    (lambda: data.digits(split=HUGE), "split must be one of train, test, all, got a 5,001-digit"),
    (lambda: optim.make(HUGE, [Value(1.0)]), "momentum, adam, got a 5,001-digit integer"),
    (lambda: optim.Adam([Value(1.0)], betas=(HUGE,)), "betas must be a pair (β₁, β₂)"),
    (lambda: nn.MLP(2, {HUGE}), "nouts must be a non-empty list of layer sizes"),
])
def test_a_message_about_a_huge_integer_is_ours_not_pythons(call, words):
    # the message wrote the value with {x!r:.40}, and repr itself failed on it
    with pytest.raises(ValueError) as info:
        call()
    assert words in str(info.value) and "4300 digits" not in str(info.value)


@given(st.integers(min_value=-(10 ** 4000), max_value=10 ** 4000)
       | st.tuples(st.integers(0, 4000), st.sampled_from((-1, 0, 1)))
         .map(lambda k_d: 10 ** k_d[0] + k_d[1]))             # next to a power of ten
def test_an_integer_is_named_by_its_exact_number_of_digits(n):
    digits = len(str(abs(n)))
    assert checks.integer_size(n) == f"a {digits:,}-digit integer"
    text = checks.short_repr(n)
    assert text == (repr(n) if len(repr(n)) <= 40 else f"a {digits:,}-digit integer")



# ---------------------------------------------------------------- NaN is never hidden (issue 13)
NAN = math.nan


@pytest.mark.parametrize("make", [lambda v: v.relu(), lambda v: v.abs(), lambda v: abs(v),
                                  lambda v: v.max(1.0), lambda v: Value(1.0).max(v),
                                  lambda v: v.min(1.0), lambda v: Value(1.0).min(v),
                                  lambda v: v.leaky_relu(), lambda v: Value(-1.0).leaky_relu(v),
                                  lambda v: v.softplus(), lambda v: v.sqrt(), lambda v: v.log()],
                         ids=["relu", "abs", "abs()", "max(nan, 1)", "max(1, nan)", "min(nan, 1)",
                              "min(1, nan)", "leaky_relu(nan)", "leaky_relu(-1, α=nan)",
                              "softplus", "sqrt", "ln"])
def test_nan_in_gives_nan_out(make):
    assert math.isnan(make(Value(NAN)).data)


def test_a_nan_weight_shows_in_an_l1_penalty():
    from tinygrad_edu import losses
    assert math.isnan(losses.l1([Value(NAN), Value(2.0)]).data)   # it was 2.0


def test_nan_local_gradients_are_pytorchs():
    assert Value(NAN).relu().local_grads == (1.0,)          # PyTorch: relu'(nan) = 1
    assert Value(NAN).abs().local_grads == (0.0,)
    assert Value(NAN).max(Value(1.0)).local_grads == (1.0, 1.0)


# ---------------------------------------------------------------- overflow at the op (issue 13)
OVERFLOWS = [("1e200 × 1e200", lambda: Value(1e200) * Value(1e200), "×"),
             ("1e308 + 1e308", lambda: Value(1e308) + 1e308, "+"),
             ("−1e308 − 1e308", lambda: -1e308 - Value(1e308), "−"),
             ("1e308 / 1e-308", lambda: Value(1e308) / Value(1e-308), "/"),
             ("exp(1000)", lambda: Value(1000.0).exp(), "exp"),
             ("1e200 ** 2", lambda: Value(1e200) ** 2, "**"),
             ("leaky_relu(−1e200, α=1e200)", lambda: Value(-1e200).leaky_relu(1e200),
              "leaky_relu")]


@pytest.mark.parametrize("case, make, op", OVERFLOWS, ids=[c[0] for c in OVERFLOWS])
def test_finite_operands_overflowing_raise_at_the_op(case, make, op):
    with pytest.raises(OpOverflow, match="overflows a float") as info:
        make()
    assert info.value.op == op and all(isinstance(v, Value) for v in info.value.operands)


@pytest.mark.parametrize("name", list(OPS))
@given(data=st.data())
def test_no_op_turns_finite_operands_into_inf_or_nan_silently(name, data):
    op = OPS[name]
    xs = [data.draw(st.floats(allow_nan=False, allow_infinity=False), label=f"x{i}")
          for i in range(op.arity)]
    try:
        y = value_fn(op)(*map(Value, xs))
    except OpError:
        return                                   # undefined or too large: said at the op
    assert math.isfinite(y.data), (name, xs, y.data)


@pytest.mark.parametrize("make, expected", [
    (lambda: Value(math.inf) + 1.0, math.inf), (lambda: Value(math.inf) * Value(2.0), math.inf),
    (lambda: Value(-math.inf).exp(), 0.0), (lambda: Value(math.inf) ** 2, math.inf),
    (lambda: Value(math.inf) - Value(math.inf), NAN), (lambda: Value(NAN) / 2.0, NAN)],
    ids=["inf + 1", "inf × 2", "exp(−inf)", "inf ** 2", "inf − inf", "nan / 2"])
def test_an_inf_or_nan_operand_is_carried_along_not_an_overflow(make, expected):
    got = make().data
    assert got == expected or (math.isnan(got) and math.isnan(expected))


# ---------------------------------------------------------------- OpError's fields
def test_op_error_carries_op_reason_and_operands():
    x = Value(-2.0, label="x")
    with pytest.raises(DomainError) as info:
        x.log()
    err = info.value
    assert (err.op, err.operands) == ("ln", (x,))
    assert err.reason == "the natural log needs a positive number, got −2"
    assert err.message == f"{err.op}: {err.reason}" and str(err).startswith(err.message)
    again = err.again(where="somewhere")
    assert type(again) is DomainError and (again.op, again.reason) == (err.op, err.reason)
    assert str(again).endswith("[somewhere]")
    assert pickle.loads(pickle.dumps(err)).message == err.message


# ---------------------------------------------------------------- checks: one policy
def test_checks_accept_every_real_number_and_booleans_as_zero_and_one():
    from decimal import Decimal
    from fractions import Fraction
    assert [checks.real(x) for x in (2, 2.5, True, False, Fraction(1, 4), Decimal("0.5"))] == \
        [2.0, 2.5, 1.0, 0.0, 0.25, 0.5]
    assert checks.whole(3.0, "epochs") == 3 and checks.whole(True, "n") == 1
    assert checks.probability(1, "p") == 1.0 and checks.positive(1e-300, "lr") == 1e-300


@pytest.mark.parametrize("check, x, error, says", [
    (checks.real, "1", TypeError, "lr needs a real number (int or float), got str '1'"),
    (checks.real, None, TypeError, "got NoneType"), (checks.real, 1j, TypeError, "complex"),
    (checks.real, 10 ** 400, OverflowError, "a 401-digit integer is too large for a float"),
    (checks.finite, math.nan, ValueError, "lr must be a finite number, got nan"),
    (checks.positive, 0, ValueError, "lr must be > 0, got 0.0"),
    (checks.nonnegative, -1, ValueError, "lr must be ≥ 0"),
    (checks.probability, 1.5, ValueError, "lr must be ≥ 0 and ≤ 1, got 1.5"),
    (checks.whole, 2.5, ValueError, "lr must be a whole number, got 2.5"),
])
def test_checks_name_what_was_wrong(check, x, error, says):
    with pytest.raises(error) as info:
        check(x, "lr")
    assert says in str(info.value)


def test_figure_and_fit_settings_are_checked_where_they_are_given():
    # found in a review: these were accepted, or failed with Python's own error
    pytest.importorskip("matplotlib")
    from tinygrad_edu import fit, plots
    from tinygrad_edu.nn import MLP

    assert plots.confusion_counts([0, 1, 1], [0, 1, 0], classes=2.0) == [[1, 0], [1, 1]]
    with pytest.raises(ValueError, match="misclassified: limit must be a whole number ≥ 0"):
        plots.misclassified([[0.0] * 4] * 2, [0, 1], [1, 0], limit=-1)
    with pytest.raises(ValueError, match="decision_regions: steps"):
        plots.decision_regions(MLP(2, [2, 1], seed=0), [[0.0, 0.0], [1.0, 1.0]], [0, 1],
                               steps=1)
    for progress in (1, 0.0, "yes", None):
        with pytest.raises(ValueError, match="progress must be True, False or 'auto'"):
            fit(MLP(2, [1], seed=0), [[0.0, 1.0]], [1], epochs=1, progress=progress)


@pytest.mark.parametrize("option", ["rankdir", "format"])
@pytest.mark.parametrize("bad", [10 ** 5000, [1], {}], ids=["huge int", "list", "dict"])
def test_a_bad_picture_option_gets_draw_dots_own_message(option, bad):
    # a list or dict as format raised 'unhashable type'; a huge int, Python's digit limit
    from tinygrad_edu import draw_dot

    with pytest.raises(ValueError, match="draw_dot: "):
        draw_dot(Value(1.0) * 2, **{option: bad})
