"""The checkers of exercises.py catch the classic mistakes and pass correct work.

A checker that accepts everything is a defect, so every checker is shown a mistake it must
catch: ``=`` where ``+=`` belongs, sin′ = −cos, ∂(a − b)/∂b = +1, the sign of ∂(a/b)/∂b, a
recursive backward on the 5,000-node chain, a hand-filled trace with one wrong row. Correct
work passes: an engine written here, and micrograd 0.1.0's own ``Value``.
"""
import math
import pathlib
import sys
from decimal import Decimal

import pytest
from conftest import need

from tinygrad_edu import Value
from tinygrad_edu.exercises import (
    check_adjoint_trace,
    check_answer,
    check_engine,
    check_forward_trace,
    check_gradients,
    check_local_gradient,
    check_new_op,
)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "scripts"))


def make_engine(bug=None):
    """A small micrograd-style engine, correct unless ``bug`` names one classic mistake."""

    class Engine:
        def __init__(self, data, parents=(), locals_=()):
            self.data = float(data)
            self.grad = 0.0
            self.parents = parents
            self.locals = locals_

        def _make(self, data, parents, locals_):
            return Engine(data, parents, locals_)

        @staticmethod
        def _lift(x):
            return x if isinstance(x, Engine) else Engine(x)

        def __add__(self, other):
            other = self._lift(other)
            return self._make(self.data + other.data, (self, other), (1.0, 1.0))

        __radd__ = __add__

        def __sub__(self, other):
            other = self._lift(other)
            d_other = 1.0 if bug == "sub_sign" else -1.0
            return self._make(self.data - other.data, (self, other), (1.0, d_other))

        def __mul__(self, other):
            other = self._lift(other)
            return self._make(self.data * other.data, (self, other), (other.data, self.data))

        __rmul__ = __mul__

        def __truediv__(self, other):
            other = self._lift(other)
            a, b = self.data, other.data
            d_b = a / b ** 2 if bug == "div_sign" else -a / b ** 2
            return self._make(a / b, (self, other), (1.0 / b, d_b))

        def __neg__(self):
            return self._make(-self.data, (self,), (-1.0,))

        def __pow__(self, p):
            if isinstance(p, Engine):
                out = self.data ** p.data
                return self._make(out, (self, p),
                                  (p.data * self.data ** (p.data - 1), out * math.log(self.data)))
            return self._make(self.data ** p, (self,), (p * self.data ** (p - 1),))

        def exp(self):
            out = math.exp(self.data)
            return self._make(out, (self,), (out,))

        def log(self):
            return self._make(math.log(self.data), (self,), (1.0 / self.data,))

        def sin(self):
            d = -math.cos(self.data) if bug == "sin_sign" else math.cos(self.data)
            return self._make(math.sin(self.data), (self,), (d,))

        def cos(self):
            return self._make(math.cos(self.data), (self,), (-math.sin(self.data),))

        def tanh(self):
            t = math.tanh(self.data)
            return self._make(t, (self,), (1 - t * t,))

        def sigmoid(self):
            s = 1 / (1 + math.exp(-self.data))
            return self._make(s, (self,), (s * (1 - s),))

        def relu(self):
            return self._make(max(self.data, 0.0), (self,), (float(self.data > 0),))

        def max(self, other):
            other = self._lift(other)
            first = self.data > other.data
            return self._make(max(self.data, other.data), (self, other),
                              (float(first), float(not first)))

        def _order(self):
            if bug == "recursive":
                order, seen = [], set()

                def visit(node):
                    if node not in seen:
                        seen.add(node)
                        for p in node.parents:
                            visit(p)
                        order.append(node)
                visit(self)
                return order
            order, seen, stack = [], set(), [(self, False)]
            while stack:
                node, expanded = stack.pop()
                if expanded:
                    order.append(node)
                elif bug == "no_visited_set" or node not in seen:
                    seen.add(node)
                    stack.append((node, True))
                    stack.extend((p, False) for p in node.parents)
            return order

        def backward(self):
            self.grad = 1.0
            for node in reversed(self._order()):
                for parent, local in zip(node.parents, node.locals):
                    if bug == "assign":
                        parent.grad = local * node.grad
                    else:
                        parent.grad += local * node.grad

    Engine.__name__ = f"Engine_{bug}" if bug else "Engine"
    return Engine


