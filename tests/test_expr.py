"""The safe expression parser: the slide example, the language, and everything it refuses."""
import math
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import expressions, torch_backend

from tinygrad_edu import Value, trace
from tinygrad_edu.engine import Constant
from tinygrad_edu.expr import (
    MAX_LENGTH,
    MAX_NESTING,
    ExprError,
    Expression,
    evaluate,
    function_names,
    parse,
    parse_assignment,
    parse_assignments,
    parse_number,
)
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.ops import CALLS

SLIDE = "ln(x1) + x1*x2 - sin(x2)"


def refused(text, values=None) -> ExprError:
    with pytest.raises(ExprError) as info:
        evaluate(text, values if values is not None else {})
    return info.value


def underlined(err: ExprError) -> str:
    """The part of the text the caret line points at."""
    return err.text[err.col:err.col + err.length]


# ---------------------------------------------------------------- the slide, through the parser
def test_slide_example_numbers_and_trace():
    expression = parse(SLIDE)
    assert expression.variables == ("x1", "x2")
    assert expression.operations == 5
    y, inputs = expression.evaluate({"x1": 2, "x2": 5})
    assert y.data == pytest.approx(math.log(2) + 10 - math.sin(5))
    t = trace(y)
    assert [r.expr for r in t.forward] == ["x1", "x2", "ln v-1", "v-1 × v0", "sin v0",
                                           "v1 + v2", "v4 − v3", "v5"]
    assert t.gradients["x1"] == pytest.approx(5.5)
    assert t.gradients["x2"] == pytest.approx(2 - math.cos(5))
    y.backward()
    assert inputs["x1"].grad == pytest.approx(5.5)
    assert inputs["x2"].grad == pytest.approx(1.7163378145367738)
    assert inputs["x1"].label == "x1" and inputs["x2"].label == "x2"


def test_each_operator_is_one_node_of_the_op_table():
    y, _ = evaluate("a - b", {"a": 3, "b": 1})
    assert y.op == "−" and y.local_grads == (1.0, -1.0)
    y, _ = evaluate("a / b", {"a": 3, "b": 2})
    assert y.op == "/" and y.local_grads == (0.5, -0.75)
    y, _ = evaluate("-a", {"a": 3})
    assert y.op == "neg" and y.data == -3.0
    y, _ = evaluate("a ** 2", {"a": 3})
    assert y.op == "**" and y.data == 9.0 and y.local_grads[0] == 6.0
    y, _ = evaluate("a * b", {"a": 3, "b": 4})
    assert y.op == "×" and y.local_grads == (4.0, 3.0)


