"""Central differences and gradcheck: right on known functions, loud on wrong gradients,
and never touching the caller's ``.grad``."""
import gc
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import DomainError, Value, no_grad
from tinygrad_edu.gradcheck import GradcheckResult, InputCheck, gradcheck, numerical_grad

small = st.floats(-3.0, 3.0)


def value_children(node):
    gc.collect()
    return [r for r in gc.get_referrers(node) if isinstance(r, Value)]


# ---------------------------------------------------------------- numerical_grad
def test_numerical_grad_of_the_slide_1_function():
    grads = numerical_grad(lambda x1, x2: x1.log() + x1 * x2 - x2.sin(), [2.0, 5.0])
    assert [round(g, 3) for g in grads] == [5.5, 1.716]


@given(a=small, b=small)
def test_numerical_grad_of_a_polynomial(a, b):
    grads = numerical_grad(lambda x, y: x * y * y + 3 * x, [a, b])
    assert grads == pytest.approx([b * b + 3, 2 * a * b], rel=1e-6, abs=1e-6)


@given(x=small)
def test_numerical_grad_of_sin_and_exp(x):
    assert numerical_grad(lambda v: v.sin(), [x]) == pytest.approx([math.cos(x)], abs=1e-8)
    assert numerical_grad(lambda v: v.exp(), [x]) == pytest.approx([math.exp(x)], rel=1e-7)


@pytest.mark.parametrize("x, h", [(1.0, 0.1), (-2.0, 0.5), (0.5, 0.25)])
def test_numerical_grad_is_a_central_difference(x, h):
    # ((x + h)³ − (x − h)³) / 2h = 3x² + h² exactly; a one-sided difference would add 3xh
    (grad,) = numerical_grad(lambda v: v ** 3, [x], eps=h)
    assert grad == pytest.approx(3 * x * x + h * h, rel=1e-12)


def test_numerical_grad_of_an_input_f_ignores_is_zero():
    assert numerical_grad(lambda x, y: x * 2.0, [1.0, 7.0]) == pytest.approx([2.0, 0.0])


def test_numerical_grad_with_no_inputs():
    assert numerical_grad(lambda: Value(1.0), []) == []


def test_numerical_grad_leaves_the_callers_nodes_alone():
    w = Value(1.5, label="w")
    h = w * w
    h.backward()
    w.grad, h.grad = 0.25, -3.0  # whatever the caller had
    children = len(value_children(w))
    grads = numerical_grad(lambda x: h * x + w * x, [2.0])
    assert grads == pytest.approx([1.5 * 1.5 + 1.5])
    assert (w.grad, h.grad) == (0.25, -3.0)
    assert len(value_children(w)) == children  # evaluated without recording a graph


def test_numerical_grad_rejects_a_bad_step():
    with pytest.raises(ValueError, match="eps"):
        numerical_grad(lambda x: x, [1.0], eps=0.0)


# ---------------------------------------------------------------- gradcheck passes
CORRECT = [
    ("slide 1", lambda x1, x2: x1.log() + x1 * x2 - x2.sin(), [2.0, 5.0]),
    ("slide 2", lambda x, y, z: (x + y) * z, [-2.0, 5.0, -4.0]),
    ("slide 3", lambda w0, x0, w1, x1, w2: (w0 * x0 + w1 * x1 + w2).sigmoid(),
     [2.0, -1.0, -3.0, -2.0, -3.0]),
    ("shared node", lambda x, y: (x * y).tanh() * (x * y) + x / y, [0.7, -1.2]),
    ("every unary op", lambda x: x.exp().log().sin().cos().tanh().sigmoid().softplus().sqrt()
     .abs().relu().leaky_relu(0.1), [0.4]),
    ("powers", lambda x, p: x ** p + 2 ** x + x ** 3, [1.3, -0.7]),
    ("max and min", lambda a, b: a.max(b) * a.min(b) - (a - b), [0.5, -2.0]),
]


@pytest.mark.parametrize("name, f, xs", CORRECT, ids=[c[0] for c in CORRECT])
def test_gradcheck_passes_on_correct_graphs(name, f, xs):
    result = gradcheck(f, xs)
    assert result, str(result)
    assert bool(result) is True and result.ok and result.failures == []
    assert len(result.inputs) == len(xs)
    for check, x in zip(result.inputs, xs):
        assert check.ok and check.x == x
        assert check.error == abs(check.reverse_mode - check.numeric)
        assert check.error <= 1e-5 + 1e-3 * abs(check.numeric)