# ---------------------------------------------------------------- check_engine: correct work
def test_a_correct_engine_passes_every_case_even_iterative():
    report = check_engine(make_engine(), iterative=True)
    assert report, str(report)
    assert report.checked >= 200 and not report.failures and not report.warnings
    assert "slide expression" not in str(report)  # the summary lists ops, not cases
    for op in ("+", "−", "×", "/", "** number", "** Value", "unary −", "exp", "log", "sin",
               "cos", "tanh", "relu", "sigmoid", "max"):
        assert op in str(report)


def test_micrograd_passes_with_a_warning_about_its_recursive_backward():
    from micrograd.engine import Value as MicrogradValue

    report = check_engine(MicrogradValue)
    assert report, str(report)
    assert report.warnings and "recursive" in report.warnings[0]
    assert "not tried: ** Value exp log sin" in str(report)   # found out by trying


def test_micrograd_fails_when_backward_must_be_iterative():
    from micrograd.engine import Value as MicrogradValue

    report = check_engine(MicrogradValue, iterative=True)
    assert not report
    assert len(report.failures) == 1 and "chain of 5,000" in report.failures[0].case
    assert "recursive" in str(report)


def test_a_recursive_backward_fails_the_5000_node_chain_with_iterative():
    engine = make_engine("recursive")
    assert check_engine(engine, ops=["+", "×"], cases=5)  # a warning only, by default
    report = check_engine(engine, ops=["+", "×"], cases=5, iterative=True)
    assert not report
    assert "RecursionError" in str(report) and "explicit stack" in str(report)


# ---------------------------------------------------------------- check_engine: mistakes
def test_assignment_instead_of_accumulation_is_caught_and_named():
    report = check_engine(make_engine("assign"))
    assert not report
    text = str(report)
    assert "`=` where `+=`" in text
    smallest = report.failures[0].smallest
    # the slide expression fails first; its smallest failing part uses x1 twice
    assert smallest is not None and smallest.expression == "ln x1 + x1 × x2"
    reuse = [f for f in report.failures if f.case == "a node used twice: a × a + a"]
    assert reuse and "`=` where `+=`" in reuse[0].hint


def test_minus_cos_as_the_derivative_of_sin_is_caught_and_named():
    report = check_engine(make_engine("sin_sign"))
    assert not report
    assert "d sin x/dx is cos x" in str(report)
    # the slide expression is the first case, and sin v0 is its smallest failing part
    assert "slide expression" in report.failures[0].case
    assert report.failures[0].smallest.expression == "sin x2"


def test_plus_one_as_the_derivative_of_a_minus_b_by_b_is_caught():
    report = check_engine(make_engine("sub_sign"), ops=["+", "−", "×"])
    assert not report
    assert "∂(a − b)/∂b is −1" in str(report)
    assert "−" in report.failures[0].smallest.expression


def test_the_sign_of_the_quotients_derivative_is_caught():
    report = check_engine(make_engine("div_sign"), ops=["+", "/", "×"])
    assert not report
    assert "∂(a / b)/∂b is −a/b²" in str(report)


def test_a_topological_sort_without_a_visited_set_is_caught_and_named():
    report = check_engine(make_engine("no_visited_set"), ops=["+", "×", "sin"], cases=30)
    assert not report
    assert "2× too large" in str(report) and "visited set" in str(report)


def test_report_shows_expression_inputs_expected_and_got():
    text = str(check_engine(make_engine("sin_sign")))
    for part in ("expression:", "inputs:", "expected", "got", "smallest failing sub-expression",
                 "hint:", "x1 = 2, x2 = 5"):
        assert part in text, text
    html = check_engine(make_engine("sin_sign"))._repr_html_()
    assert html.startswith("<div") and "d sin x/dx" in html