def test_sigmoid_neuron_from_the_slides():
    text = "1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"
    expression = parse(text)
    assert expression.variables == ("w0", "x0", "w1", "x1", "w2")
    y, inputs = expression.evaluate({"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})
    y.backward()
    assert round(y.data, 2) == 0.73
    grads = {name: round(v.grad, 2) for name, v in inputs.items()}
    assert grads == {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}


def test_ln_and_log_are_both_the_natural_log():
    a, _ = evaluate("ln(x)", {"x": math.e})
    b, _ = evaluate("log(x)", {"x": math.e})
    assert a.op == b.op == "ln" and a.data == b.data == pytest.approx(1.0)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_function_of_the_op_table_can_be_called(name):
    op = CALLS[name]
    args = ", ".join(["x"] + ["0.1"] * (op.arity - 1))
    y, inputs = evaluate(f"{name}({args})", {"x": 0.7})
    assert y.op == op.name
    expected = op.forward(0.7, *[0.1] * (op.arity - 1))[0]
    assert y.data == pytest.approx(expected)
    assert name in function_names()


def test_leaky_relu_takes_one_or_two_arguments():
    y, _ = evaluate("leaky_relu(x)", {"x": -2})
    assert y.data == pytest.approx(-0.02)
    y, _ = evaluate("leaky_relu(x, 0.2)", {"x": -2})
    assert y.data == pytest.approx(-0.4)
    assert "1 or 2 arguments" in refused("leaky_relu(x, 1, 2)", {"x": 1}).message


def test_max_routes_the_gradient():
    y, inputs = evaluate("max(a, b)", {"a": 3, "b": 1})
    y.backward()
    assert (inputs["a"].grad, inputs["b"].grad) == (1.0, 0.0)
    assert "takes 2 arguments, got 1" in refused("max(a)", {"a": 1}).message


def test_variable_used_twice_is_one_input_copy_gate_adds():
    y, inputs = evaluate("x*x + x", {"x": 3})
    y.backward()
    assert list(inputs) == ["x"] and inputs["x"].grad == 7.0


def test_variables_in_order_of_first_appearance():
    assert parse("b + a*c + b + a").variables == ("b", "a", "c")
    assert parse("sin(z) * (y - x)").variables == ("z", "y", "x")
    assert parse("2 + 3").variables == ()


def test_numbers_become_constants_written_as_numbers():
    y, _ = evaluate("x * 3 - 0.5", {"x": 2})
    assert y.data == 5.5
    assert type(y.parents[1]) is Constant and y.parents[1].data == 0.5
    assert [r.expr for r in trace(y).forward][1:3] == ["v0 × 3", "v1 − 0.5"]


def test_minus_on_a_literal_is_part_of_the_number_and_unary_plus_is_nothing():
    y, _ = evaluate("x - -3", {"x": 1})
    assert y.data == 4.0 and y.parents[1].data == -3.0
    y, _ = evaluate("+x", {"x": 2})
    assert y.op == "" and y.data == 2.0  # the input itself
    y, _ = evaluate("-2**2", {})
    assert y.data == -4.0  # Python's precedence: -(2**2)


def test_float_syntax_and_spaces():
    y, _ = evaluate("  1e-3 * x + .5 + 2.  ", {"x": 1000})
    assert y.data == 3.5


def test_values_may_be_values_of_your_own():
    w = Value(2.0, label="w")
    y, inputs = parse("w * w").evaluate({"w": w})
    assert inputs["w"] is w and y.data == 4.0


def test_evaluating_twice_builds_fresh_graphs():
    expression = parse("x * 2")
    y1, in1 = expression.evaluate({"x": 1})
    y2, in2 = expression.evaluate({"x": 5})
    assert y1.data == 2 and y2.data == 10 and in1["x"] is not in2["x"]


def test_as_function_works_with_gradcheck():
    f = parse(SLIDE).as_function()
    result = gradcheck(f, [2.0, 5.0])
    assert result
    assert [c.label for c in result.inputs] == ["x1", "x2"]
    assert result.inputs[0].reverse_mode == pytest.approx(5.5)


def test_deep_but_short_chains_are_fine_without_recursion():
    y, _ = evaluate("-" * 1999 + "1", {})
    assert y.data == -1.0
    y, _ = evaluate("+".join(["x"] * 1000), {"x": 1})
    assert y.data == 1000.0
    y, _ = evaluate("(" * MAX_NESTING + "x" + ")" * MAX_NESTING, {"x": 3})
    assert y.data == 3.0


# ---------------------------------------------------------------- refusals, with the place
HOSTILE = [
    ("__import__('os').system('true')", "attribute access"),
    ("__import__('os')", "names starting with _"),
    ("x.__class__", "attribute access"),
    ("(lambda: 1)()", "lambda"),
    ("[1][0]", "subscripts"),
    ("[1, 2]", "lists"),
    ("{1: 2}", "dictionaries"),
    ("{1}", "sets"),
    ("(1, 2)", "tuple"),
    ("x if x else 1", "conditional"),
    ("x < 1", "comparisons"),
    ("x and 1", "and / or"),
    ("not x", "not"),
    ("~x", "~"),
    ("'text'", "strings"),
    ("f'{x}'", "strings"),
    ("1j", "complex"),
    ("True", "not a number"),
    ("None", "not a number"),
    ("...", "not a number"),
    ("(y := 2)", "assignment"),
    ("[i for i in x]", "comprehensions"),
    ("(i for i in x)", "generator"),
    ("foo(1)", "unknown function foo"),
    ("eval('1')", "unknown function eval"),
    ("exec('1')", "unknown function exec"),
    ("(x+1)(2)", "can be called"),
    ("max(*x)", "unpacking"),
    ("max(x, other=1)", "by position"),
    ("sin", "is a function"),
    ("_secret + 1", "names starting with _"),
    ("x // 2", "floor division"),
    ("x % 2", "remainder"),
    ("x @ y", "matrix"),
    ("x << 2", "<<"),
    ("x | 2", "|"),
    ("x & 2", "&"),
    ("x ^ 2", "use ** for powers"),
    ("import os", "invalid syntax"),
    ("x = 1", "invalid syntax"),
    ("x;1", "invalid syntax"),
    ("2x", "write 2*x"),
    ("x +", "ends too early"),
    ("(x + 1", "never closed"),
    ("x + 1)", "unmatched"),
    ("", "empty"),
    ("   ", "empty"),
    ("x\n+1", "one line"),
    ("x × y", "write *"),
    ("x − y", "write -"),
    ("α + 1", "A-Z"),
    ("x\x00", "unexpected character"),
    ("1e999", "too large"),
    ("9" * 400, "too large"),
    ("0x" + "f" * 300, "too large"),
    ("sin(x, x)", "takes 1 argument, got 2"),
    ("exp()", "takes 1 argument, got 0"),
]


@pytest.mark.parametrize("text, says", HOSTILE, ids=[t[:24] or "empty" for t, _ in HOSTILE])
def test_hostile_and_invalid_input_is_refused_with_a_place(text, says):
    err = refused(text, {"x": 1.0, "y": 2.0})
    assert says in err.message
    assert "\n" not in err.message
    assert err.col is not None and 0 <= err.col <= len(text)
    rendered = err.render().split("\n")
    assert len(rendered) == 2 and rendered[1].lstrip().startswith("^")
    assert rendered[1].endswith(err.message)


def test_caret_is_under_the_offending_part():
    assert underlined(refused("x.__class__", {"x": 1})) == ".__class__"
    assert underlined(refused("[1][0]")) == "[0]"
    assert underlined(refused("a + x ^ 2", {"x": 1, "a": 1})) == "^"
    assert underlined(refused("1 + foo(2)")) == "foo"
    assert underlined(refused("2 * (lambda: 1)()")) == "lambda: 1"
    err = refused("1 + ln(0)")
    assert underlined(err) == "ln(0)" and err.kind == "math"
    assert err.render() == "1 + ln(0)\n    ^^^^^ ln: the natural log needs a positive number, got 0"


def test_nine_to_the_nine_to_the_nine_to_the_nine_is_refused_at_the_operator():
    err = refused("9**9**9**9")
    assert "overflows" in err.message and err.kind == "math"
    assert err.col == 4 and underlined(err) == "**"  # 9**(9**387420489): the second **


def test_math_errors_point_at_the_operation():
    err = refused("x / (y - 2)", {"x": 1, "y": 2})
    assert "division by zero" in err.message and underlined(err) == "/"
    err = refused("sqrt(x)", {"x": -1})
    assert "sqrt" in err.message and underlined(err) == "sqrt(x)"
    err = refused("(x) ** 0.5", {"x": -8})
    assert underlined(err) == "**"
    err = refused("x * x * x", {"x": 1e200})
    assert "overflows" in err.message and err.col == 2
    err = refused("exp(x)", {"x": 1000})
    assert "exp" in err.message and err.kind == "math"


def test_operand_list_of_the_engine_is_not_in_the_message():
    err = refused("ln(x)", {"x": 0})
    assert "Value(" not in err.message and "operands" not in err.message


def test_too_long_and_too_deep_are_refused_before_parsing():
    err = refused("x+" * 1500 + "x", {"x": 1})
    assert err.kind == "limit" and "too long" in err.message and err.col == MAX_LENGTH
    err = refused("(" * 100_000 + "1" + ")" * 100_000)
    assert err.kind == "limit"
    err = refused("(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1))
    assert err.kind == "limit" and "nested too deeply" in err.message
    assert err.col == MAX_NESTING
    assert len(err.render().split("\n")[0]) <= 82  # long text is shown as a window


def test_missing_and_extra_values():
    expression = parse(SLIDE)
    err = pytest.raises(ExprError, expression.evaluate, {"x1": 2}).value
    assert err.message == "no value given for x2" and err.kind == "name"
    assert underlined(err) == "x2" and err.col == SLIDE.index("x2")
    err = pytest.raises(ExprError, expression.evaluate, {}).value
    assert "x1 (also x2)" in err.message
    err = pytest.raises(ExprError, expression.evaluate, {"x1": 2, "x3": 1}).value
    assert err.message.startswith("no value given for x2; a value is given for x3")
    err = pytest.raises(ExprError, expression.evaluate, {"x1": 2, "x2": 5, "x3": 1}).value
    assert "x3" in err.message and "x1, x2" in err.message and err.col is None
    assert err.render() == err.message


def test_non_numeric_and_non_finite_values_are_refused():
    expression = parse("x + 1")
    for bad in ("2", None, [1], complex(1, 1)):
        err = pytest.raises(ExprError, expression.evaluate, {"x": bad}).value
        assert "the value of x needs a real number" in err.message and err.kind == "value"
        assert type(bad).__name__ in err.message
    for bad in (math.nan, math.inf, -math.inf, 10 ** 400):
        err = pytest.raises(ExprError, expression.evaluate, {"x": bad}).value
        assert "finite" in err.message or "too large" in err.message
    # the package's one policy (checks.py): a boolean is the number 0 or 1
    y, inputs = expression.evaluate({"x": True})
    assert y.data == 2.0 and inputs["x"].data == 1.0
    with pytest.raises(TypeError):
        expression.evaluate([("x", 1)])
    with pytest.raises(TypeError):
        parse(b"x + 1")


def test_expr_error_is_a_value_error_with_its_column_in_str():
    err = refused("x ^ 2", {"x": 1})
    assert isinstance(err, ValueError)
    assert str(err) == f"{err.message} (column 3)"
    assert (err.col, err.length, err.text) == (2, 1, "x ^ 2")


# ---------------------------------------------------------------- values on the command line
def test_parse_number_float_syntax():
    assert parse_number("-3") == -3.0
    assert parse_number("1e-3") == 0.001
    assert parse_number(" .5 ") == 0.5
    for bad, says in (("nan", "nan"), ("inf", "too large"), ("-inf", "too large"),
                      ("1e999", "too large"), ("abc", "not a number"), ("", "missing"),
                      ("0x10", "not a number")):
        with pytest.raises(ExprError, match=says):
            parse_number(bad)


def test_parse_assignments():
    assert parse_assignments(["x1=2", "x2=-5", "w=1e-3"]) == {"x1": 2.0, "x2": -5.0,
                                                               "w": 0.001}
    assert parse_assignment("x = 2") == ("x", 2.0)
    err = pytest.raises(ExprError, parse_assignment, "x1=abc").value
    assert underlined(err) == "abc" and err.render() == "x1=abc\n   ^^^ 'abc' is not a number"
    for bad, says in (("x1", "NAME=NUMBER"), ("=2", "name before = is missing"),
                      ("sin=2", "is a function"), ("_x=1", "_"), ("1x=2", "variable name"),
                      ("x=nan", "nan"), ("x=", "missing")):
        with pytest.raises(ExprError, match=says):
            parse_assignment(bad)
    with pytest.raises(ExprError, match="twice"):
        parse_assignments(["x=1", "x=2"])


# ---------------------------------------------------------------- fuzzing: a result or a refusal
def _outcome(text):
    """Parse and evaluate ``text`` with a value for every variable: a finite Value or an
    ExprError with a place inside the text — nothing else may happen."""
    try:
        expression = parse(text)
        y, inputs = expression.evaluate({name: 0.5 + i for i, name in
                                         enumerate(expression.variables)})
    except ExprError as err:
        assert err.message and "\n" not in err.message
        assert err.col is None or 0 <= err.col <= len(text)
        err.render()
        return err
    assert isinstance(expression, Expression) and isinstance(y, Value)
    assert math.isfinite(y.data)
    assert set(inputs) == set(expression.variables)
    return y


@given(st.text(max_size=300))
def test_fuzz_arbitrary_text_gives_a_result_or_a_clean_refusal(text):
    _outcome(text)


_TOKENS = (["x", "y", "z1", "2", "0", "0.5", "1e308", "9", "-", "+", "*", "/", "**", "(", ")",
            ",", " ", "^", ".", "[", "]", "_", "lambda", ":", "__class__", "'", "1j", "if",
            "else", "=", "<", "%"] + [f"{name}(" for name in sorted(CALLS)])


@given(st.lists(st.sampled_from(_TOKENS), max_size=60))
def test_fuzz_token_soup_gives_a_result_or_a_clean_refusal(tokens):
    _outcome("".join(tokens))


@given(st.data(), st.floats(-3, 3), st.floats(-3, 3))
def test_fuzz_valid_grammar_matches_pytorch_or_refuses(data, x, y):
    torch = pytest.importorskip("torch")
    text, build = data.draw(expressions())
    values = {"x": x, "y": y}
    try:
        expression = parse(text)
        out, inputs = expression.evaluate({n: values[n] for n in expression.variables})
    except ExprError as err:
        assert err.kind in ("math", "value")  # grammar is valid: only the numbers can fail
        return
    env = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in values.items()}
    reference = build(torch_backend(torch), env)
    # rounding may differ by an ulp per op (libm against PyTorch's kernels), and cancellation
    # magnifies it: the tolerance grows with the largest number on the way (a row of the trace)
    tables = trace(out)
    value_scale = max(abs(row.value) for row in tables.forward)
    assert out.data == pytest.approx(reference.item(), rel=1e-9, abs=1e-12 * value_scale,
                                     nan_ok=True), text
    out.backward()
    used = [n for n in ("x", "y") if n in inputs]
    if used and math.isfinite(reference.item()):
        adjoint_scale = max(abs(row.value) for row in tables.adjoint)
        grads = torch.autograd.grad(reference, [env[n] for n in used], allow_unused=True)
        for n, g in zip(used, grads):
            expected = 0.0 if g is None else g.item()
            if math.isfinite(expected) and math.isfinite(inputs[n].grad):
                assert inputs[n].grad == pytest.approx(
                    expected, rel=1e-7, abs=1e-9 * adjoint_scale * value_scale), (text, n)


@given(st.text(alphabet=string.printable, max_size=40))
def test_fuzz_assignments_give_a_pair_or_a_clean_refusal(text):
    try:
        name, value = parse_assignment(text)
    except ExprError as err:
        assert "\n" not in err.message
        return
    assert math.isfinite(value) and name.isidentifier() and not name.startswith("_")


# ---------------------------------------------------------------- an op added with register
def test_a_registered_op_parses_and_runs_with_no_other_edit(atan_op):
    assert "atan" in function_names()
    y, inputs = evaluate("atan(x) * 2", {"x": 0.5})
    assert y.data == pytest.approx(2 * math.atan(0.5), rel=1e-15)
    y.backward()
    assert inputs["x"].grad == pytest.approx(2 / (1 + 0.25), rel=1e-15)
    err = refused("atan(x, x)", {"x": 1.0})
    assert "atan() takes 1 argument, got 2" in err.message


def test_call_arities_come_from_the_op_table():
    for name, op in CALLS.items():
        least = op.arity - (op.default is not None)
        args = ", ".join(["0.5"] * (op.arity + 1))
        assert f"takes {least}" in refused(f"{name}({args})").message
    y, _ = evaluate("leaky_relu(x)", {"x": -2.0})  # α from the op's default
    assert y.data == pytest.approx(-2.0 * CALLS["leaky_relu"].default)