def test_gradcheck_reports_the_reverse_mode_gradient_exactly():
    result = gradcheck(lambda x1, x2: x1.log() + x1 * x2 - x2.sin(), [2.0, 5.0])
    assert [c.reverse_mode for c in result.inputs] == [1 / 2.0 + 5.0, 2.0 - math.cos(5.0)]
    assert [c.label for c in result.inputs] == ["x1", "x2"]  # f's own parameter names


@given(a=small, b=small)
def test_gradcheck_passes_at_random_points(a, b):
    assert gradcheck(lambda x, y: (x * y).sin() + x.tanh() * y - (x - y) * 0.5, [a, b])


# ---------------------------------------------------------------- gradcheck catches wrong gradients
def stop_gradient_bug(a, b, c):
    """Two inputs lose a path through detach(): a gets 3a instead of 4a, c gets c instead of 2c."""
    return a * a.detach() + a * a + b + c * c.detach()


def test_gradcheck_reports_the_worst_mismatch():
    result = gradcheck(stop_gradient_bug, [1.5, 2.0, 3.0])
    assert not result and bool(result) is False
    assert [c.ok for c in result.inputs] == [False, True, False]
    assert [c.index for c in result.failures] == [0, 2]
    assert result.worst is result.inputs[2]
    assert (result.index, result.label) == (2, "c")
    assert result.reverse_mode == 3.0  # c only, the c.detach() path is cut
    assert result.numeric == pytest.approx(6.0, rel=1e-8)  # 2c
    assert result.error == pytest.approx(3.0, rel=1e-8)
    assert result.inputs[0].reverse_mode == 4.5 and result.inputs[0].numeric == pytest.approx(6)
    assert result.value == pytest.approx(1.5 ** 2 * 2 + 2.0 + 9.0)


def test_gradcheck_result_reads_well():
    result = gradcheck(stop_gradient_bug, [1.5, 2.0, 3.0])
    text = str(result)
    assert "FAILED" in text and text.count("MISMATCH") == 2
    assert "input 2 (c = 3)" in text and "reverse mode 3" in text and "numeric 6" in text
    assert "FAILED" in repr(result) and "input 2 (c = 3)" in repr(result)
    passed = gradcheck(lambda x: x * x, [3.0])
    assert "passed" in str(passed) and "MISMATCH" not in str(passed)
    assert "passed" in repr(passed)


def test_gradcheck_catches_an_op_with_a_wrong_local_gradient(monkeypatch):
    true_sin = Value.sin

    def sin_with_wrong_slope(self):
        # value sin x, but the slope backward sees is 0.9·cos x instead of cos x
        frozen = self.detach()
        return true_sin(frozen) + (self - frozen) * (0.9 * math.cos(self.data))

    monkeypatch.setattr(Value, "sin", sin_with_wrong_slope)
    result = gradcheck(lambda x, y: x.sin() * y, [0.3, 2.0])
    assert not result
    assert result.index == 0 and result.label == "x"
    assert result.reverse_mode == pytest.approx(0.9 * math.cos(0.3) * 2.0, rel=1e-12)
    assert result.numeric == pytest.approx(math.cos(0.3) * 2.0, rel=1e-8)
    assert result.inputs[1].ok  # ∂/∂y = sin x is still right


def test_gradcheck_fails_on_a_kink():
    result = gradcheck(lambda x: x.relu(), [0.0])
    assert not result
    assert (result.reverse_mode, result.numeric) == (0.0, pytest.approx(0.5))


def test_a_nan_gradient_is_a_mismatch_and_the_worst():
    nan = InputCheck(1, "p", 2.0, math.nan, 1.0, math.nan, 1e-3)
    far = InputCheck(0, "x", 1.0, 9.0, 1.0, 8.0, 1e-3)
    assert not nan.ok
    result = GradcheckResult([far, nan], 0.0)
    assert not result and result.worst is nan and result.index == 1


def test_negative_base_to_a_value_power_fails_next_to_the_point():
    # (−2) ** p is a real number only at integer p: p ± eps leaves the domain
    with pytest.raises(DomainError) as info:
        gradcheck(lambda x, p: x ** p, [-2.0, 2.0])
    assert "input 1" in str(info.value) and "p + eps" in str(info.value)