def test_a_wrong_forward_value_is_reported_as_such():
    broken = make_engine()
    broken.exp = lambda self: self._make(math.exp(self.data) + 1, (self,), (math.exp(self.data),))
    report = check_engine(broken, ops=["+", "exp"])
    assert not report
    assert "forward value is wrong" in str(report)


def test_an_op_that_is_asked_for_but_missing_is_a_failure():
    from micrograd.engine import Value as MicrogradValue

    report = check_engine(MicrogradValue, ops=["+", "sin"])
    assert not report and "sin" in report.failures[0].case
    with pytest.raises(ValueError, match="unknown op"):
        check_engine(MicrogradValue, ops=["frobnicate"])


def test_blank_engine_is_not_done_yet():
    report = check_engine(...)
    assert not report and not report.done
    assert str(report).startswith("not done yet:")


# ---------------------------------------------------------------- check_local_gradient
def test_local_gradients_right_pass():
    assert check_local_gradient("sin", math.cos)
    assert check_local_gradient("ln", lambda x: 1 / x)
    assert check_local_gradient("log", lambda x: 1 / x)
    assert check_local_gradient("×", lambda a, b: (b, a))
    assert check_local_gradient("*", lambda a, b: (b, a))
    assert check_local_gradient("/", lambda a, b: (1 / b, -a / b ** 2))
    assert check_local_gradient("−", lambda a, b: (1, -1))
    assert check_local_gradient("sigmoid", lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2)
    assert check_local_gradient("relu", lambda x: 1.0 if x > 0 else 0.0)


def test_local_gradient_minus_cos_for_sin_names_the_first_point():
    report = check_local_gradient("sin", lambda x: -math.cos(x))
    assert not report
    first = report.failures[0]
    assert first.case.startswith("at x = ")
    assert first.quantity == "d(sin x)/dx"
    assert first.got == pytest.approx(-first.expected)
    assert "sign is flipped" in first.hint and "cos x" in first.hint


def test_local_gradient_plus_one_for_subtraction_is_caught():
    report = check_local_gradient("−", lambda a, b: (1, 1))
    assert not report
    assert report.failures[0].quantity == "∂(a − b)/∂b"
    assert "∂(a − b)/∂b is −1" in str(report)


def test_local_gradient_sign_of_the_quotient_is_caught():
    report = check_local_gradient("/", lambda a, b: (1 / b, a / b ** 2))
    assert not report and report.failures[0].quantity == "∂(a / b)/∂b"


def test_local_gradient_partly_right_says_so():
    report = check_local_gradient("relu", lambda x: 1.0)
    assert not report and "right at" in report.failures[0].hint


def test_local_gradient_blank_or_not_implemented_is_not_done_yet():
    def d_sin(x):
        ...

    def d_cos(x):
        raise NotImplementedError

    for fn in (d_sin, d_cos, ..., None):
        report = check_local_gradient("sin", fn)
        assert not report and str(report).startswith("not done yet:")
    with pytest.raises(ValueError, match="unknown op"):
        check_local_gradient("frobnicate", math.cos)


def test_local_gradient_of_a_binary_op_must_return_a_pair():
    report = check_local_gradient("×", lambda a, b: b)
    assert not report and "pair" in str(report)


# ---------------------------------------------------------------- hand-filled traces
SLIDE_FORWARD = [2, 5, 0.693, 10, -0.959, 10.693, 11.652, 11.652]
SLIDE_ADJOINT = [1, 1, -1, 1, 1, -0.284, 5, 1.716, 5.5, 5.5, 1.716]


def slide():
    x1, x2 = Value(2.0, label="x1"), Value(5.0, label="x2")
    return x1, x2, x1.log() + x1 * x2 - x2.sin()


def test_the_slides_traces_filled_in_by_hand_pass_and_grad_is_untouched():
    x1, x2, y = slide()
    assert check_forward_trace(y, SLIDE_FORWARD)
    assert check_adjoint_trace(y, SLIDE_ADJOINT)
    assert (x1.grad, x2.grad, y.grad) == (0.0, 0.0, 0.0)
    # checks' policy for a number: a Decimal counts (numbers.Real refused it), a string not
    assert check_forward_trace(y, [Decimal(str(v)) for v in SLIDE_FORWARD])
    assert not check_forward_trace(y, [str(v) for v in SLIDE_FORWARD])


def test_one_wrong_adjoint_row_is_named():
    *_, y = slide()
    values = list(SLIDE_ADJOINT)
    values[5] = 0.284                    # v̄0 = v̄3 × cos v0 with the sign lost
    report = check_adjoint_trace(y, values)
    assert not report and len(report.failures) == 1
    first = report.failures[0]
    assert first.case == "row 6" and first.quantity == "v̄0 = v̄3 × cos v0"
    assert first.expected == pytest.approx(-0.2837, abs=1e-4) and first.got == 0.284
    assert "sign" in first.hint


def test_a_second_contribution_written_alone_is_explained():
    *_, y = slide()
    values = list(SLIDE_ADJOINT)
    values[7] = 2.0                      # v̄0 = v̄0 + v̄2 × v-1, written as v̄2 × v-1 only
    report = check_adjoint_trace(y, values)
    assert not report and report.failures[0].case == "row 8"
    assert "add the earlier value (−0.283662" in report.failures[0].hint


def test_one_wrong_forward_row_is_named():
    *_, y = slide()
    values = list(SLIDE_FORWARD)
    values[6] = 9.734                    # v5 = v4 − v3 computed as v4 + v3
    report = check_forward_trace(y, values)
    assert not report
    assert report.failures[0].quantity == "v5 = v4 − v3"
    assert "recompute v5" in report.failures[0].hint


def test_trace_checkers_count_rows_and_blanks():
    *_, y = slide()
    assert not check_adjoint_trace(y, SLIDE_ADJOINT[:-1])
    assert "rows" in str(check_adjoint_trace(y, SLIDE_ADJOINT[:-1]))
    blank = check_adjoint_trace(y, [1, 1, ...] + [...] * 8)
    assert not blank and str(blank).startswith("not done yet: 9 of 11 values still blank, "
                                               "first row 3 (v̄3 = v̄5 × (−1))")
    assert str(check_forward_trace(y, ...)).startswith("not done yet:")


def test_rounding_to_three_decimals_is_accepted_and_a_fourth_wrong_digit_is_not():
    *_, y = slide()
    assert check_forward_trace(y, [2, 5, 0.6931, 10, -0.9589, 10.6931, 11.6521, 11.6521])
    assert not check_forward_trace(y, [2, 5, 0.695, 10, -0.959, 10.693, 11.652, 11.652])


# ---------------------------------------------------------------- gradients and answers
def test_check_gradients_compares_with_the_engine_and_leaves_grad_alone():
    x1, x2, y = slide()
    assert check_gradients(y, {"x1": 5.5, "x2": 1.716})
    report = check_gradients(y, {"x1": 5.5, "x2": -1.716})
    assert not report and report.failures[0].quantity == "∂y/∂x2" and "sign" in str(report)
    assert x1.grad == 0.0 and x2.grad == 0.0
    assert str(check_gradients(y, ...)).startswith("not done yet")
    with pytest.raises(ValueError, match="no input labelled 'w'"):
        check_gradients(y, {"w": 1.0})


def test_check_answer_numbers_lists_and_functions():
    assert check_answer(-0.2775, -0.2775) and not check_answer(0.2775, -0.2775)
    assert check_answer([0.13, 0.87, 0.0], [0.1300, 0.8690, 0.00097], decimals=2)
    assert not check_answer([0.13, 0.87], [0.13, 0.87, 0.0])

    def tower(x):
        return Value(x).sigmoid()

    assert check_answer(tower, {(0.0,): 0.5, (2.0,): 0.881})
    assert not check_answer(tower, {(0.0,): 0.4})

    def blank(x):
        ...

    assert str(check_answer(blank, {(0.0,): 0.5})).startswith("not done yet: blank still")
    assert str(check_answer(..., 1.0)).startswith("not done yet")