# ------------------------------------------------------------ the caller's nodes stay as they were
def test_gradcheck_never_changes_the_callers_grads():
    w = Value(1.5, label="w")
    h = w * w
    h.backward()
    w.grad, h.grad = 0.25, -3.0
    result = gradcheck(lambda x: h * x + w * x, [2.0])
    assert result and result.inputs[0].reverse_mode == 1.5 * 1.5 + 1.5
    assert (w.grad, h.grad) == (0.25, -3.0)


def test_gradcheck_when_f_returns_a_callers_node():
    w = Value(2.0)
    w.grad = 7.0
    result = gradcheck(lambda x: w, [1.0])
    assert result and result.inputs[0].reverse_mode == 0.0 and w.grad == 7.0


def test_gradcheck_of_the_identity():
    result = gradcheck(lambda x: x, [4.0])
    assert result and result.reverse_mode == 1.0


def test_gradcheck_labels_without_parameter_names():
    result = gradcheck(lambda *vs: vs[0] * vs[1], [2.0, 3.0])
    assert [c.label for c in result.inputs] == ["x1", "x2"]
    assert [c.reverse_mode for c in result.inputs] == [3.0, 2.0]


def test_gradcheck_with_no_inputs_is_vacuously_true():
    result = gradcheck(lambda: Value(1.0), [])
    assert isinstance(result, GradcheckResult) and result and result.worst is None


# ---------------------------------------------------------------- clear errors
@pytest.mark.parametrize("returned, type_name", [(lambda x: 3.0, "float"),
                                                 (lambda x: None, "NoneType"),
                                                 (lambda x: [x], "list")])
@pytest.mark.parametrize("check", [gradcheck, numerical_grad])
def test_f_must_return_a_value(check, returned, type_name):
    with pytest.raises(TypeError) as info:
        check(returned, [1.0])
    assert "must return a Value" in str(info.value) and type_name in str(info.value)


def test_f_using_math_instead_of_value_methods_gets_a_hint():
    with pytest.raises(TypeError) as info:
        gradcheck(lambda x: math.sin(x.data), [1.0])
    assert "float" in str(info.value) and "math.sin" in str(info.value)


@pytest.mark.parametrize("xs, what", [([1.0, "a"], "str"), ([None], "NoneType"), (1.0, "float"),
                                      ([1j], "complex"), ("12", "str"), ([Value(1.0)], "Value")])
@pytest.mark.parametrize("check", [gradcheck, numerical_grad])
def test_xs_must_be_plain_numbers(check, xs, what):
    with pytest.raises(TypeError) as info:
        check(lambda *vs: vs[0], xs)
    assert what in str(info.value)


@pytest.mark.parametrize("check", [gradcheck, numerical_grad])
def test_forward_failing_next_to_the_point_names_the_input_and_point(check):
    with pytest.raises(DomainError) as info:
        check(lambda y, x: y + x.sqrt(), [1.0, 5e-7])  # x − eps = −5e-7 is outside sqrt's domain
    message = str(info.value)
    assert "input 1" in message and "x − eps" in message and "-5e-07" in message
    assert "sqrt" in message


def test_forward_failing_at_the_point_itself_is_the_ops_own_error():
    with pytest.raises(DomainError, match="ln"):
        gradcheck(lambda x: x.log(), [0.0])


def test_gradcheck_refuses_to_run_under_no_grad():
    with no_grad():
        with pytest.raises(RuntimeError, match="no_grad"):
            gradcheck(lambda x: x * x, [1.0])


# ---------------------------------------------------- settings that cannot work (issue 13)
@pytest.mark.parametrize("kwargs, says", [
    (dict(eps=math.inf), "eps must be a finite number"),
    (dict(eps=math.nan), "eps must be a finite number"),
    (dict(eps=0.0), "eps must be > 0"), (dict(eps=-1e-6), "eps must be > 0"),
    (dict(atol=-1e-5), "atol must be ≥ 0"), (dict(atol=math.nan), "atol must be a finite"),
    (dict(rtol=math.inf), "rtol must be a finite"), (dict(rtol=-0.1), "rtol must be ≥ 0")])
def test_gradcheck_refuses_settings_that_cannot_work(kwargs, says):
    with pytest.raises(ValueError, match=f"gradcheck: {says}"):
        gradcheck(lambda x: x * x, [1.0], **kwargs)


@pytest.mark.parametrize("eps", ["1e-6", None, 1j])
def test_a_step_that_is_not_a_number_is_a_type_error(eps):
    with pytest.raises(TypeError, match="eps needs a real number"):
        numerical_grad(lambda x: x, [1.0], eps=eps)