# ---------------------------------------------------------------- the exercise notebooks
NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


def _checker_outputs(path):
    """Run the text twin at ``path`` in a fresh kernel; the text each checker cell shows."""
    need("nbclient")
    need("ipykernel")
    need("jupytext")
    from run_notebooks import execute, read_text

    nb = execute(read_text(path), path.parent)
    shown = []
    for cell in nb.cells:
        if "checker" in cell.get("metadata", {}).get("tags", []):
            texts = [out["data"]["text/plain"] for out in cell.get("outputs", [])
                     if "text/plain" in out.get("data", {})]
            errors = [out["ename"] for out in cell.get("outputs", [])
                      if out.get("output_type") == "error"]
            assert not errors, errors
            shown.append("".join(texts))
    return shown


def test_the_blank_exercises_are_the_solved_ones_with_the_answers_taken_out():
    from make_exercises import main

    assert main(["--check"]) == 0, "notebooks/exercises.py is stale: run make_exercises.py"
    text = (NOTEBOOKS / "exercises.py").read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "Solved copy" not in text
    assert text.count("**Exercise ") >= 10


def test_no_checker_passes_on_the_blank_notebook():
    shown = _checker_outputs(NOTEBOOKS / "exercises.py")
    assert len(shown) >= 10
    for text in shown:
        assert text.startswith("not done yet: "), text


def test_every_checker_passes_on_the_solved_notebook():
    shown = _checker_outputs(NOTEBOOKS / "solutions" / "exercises.py")
    assert len(shown) >= 10
    for text in shown:
        assert text.startswith("✓ "), text


# ---------------------------------------------------------------- a new op
def _softsign_row(forward, derivative=None, name="softsign_check"):
    from tinygrad_edu.ops import Op

    return Op(name, name, forward, name + " {0}", ("(1 − |{out}|)²",), method=name,
              domain=((-4.0, 4.0),), doc="x / (1 + |x|)",
              derivative=derivative or (lambda xs, out, call: ((1 - call("abs", out)) ** 2,)))


def test_new_op_blank_is_not_done_yet():
    def softsign(x):
        ...

    assert str(check_new_op(_softsign_row(softsign))).startswith("not done yet: softsign")
    assert str(check_new_op(...)).startswith("not done yet")


def test_new_op_with_a_wrong_local_gradient_is_refused_and_not_registered():
    from tinygrad_edu.ops import OPS

    def softsign(x):
        return x / (1 + abs(x)), -1 / (1 + abs(x)) ** 2

    report = check_new_op(_softsign_row(softsign))
    assert not report and "sign is flipped" in str(report) and "not registered" in str(report)
    assert "softsign_check" not in OPS and not hasattr(Value, "softsign_check")


def test_new_op_whose_derivative_expression_disagrees_is_refused():
    def softsign(x):
        return x / (1 + abs(x)), 1 / (1 + abs(x)) ** 2

    report = check_new_op(_softsign_row(softsign, lambda xs, out, call: (1 - out * out,)))
    assert not report and "derivative expression" in str(report)


def _in_a_fresh_interpreter(code: str):
    """Run ``code`` in a new Python: registering changes the op table for the whole process."""
    import subprocess

    root = pathlib.Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, env={**__import__("os").environ, "PYTHONPATH": str(root)},
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out


def test_a_correct_new_op_is_registered_and_works_on_value():
    code = (
        "from tinygrad_edu import Value\n"
        "from tinygrad_edu.ops import Op\n"
        "from tinygrad_edu.exercises import check_new_op\n"
        "def softsign(x):\n"
        "    return x / (1 + abs(x)), 1 / (1 + abs(x)) ** 2\n"
        "row = Op('softsign', 'softsign', softsign, 'softsign {0}', ('(1 − |{out}|)²',),\n"
        "         method='softsign', domain=((-4.0, 4.0),), doc='x / (1 + |x|)',\n"
        "         derivative=lambda xs, out, call: ((1 - call('abs', out)) ** 2,))\n"
        "print(check_new_op(row))\n"
        "print(check_new_op(row))\n"
        "x = Value(3.0)\n"
        "y = x.softsign()\n"
        "y.backward()\n"
        "print(y.data, x.grad)\n")
    out = _in_a_fresh_interpreter(code)
    first, second, numbers = out.stdout.strip().splitlines()
    assert first.startswith("✓ check_new_op('softsign')") and "softsign v0" in first
    assert second.startswith("✓")               # a cell run twice: the same row, accepted
    assert [float(v) for v in numbers.split()] == [0.75, 1 / 16]


def test_a_correct_two_operand_op_and_a_domain_without_one_half_are_registered():
    # check_new_op used to call Value.<method>() with one operand, and at x = 0.5 even when
    # the row's domain excludes it; each row is checked through Value with all its operands
    code = (
        "import math\n"
        "from tinygrad_edu import Value\n"
        "from tinygrad_edu.ops import Op\n"
        "from tinygrad_edu.exercises import check_new_op\n"
        "def hypot(a, b):\n"
        "    out = math.hypot(a, b)\n"
        "    return out, a / out, b / out\n"
        "row = Op('hypot', 'hypot', hypot, 'hypot({0}, {1})', ('{0} / {out}', '{1} / {out}'),\n"
        "         method='hypot', domain=((1.0, 3.0), (1.0, 3.0)), doc='√(a² + b²)',\n"
        "         derivative=lambda xs, out, call: (xs[0] / out, xs[1] / out))\n"
        "print(check_new_op(row))\n"
        "def acosh(x):\n"
        "    return math.acosh(x), 1 / math.sqrt(x * x - 1)\n"
        "row = Op('acosh', 'acosh', acosh, 'acosh {0}', ('1 / √({0}² − 1)',),\n"
        "         method='acosh', domain=((2.0, 5.0),), doc='inverse hyperbolic cosine',\n"
        "         derivative=lambda xs, out, call: (1 / call('sqrt', xs[0] * xs[0] - 1),))\n"
        "print(check_new_op(row))\n"
        "a, b = Value(3.0), Value(4.0)\n"
        "y = a.hypot(b)\n"
        "y.backward()\n"
        "print(y.data, a.grad, b.grad)\n")
    out = _in_a_fresh_interpreter(code)
    two, one, numbers = out.stdout.strip().splitlines()
    assert two.startswith("✓ check_new_op('hypot')") and "hypot(v-1, v0)" in two, two
    assert one.startswith("✓ check_new_op('acosh')") and "acosh v0" in one, one
    assert [float(v) for v in numbers.split()] == [5.0, 0.6, 0.8]


def test_a_report_brackets_what_a_function_is_applied_to():
    # cos(b − c) was written "cos b − c", which reads as (cos b) − c
    from tinygrad_edu.exercises.programs import Program, Step

    def text(*steps):
        return Program(("a", "b", "c"), (1.0, 2.0, 3.0), steps).text()

    assert text(Step("−", (1, 2)), Step("cos", (3,))) == "cos (b − c)"
    assert text(Step("cos", (1,)), Step("** n", (3,), 2.0)) == "(cos b)^2"
    assert text(Step("** n", (0,), 2.0), Step("sin", (3,))) == "sin (a^2)"
    assert text(Step("cos", (1,)), Step("×", (3, 2))) == "cos b × c"
    assert text(Step("+", (0, 1)), Step("sigmoid", (3,))) == "σ(a + b)"
    assert text(Step("+", (0, 1)), Step("max", (3, 2))) == "max(a + b, c)"


def test_a_local_gradient_that_is_not_a_number_is_reported_from_one_call():
    # the report called the learner's function a second time to show what it returned
    calls = []

    def d_sin(x):
        calls.append(x)
        return "cos x"

    report = check_local_gradient("sin", d_sin, points=3)
    assert not report and "'cos x', expected a number" in str(report)
    assert len(calls) == 3                       # once per point, never again for the message
